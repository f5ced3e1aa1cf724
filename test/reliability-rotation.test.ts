// Issue 5, power loss during the two other risky moments: the revert of an image that booted in
// trial and was never confirmed (the device must end on the old image, never the unconfirmed
// one, never nothing), and an update that rotates the trusted root (the trusted root is the old
// or the new one, never corrupt or missing: after every cut its targets key verifies a probe
// bundle and the other root's does not; the new image never runs under the old root).
import { afterAll, describe, expect, it } from "vitest";
import { boardMatrix, EXHAUSTIVE, sampleSize } from "./support/matrix.js";
import { revertScenario, rotationScenario } from "./support/scenarios.js";
import { summarize, sweep, type SweepReport } from "./support/sweep.js";

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

describe("power cut during root rotation", () => {
  for (const board of boardMatrix()) {
    it(`${board.name}: trusts the old or the new root after every cut and completes the rotation`, async () => {
      const report = await sweep(await rotationScenario(board), { sample: sampleSize(20) });
      reports.push(report);
      expect(report.cuts.filter((c) => c.outcome === "failed")).toEqual([]);
      expect(report.outcomes.new).toBeGreaterThan(0);
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

afterAll(() => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nrevert and rotation power-cut sweeps (${EXHAUSTIVE ? "exhaustive" : "sampled"}, ${seconds} s)\n${summarize(reports)}`);
});
