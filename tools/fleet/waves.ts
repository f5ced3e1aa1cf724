// Waves: how a rollout's target set is cut up. "group:NAME[+NAME...]" is the devices of fixed
// groups; "N%" is a cumulative share of the target set (10%, 50%, 100%: a tenth, then up to a
// half, then the rest). Sizes are planned from the target set when the rollout is created; a
// last wave of 100% is not capped, so devices that enroll later still get the release.
import { InputError } from "../format/index.js";
import { NAME_PATTERN, type WaveSpec } from "./model.js";

const NAME = new RegExp(NAME_PATTERN);
export const MAX_WAVES = 32;

export function parseWaves(text: string): WaveSpec[] {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  return checkWaves(items.map((item): WaveSpec => {
    const percent = /^(\d{1,3})%$/.exec(item);
    if (percent) return { percent: Number(percent[1]) };
    if (item.startsWith("group:")) return { groups: item.slice("group:".length).split("+") };
    throw new InputError(`wave ${JSON.stringify(item)} is neither a percentage (10%) nor groups (group:canary or group:lab+beta)`);
  }));
}

/** Checks a list of waves from the CLI or the operator API. */
export function checkWaves(waves: WaveSpec[]): WaveSpec[] {
  if (waves.length === 0) throw new InputError("a rollout needs at least one wave, e.g. --waves 10%,50%,100%");
  if (waves.length > MAX_WAVES) throw new InputError(`${waves.length} waves: at most ${MAX_WAVES}`);
  let last = 0;
  for (const wave of waves) {
    if ("percent" in wave) {
      if (!Number.isInteger(wave.percent) || wave.percent < 1 || wave.percent > 100) throw new InputError(`wave ${wave.percent}%: percentages are whole numbers from 1 to 100`);
      if (wave.percent <= last) throw new InputError(`wave ${wave.percent}% after ${last}%: percentages are cumulative and must rise (e.g. 10%,50%,100%)`);
      last = wave.percent;
    } else {
      const bad = wave.groups.find((g) => !NAME.test(g));
      if (wave.groups.length === 0 || bad !== undefined) throw new InputError(`wave group ${JSON.stringify(bad ?? "")} is not a group name (letters, digits, . _ : -)`);
    }
  }
  return waves;
}

export interface PlannedWave {
  groups: string[] | null;
  percent: number | null;
  size: number;
  capped: boolean;
}

/** Sizes for `waves` over a target set of devices (each with its groups). */
export function planWaves(waves: WaveSpec[], targets: { groups: string[] }[]): PlannedWave[] {
  const total = targets.length;
  let taken = 0;
  return waves.map((wave, i) => {
    let size: number;
    if ("groups" in wave) {
      const earlier = waves.slice(0, i).flatMap((w) => ("groups" in w ? w.groups : []));
      size = targets.filter((t) => t.groups.some((g) => wave.groups.includes(g)) && !t.groups.some((g) => earlier.includes(g))).length;
    } else {
      size = Math.max(0, Math.ceil((wave.percent * total) / 100) - taken);
    }
    taken += size;
    const uncapped = "percent" in wave && wave.percent === 100 && i === waves.length - 1;
    return { groups: "groups" in wave ? wave.groups : null, percent: "percent" in wave ? wave.percent : null, size, capped: !uncapped };
  });
}
