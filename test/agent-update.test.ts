// The main path through the real agent: provision a factory-fresh device, update it, reboot
// into the new image on trial, confirm; and trial revert when the new image never confirms.
import { describe, it, expect } from "vitest";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { newDevice, runningImageHash, sha256Hex } from "./helpers/agent-device.js";
import { STATE, RESULT } from "../host-sim/device.js";
import { loadBoard } from "../host-sim/boards.js";
import { personalizeBundle } from "../tools/format/index.js";

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

describe("agent update path with two targets", () => {
  const { devTargets, rootV1 } = cast();
  const app1 = image("app v1", 9_000);
  const net1 = image("net v1", 4_000);
  const app2 = image("app v2", 9_500);
  const net2 = image("net v2", 4_100);

  function twoTargetBoard() {
    const board = structuredClone(loadBoard("nrf52840"));
    board.partitions.targets.push({ name: "net", slotA: 0xe0000 - 0x10000, slotB: 0xe0000 - 0x8000, slotSize: 0x8000 });
    board.partitions.staging = { offset: 0xe0000, size: 0x20000 };
    return board;
  }

  it("switches both targets together, carrying over a personalized-out one", async () => {
    const d = newDevice(twoTargetBoard());
    await d.device.provision(rootV1, { app: app1, net: net1 });
    const full = makeBundle({ targetsVersion: 2, payloads: { app: app2, net: net1 }, signers: [devTargets] });
    expect(d.device.update(personalizeBundle(full, ["net"])).ok).toBe(true);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ slot: "b", images: { app: sha256Hex(app2), net: sha256Hex(net1) } });
    expect(runningImageHash(d, info, "app")).toBe(sha256Hex(app2));
    expect(runningImageHash(d, info, "net")).toBe(sha256Hex(net1));
    d.device.confirm();

    expect(d.device.update(makeBundle({ targetsVersion: 3, payloads: { app: app2, net: net2 }, signers: [devTargets] })).ok).toBe(true);
    const both = await d.device.powerOn();
    expect(both).toMatchObject({ slot: "a", images: { app: sha256Hex(app2), net: sha256Hex(net2) } });
    expect(runningImageHash(d, both, "net")).toBe(sha256Hex(net2));
    // Not confirmed: both targets revert together.
    const reverted = await d.device.powerOn();
    expect(reverted).toMatchObject({ slot: "b", images: { app: sha256Hex(app2), net: sha256Hex(net1) } });
    expect(runningImageHash(d, reverted, "net")).toBe(sha256Hex(net1));
  });
});
