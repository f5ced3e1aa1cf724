// The benchmark's statistics (not its timings: benchmarks measure, tests assert behaviour).
import { describe, expect, it } from "vitest";
import { median, ratioOfRounds, ratioSpread } from "../bench/measure.js";

describe("bench/measure", () => {
  it("pairs each round's agent figure with the same round's reference", () => {
    expect(ratioSpread([2, 9, 3], [4, 10, 3])).toEqual({ min: 0.5, median: 0.9, max: 1, rounds: 3 });
    expect(ratioOfRounds([2, 9, 3], [4, 10, 3])).toBe(0.9);
  });

  it("counts only rounds that have a reference (OpenSSL may fail part-way)", () => {
    expect(ratioSpread([1, 2, 3, 4], [2, 2])).toEqual({ min: 0.5, median: 0.75, max: 1, rounds: 2 });
  });

  it("takes the middle of an even count as the mean of the two middle values", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
