// sim-update: the factory device installs the bundle, reboots into it on trial, confirms it, and
// after the next power-on still runs it, confirmed, with the bundle's targets as its manifest.
import type { BoardCheck } from "./check.js";
import { differences, manufacture, manifestDifferences, powerOn, type BoardPlan } from "./plan.js";

export async function simUpdateSuite(plan: BoardPlan, check: BoardCheck): Promise<void> {
  const flash = await manufacture(plan);
  const factory = await powerOn(plan, flash);
  check.expect("the factory device runs the old images", differences(plan, flash, factory.info, plan.old));
  const before = flash.operations;
  const outcome = factory.device.update(plan.bundle);
  if (!outcome.ok) check.fail(`the device refused the bundle: ${outcome.errorName}: ${outcome.message}`);
  check.figure("installFlashOps", flash.operations - before);
  check.figure("bundleBytes", plan.bundle.length);

  const trial = await powerOn(plan, flash);
  check.expect("after the reboot the new images run on trial", [
    ...(trial.info.trial ? [] : ["not on trial"]),
    ...differences(plan, flash, trial.info, plan.new),
  ]);
  trial.device.confirm();
  const confirmed = await powerOn(plan, flash);
  check.expect("confirmed, the next power-on runs the new images, no longer on trial", [
    ...(confirmed.info.trial ? ["still on trial"] : []),
    ...differences(plan, flash, confirmed.info, plan.new),
  ]);
  check.expect("the device's manifest equals the bundle's targets metadata", manifestDifferences(plan, confirmed.device));
  check.figure("totalFlashOps", flash.operations);
}
