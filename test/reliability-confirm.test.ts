// Issue 5, power loss around the confirm of a new image: cut at any operation from the power-on
// that first runs it (trial) through confirm() and the next power-on. The device boots the old
// or the new image, complete, never a mix (a confirm that never became durable may revert), and
// the update then completes and stays confirmed.
import { afterAll, describe, expect, it } from "vitest";
import { boardMatrix, EXHAUSTIVE, sampleSize } from "./helpers/matrix.js";
import { confirmScenario } from "./helpers/scenarios.js";
import { summarize, sweep, type SweepReport } from "./helpers/sweep.js";

const reports: SweepReport[] = [];
const started = Date.now();

describe("power cut during the trial boot and confirm", () => {
  for (const board of boardMatrix()) {
    it(`${board.name}: boots a complete image after every cut and ends confirmed on the new one`, async () => {
      const report = await sweep(await confirmScenario(board), { sample: sampleSize(20) });
      reports.push(report);
      expect(report.operations).toBeGreaterThan(0);
      expect(report.cuts.filter((c) => c.outcome === "failed")).toEqual([]);
      expect(report.outcomes.new).toBeGreaterThan(0);
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

afterAll(() => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nconfirm power-cut sweep (${EXHAUSTIVE ? "exhaustive" : "sampled"}, ${seconds} s)\n${summarize(reports)}`);
});
