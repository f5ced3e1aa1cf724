// Issue 11: a bundle crosses the wire. The host stack (tools/link) drives the link variant of the
// agent (build/agent-link.wasm) through Pigweed's protocol on a modelled 115200-baud wire with
// 10 ms latency, in virtual time: the update installs, the running image's bytes are the
// bundle's, and a reset, a dropped link or a second send resume instead of starting over.
import { describe, expect, it } from "vitest";
import { loadBoard } from "../host-sim/index.js";
import { sendBundle, SendError } from "../tools/link/index.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { manufacture, runningImage } from "./helpers/device.js";
import { LinkRig } from "./helpers/link-rig.js";
import { createHash } from "node:crypto";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const firmware = (label: string, bytes: number) => {
  const out = new Uint8Array(bytes);
  const text = new TextEncoder().encode(`${label}\n`);
  for (let at = 0; at < bytes; at += text.length) out.set(text.subarray(0, Math.min(text.length, bytes - at)), at);
  return out;
};

describe("send over the wire", () => {
  const board = loadBoard("nrf52840");
  const c = cast();
  const v1 = firmware("v1", 6000);
  const v2 = firmware("v2 over the wire", 40_000);
  const bundle = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [c.devTargets] });

  it("installs the bundle and the device reboots into it", async () => {
    const flash = await manufacture(board, c.rootV1, { app: v1 });
    const rig = new LinkRig({ board, flash });
    await rig.start();
    const report = await rig.run(sendBundle({ connect: rig.connect, bundle, filename: "v2.bundle", clock: rig.clock }));
    expect(report).toMatchObject({ state: "FINISHED", result: "SUCCESS", resumes: 0, alreadyInstalled: false, bundleBytes: bundle.length });
    expect(report.bytesSent).toBe(bundle.length);
    const last = rig.boots.at(-1)!;
    expect(last.reason).toBe("reboot-after-install");
    expect(last.info.targetsVersion).toBe(2);
    expect(last.info.images.app).toBe(sha(v2));
    expect(sha(runningImage(board, flash, last.info, "app", v2.length))).toBe(sha(v2));
    // The wire's counters: nothing was dropped on a clean line.
    expect(rig.device.counters()).toMatchObject({ badFcs: 0, tooLong: 0, tooShort: 0, badPacket: 0 });
    rig.stop();
  });

  it("a second send of the installed bundle sends nothing", async () => {
    const flash = await manufacture(board, c.rootV1, { app: v1 });
    const rig = new LinkRig({ board, flash });
    await rig.start();
    await rig.run(sendBundle({ connect: rig.connect, bundle, filename: "v2.bundle", clock: rig.clock }));
    const again = await rig.run(sendBundle({ connect: rig.connect, bundle, filename: "v2.bundle", clock: rig.clock }));
    expect(again).toMatchObject({ alreadyInstalled: true, bytesSent: 0 });
    rig.stop();
  });

  it("a device reset mid-transfer resumes from the device's offset", async () => {
    const flash = await manufacture(board, c.rootV1, { app: v1 });
    const rig = new LinkRig({ board, flash, faults: { atDeviceByte: [{ byte: 25_000, action: "reset" }] } });
    await rig.start();
    const report = await rig.run(sendBundle({ connect: rig.connect, bundle, filename: "v2.bundle", clock: rig.clock }));
    expect(report).toMatchObject({ result: "SUCCESS" });
    expect(report.resumes).toBeGreaterThanOrEqual(1);
    // Resumed, not restarted: less than two bundles went over the wire.
    expect(report.bytesSent).toBeLessThan(2 * bundle.length);
    expect(rig.boots.at(-1)!.info.images.app).toBe(sha(v2));
    rig.stop();
  });

  it("a second send after the first one died mid-transfer (a host crash) resumes from the device's offset", async () => {
    const flash = await manufacture(board, c.rootV1, { app: v1 });
    const rig = new LinkRig({ board, flash, faults: { atDeviceByte: [{ byte: 30_000, action: "cut-link" }] } });
    await rig.start();
    // The first host gives up at the first interruption, as a crashed one would.
    const first = await rig.run(sendBundle({ connect: rig.connect, bundle, filename: "v2.bundle", clock: rig.clock, maxResumes: 0 })).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(SendError);
    expect(rig.device.status()).toMatchObject({ stateName: "TRANSFERRING" });
    const held = rig.device.status().bytesReceived;
    expect(held).toBeGreaterThan(0);
    const second = await rig.run(sendBundle({ connect: rig.connect, bundle, filename: "v2.bundle", clock: rig.clock }));
    expect(second).toMatchObject({ result: "SUCCESS", resumes: 0 });
    expect(second.bytesSent).toBe(bundle.length - held);
    expect(rig.boots.at(-1)!.info.images.app).toBe(sha(v2));
    rig.stop();
  });

  it("a tampered bundle is refused with the agent's named error and the device keeps v1", async () => {
    const flash = await manufacture(board, c.rootV1, { app: v1 });
    const rig = new LinkRig({ board, flash });
    const before = await rig.start();
    const bad = bundle.slice();
    bad[bad.length - 10] ^= 0x40; // a payload byte: its hash no longer matches
    const err = await rig.run(sendBundle({ connect: rig.connect, bundle: bad, filename: "bad.bundle", clock: rig.clock })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).code).toBe("REJECTED");
    expect((err as SendError).agentError).toMatch(/^ERR_/);
    expect(rig.device.bootInfo().images.app).toBe(before.images.app);
    rig.stop();
  });
});
