// Issue 14, qualification on the board firmware: the qemu suite installs a bundle over the UART
// of each QEMU machine whose flash follows the qualified board, and checks what the firmware
// reports after its reset into the update. The firmware trusts only its compiled-in root (the
// board demo's), so a product under another root is skipped saying so, and fails with --qemu require.
import { beforeAll, describe, expect, it } from "vitest";
import { buildFirmware } from "../board/native/build.js";
import { demoFixtures } from "../board/native/fixtures.js";
import { loadBoard } from "../host-sim/index.js";
import { createRoot, signRoot } from "../tools/format/index.js";
import { qualifyRelease } from "../tools/release/index.js";
import { keyFromLabel } from "./helpers/fixtures.js";
import { requireSystemTool } from "./helpers/system-tool.js";

const available = requireSystemTool("qemu-system-arm", "apt-get install qemu-system-arm") && requireSystemTool("arm-none-eabi-gcc", "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi");
const fixtures = demoFixtures(loadBoard("nrf52840").hardwareId);
const base = { product: "demo", boards: ["nrf52840"], qualifierKey: keyFromLabel("qualifier"), suites: ["qemu" as const] };

describe.skipIf(!available)("release qualify: qemu", () => {
  beforeAll(() => buildFirmware(), 300_000);

  it("installs over the UART of every QEMU machine following the board and passes on the firmware's own report", async () => {
    const result = await qualifyRelease({ ...base, bundle: fixtures.updateBundle, root: fixtures.root, qemu: "require" });
    const [qemu] = result.suites;
    expect(qemu!.result, qemu!.reason).toBe("pass");
    expect(qemu!.runs.map((r) => [r.machine, r.result])).toEqual([["mps2-an386", "pass"], ["lm3s6965evb", "pass"]]);
    expect(qemu!.runs[0]!.checked).toContain("app: its manifest and the bytes hashed from its flash are the bundle's image");
    expect(qemu!.record).toMatchObject({ suite: "qemu", result: "pass", boards: ["nrf52840@mps2-an386", "nrf52840@lm3s6965evb"] });
  }, 120_000);

  it("skips a product under another root as a limitation, and fails it with --qemu require", async () => {
    const key = keyFromLabel("product root");
    const root = signRoot(createRoot({ rootKeys: [key], targetsKeys: [key], version: 1 }), key);
    const auto = await qualifyRelease({ ...base, bundle: fixtures.updateBundle, root, qemu: "auto" });
    expect(auto.ok).toBe(true);
    expect(auto.suites[0]).toMatchObject({ result: "skipped", reason: expect.stringMatching(/limitation: the board firmware trusts only the root compiled into it/) });
    expect(auto.envelopes).toEqual([]);
    const required = await qualifyRelease({ ...base, bundle: fixtures.updateBundle, root, qemu: "require" });
    expect(required.ok).toBe(false);
    expect(required.suites[0]).toMatchObject({ result: "fail", reason: expect.stringMatching(/required by --qemu require but cannot run: limitation/) });
    expect(required.suites[0]!.record).toMatchObject({ result: "fail" });
  }, 60_000);
});
