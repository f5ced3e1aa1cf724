// Runs a firmware ELF on a QEMU machine and collects what it printed over semihosting.
import { spawn, spawnSync } from "node:child_process";
import { QEMU_MACHINES } from "./machines.js";

export interface FirmwareRun {
  machine: string;
  elf: string;
  /** QEMU's exit status: 0 when the firmware ended with semihosting SYS_EXIT success. */
  exitCode: number | null;
  /** Everything the firmware printed, one entry per line. */
  lines: string[];
  stderr: string;
}

/**
 * The QEMU command line for a machine: no display, no serial port, semihosting on the host's
 * stdout, and -icount so virtual time counts instructions (see machines.ts). align=off and
 * sleep=off let the emulation run as fast as the host allows. `commandLine` words reach the
 * firmware through semihosting's SYS_GET_CMDLINE (the first is, by convention, its name).
 */
export function qemuArgs(machine: string, elf: string, commandLine: string[] = []): string[] {
  const config = QEMU_MACHINES[machine];
  if (!config) {
    throw new Error(`unknown QEMU machine "${machine}": known are ${Object.keys(QEMU_MACHINES).join(", ")}`);
  }
  return [
    "-M", machine,
    "-nographic", "-monitor", "none", "-serial", "none",
    "-semihosting-config", ["enable=on", "target=native", ...commandLine.map(semihostingArg)].join(","),
    "-icount", `shift=${config.icountShift},align=off,sleep=off`,
    "-kernel", elf,
  ];
}

/** One `arg=` of -semihosting-config; QEMU's option syntax escapes a comma by doubling it. */
function semihostingArg(word: string): string {
  if (/\s/.test(word) || word.length === 0) throw new Error(`a firmware argument must be one non-empty word: "${word}"`);
  return `arg=${word.replaceAll(",", ",,")}`;
}

export function runFirmware(machine: string, elf: string, timeoutMs = 120_000, commandLine: string[] = []): FirmwareRun {
  const result = spawnSync("qemu-system-arm", qemuArgs(machine, elf, commandLine), {
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? "qemu-system-arm is not installed: apt-get install qemu-system-arm (as .ci/run does)"
        : `QEMU on ${machine} did not finish: ${result.error.message}`,
    );
  }
  return {
    machine,
    elf,
    exitCode: result.status,
    lines: result.stdout.split("\n").filter((line) => line.length > 0),
    stderr: result.stderr,
  };
}

/** A firmware running on a QEMU machine whose first UART is a TCP server on 127.0.0.1:port. */
export interface UartFirmware {
  port: number;
  lines: string[];
  /** Resolves with the first line (from index `from`) matching `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<{ line: string; index: number }>;
  stop(): void;
}

/**
 * Starts a firmware that talks on its UART (link-device.elf) and returns at once. No -icount
 * here: the link's timeouts are wall-clock timeouts, and with -icount a polling main loop would
 * run virtual time far ahead of the host on the other end of the wire.
 */
export function startUartFirmware(machine: string, elf: string, port: number): UartFirmware {
  if (!QEMU_MACHINES[machine]) throw new Error(`unknown QEMU machine "${machine}"`);
  const child = spawn("qemu-system-arm", [
    "-M", machine, "-nographic", "-monitor", "none",
    "-serial", `tcp:127.0.0.1:${port},server=on,wait=off`,
    "-semihosting-config", "enable=on,target=native",
    "-kernel", elf,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let stderr = "";
  let exited: string | undefined;
  const waiters = new Set<() => void>();
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const parts = partial.split("\n");
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l.length > 0));
    waiters.forEach((w) => w());
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.on("exit", (code, signal) => {
    exited = `QEMU on ${machine} exited (${signal ?? code}): ${stderr.trim()}`;
    waiters.forEach((w) => w());
  });
  child.on("error", (err: NodeJS.ErrnoException) => {
    exited = err.code === "ENOENT" ? "qemu-system-arm is not installed: apt-get install qemu-system-arm (as .ci/run does)" : err.message;
    waiters.forEach((w) => w());
  });
  return {
    port,
    lines,
    waitFor(pattern, from = 0, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const index = lines.findIndex((l, i) => i >= from && pattern.test(l));
          if (index >= 0) {
            done();
            resolve({ line: lines[index]!, index });
          } else if (exited) {
            done();
            reject(new Error(`${exited}; waiting for ${pattern}; it printed:\n${lines.join("\n")}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${machine}: no line matching ${pattern} within ${timeoutMs} ms; it printed:\n${lines.join("\n")}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop() {
      child.kill("SIGKILL");
    },
  };
}
