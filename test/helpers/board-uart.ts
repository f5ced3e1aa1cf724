// What the UART board tests share: the firmware built before them, QEMUs with their UART on a free
// TCP port and stopped after them, and reading the lines the link firmware prints
// (board/native/app/link-device.c and device-common.c).
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { buildFirmware } from "../../board/native/build.js";
import { startUartFirmware, type UartFirmware } from "../../board/native/qemu.js";

export interface UartSession {
  /** A scratch directory for the file's bundles, removed after its tests. */
  dir: string;
  /** Starts `elf` on QEMU `machine` with its UART on a free port (firmware.port). */
  start(machine: string, elf: string): Promise<UartFirmware>;
}

/** Registers the file's hooks: build the firmware before its tests, stop every QEMU after them. */
export function uartSession(label: string): UartSession {
  const dir = mkdtempSync(join(tmpdir(), `airlock-${label}-`));
  const running: UartFirmware[] = [];
  beforeAll(() => {
    buildFirmware();
  }, 300_000);
  afterAll(() => {
    running.forEach((f) => f.stop());
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async start(machine, elf) {
      const firmware = startUartFirmware(machine, elf, await freePort());
      running.push(firmware);
      return firmware;
    },
  };
}

/** A TCP port nothing listens on now, for QEMU's UART server. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The last line starting with `prefix`. */
export function last(lines: string[], prefix: string): string {
  const found = [...lines].reverse().find((l) => l.startsWith(prefix));
  if (found === undefined) throw new Error(`no "${prefix}" line in:\n${lines.join("\n")}`);
  return found;
}

/** The value of `name=` in a line. */
export const field = (line: string, name: string) => new RegExp(`${name}=(\\S+)`).exec(line)?.[1];

/** The run's last "resources" line: its stack peak must stay below the stack it has. */
export function expectStackWithin(lines: string[], label: string): void {
  const resources = last(lines, "resources");
  console.log(`${label} ${resources}`);
  expect(Number(field(resources, "stack-peak"))).toBeLessThan(Number(field(resources, "stack-size")));
}
