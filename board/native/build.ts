// Builds the board firmware from build/agent.wasm (which `npm run build` makes): generates the C
// headers and fixtures, then runs make (wasm2c, arm-none-eabi-gcc for every machine at -O2 and
// -Os). Used by `npm run board:build` and by the board test, so both build the same way.
//
//   npx tsx board/native/build.ts
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateHeaders } from "./generate-headers.js";

export const NATIVE_DIR = fileURLToPath(new URL(".", import.meta.url));
export const BOARD_BUILD_DIR = fileURLToPath(new URL("../../build/board/", import.meta.url));
export const OPT_LEVELS = ["O2", "Os"] as const;
export type OptLevel = (typeof OPT_LEVELS)[number];

const TOOLS = ["wasm2c", "arm-none-eabi-gcc", "make", "qemu-system-arm"];

/** Where a program of the firmware is built: build/board/<machine>-<opt>/<program>.elf */
export function firmwarePath(machine: string, opt: OptLevel, program: "update-demo" | "bench"): string {
  return join(BOARD_BUILD_DIR, `${machine}-${opt}`, `${program}.elf`);
}

function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { encoding: "utf8", cwd: NATIVE_DIR, maxBuffer: 16 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    throw new Error(`${what} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Throws, naming the Debian packages, if a tool the board build or run needs is missing. */
export function requireBoardTools(): void {
  const missing = TOOLS.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(", ")}: install Debian's wabt gcc-arm-none-eabi libnewlib-arm-none-eabi ` +
        `qemu-system-arm make (as .ci/run does)`,
    );
  }
}

/** Generates headers and fixtures, then makes every firmware. Returns make's output. */
export function buildFirmware(): string {
  requireBoardTools();
  generateHeaders(join(BOARD_BUILD_DIR, "generated"));
  return run("make", ["-s", "-j2"], "make (board/native)");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(buildFirmware());
}
