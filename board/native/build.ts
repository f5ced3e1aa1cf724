// Builds the board firmware from build/agent.wasm (which `npm run build` makes): generates the C
// headers and fixtures, then runs make (wasm2c, arm-none-eabi-gcc for every machine at -O2 and
// -Os). Used by `npm run board:build` and by the board test, so both build the same way.
//
//   npx tsx board/native/build.ts
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateHeaders } from "./generate-headers.js";

export const NATIVE_DIR = fileURLToPath(new URL(".", import.meta.url));
export const BOARD_BUILD_DIR = fileURLToPath(new URL("../../build/board/", import.meta.url));
export const OPT_LEVELS = ["O2", "Os"] as const;
export type OptLevel = (typeof OPT_LEVELS)[number];

const TOOLS = ["wasm2c", "wat2wasm", "arm-none-eabi-gcc", "make", "qemu-system-arm"];

export type FirmwareProgram = "update-demo" | "bench" | "oob-probe";

/** The link firmware (-Os only): build/board/<machine>-Os-link/link-device.elf */
export function linkFirmwarePath(machine: string): string {
  return join(BOARD_BUILD_DIR, `${machine}-Os-link`, "link-device.elf");
}

/**
 * The link firmware for Pigweed's test bundles (-Os): its layout has targets app, file1 and file2
 * (board/pigweed/) and its factory root is pigweedFixtures()'s P-256 one.
 */
export function linkPigweedFirmwarePath(machine: string): string {
  return join(BOARD_BUILD_DIR, `${machine}-Os-link`, "link-device-pigweed.elf");
}

/** Where a program of the firmware is built: build/board/<machine>-<opt>/<program>.elf */
export function firmwarePath(machine: string, opt: OptLevel, program: FirmwareProgram): string {
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

const LOCK_DIR = join(BOARD_BUILD_DIR, ".build-lock");
const LOCK_OWNER = join(LOCK_DIR, "pid");
const LOCK_STALE_MS = 10 * 60 * 1000; // far beyond the longest build

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** True if the lock was left by a process that no longer runs (killed mid-build), or is old. */
function lockIsStale(): boolean {
  let owner = NaN;
  try {
    owner = Number(readFileSync(LOCK_OWNER, "utf8"));
  } catch {
    // not written yet (the owner is between mkdir and write): judge by age alone
  }
  if (Number.isInteger(owner) && owner > 0) {
    try {
      process.kill(owner, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return true;
    }
  }
  return Date.now() - statSync(LOCK_DIR).mtimeMs > LOCK_STALE_MS;
}

/**
 * Runs `build` while holding build/board/.build-lock. Several test files build the firmware in
 * their setup and vitest runs them in parallel processes; two makes in one tree would write the
 * same objects at once. The second waits, then finds everything up to date.
 */
function withBuildLock<T>(build: () => T): T {
  mkdirSync(BOARD_BUILD_DIR, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(LOCK_OWNER, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let stale = false;
      try {
        stale = lockIsStale();
      } catch {
        continue; // released while we looked
      }
      if (stale) rmSync(LOCK_DIR, { recursive: true, force: true });
      else sleepMs(200);
    }
  }
  try {
    return build();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/** Generates headers and fixtures, then makes every firmware. Returns make's output. */
export function buildFirmware(): string {
  requireBoardTools();
  return withBuildLock(() => {
    generateHeaders(join(BOARD_BUILD_DIR, "generated"));
    return run("make", ["-s", "-j2"], "make (board/native)");
  });
}

/**
 * Builds the bounds-check probe with wasm2c's checks compiled out (the Makefile's diagnostic
 * variant, never shipped) and returns its path: what the OOB test runs to show that it would
 * notice missing checks. Needs buildFirmware() first (for the generated probe source).
 */
export function buildUncheckedProbe(): string {
  requireBoardTools();
  withBuildLock(() => run("make", ["-s", "unchecked-probe"], "make unchecked-probe (board/native)"));
  return join(BOARD_BUILD_DIR, "mps2-an386-O2-unchecked", "oob-probe.elf");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(buildFirmware());
}
