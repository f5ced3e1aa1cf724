// The main path through the real agent: provision a factory-fresh device, update it, reboot
// into the new image on trial, confirm; and trial revert when the new image never confirms.
import { describe, it, expect } from "vitest";
import { cast, image, makeBundle } from "./support/fixtures.js";
import { newDevice, runningImageHash, sha256Hex } from "./helpers/agent-device.js";
import { STATE, RESULT } from "../host-sim/device.js";

describe("agent update path", () => {
  const { devTargets, rootV1 } = cast();
  const v1 = image("app v1", 20_000);
  const v2 = image("app v2", 23_456);

  it("provisions a factory-fresh device that runs the factory image from slot A", async () => {
    const d = newDevice();
    const info = await d.device.provision(rootV1, { app: v1 });
    expect(info).toMatchObject({ slot: "a", trial: false, rootVersion: 1, targetsVersion: 0, pending: false });
    expect(info.images.app).toBe(sha256Hex(v1));
    expect(runningImageHash(d, info)).toBe(sha256Hex(v1));
  });

  it("installs a signed bundle into slot B, boots it on trial, and keeps it once confirmed", async () => {
    const d = newDevice();
    await d.device.provision(rootV1, { app: v1 });
    const bundle = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [devTargets] });
    const phases = new Set<string>();
    const outcome = d.device.update(bundle, { onProgress: (phase) => phases.add(phase) });
    expect(outcome).toMatchObject({ ok: true, state: STATE.FINISHED, result: RESULT.SUCCESS, error: 0 });
    expect([...phases]).toEqual(["transfer", "verify", "apply"]);
    // Still running the old image until the next power-on.
    expect(d.device.bootInfo()).toMatchObject({ slot: "a", pending: true });

    const trial = await d.device.powerOn();
    expect(trial).toMatchObject({ slot: "b", trial: true, targetsVersion: 2, pending: false });
    expect(trial.images.app).toBe(sha256Hex(v2));
    expect(runningImageHash(d, trial)).toBe(sha256Hex(v2));

    d.device.confirm();
    const after = await d.device.powerOn();
    expect(after).toMatchObject({ slot: "b", trial: false, targetsVersion: 2 });
    expect(runningImageHash(d, after)).toBe(sha256Hex(v2));
    expect(d.device.memoryBytes()).toBe(65536);
  });

  it("reverts to the previous image when the new one never confirms", async () => {
    const d = newDevice();
    await d.device.provision(rootV1, { app: v1 });
    const bundle = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [devTargets] });
    expect(d.device.update(bundle).ok).toBe(true);
    expect(await d.device.powerOn()).toMatchObject({ slot: "b", trial: true });
    const reverted = await d.device.powerOn();
    expect(reverted).toMatchObject({ slot: "a", trial: false, targetsVersion: 0 });
    expect(runningImageHash(d, reverted)).toBe(sha256Hex(v1));
  });
});
