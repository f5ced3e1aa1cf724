// Issue 5, power loss: an update cut at (a sample of, or with AIRLOCK_SWEEP=exhaustive every)
// program/erase operation, three ways (not started, torn, completed), on every board in board/
// with write units 1, 4, 8, 16 and erased values 0xFF and 0x00. After every cut the device must
// boot the old or the new image byte for byte, with the matching manifest and root, and then
// finish the update.
import { afterAll, describe, expect, it } from "vitest";
import { boardMatrix, EXHAUSTIVE, sampleSize } from "./helpers/matrix.js";
import { updateScenario } from "./helpers/scenarios.js";
import { summarize, sweep, type SweepReport } from "./helpers/sweep.js";

const reports: SweepReport[] = [];
const started = Date.now();

describe("power cut at any operation of an update", () => {
  for (const board of boardMatrix()) {
    it(`${board.name}: boots the old or the new image after every cut, then completes`, async () => {
      const report = await sweep(await updateScenario(board), { sample: sampleSize(20) });
      reports.push(report);
      expect(report.operations).toBeGreaterThan(10);
      expect(report.cuts.filter((c) => c.outcome === "failed")).toEqual([]);
      // both outcomes occur: early cuts keep the old image, cuts after the switch run the new
      expect(report.outcomes.old).toBeGreaterThan(0);
      expect(report.outcomes.new).toBeGreaterThan(0);
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

afterAll(() => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nupdate power-cut sweep (${EXHAUSTIVE ? "exhaustive" : "sampled"}, ${seconds} s)\n${summarize(reports)}`);
});
