// The update service's state machine through the real agent: abort in every state, reset,
// resumable transfer after a reset, bounded polling with progress, and the calls each state
// refuses. Every step asserts what the device would boot afterwards.
import { describe, it, expect } from "vitest";
import * as S from "../assembly/status.js";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { goodBundle } from "./helpers/agent-craft.js";
import { newDevice, runningImageHash, sha256Hex, type TestDevice } from "./helpers/agent-device.js";
import { STATE, RESULT } from "../host-sim/device.js";
import { PowerCutError } from "../host-sim/flash.js";
import { loadBoard } from "../host-sim/boards.js";

const { devTargets, rootV1 } = cast();
const v1 = image("factory app", 30_000);
const v2 = image("app v2", 50_000);
const bundleV2 = goodBundle(2, { app: v2 }, [devTargets]);

async function factory(): Promise<TestDevice> {
  const d = newDevice();
  await d.device.provision(rootV1, { app: v1 });
  return d;
}

/** Drives the raw exports to `target` state (small budgets so the busy states are observable). */
function driveTo(d: TestDevice, target: number): void {
  const x = d.device.instance.exports;
  const io = d.device.instance.io();
  const send = (from: number, to: number) => {
    for (let at = from; at < to; at += io.length) {
      const n = Math.min(io.length, to - at);
      io.set(bundleV2.subarray(at, at + n));
      expect(x.update_write(at, n)).toBe(S.OK);
    }
  };
  expect(x.update_start()).toBe(S.OK);
  if (target === STATE.TRANSFERRING) return send(0, 5000);
  send(0, bundleV2.length);
  expect(x.update_set_transferred(bundleV2.length)).toBe(S.OK);
  if (target === STATE.TRANSFERRED) return;
  expect(x.update_verify()).toBe(S.OK);
  expect(x.update_poll(1)).toBe(1); // index + root
  expect(x.update_poll(1)).toBe(1); // targets
  expect(x.update_poll(1000)).toBe(1); // at most 1000 of 50000 bytes hashed
  if (target === STATE.VERIFYING) return;
  while (x.update_poll(8192) === 1);
  if (target === STATE.VERIFIED) return;
  expect(x.update_apply()).toBe(S.OK);
  expect(x.update_poll(4096)).toBe(1);
}

describe("update service states", () => {
  for (const state of [STATE.TRANSFERRING, STATE.TRANSFERRED, STATE.VERIFYING, STATE.VERIFIED, STATE.INSTALLING]) {
    it(`aborts in state ${state} and leaves the running image as it was`, async () => {
      const d = await factory();
      driveTo(d, state);
      expect(d.device.status().state).toBe(state);
      expect(d.device.abort()).toBe(S.OK);
      expect(d.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.ABORTED, lastError: 0 });
      const info = await d.device.powerOn();
      expect(info).toMatchObject({ slot: "a", trial: false, pending: false });
      expect(runningImageHash(d, info)).toBe(sha256Hex(v1));
      // The aborted result survives the reset until it is cleared; then a new update works.
      expect(d.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.ABORTED });
      expect(d.device.reset()).toBe(S.OK);
      expect(d.device.status().state).toBe(STATE.INACTIVE);
      expect(d.device.update(bundleV2).ok).toBe(true);
    });
  }

  it("refuses abort when idle or finished, and reset while busy", async () => {
    const d = await factory();
    expect(d.device.abort()).toBe(S.ERR_UPDATE_STATE);
    expect(d.device.status().state).toBe(STATE.INACTIVE);
    expect(d.device.update(bundleV2).ok).toBe(true);
    expect(d.device.abort()).toBe(S.ERR_UPDATE_STATE);
    const d2 = await factory();
    driveTo(d2, STATE.TRANSFERRED);
    expect(d2.device.reset()).toBe(S.ERR_UPDATE_STATE);
  });

  it("refuses calls out of order with ERR_UPDATE_STATE and out-of-sequence writes", async () => {
    const d = await factory();
    const x = d.device.instance.exports;
    expect(x.update_write(0, 10)).toBe(S.ERR_UPDATE_STATE);
    expect(x.update_set_transferred(10)).toBe(S.ERR_UPDATE_STATE);
    expect(x.update_verify()).toBe(S.ERR_UPDATE_STATE);
    expect(x.update_apply()).toBe(S.ERR_UPDATE_STATE);
    expect(x.update_start()).toBe(S.OK);
    expect(x.update_start()).toBe(S.ERR_UPDATE_STATE);
    d.device.instance.io().set(bundleV2.subarray(0, 10));
    expect(x.update_write(5, 10)).toBe(S.ERR_TRANSFER_OFFSET);
    expect(x.update_write(0, 4097)).toBe(S.ERR_IO_RANGE);
    expect(x.update_write(0, 10)).toBe(S.OK);
    expect(x.update_set_transferred(11)).toBe(S.ERR_TRANSFER_LENGTH);
    expect(x.update_set_transferred(0)).toBe(S.ERR_TRANSFER_LENGTH);
    expect(d.device.status()).toMatchObject({ state: STATE.TRANSFERRING, bytesReceived: 10 });
  });

  it("refuses a bundle larger than the staging partition", async () => {
    const board = structuredClone(loadBoard("nrf52840"));
    board.partitions.staging.size = 65536;
    const d = newDevice(board);
    await d.device.provision(rootV1, { app: v1 });
    const big = goodBundle(2, { app: image("big app", 100_000) }, [devTargets]);
    // The payload entry declares more than staging holds: refused before its first byte.
    const outcome = d.device.update(big);
    expect(outcome).toMatchObject({ ok: false, errorName: "ERR_BUNDLE_TOO_LARGE", state: STATE.FINISHED });
    expect(d.device.status().bytesReceived).toBeLessThan(1000);
    expect((await d.device.powerOn()).slot).toBe("a");
    // Bytes past the end of staging are refused as they come, too.
    const x = d.device.instance.exports;
    expect(d.device.reset()).toBe(S.OK);
    expect(x.update_start()).toBe(S.OK);
    expect(x.update_write(0, 0)).toBe(S.OK);
    expect(x.update_write(65536, 1)).toBe(S.ERR_TRANSFER_OFFSET);
  });

  it("verifies and applies from TRANSFERRED in one apply call, polling in bounded steps", async () => {
    const d = await factory();
    driveTo(d, STATE.TRANSFERRED);
    const x = d.device.instance.exports;
    expect(x.update_apply()).toBe(S.OK);
    let polls = 0;
    let lastProgress = -1;
    while (x.update_poll(2048) === 1) {
      polls++;
      const s = d.device.status();
      expect(s.progress).toBeGreaterThanOrEqual(0);
      expect(s.progress).toBeLessThanOrEqual(10000);
      if (s.state === STATE.INSTALLING) lastProgress = s.progress;
    }
    // 50 000 bytes hashed, then copied and read back, 2 KiB at a time.
    expect(polls).toBeGreaterThan(Math.floor((3 * v2.length) / 2048));
    expect(lastProgress).toBeGreaterThan(9000);
    expect(d.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.SUCCESS, progress: 10000 });
  });

  it("checks metadata signatures one per poll, so a main loop keeps running", async () => {
    const d = await factory();
    const { prodTargets, rootV2 } = cast();
    const b = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [prodTargets], root: rootV2 });
    // Stage through the raw ABI in one chunk per call, then count verify polls before hashing.
    const x = d.device.instance.exports;
    const io = d.device.instance.io();
    expect(x.update_start()).toBe(S.OK);
    for (let at = 0; at < b.length; at += io.length) {
      const n = Math.min(io.length, b.length - at);
      io.set(b.subarray(at, at + n));
      expect(x.update_write(at, n)).toBe(S.OK);
    }
    expect(x.update_set_transferred(b.length)).toBe(S.OK);
    expect(x.update_verify()).toBe(S.OK);
    let metadataPolls = 0;
    while (x.update_poll(1) === 1 && d.device.status().phaseDone === 0) metadataPolls++;
    // Three signatures (old root key, new root key, targets key): at least three polls.
    expect(metadataPolls).toBeGreaterThanOrEqual(3);
    while (x.update_poll(65536) === 1);
    expect(d.device.status()).toMatchObject({ state: STATE.VERIFIED });
  });

  it("refuses a new update while the running image is on trial, and confirm before it ran", async () => {
    const d = await factory();
    expect(d.device.update(bundleV2).ok).toBe(true);
    expect(() => d.device.confirm()).toThrow(/ERR_TRIAL_NOT_BOOTED/);
    await d.device.powerOn();
    const outcome = d.device.update(goodBundle(3, { app: v1 }, [devTargets]));
    expect(outcome).toMatchObject({ ok: false, errorName: "ERR_TRIAL_PENDING" });
    d.device.confirm();
    expect(d.device.update(goodBundle(3, { app: v1 }, [devTargets])).ok).toBe(true);
  });

  it("resumes a transfer interrupted by a reset from the bytes the status reports", async () => {
    const d = await factory();
    const x = d.device.instance.exports;
    const io = d.device.instance.io();
    expect(x.update_start()).toBe(S.OK);
    for (let at = 0; at < 30_000; at += 3000) {
      io.set(bundleV2.subarray(at, at + 3000));
      expect(x.update_write(at, 3000)).toBe(S.OK);
    }
    await d.device.powerOn();
    const s = d.device.status();
    // Durable progress is the last staging sector boundary reached (4 KiB sectors).
    expect(s).toMatchObject({ state: STATE.TRANSFERRING, bytesReceived: 28_672 });
    const seen: number[] = [];
    const outcome = d.device.update(bundleV2, { resume: true, onProgress: (p, done) => p === "transfer" && seen.push(done) });
    expect(outcome.ok).toBe(true);
    expect(seen[0]).toBe(28_672);
    const info = await d.device.powerOn();
    expect(runningImageHash(d, info)).toBe(sha256Hex(v2));
  });

  it("resumes after a power cut in the middle of a transfer", async () => {
    const d = await factory();
    const x = d.device.instance.exports;
    const io = d.device.instance.io();
    expect(x.update_start()).toBe(S.OK);
    for (let at = 0; at < 12_288; at += 4096) {
      io.set(bundleV2.subarray(at, at + 4096));
      expect(x.update_write(at, 4096)).toBe(S.OK);
    }
    d.flash.arm({ atOp: 3, mode: "torn", seed: 7 });
    expect(() => d.device.update(bundleV2, { resume: true })).toThrow(PowerCutError);
    d.flash.powerOn();
    await d.device.powerOn();
    expect(d.device.status()).toMatchObject({ state: STATE.TRANSFERRING });
    expect(d.device.status().bytesReceived).toBeGreaterThanOrEqual(12_288);
    expect(d.device.update(bundleV2, { resume: true }).ok).toBe(true);
    const info = await d.device.powerOn();
    expect(info).toMatchObject({ slot: "b", trial: true });
    expect(runningImageHash(d, info)).toBe(sha256Hex(v2));
  });

  it("re-verifies after a reset between verify and apply (nothing unverified survives as verified)", async () => {
    const d = await factory();
    driveTo(d, STATE.VERIFIED);
    await d.device.powerOn();
    expect(d.device.status().state).toBe(STATE.TRANSFERRED);
    const x = d.device.instance.exports;
    expect(x.update_apply()).toBe(S.OK);
    expect(d.device.status().state).toBe(STATE.VERIFYING);
    while (x.update_poll(65536) === 1);
    expect(d.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.SUCCESS });
  });
});
