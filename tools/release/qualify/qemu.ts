// qemu: the board firmware (board/native, link-device.elf: the link variant of the agent through
// wasm2c) on each QEMU machine whose emulated flash follows a qualified board, its UART on a local
// TCP port, updated with the client behind `airlock send` as test/board-uart.test.ts does. After
// the firmware resets into the update it prints its boot info: the new targets version, confirmed
// (the firmware's self-test is that it booted), each image's SHA-256 by its manifest and as hashed
// from its flash, all the bundle's.
//
// Limitation, by design of that firmware: its factory root and factory image are compiled in
// (board/native/fixtures.ts, the board demo's keys), and the emulated flash starts blank at every
// QEMU start, so it is provisioned with them each time. It therefore installs only bundles under
// that root; for a product under its own root the run is skipped (with --qemu require: failed)
// saying so, never passed. The baseline does not apply there: the firmware updates from its own
// factory image at targets version 0.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createHash } from "node:crypto";
import { SendError, connectTcp, sendBundle } from "../../link/index.js";
import { CannotRun, type BoardCheck } from "./check.js";
import type { BoardPlan } from "./plan.js";

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The QEMU machines (name -> the board its flash layout follows). */
export async function qemuMachines(): Promise<Record<string, string>> {
  const { QEMU_MACHINES } = await import("../../../board/native/machines.js");
  return Object.fromEntries(Object.entries(QEMU_MACHINES).map(([machine, config]) => [machine, config.layoutBoard]));
}

/** The firmware ELF for a machine and its SHA-256, or why it cannot run here. */
async function firmwareFor(machine: string): Promise<{ elf: string; sha256: string }> {
  if (spawnSync("sh", ["-c", "command -v qemu-system-arm"]).status !== 0) {
    throw new CannotRun("qemu-system-arm is not installed: apt-get install qemu-system-arm (as .ci/run does)");
  }
  const { linkFirmwarePath } = await import("../../../board/native/build.js");
  const elf = linkFirmwarePath(machine);
  if (!existsSync(elf)) throw new CannotRun(`the board firmware is not built (${elf} is missing): run \`npm run board:build\``);
  return { elf, sha256: sha256Hex(readFileSync(elf)) };
}

/** Throws CannotRun unless the firmware's compiled-in root is the root this qualification trusts. */
async function requireFirmwareRoot(plan: BoardPlan): Promise<Uint8Array> {
  const { demoFixtures } = await import("../../../board/native/fixtures.js");
  const fixtures = demoFixtures(plan.board.hardwareId);
  if (Buffer.compare(Buffer.from(fixtures.root), Buffer.from(plan.root)) !== 0) {
    throw new CannotRun(
      "limitation: the board firmware trusts only the root compiled into it (board/native/fixtures.ts, the board demo's keys), " +
        "not this product's root, so it refuses this bundle by design; qualifying on QEMU needs firmware built with the product's root",
    );
  }
  return fixtures.factoryImage;
}

export interface QemuRunInfo {
  firmwareSha256?: string;
}

export async function qemuSuite(plan: BoardPlan, machine: string, check: BoardCheck, say: (line: string) => void, info: QemuRunInfo): Promise<void> {
  const firmware = await firmwareFor(machine);
  info.firmwareSha256 = firmware.sha256;
  const factoryImage = await requireFirmwareRoot(plan);
  const { startUartFirmware } = await import("../../../board/native/qemu.js");
  const port = await freePort();
  const running = startUartFirmware(machine, firmware.elf, port);
  try {
    const ready = await running.waitFor(/^link ready$/);
    const before = lastLine(running.lines.slice(0, ready.index), "boot info");
    check.expect("the firmware came up on its factory image at targets version 0", [
      ...(field(before, "targets-version") === "0" ? [] : [`it reports ${before}`]),
      ...(field(lastLine(running.lines.slice(0, ready.index), "flash app"), "sha256") === sha256Hex(factoryImage) ? [] : ["its app slot is not the factory image"]),
    ]);
    say(`${machine}: firmware up on 127.0.0.1:${port}; sending ${plan.bundle.length} bytes over its UART`);
    let report;
    try {
      report = await sendBundle({ connect: () => connectTcp("127.0.0.1", port), bundle: plan.bundle, filename: "qualify.bundle" });
    } catch (err) {
      if (err instanceof SendError) check.fail(`the install over the UART failed (${err.code}${err.agentError ? `, ${err.agentError}` : ""}): ${err.message}`);
      throw err;
    }
    check.figure("bytesSent", report.bytesSent);
    check.figure("sendMs", Math.round(report.durationMs));
    const back = await running.waitFor(/^link ready$/, ready.index + 1, 120_000);
    const lines = running.lines.slice(ready.index + 1, back.index);
    check.expect("the firmware reset into the update", lines.includes("reset into the update") ? [] : ["no \"reset into the update\" line"]);
    const boot = lastLine(lines, "boot info");
    check.expect("it runs the new targets version, confirmed", [
      ...(Number(field(boot, "targets-version")) === plan.new.targetsVersion ? [] : [`it reports ${boot}`]),
      ...(field(boot, "trial") === "0" ? [] : ["still on trial"]),
      ...(plan.new.rootVersions.includes(Number(field(boot, "root-version"))) ? [] : [`root version ${field(boot, "root-version")}`]),
    ]);
    for (const [name, image] of Object.entries(plan.new.images)) {
      const byManifest = field(lastLine(lines, `image ${name} `), "sha256");
      const fromFlash = field(lastLine(lines, `flash ${name} `), "sha256");
      check.expect(`${name}: its manifest and the bytes hashed from its flash are the bundle's image`, [
        ...(byManifest === image.sha256 ? [] : [`manifest says ${byManifest}`]),
        ...(fromFlash === image.sha256 ? [] : [`flash hashes to ${fromFlash}`]),
      ]);
    }
  } finally {
    running.stop();
  }
}

function lastLine(lines: string[], prefix: string): string {
  return [...lines].reverse().find((l) => l.startsWith(prefix)) ?? `(no "${prefix.trim()}" line)`;
}

const field = (line: string, name: string) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(line)?.[1];

/** A TCP port nothing listens on now, for QEMU's UART server. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
