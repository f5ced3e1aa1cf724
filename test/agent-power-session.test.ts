// The update session's outcome after a power cut between install's slot switch (one boot-control
// record write) and the session record that says "finished, success". The new image boots on
// trial either way; the session must say so too, or a host following update_status verifies the
// bundle again during the trial and, after confirm or a revert, applies it again (a second slot
// flip). Checked at the switch itself and at every cut point of an update, three ways.
import { describe, it, expect } from "vitest";
import * as S from "../assembly/status.js";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { newDevice, runningImageHash, sha256Hex, type TestDevice } from "./helpers/agent-device.js";
import { STATE, RESULT, type BootInfo } from "../host-sim/device.js";
import { PowerCutError, POWER_CUT_MODES } from "../host-sim/flash.js";

const { devTargets, rootV1 } = cast();
const v1 = image("factory app", 7_000);
const v2 = image("app v2", 9_500);
const bundle = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [devTargets] });

async function factory(): Promise<TestDevice> {
  const d = newDevice();
  await d.device.provision(rootV1, { app: v1 });
  await d.device.powerOn();
  return d;
}

/** Cuts the update at operation k (mode), then powers on; returns what boots. */
async function cutUpdate(k: number, mode: (typeof POWER_CUT_MODES)[number]): Promise<{ d: TestDevice; info: BootInfo; cut: boolean }> {
  const d = await factory();
  d.flash.arm({ atOp: k, mode, seed: 7000 + k });
  let cut = false;
  try {
    d.device.update(bundle);
  } catch (e) {
    expect(e).toBeInstanceOf(PowerCutError);
    cut = true;
  }
  d.flash.disarm();
  d.flash.powerOn();
  return { d, info: await d.device.powerOn(), cut };
}

const runsV2 = (d: TestDevice, info: BootInfo) => runningImageHash(d, info) === sha256Hex(v2);

function expectFinishedSuccess(d: TestDevice): void {
  expect(d.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.SUCCESS, lastError: S.OK });
}

/** The first operation whose completion makes the next power-on run v2: the switch's commit. */
async function switchOperation(): Promise<number> {
  for (let k = 1; ; k++) {
    const { d, info, cut } = await cutUpdate(k, "after");
    if (!cut) throw new Error("the update finished before any cut ran the new image");
    if (runsV2(d, info)) return k;
  }
}

describe("a power cut right after the slot switch", () => {
  it("reports FINISHED/SUCCESS on the trial boot, refuses verify and apply, and never flips slots again", async () => {
    const k = await switchOperation();
    const { d, info } = await cutUpdate(k, "after");
    expect(info.trial).toBe(true);
    expectFinishedSuccess(d);
    const x = d.device.instance.exports;
    const ops = d.flash.operations;
    expect(x.update_verify()).toBe(S.ERR_UPDATE_STATE);
    expect(x.update_apply()).toBe(S.ERR_TRIAL_PENDING);
    expect(x.update_poll(1 << 20)).toBe(0);
    expectFinishedSuccess(d);
    d.device.confirm();
    const afterConfirm = d.flash.operations;
    expect(afterConfirm).toBeGreaterThan(ops); // only the confirm wrote
    expect(x.update_apply()).toBe(S.ERR_UPDATE_STATE);
    expect(x.update_poll(1 << 20)).toBe(0);
    expect(d.flash.operations).toBe(afterConfirm);
    const next = await d.device.powerOn();
    expect(next).toMatchObject({ slot: info.slot, trial: false, targetsVersion: 2 });
    expect(runsV2(d, next)).toBe(true);
    expectFinishedSuccess(d);
  });

  it("reads FINISHED/APPLY_FAILED (ERR_TRIAL_REVERTED) after the unconfirmed image reverts: apply is refused, v1 keeps running", async () => {
    const k = await switchOperation();
    const { d, info } = await cutUpdate(k, "after");
    const reverted = await d.device.powerOn();
    expect(reverted.slot).not.toBe(info.slot);
    expect(runningImageHash(d, reverted)).toBe(sha256Hex(v1));
    // Never SUCCESS while the old image runs: a host would call the update done.
    expect(d.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.APPLY_FAILED, lastError: S.ERR_TRIAL_REVERTED });
    const x = d.device.instance.exports;
    const ops = d.flash.operations;
    expect(x.update_apply()).toBe(S.ERR_UPDATE_STATE);
    expect(x.update_poll(1 << 20)).toBe(0);
    expect(d.flash.operations).toBe(ops);
    const again = await d.device.powerOn();
    expect(again).toMatchObject({ slot: reverted.slot, trial: false, targetsVersion: 0 });
    // A host that resets the finished session can send the update again, and it installs.
    expect(d.device.update(bundle).ok).toBe(true);
    expect(runsV2(d, await d.device.powerOn())).toBe(true);
  });
});

describe("the session agrees with the running image after any cut", () => {
  for (const mode of POWER_CUT_MODES) {
    it(`runs v2 exactly when the status says FINISHED/SUCCESS (cut ${mode})`, async () => {
      const sides = { old: 0, new: 0 };
      for (let k = 1; ; k++) {
        const { d, info, cut } = await cutUpdate(k, mode);
        if (!cut) break;
        const s = d.device.status();
        const success = s.state === STATE.FINISHED && s.result === RESULT.SUCCESS;
        if (runsV2(d, info)) {
          sides.new++;
          expect(info.trial).toBe(true);
          expect(success, `cut ${mode} at operation ${k}: v2 runs but status is ${s.stateName}/${s.resultName}`).toBe(true);
          expect(d.device.instance.exports.update_verify()).toBe(S.ERR_UPDATE_STATE);
        } else {
          sides.old++;
          expect(runningImageHash(d, info)).toBe(sha256Hex(v1));
          expect(success, `cut ${mode} at operation ${k}: v1 runs but status is FINISHED/SUCCESS`).toBe(false);
        }
      }
      expect(sides.old).toBeGreaterThan(0);
      expect(sides.new).toBeGreaterThan(0);
    }, 120_000);
  }
});
