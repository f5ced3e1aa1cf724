// Runs the airlock CLI in-process (fast) or as the real bin (end to end), in scratch directories.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { captureIo, main } from "../../tools/cli/index.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `airlock ARGS...` through tools/cli.ts's main, in this process. */
export async function airlock(...args: string[]): Promise<CliRun> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

export const BIN = fileURLToPath(new URL("../../bin/airlock.js", import.meta.url));

/** `airlock ARGS...` as a child process through bin/airlock.js, as a user runs it. */
export function airlockBin(args: string[], options: { cwd?: string } = {}): CliRun {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, encoding: "utf8", timeout: 60_000 });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The bin as a child process without blocking this process's event loop (a device may run beside it). */
export function airlockBinAsync(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A fresh scratch directory; `cleanup` removes every directory made so far. */
export function scratchDirs(prefix: string): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const dir = mkdtempSync(join(tmpdir(), `airlock-${prefix}-`));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
