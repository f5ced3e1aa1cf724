// Issue 5: up to five power cuts at random points of one update, each followed by a power-on
// that must boot a complete old or new image, and the host carrying on as an update client
// does (sending the update again, or confirming the new image); in the end the new image runs.
import { afterAll, describe, expect, it } from "vitest";
import { boardMatrix, EXHAUSTIVE } from "./helpers/matrix.js";
import { resumeStats, resumeUpdate, updateScenario, NEW_APP } from "./helpers/scenarios.js";
import { consecutiveCuts } from "./helpers/sweep.js";
import { cast, makeBundle } from "./helpers/fixtures.js";

const SEEDS = EXHAUSTIVE ? 12 : 2;
let totalCuts = 0;
let runs = 0;
const started = Date.now();

describe("consecutive power cuts in one update", () => {
  for (const board of boardMatrix()) {
    it(`${board.name}: survives up to 5 random cuts in a row and completes`, async () => {
      const scenario = await updateScenario(board);
      const c = cast();
      const bundle = makeBundle({ targetsVersion: scenario.new.targetsVersion, payloads: { app: NEW_APP }, signers: [c.devTargets] });
      for (let seed = 1; seed <= SEEDS; seed++) {
        const result = await consecutiveCuts(scenario, 5, seed * 7919 + board.name.length, (flash, observed) =>
          resumeUpdate(board, flash, observed, bundle),
        );
        expect(result.problem, `seed ${seed}: ${JSON.stringify(result.cuts)}`).toBeUndefined();
        expect(result.cuts.length).toBeGreaterThan(0);
        totalCuts += result.cuts.length;
        runs++;
      }
    }, EXHAUSTIVE ? 600_000 : 120_000);
  }
});

afterAll(() => {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nconsecutive cuts: ${runs} updates on ${boardMatrix().length} board variants, ${totalCuts} cuts (transfers resumed ${resumeStats.resumed} times, restarted ${resumeStats.restarted}), ${seconds} s`);
});
