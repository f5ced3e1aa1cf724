// sim-revert: the bundle installs and boots on trial, nobody confirms it, and the next power-on
// goes back to the old images, byte for byte, and stays there.
import type { BoardCheck } from "./check.js";
import { differences, manufacture, powerOn, type BoardPlan } from "./plan.js";

export async function simRevertSuite(plan: BoardPlan, check: BoardCheck): Promise<void> {
  const flash = await manufacture(plan);
  const factory = await powerOn(plan, flash);
  const outcome = factory.device.update(plan.bundle);
  if (!outcome.ok) check.fail(`the device refused the bundle: ${outcome.errorName}: ${outcome.message}`);
  const trial = await powerOn(plan, flash);
  check.expect("after the reboot the new images run on trial", [
    ...(trial.info.trial ? [] : ["not on trial"]),
    ...differences(plan, flash, trial.info, plan.new),
  ]);
  // The trial image is never confirmed: the board's trialBoots power-ons run it on trial (the
  // first was the reboot above), and the one after them must revert.
  const trialBoots = plan.board.trialBoots ?? 1;
  let info = trial.info;
  let boots = 0;
  while (boots < trialBoots && info.trial) {
    info = (await powerOn(plan, flash)).info;
    boots++;
  }
  check.figure("powerOnsToRevert", boots);
  check.expect(`without a confirm the device is back on the old images within ${trialBoots} trial power-on(s)`, [
    ...(info.trial ? ["still on trial"] : []),
    ...differences(plan, flash, info, plan.old),
  ]);
  const again = await powerOn(plan, flash);
  check.expect("another power-on stays on the old images", [
    ...(again.info.trial ? ["on trial again"] : []),
    ...differences(plan, flash, again.info, plan.old),
  ]);
}
