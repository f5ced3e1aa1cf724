// Issue 12 on the boards: a bundle structured as Pigweed's update_bundle.py and dev_sign.py make
// it (board/native/pigweed-fixtures.ts: one protobuf encoding, root last, targets file1, file2 and
// user_manifest, no hardware ID, ECDSA P-256) installs over each QEMU machine's UART. The firmware
// is link-device-pigweed.elf: the link firmware built for the board's Pigweed-targets layout
// (board/pigweed/), provisioned at first power-on with a P-256 root and factory images for app,
// file1 and file2. After `airlock send` and the reset, the firmware must run the new file1 and
// file2 (as its manifest records them and as it hashes them from flash), the factory app
// (carried over into slot B, never in the bundle) and the bundle's user manifest.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { linkPigweedFirmwarePath } from "../board/native/build.js";
import { QEMU_MACHINES } from "../board/native/machines.js";
import { pigweedBoardPath, pigweedBundle, pigweedFixtures } from "../board/native/pigweed-fixtures.js";
import { inDeviceOrder, USER_MANIFEST_TARGET } from "../tools/format/index.js";
import { loadBoard } from "../host-sim/index.js";
import { airlockBinAsync } from "./helpers/cli-run.js";
import { expectStackWithin, field, last, uartSession } from "./helpers/board-uart.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const { dir, start } = uartSession("pigweed-board");
const fixtures = pigweedFixtures();

/** "image NAME" and "flash NAME" of a run: the manifest's record and the slot's real hash. */
function imageOf(lines: string[], name: string) {
  const image = last(lines, `image ${name} `);
  return { present: field(image, "present"), length: Number(field(image, "length")), manifest: field(image, "sha256"), flash: field(last(lines, `flash ${name} `), "sha256") };
}

const expected = (bytes: Uint8Array) => ({ present: "1", length: bytes.length, manifest: sha(bytes), flash: sha(bytes) });

for (const [machine, config] of Object.entries(QEMU_MACHINES)) {
  describe(`link firmware for Pigweed's targets on QEMU ${machine}`, () => {
    it("installs a Pigweed-structured P-256 bundle sent with `airlock send`: file1, file2 and the user manifest, app kept", async () => {
      const board = loadBoard(pigweedBoardPath(config.layoutBoard));
      const bundle = pigweedBundle({ root: fixtures.root, targetsKey: fixtures.targetsKey, targetsVersion: fixtures.updateTargetsVersion, payloads: fixtures.updatePayloads });
      expect(inDeviceOrder(bundle)).toBe(false); // root last, as Pigweed's encoder writes it
      const path = join(dir, `${machine}-pigweed.bundle`);
      writeFileSync(path, bundle);

      const firmware = await start(machine, linkPigweedFirmwarePath(machine));
      const port = firmware.port;
      const ready = await firmware.waitFor(/^link ready$/);
      const before = firmware.lines.slice(0, ready.index);
      expect(last(before, "power-on")).toContain(`layout=${board.name}`);
      expect(last(before, "boot info")).toMatch(/slot=a .*root-version=1 targets-version=0/);
      for (const [name, image] of Object.entries(fixtures.factoryImages)) expect(imageOf(before, name), name).toEqual(expected(image));
      expect(before).toContain("user-manifest absent");

      // send reorders the bundle (root first, every field's bytes unchanged) and says so.
      const sent = await airlockBinAsync(["send", path, "--tcp", `127.0.0.1:${port}`, "--json"]);
      expect(sent.stderr).toMatch(/not in the device's field order .* sending it reordered/);
      expect(sent.code).toBe(0);
      const report = JSON.parse(sent.stdout) as { state: string; result: string; bundleBytes: number; bytesSent: number };
      expect({ state: report.state, result: report.result }).toEqual({ state: "FINISHED", result: "SUCCESS" });
      expect(report.bundleBytes).toBe(bundle.length); // reordered, not re-encoded: the same length
      expect(report.bytesSent).toBeGreaterThanOrEqual(bundle.length); // more when a busy host retransmits

      const back = await firmware.waitFor(/^link ready$/, ready.index + 1);
      const after = firmware.lines.slice(ready.index + 1, back.index);
      expect(after).toContain("reset into the update");
      expectStackWithin(after, `${machine}: Pigweed link firmware`);
      const info = last(after, "boot info");
      expect({ slot: field(info, "slot"), root: Number(field(info, "root-version")), targets: Number(field(info, "targets-version")) })
        .toEqual({ slot: "b", root: 1, targets: fixtures.updateTargetsVersion });
      expect(imageOf(after, "file1")).toEqual(expected(fixtures.updatePayloads.file1!));
      expect(imageOf(after, "file2")).toEqual(expected(fixtures.updatePayloads.file2!));
      expect(imageOf(after, "app")).toEqual(expected(fixtures.factoryImages.app!));
      const userManifest = fixtures.updatePayloads[USER_MANIFEST_TARGET]!;
      expect(last(after, "user-manifest")).toBe(`user-manifest length=${userManifest.length} sha256=${sha(userManifest)}`);
      firmware.stop();
    }, 180_000);
  });
}
