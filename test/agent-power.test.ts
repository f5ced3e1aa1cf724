// Power cuts at every flash operation of an update (with root rotation), of the trial boot and
// of the revert: the device always boots the old or the new image, whole, with the matching
// manifest and a trusted root that is old or new; and the update completes when run again.
// (The full matrix over boards, write units and erased values is the reliability suite's.)
import { describe, it, expect } from "vitest";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { newDevice, runningImageHash, sha256Hex, type TestDevice } from "./helpers/agent-device.js";
import { PowerCutError, POWER_CUT_MODES, type PowerCutMode } from "../host-sim/flash.js";
import type { BootInfo } from "../host-sim/device.js";
import { boardVariant, loadBoard } from "../host-sim/boards.js";

const { prodTargets, rootV1, rootV2 } = cast();
const v1 = image("factory app", 7_000);
const v2 = image("app v2", 9_500);
const rotating = makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [prodTargets], root: rootV2 });

async function factory(): Promise<TestDevice> {
  const d = newDevice();
  await d.device.provision(rootV1, { app: v1 });
  return d;
}

/** The device boots an image that is entirely v1 (root 1 or 2) or entirely v2 (root 2). */
function expectWhole(d: TestDevice, info: BootInfo): "old" | "new" {
  const running = runningImageHash(d, info);
  expect(info.images.app).toBe(running);
  if (running === sha256Hex(v1)) {
    expect(info.targetsVersion).toBe(0);
    expect([1, 2]).toContain(info.rootVersion);
    return "old";
  }
  expect(running).toBe(sha256Hex(v2));
  expect(info).toMatchObject({ targetsVersion: 2, rootVersion: 2 });
  return "new";
}

function countOps(run: (d: TestDevice) => void | Promise<void>): Promise<number> {
  return (async () => {
    const d = await factory();
    const start = d.flash.operations;
    await run(d);
    return d.flash.operations - start;
  })();
}

describe("power cuts during an update with root rotation", () => {
  for (const mode of POWER_CUT_MODES) {
    it(`never bricks: cut ${mode} each flash operation, then power on and finish`, async () => {
      const total = await countOps((d) => {
        expect(d.device.update(rotating).ok).toBe(true);
      });
      expect(total).toBeGreaterThan(10);
      const outcomes = { old: 0, new: 0 };
      for (let k = 1; k <= total; k++) {
        const d = await factory();
        d.flash.arm({ atOp: k, mode: mode as PowerCutMode, seed: k });
        expect(() => d.device.update(rotating)).toThrow(PowerCutError);
        d.flash.powerOn();
        const info = await d.device.powerOn();
        const which = expectWhole(d, info);
        outcomes[which]++;
        if (which === "old") {
          expect(d.device.update(rotating).ok).toBe(true);
          expect(expectWhole(d, await d.device.powerOn())).toBe("new");
        }
      }
      expect(outcomes.old).toBeGreaterThan(0);
      expect(outcomes.new).toBeGreaterThan(0); // cuts after the switch record boot the new image
    });
  }
});

// A part that erases to 0x00: the boot-control record that reverts to slot A is all zero bytes,
// so a cut between its body and its header leaves programmed bytes that read as erased.
const zeroErased = boardVariant(loadBoard("nrf52840"), { erasedValue: 0x00, writeUnit: 16 });

describe("power cuts during trial boot, confirm and revert", () => {
  for (const [mode, board] of POWER_CUT_MODES.flatMap((m) => [[m, loadBoard("nrf52840")], [m, zeroErased]] as const)) {
    it(`keeps a whole image when the trial's boot, confirm or revert is cut (${mode}, ${board.name})`, async () => {
      for (const step of ["trial boot", "confirm", "revert"] as const) {
        for (let k = 1; k <= 8; k++) {
          const d = newDevice(board);
          await d.device.provision(rootV1, { app: v1 });
          expect(d.device.update(rotating).ok).toBe(true);
          if (step !== "trial boot") await d.device.powerOn();
          d.flash.arm({ atOp: k, mode: mode as PowerCutMode, seed: 100 + k });
          let cut = false;
          try {
            if (step === "confirm") d.device.confirm();
            else await d.device.powerOn(); // trial boot, or the revert at the next power-on
          } catch (e) {
            expect(e).toBeInstanceOf(PowerCutError);
            cut = true;
          }
          d.flash.disarm();
          d.flash.powerOn();
          const info = await d.device.powerOn();
          expectWhole(d, info);
          // And the device keeps working: the next power-ons settle the trial without errors.
          expectWhole(d, await d.device.powerOn());
          expectWhole(d, await d.device.powerOn());
          if (!cut) break; // fewer than k operations: every cut point was tried
        }
      }
    });
  }
});
