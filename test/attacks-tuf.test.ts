// Issue 5, attacks: TUF's threat list mapped onto bundles (test/helpers/attacks.ts), run against
// the real agent on every board in board/. Each must be refused with its named error code and
// change nothing that matters: after a power-on the device runs the same slot with the same
// bytes, manifest versions and trusted root (a rotated root only where that root verified on its
// own), a payload the signed metadata does not list is nowhere in flash, and an honest update
// under the device's root still installs afterwards.
import { describe, expect, it } from "vitest";
import { listBoards, loadBoard } from "../host-sim/boards.js";
import type { NorFlash } from "../host-sim/flash.js";
import { OK } from "../assembly/status.js";
import { ATTACKS, oldImage, type DeviceSetup } from "./helpers/attacks.js";
import { cast, image, makeBundle } from "./helpers/fixtures.js";
import { codeName, manufacture, powerOn, runningImage } from "./helpers/device.js";
import type { Board } from "../host-sim/boards.js";

const c = cast();

/** A device as the setup describes: provisioned, then each history bundle installed and confirmed. */
async function deviceFor(board: Board, setup: DeviceSetup): Promise<NorFlash> {
  const flash = await manufacture(board, setup.root, { app: oldImage() });
  for (const bundle of setup.history) {
    const session = await powerOn(board, flash);
    expect(codeName(await session.update(bundle))).toBe("OK");
    expect(codeName(await (await powerOn(board, flash)).confirm())).toBe("OK");
  }
  return flash;
}

/** Where `needle` occurs in `haystack` (-1: nowhere). */
function find(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle));
}

for (const boardName of listBoards()) {
  const board = loadBoard(boardName);
  describe(`TUF attacks on ${boardName}`, () => {
    for (const attack of ATTACKS) {
      it(`${attack.threat}: refuses ${attack.name}`, async () => {
        const setup = attack.setup(c);
        const flash = await deviceFor(board, setup);
        const before = (await powerOn(board, flash)).report;
        const runningBefore = runningImage(board, flash, before, "app", before.lengths.app!);

        const session = await powerOn(board, flash);
        const code = await session.update(attack.bundle(c));
        if (attack.neverWritten) {
          // Checked first: bytes in flash are the worse failure (staging included: DESIGN.md).
          const unlisted = attack.neverWritten(c);
          const everything = flash.dump();
          for (const at of [0, Math.floor(unlisted.length / 2), unlisted.length - 64]) {
            expect(find(everything, unlisted.subarray(at, at + 64)), `unlisted payload bytes ${at}..${at + 64} found in flash`).toBe(-1);
          }
        }
        expect(code).toBeLessThan(0);
        expect(attack.codes).toContain(codeName(code));
        expect(session.lastOutcome?.ok).toBe(false);

        const after = (await powerOn(board, flash)).report;
        const rotated = attack.rootMayRotateTo ? [before.rootVersion, 2] : [before.rootVersion];
        expect(rotated).toContain(after.rootVersion);
        expect({ ...after, rootVersion: before.rootVersion }).toEqual(before);
        expect(runningImage(board, flash, after, "app", before.lengths.app!)).toEqual(runningBefore);

        // The trusted root and manifest still work: an honest update under them installs.
        const signers = after.rootVersion === 2 && before.rootVersion !== 2 ? [c.prodTargets] : setup.signers;
        const honest = makeBundle({ targetsVersion: after.targetsVersion + 1, payloads: { app: image("honest follow-up", 5000) }, signers });
        const next = await powerOn(board, flash);
        expect(codeName(await next.update(honest))).toBe("OK");
        const trial = await powerOn(board, flash);
        expect(trial.report.trial).toBe(true);
        expect(trial.report.targetsVersion).toBe(after.targetsVersion + 1);
        expect(await trial.confirm()).toBe(OK);
      });
    }
  });
}
