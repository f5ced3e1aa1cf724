// Issue 11 on the boards: each QEMU machine runs link-device.elf (the link variant through
// wasm2c, -Os) with its UART on a TCP port, and `airlock send` updates it over that UART. The
// device's boot info after the update (slot, versions, the image hash from its manifest and the
// one the firmware hashes from flash) and its refusal of the bad-signature bundle must be what
// the simulator's link device reports for the same bundles over the same protocol. Then a bundle
// signed with ECDSA P-256 (rotating the root to a P-256 targets key) installs over the same wire.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { linkFirmwarePath } from "../board/native/build.js";
import { QEMU_MACHINES } from "../board/native/machines.js";
import { demoFixtures } from "../board/native/fixtures.js";
import { loadBoard } from "../host-sim/index.js";
import { NorFlash } from "../host-sim/flash.js";
import { SimDevice } from "../host-sim/device.js";
import { sendBundle, SendError } from "../tools/link/index.js";
import { airlockBinAsync } from "./helpers/cli-run.js";
import { LinkRig } from "./helpers/link-rig.js";
import { expectStackWithin, field, last, uartSession } from "./helpers/board-uart.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const { dir, start } = uartSession("uart");

/** The simulator's answer for the same bundles: the link device over the modelled wire. */
async function simulated(layoutBoard: string, fixtures: ReturnType<typeof demoFixtures>) {
  const board = loadBoard(layoutBoard);
  const flash = new NorFlash(board.flash);
  await new SimDevice(flash, board).provision(fixtures.root, { app: fixtures.factoryImage });
  const rig = new LinkRig({ board, flash });
  await rig.start();
  const report = await rig.run(sendBundle({ connect: rig.connect, bundle: fixtures.updateBundle, filename: "update.bundle", clock: rig.clock }));
  const after = rig.device.bootInfo();
  const bad = await rig.run(sendBundle({ connect: rig.connect, bundle: fixtures.badSignatureBundle, filename: "bad.bundle", clock: rig.clock })).catch((e: unknown) => e);
  rig.stop();
  return { report, after, badCode: bad instanceof SendError ? bad.agentError : String(bad) };
}

for (const [machine, config] of Object.entries(QEMU_MACHINES)) {
  describe(`link firmware on QEMU ${machine} over its UART`, () => {
    it("updates with `airlock send` as the simulator does, refuses the bad-signature bundle with the same code, then installs a P-256 bundle", async () => {
      const fixtures = demoFixtures(loadBoard(config.layoutBoard).hardwareId);
      const update = join(dir, `${machine}-update.bundle`);
      const bad = join(dir, `${machine}-bad.bundle`);
      writeFileSync(update, fixtures.updateBundle);
      writeFileSync(bad, fixtures.badSignatureBundle);
      const firmware = await start(machine, linkFirmwarePath(machine));
      const port = firmware.port;
      const ready = await firmware.waitFor(/^link ready$/);
      const before = last(firmware.lines.slice(0, ready.index), "boot info");
      expect(before).toMatch(/slot=a .*targets-version=0/);

      const sent = await airlockBinAsync(["send", update, "--tcp", `127.0.0.1:${port}`, "--json"]);
      expect(sent.stderr).toBe("");
      expect(sent.code).toBe(0);
      const report = JSON.parse(sent.stdout) as { state: string; result: string; bundleBytes: number; bytesSent: number };
      const back = await firmware.waitFor(/^link ready$/, ready.index + 1);
      const lines = firmware.lines.slice(ready.index + 1, back.index);
      expect(lines).toContain("reset into the update");
      expectStackWithin(lines, `${machine}: link firmware`);
      const bootInfo = last(lines, "boot info");
      const image = last(lines, "image app");
      const flashHash = last(lines, "flash app");

      const sim = await simulated(config.layoutBoard, fixtures);
      expect({ state: report.state, result: report.result }).toEqual({ state: sim.report.state, result: sim.report.result });
      expect(report.bundleBytes).toBe(fixtures.updateBundle.length);
      // Retransmissions count too: on a busy host the slow lm3s6965evb has needed some (17,438 bytes sent for 9,219).
      expect(report.bytesSent).toBeGreaterThanOrEqual(fixtures.updateBundle.length);
      expect({ slot: field(bootInfo, "slot"), targets: Number(field(bootInfo, "targets-version")), root: Number(field(bootInfo, "root-version")) })
        .toEqual({ slot: sim.after.slot, targets: sim.after.targetsVersion, root: sim.after.rootVersion });
      expect(field(image, "sha256")).toBe(sim.after.images.app);
      expect(field(image, "sha256")).toBe(sha(fixtures.updateImage));
      expect(field(flashHash, "sha256")).toBe(sha(fixtures.updateImage));

      const refused = await airlockBinAsync(["send", bad, "--tcp", `127.0.0.1:${port}`, "--json"]);
      expect(refused.code).toBe(1);
      expect((JSON.parse(refused.stdout) as { error: { code: string } }).error.code).toBe(sim.badCode);
      const status = await airlockBinAsync(["device", "status", "--tcp", `127.0.0.1:${port}`, "--json"]);
      expect(JSON.parse(status.stdout)).toMatchObject({ stateName: "FINISHED", resultName: "VERIFY_FAILED", bundleFilename: `${machine}-bad.bundle` });

      // ECDSA P-256 on the core: a bundle that rotates the root to one whose targets key is P-256
      // and is signed with it, as Pigweed's tools sign. The firmware hashes the installed image
      // from flash after the reset; both hashes must be the P-256 bundle's image.
      const p256 = join(dir, `${machine}-p256.bundle`);
      writeFileSync(p256, fixtures.p256Bundle);
      const ready2 = await firmware.waitFor(/^link ready$/, back.index);
      const viaP256 = await airlockBinAsync(["send", p256, "--tcp", `127.0.0.1:${port}`, "--json"]);
      expect(viaP256.stderr).toBe("");
      expect(JSON.parse(viaP256.stdout)).toMatchObject({ state: "FINISHED", result: "SUCCESS" });
      const back2 = await firmware.waitFor(/^link ready$/, ready2.index + 1);
      const after = firmware.lines.slice(ready2.index + 1, back2.index);
      expectStackWithin(after, `${machine}: link firmware after the P-256 update`);
      const info2 = last(after, "boot info");
      expect({ targets: Number(field(info2, "targets-version")), root: Number(field(info2, "root-version")) }).toEqual({ targets: 3, root: 2 });
      expect(field(last(after, "image app"), "sha256")).toBe(sha(fixtures.p256Image));
      expect(field(last(after, "flash app"), "sha256")).toBe(sha(fixtures.p256Image));
      firmware.stop();
    }, 180_000);
  });
}
