// Trial boot with N attempts: a board may give a new image several power-ons (the layout's trial
// boots, board file "trialBoots") to call confirm() before boot() reverts. Each start is counted
// in the boot-control record before the image runs, so a power cut during any flash operation of
// those boots never grants an extra unconfirmed run, never bricks, and the revert still comes.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { loadBoard, validateBoard, type Board } from "../host-sim/index.js";
import { POWER_CUT_MODES, PowerCutError, type NorFlash } from "../host-sim/flash.js";
import { SimDevice } from "../host-sim/device.js";
import { cast, makeBundle } from "./helpers/fixtures.js";
import { manufacture, powerOn } from "./helpers/device.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const v1 = new Uint8Array(5000).fill(1);
const v2 = Uint8Array.from({ length: 7000 }, (_, i) => (i * 3) & 0xff);

function boardWith(trialBoots: number): Board {
  const base = loadBoard("nrf52840");
  return validateBoard({ ...base, name: `nrf52840-trial${trialBoots}`, trialBoots }, "the test board");
}

async function installed(board: Board): Promise<NorFlash> {
  const c = cast();
  const flash = await manufacture(board, c.rootV1, { app: v1 });
  const session = await powerOn(board, flash);
  expect(await session.update(makeBundle({ targetsVersion: 2, payloads: { app: v2 }, signers: [c.devTargets] }))).toBe(0);
  return flash;
}

describe("trial boots", () => {
  it("gives the new image N power-ons to confirm, then reverts (N = 1 and 3)", async () => {
    for (const n of [1, 3]) {
      const board = boardWith(n);
      const flash = await installed(board);
      for (let boot = 1; boot <= n; boot++) {
        const s = await powerOn(board, flash);
        expect(s.report, `N=${n}, boot ${boot}`).toMatchObject({ slot: "b", trial: true });
        expect(s.report.images.app).toBe(sha(v2));
      }
      const reverted = await powerOn(board, flash);
      expect(reverted.report, `N=${n}: reverted after ${n} unconfirmed boots`).toMatchObject({ slot: "a", trial: false });
      expect(reverted.report.images.app).toBe(sha(v1));
    }
  });

  it("a confirm on the last allowed boot keeps the image", async () => {
    const board = boardWith(3);
    const flash = await installed(board);
    await powerOn(board, flash);
    await powerOn(board, flash);
    const third = await powerOn(board, flash);
    expect(await third.confirm()).toBe(0);
    expect((await powerOn(board, flash)).report).toMatchObject({ slot: "b", trial: false });
  });

  it("a power cut at any flash operation of the trial boots never grants an extra run, and the revert comes", async () => {
    const board = boardWith(3);
    const factory = await installed(board);
    let cuts = 0;
    for (const mode of POWER_CUT_MODES) {
      for (let op = 1; op <= 8; op++) {
        const flash = factory.clone();
        flash.arm({ atOp: op, mode, seed: op });
        let runsOfV2 = 0;
        let boots = 0;
        let back = false;
        while (!back && boots < 12) {
          boots++;
          flash.powerOn();
          const device = new SimDevice(flash, board);
          try {
            const info = await device.powerOn();
            if (info.slot === "b") {
              expect(info.images.app).toBe(sha(v2));
              runsOfV2++;
            } else {
              expect(info.images.app, `cut ${mode} at op ${op}: the old image, whole`).toBe(sha(v1));
              back = true;
            }
          } catch (err) {
            if (!(err instanceof PowerCutError)) throw err;
            cuts++;
          }
        }
        expect(back, `cut ${mode} at op ${op}: reverted in the end`).toBe(true);
        expect(runsOfV2, `cut ${mode} at op ${op}: at most 3 unconfirmed runs`).toBeLessThanOrEqual(3);
        expect(runsOfV2, `cut ${mode} at op ${op}`).toBeGreaterThanOrEqual(2);
      }
    }
    expect(cuts).toBeGreaterThan(0);
  });

  it("refuses trialBoots outside 1..255 in a board file", () => {
    const base = loadBoard("nrf52840");
    expect(() => validateBoard({ ...base, trialBoots: 0 }, "the test board")).toThrow(/trialBoots must be 1\.\.255/);
    expect(() => validateBoard({ ...base, trialBoots: 256 }, "the test board")).toThrow(/trialBoots must be 1\.\.255/);
  });
});
