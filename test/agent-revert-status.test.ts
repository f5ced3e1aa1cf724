// A reverted update never reads as a success: the revert records, in the same boot-control write,
// that the installing session's image is out of service, and the status after it says
// FINISHED / APPLY_FAILED with ERR_TRIAL_REVERTED (so `send` re-installs instead of reporting
// "already installed" while the old image runs).
import { describe, expect, it } from "vitest";
import { loadBoard, STATE, RESULT } from "../host-sim/index.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { manufacture, powerOn, codeName } from "./helpers/device.js";

describe("status after a revert", () => {
  it("is FINISHED / APPLY_FAILED / ERR_TRIAL_REVERTED, and a new update can start after reset", async () => {
    const board = loadBoard("nrf52840");
    const c = cast();
    const flash = await manufacture(board, c.rootV1, { app: new Uint8Array(5000).fill(1) });
    const bundle = makeBundle({ targetsVersion: 2, payloads: { app: new Uint8Array(7000).fill(2) }, signers: [c.devTargets] });
    const first = await powerOn(board, flash);
    expect(await first.update(bundle)).toBe(0);
    const trial = await powerOn(board, flash); // runs v2 on trial, never confirms
    expect(trial.report).toMatchObject({ slot: "b", trial: true });
    expect(trial.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.SUCCESS });
    const reverted = await powerOn(board, flash);
    expect(reverted.report).toMatchObject({ slot: "a", trial: false });
    const status = reverted.device.status();
    expect({ state: status.state, result: status.result, error: codeName(status.lastError) }).toEqual({ state: STATE.FINISHED, result: RESULT.APPLY_FAILED, error: "ERR_TRIAL_REVERTED" });
    // It stays so across power cycles, and reset clears it for the next attempt.
    const again = await powerOn(board, flash);
    expect(codeName(again.device.status().lastError)).toBe("ERR_TRIAL_REVERTED");
    expect(again.device.reset()).toBe(0);
    expect(await again.update(bundle)).toBe(0);
    const retried = await powerOn(board, flash);
    expect(retried.report).toMatchObject({ slot: "b", trial: true });
    expect(retried.device.status()).toMatchObject({ state: STATE.FINISHED, result: RESULT.SUCCESS });
  });
});
