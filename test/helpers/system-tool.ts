// Tests that need a system tool (SoftHSM...): in CI (CI or AIRLOCK_CI set, as .ci/run does) a
// missing tool fails the suite, so a green CI run means they ran; on a developer's machine they
// skip, saying loudly what is missing and how to install it.
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export function inCi(): boolean {
  return Boolean(process.env.CI || process.env.AIRLOCK_CI);
}

/** A command on PATH, or an absolute path to a file (a shared library), exists. */
function present(tool: string): boolean {
  const candidates = isAbsolute(tool) ? [tool] : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, tool));
  return candidates.some((path) => {
    try {
      accessSync(path, isAbsolute(tool) ? constants.R_OK : constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * True when `tool` is there. Missing in CI: throws. Missing elsewhere: warns and returns false,
 * for `describe.skipIf(!available)`.
 */
export function requireSystemTool(tool: string, install: string): boolean {
  if (present(tool)) return true;
  const message = `${tool} is missing: install it with \`${install}\` (as .ci/run does)`;
  if (inCi()) throw new Error(`${message}; in CI these tests never skip`);
  console.warn(`\n*** SKIPPING tests that need ${tool}: ${message} ***\n`);
  return false;
}
