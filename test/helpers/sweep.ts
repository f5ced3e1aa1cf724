// The power-cut sweep (MCUboot simulator's method, plus torn and post-completion cuts): run an
// action once cleanly to count its program/erase operations, then for each chosen index k and
// mode cut power there on a copy of the same device, power on with a fresh agent instance and
// check that the device runs the old or the new state, complete and consistent, never a mix
// and never nothing; then let it finish and check it reaches the new state.
import { createHash } from "node:crypto";
import { NorFlash, PowerCutError, POWER_CUT_MODES, type PowerCutMode } from "../../host-sim/flash.js";
import type { Board } from "../../host-sim/boards.js";
import type { BootReport } from "../../host-sim/index.js";

/** What a power-on tells about the device: the shape of `airlock sim boot --json`. */
export type { BootReport };

/** One side of an interrupted action: everything a consistent device shows together. */
export interface DeviceSide {
  label: "old" | "new";
  /** Target name -> exact image bytes that must be in the running slot. */
  images: Record<string, Uint8Array>;
  targetsVersion: number;
  /** Trusted root versions acceptable with this side (a rotation persists the root first). */
  rootVersions: number[];
}

/** A boot report with the power session it came from (a trial image confirms in that session). */
export interface Observed<S> {
  report: BootReport;
  session: S;
}

export interface SweepScenario<S = unknown> {
  name: string;
  board: Board;
  /** The device right before the action, powered off. Never modified (each run clones it). */
  base: NorFlash;
  /** The interrupted action; throws PowerCutError when the cut fires. */
  action(flash: NorFlash): Promise<void>;
  /** Powers on once and reports; throws when the device cannot boot (a brick). */
  observe(flash: NorFlash): Promise<Observed<S>>;
  /** Running image bytes of `target` as the device will execute them (slot contents). */
  runningImage(flash: NorFlash, report: BootReport, target: string, length: number): Uint8Array;
  old: DeviceSide;
  new: DeviceSide;
  /** After a cut and one observed boot: drive the device to the final state, then report it. */
  finish(flash: NorFlash, observed: Observed<S>): Promise<BootReport>;
  /** The side the device must end on after finish(). */
  final: "old" | "new";
  /** More checks of a device just observed after a cut (on a copy of its flash): a problem or null. */
  probe?(flash: NorFlash, observed: Observed<S>): Promise<string | null>;
}

export interface CutResult {
  index: number;
  mode: PowerCutMode;
  seed: number;
  outcome: "old" | "new" | "failed";
  problem?: string;
}

export interface SweepReport {
  scenario: string;
  board: string;
  /** Program/erase operations of the clean action. */
  operations: number;
  /** Most erases one sector took in the clean action (wear per update). */
  maxSectorErases: number;
  cuts: CutResult[];
  outcomes: { old: number; new: number; failed: number };
}

const hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Counts the operations of the clean action on a copy of the base device. */
export async function countOperations<S>(scenario: SweepScenario<S>): Promise<number> {
  return (await cleanRun(scenario)).operations;
}

/** The clean action's cost: program/erase operations and the most erases any one sector took. */
export async function cleanRun<S>(scenario: SweepScenario<S>): Promise<{ operations: number; maxSectorErases: number }> {
  const flash = scenario.base.clone();
  const before = flash.operations;
  const erasesBefore = flash.eraseCounts();
  await scenario.action(flash);
  const erases = flash.eraseCounts().map((n, i) => n - erasesBefore[i]!);
  return { operations: flash.operations - before, maxSectorErases: Math.max(0, ...erases) };
}

/** A seed for one cut, stable across runs, different for every (scenario, board, index, mode). */
export function cutSeed(scenario: string, board: string, index: number, mode: PowerCutMode): number {
  return createHash("sha256").update(`${scenario}|${board}|${index}|${mode}`).digest().readUInt32LE(0);
}

/**
 * Indexes to try out of 1..operations: all of them, or a sample that always keeps the first and
 * last operations and spreads the rest with a seeded stride (different boards hit different
 * indexes, so the default run covers much of the space across the matrix).
 */
export function chooseIndexes(operations: number, sample: number | "all", salt: string): number[] {
  if (sample === "all" || operations <= sample) return Array.from({ length: operations }, (_, i) => i + 1);
  const chosen = new Set<number>([1, operations]);
  const offset = createHash("sha256").update(salt).digest().readUInt32LE(0) / 2 ** 32;
  const step = (operations - 1) / (sample - 1);
  for (let i = 0; chosen.size < sample && i < sample * 4; i++) {
    chosen.add(1 + Math.min(operations - 1, Math.floor((i + offset) * step) % operations));
  }
  return [...chosen].sort((a, b) => a - b);
}

/** Checks a boot report against both sides; returns the side it matches or why it matches none. */
export function classify<S>(
  scenario: SweepScenario<S>,
  flash: NorFlash,
  report: BootReport,
): { side: "old" | "new" } | { problem: string } {
  const problems: string[] = [];
  for (const side of [scenario.old, scenario.new]) {
    const why: string[] = [];
    for (const [name, bytes] of Object.entries(side.images)) {
      if (report.images[name] !== hex(bytes)) why.push(`${name} reported ${report.images[name]?.slice(0, 12) ?? "missing"}`);
      const running = scenario.runningImage(flash, report, name, bytes.length);
      if (Buffer.compare(Buffer.from(running), Buffer.from(bytes)) !== 0) why.push(`${name} slot bytes differ`);
    }
    if (report.targetsVersion !== side.targetsVersion) why.push(`targets version ${report.targetsVersion}`);
    if (!side.rootVersions.includes(report.rootVersion)) why.push(`root version ${report.rootVersion}`);
    if (why.length === 0) return { side: side.label };
    problems.push(`not ${side.label}: ${why.join(", ")}`);
  }
  return { problem: `slot ${report.slot}${report.trial ? " (trial)" : ""}: ${problems.join("; ")}` };
}

/** One cut: returns how the device came back, never throws for a device failure. */
export async function cutOnce<S>(scenario: SweepScenario<S>, index: number, mode: PowerCutMode): Promise<CutResult> {
  const seed = cutSeed(scenario.name, scenario.board.name, index, mode);
  const flash = scenario.base.clone();
  const result = (outcome: CutResult["outcome"], problem?: string): CutResult => ({ index, mode, seed, outcome, ...(problem ? { problem } : {}) });
  flash.arm({ atOp: index, mode, seed });
  try {
    await scenario.action(flash);
    return result("failed", `the action finished without reaching operation ${index}`);
  } catch (e) {
    if (!(e instanceof PowerCutError)) return result("failed", `the action failed before the cut: ${(e as Error).message}`);
  }
  flash.powerOn();
  let observed: Observed<S>;
  try {
    observed = await scenario.observe(flash);
  } catch (e) {
    return result("failed", `BRICK: no boot after the cut: ${(e as Error).message}`);
  }
  const first = classify(scenario, flash, observed.report);
  if ("problem" in first) return result("failed", `after the cut: ${first.problem}`);
  const probed = scenario.probe ? await scenario.probe(flash.clone(), observed) : null;
  if (probed) return result("failed", `after the cut: ${probed}`);
  let final: BootReport;
  try {
    final = await scenario.finish(flash, observed);
  } catch (e) {
    return result("failed", `came back ${first.side} but could not finish: ${(e as Error).message}`);
  }
  const end = classify(scenario, flash, final);
  if ("problem" in end) return result("failed", `after finishing: ${end.problem}`);
  if (end.side !== scenario.final) return result("failed", `after finishing: runs the ${end.side} state, expected ${scenario.final}`);
  return result(first.side);
}

export async function sweep<S>(
  scenario: SweepScenario<S>,
  options: { sample: number | "all"; modes?: readonly PowerCutMode[] },
): Promise<SweepReport> {
  const { operations, maxSectorErases } = await cleanRun(scenario);
  const cuts: CutResult[] = [];
  for (const mode of options.modes ?? POWER_CUT_MODES) {
    for (const index of chooseIndexes(operations, options.sample, `${scenario.name}|${scenario.board.name}|${mode}`)) {
      cuts.push(await cutOnce(scenario, index, mode));
    }
  }
  const outcomes = { old: 0, new: 0, failed: 0 };
  for (const c of cuts) outcomes[c.outcome]++;
  return { scenario: scenario.name, board: scenario.board.name, operations, maxSectorErases, cuts, outcomes };
}

/** Up to `count` cuts at random points of one action, each followed by a power-on and a check. */
export async function consecutiveCuts<S>(
  scenario: SweepScenario<S>,
  count: number,
  seed: number,
  resume: (flash: NorFlash, observed: Observed<S>) => Promise<void>,
): Promise<{ cuts: { index: number; mode: PowerCutMode; side: string }[]; problem?: string }> {
  const random = (() => {
    let s = seed >>> 0;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  })();
  const operations = await countOperations(scenario);
  const flash = scenario.base.clone();
  const cuts: { index: number; mode: PowerCutMode; side: string }[] = [];
  let step: (f: NorFlash) => Promise<void> = (f) => scenario.action(f);
  for (let i = 0; i < count; i++) {
    const index = 1 + Math.floor(random() * operations);
    const mode = POWER_CUT_MODES[Math.floor(random() * 3)]!;
    flash.arm({ atOp: index, mode, seed: Math.floor(random() * 2 ** 32) });
    let cut = false;
    try {
      await step(flash);
    } catch (e) {
      if (!(e instanceof PowerCutError)) return { cuts, problem: `cut ${i + 1}: ${(e as Error).message}` };
      cut = true;
    }
    flash.disarm();
    flash.powerOn();
    let observed: Observed<S>;
    try {
      observed = await scenario.observe(flash);
    } catch (e) {
      return { cuts, problem: `BRICK after cut ${i + 1} (op ${index}, ${mode}): ${(e as Error).message}` };
    }
    const side = classify(scenario, flash, observed.report);
    if ("problem" in side) return { cuts, problem: `after cut ${i + 1} (op ${index}, ${mode}): ${side.problem}` };
    cuts.push({ index, mode, side: side.side });
    if (!cut) break; // the action completed before reaching the index: nothing left to cut
    step = (f) => resume(f, observed);
  }
  const observed = await scenario.observe(flash);
  const final = await scenario.finish(flash, observed);
  const end = classify(scenario, flash, final);
  if ("problem" in end) return { cuts, problem: `after finishing: ${end.problem}` };
  if (end.side !== scenario.final) return { cuts, problem: `after finishing: ${end.side}, expected ${scenario.final}` };
  return { cuts };
}

/** One line per report plus totals: what the sweep tried and what came back. */
export function summarize(reports: SweepReport[]): string {
  const lines = reports.map((r) => {
    const tried = r.cuts.length;
    return `${r.scenario.padEnd(18)} ${r.board.padEnd(28)} ops ${String(r.operations).padStart(5)}  max erases/sector ${r.maxSectorErases}  cuts ${String(tried).padStart(5)}  old ${String(r.outcomes.old).padStart(5)}  new ${String(r.outcomes.new).padStart(5)}  bricks/mixes ${r.outcomes.failed}`;
  });
  const total = reports.reduce((a, r) => ({ cuts: a.cuts + r.cuts.length, failed: a.failed + r.outcomes.failed }), { cuts: 0, failed: 0 });
  const boards = new Set(reports.map((r) => r.board)).size;
  lines.push(`total: ${total.cuts} cut points on ${boards} board variants, ${total.failed} bricks or mixes`);
  return lines.join("\n");
}
