// Issue 5, power loss during an update that rotates the trusted root: after every cut the trusted
// root is the old or the new one, never corrupt or missing (its targets key verifies a probe
// bundle and the other root's does not), the new image never runs under the old root, and the
// rotation then completes.
import { afterAll, describe, expect, it } from "vitest";
import { boardMatrix, EXHAUSTIVE, sampleSize } from "./helpers/matrix.js";
import { rotationScenario } from "./helpers/scenarios.js";
import { summarize, sweep, type SweepReport } from "./helpers/sweep.js";

const reports: SweepReport[] = [];
const started = Date.now();

describe("power cut during root rotation", () => {
  for (const board of boardMatrix()) {
    it(`${board.name}: trusts the old or the new root after every cut and completes the rotation`, async () => {
      const report = await sweep(await rotationScenario(board), { sample: sampleSize(12) });
      reports.push(report);
      expect(report.cuts.filter((c) => c.outcome === "failed")).toEqual([]);
      expect(report.outcomes.new).toBeGreaterThan(0);
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

afterAll(() => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nrotation power-cut sweep (${EXHAUSTIVE ? "exhaustive" : "sampled"}, ${seconds} s)\n${summarize(reports)}`);
});
