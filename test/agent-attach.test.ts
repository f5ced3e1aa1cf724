// attach(): a firmware that drops the agent's instance during a run and instantiates it again in
// the SAME run rejoins what boot() started, from flash alone, settling and writing nothing. Each
// test asserts the flash afterwards (bytes and operation counts), not only the return codes.
import { describe, it, expect } from "vitest";
import * as S from "../assembly/status.js";
import { cast, image } from "./helpers/fixtures.js";
import { goodBundle } from "./helpers/agent-craft.js";
import { newDevice, runningImageHash, sha256Hex, type TestDevice } from "./helpers/agent-device.js";
import { STATE } from "../host-sim/device.js";
import { instantiateAgent, type AgentInstance } from "../host-sim/agent-module.js";
import { encodeLayout } from "../host-sim/layout.js";

const { devTargets, rootV1 } = cast();
const v1 = image("factory app", 30_000);
const v2 = image("app v2", 50_000);
const bundleV2 = goodBundle(2, { app: v2 }, [devTargets]);

async function factory(): Promise<TestDevice> {
  const d = newDevice();
  await d.device.provision(rootV1, { app: v1 });
  return d;
}

/** Updated to v2 and powered on into it: v2 runs on trial, marked tried. */
async function onTrial(): Promise<TestDevice> {
  const d = await factory();
  expect(d.device.update(bundleV2).ok).toBe(true);
  expect(await d.device.powerOn()).toMatchObject({ slot: "b", trial: true });
  return d;
}

/** Everything a flash write would change: contents, programmed map, erase counts, op counts. */
function flashFingerprint(d: TestDevice): string {
  const s = d.flash.state();
  return sha256Hex(Buffer.concat([s.bytes, s.programmedUnits, Buffer.from(s.eraseCounts.buffer)])) + `/${s.programOps}/${s.eraseOps}`;
}

/** A fresh instance over the device's flash with the layout configured, as firmware reloads it. */
async function reloadedAgent(d: TestDevice): Promise<AgentInstance> {
  const agent = await instantiateAgent(d.flash);
  const layout = encodeLayout(d.board);
  agent.io().set(layout);
  expect(agent.exports.configure(layout.length)).toBe(S.OK);
  return agent;
}

describe("attach rejoins the run boot() started", () => {
  it("reaches the trial image of this run: confirm works and the next power-on keeps it", async () => {
    const d = await onTrial();
    const info = await d.device.attach();
    expect(info).toMatchObject({ slot: "b", trial: true, targetsVersion: 2, pending: false });
    expect(runningImageHash(d, info)).toBe(sha256Hex(v2));
    d.device.confirm();
    const after = await d.device.powerOn();
    expect(after).toMatchObject({ slot: "b", trial: false, targetsVersion: 2 });
    expect(runningImageHash(d, after)).toBe(sha256Hex(v2));
  });

  it("settles nothing: a power-on after an attach without confirm still reverts to v1", async () => {
    const d = await onTrial();
    expect(await d.device.attach()).toMatchObject({ slot: "b", trial: true });
    expect(await d.device.attach()).toMatchObject({ slot: "b", trial: true }); // as often as firmware reloads
    const after = await d.device.powerOn();
    expect(after).toMatchObject({ slot: "a", trial: false, targetsVersion: 0 });
    expect(runningImageHash(d, after)).toBe(sha256Hex(v1));
    // After the revert, attach rejoins the reverted run as it is.
    expect(await d.device.attach()).toMatchObject({ slot: "a", trial: false, targetsVersion: 0 });
  });

  it("writes nothing to flash, on a confirmed image and on a trial image", async () => {
    const confirmed = await factory();
    const before = flashFingerprint(confirmed);
    expect(await confirmed.device.attach()).toMatchObject({ slot: "a", trial: false });
    expect(flashFingerprint(confirmed)).toBe(before);

    const trial = await onTrial();
    const ops = trial.flash.operations;
    const trialBefore = flashFingerprint(trial);
    const agent = await reloadedAgent(trial);
    expect(agent.exports.attach()).toBe(1);
    expect(trial.flash.operations).toBe(ops);
    expect(flashFingerprint(trial)).toBe(trialBefore);
  });

  it("refuses a trial image no power-on started (ERR_BOOT_PENDING), writing nothing; boot() then starts it", async () => {
    const d = await factory();
    expect(d.device.update(bundleV2).ok).toBe(true); // installed: the run still runs v1, v2 awaits a boot
    const before = flashFingerprint(d);
    const agent = await reloadedAgent(d);
    expect(agent.exports.attach()).toBe(S.ERR_BOOT_PENDING);
    expect(flashFingerprint(d)).toBe(before);
    // Not attached: the rest of the ABI still wants a boot decision.
    expect(agent.exports.update_status()).toBe(S.ERR_NOT_BOOTED);
    expect(agent.exports.confirm()).toBe(S.ERR_NOT_BOOTED);
    // What firmware must do at power-on: boot() on the same instance starts the trial.
    expect(agent.exports.boot()).toBe(1);
    expect(flashFingerprint(d)).not.toBe(before); // boot() recorded "tried"
    expect(await d.device.attach()).toMatchObject({ slot: "b", trial: true });
  });

  it("is refused after boot() or attach() in the same instance, and makes configure refused", async () => {
    const d = await onTrial();
    const booted = d.device.instance.exports;
    expect(booted.attach()).toBe(S.ERR_ALREADY_BOOTED);

    const agent = await reloadedAgent(d);
    expect(agent.exports.attach()).toBe(1);
    expect(agent.exports.attach()).toBe(S.ERR_ALREADY_BOOTED);
    const layout = encodeLayout(d.board);
    agent.io().set(layout);
    expect(agent.exports.configure(layout.length)).toBe(S.ERR_ALREADY_BOOTED);
    // boot() after attach settles nothing either: one decision per run, and it was boot()'s.
    const before = flashFingerprint(d);
    expect(agent.exports.boot()).toBe(1);
    expect(flashFingerprint(d)).toBe(before);
  });

  it("is refused before configure and on a device never provisioned", async () => {
    const d = newDevice();
    const unconfigured = await instantiateAgent(d.flash);
    expect(unconfigured.exports.attach()).toBe(S.ERR_NOT_CONFIGURED);
    const agent = await reloadedAgent(d);
    expect(agent.exports.attach()).toBe(S.ERR_NOT_PROVISIONED);
    expect(d.flash.operations).toBe(0);
  });

  it("rejoins a transfer in progress where its durable bytes end, as after a reset", async () => {
    const d = await factory();
    const x = d.device.instance.exports;
    const io = d.device.instance.io();
    expect(x.update_start()).toBe(S.OK);
    for (let at = 0; at < 12_000; at += 3000) {
      io.set(bundleV2.subarray(at, at + 3000));
      expect(x.update_write(at, 3000)).toBe(S.OK);
    }
    await d.device.attach();
    // 4 KiB staging sectors: two are durable; the rest is sent again.
    expect(d.device.status()).toMatchObject({ state: STATE.TRANSFERRING, bytesReceived: 8192 });
    expect(d.device.update(bundleV2, { resume: true }).ok).toBe(true);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ slot: "b", trial: true });
    expect(runningImageHash(d, info)).toBe(sha256Hex(v2));
  });
});
