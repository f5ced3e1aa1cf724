// Runs a firmware ELF on a QEMU machine and collects what it printed over semihosting.
import { spawnSync } from "node:child_process";
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
