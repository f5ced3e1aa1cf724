// sim-power-cut: power fails at sampled flash operations of the whole install (transfer, verify,
// apply and the reboot into the new image), each cut on its own copy of the factory device, in one
// of three ways (the operation not started, torn half way, completed). After every cut the device
// must power on into the old or the new images, complete and intact (never a mix, never nothing),
// and must then finish: confirm the new images, or install the bundle again and confirm it.
// The sample is deterministic: seeded by the targets metadata digest and the board, it always
// holds the first and the last operation and spreads the rest over the install.
import { createHash } from "node:crypto";
import { POWER_CUT_MODES, PowerCutError, seededRandom, type NorFlash, type PowerCutMode } from "../../../host-sim/index.js";
import type { BoardCheck } from "./check.js";
import { differences, manufacture, powerOn, sideOf, type BoardPlan } from "./plan.js";

export interface CutPoint {
  index: number;
  mode: PowerCutMode;
  seed: number;
}

/** `count` distinct (operation, mode) points out of 1..operations; all of them when count covers them. */
export function samplePoints(operations: number, count: number, salt: string): CutPoint[] {
  const random = seededRandom(createHash("sha256").update(salt).digest().readUInt32LE(0));
  const seedOf = () => Math.floor(random() * 2 ** 32);
  const all = operations * POWER_CUT_MODES.length;
  const chosen = new Map<string, CutPoint>();
  const add = (index: number, mode: PowerCutMode) => {
    const key = `${index}/${mode}`;
    if (!chosen.has(key)) chosen.set(key, { index, mode, seed: seedOf() });
  };
  if (count >= all) {
    for (let index = 1; index <= operations; index++) for (const mode of POWER_CUT_MODES) add(index, mode);
  } else {
    add(1, POWER_CUT_MODES[Math.floor(random() * POWER_CUT_MODES.length)]!);
    if (count > 1) add(operations, POWER_CUT_MODES[Math.floor(random() * POWER_CUT_MODES.length)]!);
    // The rest spread evenly over the install, each at a seeded offset within its stretch.
    const rest = count - chosen.size;
    for (let i = 0; i < rest * 8 && chosen.size < count; i++) {
      const stretch = (i % rest) + random();
      add(1 + Math.min(operations - 1, Math.floor((stretch / rest) * operations)), POWER_CUT_MODES[Math.floor(random() * POWER_CUT_MODES.length)]!);
    }
  }
  return [...chosen.values()].sort((a, b) => a.index - b.index || POWER_CUT_MODES.indexOf(a.mode) - POWER_CUT_MODES.indexOf(b.mode));
}

/** The interrupted action: power on, install the bundle, reboot into it. */
async function install(plan: BoardPlan, flash: NorFlash): Promise<void> {
  const { device } = await powerOn(plan, flash);
  const outcome = device.update(plan.bundle);
  if (!outcome.ok) throw new Error(`the device refused the bundle: ${outcome.errorName}: ${outcome.message}`);
  await powerOn(plan, flash);
}

/** One cut: "old" or "new" (how the device came back, then finished on new), or the problem. */
async function cutAt(plan: BoardPlan, base: NorFlash, point: CutPoint): Promise<"old" | "new" | { problem: string }> {
  const flash = base.clone();
  flash.arm({ atOp: point.index, mode: point.mode, seed: point.seed });
  try {
    await install(plan, flash);
    return { problem: `the install finished without reaching operation ${point.index}` };
  } catch (err) {
    if (!(err instanceof PowerCutError)) return { problem: `the install failed before the cut: ${(err as Error).message}` };
  }
  flash.disarm();
  let booted;
  try {
    booted = await powerOn(plan, flash);
  } catch (err) {
    return { problem: `no boot after the cut (a brick): ${(err as Error).message}` };
  }
  const side = sideOf(plan, flash, booted.info);
  if (side !== "old" && side !== "new") return { problem: `after the cut: ${side}` };
  try {
    let device = booted.device;
    if (side === "old") {
      const retried = device.update(plan.bundle);
      if (!retried.ok) return { problem: `came back old, and installing again was refused: ${retried.errorName}: ${retried.message}` };
      device = (await powerOn(plan, flash)).device;
    }
    if (device.bootInfo().trial) device.confirm();
    const final = await powerOn(plan, flash);
    const why = [...(final.info.trial ? ["still on trial"] : []), ...differences(plan, flash, final.info, plan.new)];
    if (why.length) return { problem: `came back ${side} but did not finish on the new images: ${why.join("; ")}` };
  } catch (err) {
    return { problem: `came back ${side} but could not finish: ${(err as Error).message}` };
  }
  return side;
}

export async function simPowerCutSuite(plan: BoardPlan, check: BoardCheck, cuts: number, digest: string, say: (line: string) => void): Promise<void> {
  const base = await manufacture(plan);
  const clean = base.clone();
  try {
    await install(plan, clean);
  } catch (err) {
    check.fail(`the uninterrupted install failed: ${(err as Error).message}`);
  }
  const operations = clean.operations - base.operations;
  check.figure("operations", operations);
  const points = samplePoints(operations, cuts, `${digest}|${plan.board.name}`);
  const outcomes = { old: 0, new: 0, failed: 0 };
  const problems: string[] = [];
  for (const [i, point] of points.entries()) {
    const outcome = await cutAt(plan, base, point);
    if (typeof outcome === "string") outcomes[outcome]++;
    else {
      outcomes.failed++;
      problems.push(`operation ${point.index} (${point.mode}): ${outcome.problem}`);
    }
    if ((i + 1) % 8 === 0 || i + 1 === points.length) say(`${i + 1}/${points.length} cuts: old ${outcomes.old}, new ${outcomes.new}, failed ${outcomes.failed}`);
  }
  check.figure("cuts", points.length);
  check.figure("cameBackOld", outcomes.old);
  check.figure("cameBackNew", outcomes.new);
  check.figure("failed", outcomes.failed);
  const shown = problems.slice(0, 3).join(" | ") + (problems.length > 3 ? ` | and ${problems.length - 3} more` : "");
  check.expect(`after each of ${points.length} cuts out of ${operations} operations the device booted the old or the new images and then finished on the new`, problems.length ? [shown] : []);
}
