// Issue 5, power loss during the revert of an image that booted in trial and was never
// confirmed: whatever operation of the reverting boot the cut hits, the device must end on the
// old image, never the unconfirmed one, never nothing.
import { afterAll, describe, expect, it } from "vitest";
import { boardMatrix, EXHAUSTIVE, sampleSize } from "./helpers/matrix.js";
import { revertScenario } from "./helpers/scenarios.js";
import { summarize, sweep, type SweepReport } from "./helpers/sweep.js";

const reports: SweepReport[] = [];
const started = Date.now();

describe("power cut during the revert of an unconfirmed image", () => {
  for (const board of boardMatrix()) {
    it(`${board.name}: ends on the old image after a cut at any operation of the reverting boot`, async () => {
      const report = await sweep(await revertScenario(board), { sample: sampleSize(20) });
      reports.push(report);
      expect(report.operations).toBeGreaterThan(0);
      expect(report.cuts.filter((c) => c.outcome === "failed")).toEqual([]);
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

afterAll(() => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nrevert power-cut sweep (${EXHAUSTIVE ? "exhaustive" : "sampled"}, ${seconds} s)\n${summarize(reports)}`);
});
