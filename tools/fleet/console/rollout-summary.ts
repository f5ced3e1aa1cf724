// A rollout view in the console's terms: per wave (and in total) how many devices are pending,
// downloading, installing, installed, failed (refused or timed out), reverted or withdrawn, how
// many of the wave's planned devices were not given the release yet, and the shares a progress
// bar draws.
import type { WaveView } from "../operator-service.js";
import type { StateCounts } from "../tables/actions.js";

export interface DisplayCounts {
  /** Devices the wave is for (its planned size, or more when an uncapped wave grew). */
  planned: number;
  notGiven: number;
  pending: number;
  downloading: number;
  installing: number;
  installed: number;
  failed: number;
  reverted: number;
  cancelled: number;
}

export const EMPTY_DISPLAY: DisplayCounts = { planned: 0, notGiven: 0, pending: 0, downloading: 0, installing: 0, installed: 0, failed: 0, reverted: 0, cancelled: 0 };

export function displayCounts(counts: StateCounts, size: number): DisplayCounts {
  const given = Object.values(counts).reduce((a, b) => a + b, 0);
  const planned = Math.max(size, given);
  return {
    planned,
    notGiven: planned - given,
    pending: counts.assigned,
    downloading: counts.downloading,
    installing: counts.installing,
    installed: counts.installed,
    failed: counts.refused + counts.timed_out,
    reverted: counts.reverted,
    cancelled: counts.cancelled,
  };
}

export function addCounts(a: DisplayCounts, b: DisplayCounts): DisplayCounts {
  const out = { ...a };
  for (const key of Object.keys(out) as (keyof DisplayCounts)[]) out[key] += b[key];
  return out;
}

export function waveCounts(waves: readonly WaveView[]): { perWave: DisplayCounts[]; total: DisplayCounts } {
  const perWave = waves.map((w) => displayCounts(w.counts, w.size));
  return { perWave, total: perWave.reduce(addCounts, EMPTY_DISPLAY) };
}

/** Percentage of the planned devices that installed, rounded down (100 only when all did). */
export function installedPercent(c: DisplayCounts): number {
  return c.planned === 0 ? 0 : Math.floor((100 * c.installed) / c.planned);
}
