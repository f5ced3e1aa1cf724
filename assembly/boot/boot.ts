// Power-on: rebuild everything from flash, settle the trial, pick the slot (and, when the layout
// asks for it, re-hash that slot's images through boot_poll before running it: check.ts).
//
// Trial boot: the switch record says (active = new slot, trial, not yet tried). The first boot()
// after it records "tried" and runs the new slot. If the device comes up again without confirm()
// having ended the trial, the new image failed to prove itself: boot() reverts to the other
// slot - whose image and manifest are untouched, because updates are refused during a trial.
// Each of these decisions is one boot-control record write: a power cut leaves it done or not.
//
// Attach: a firmware may drop the agent's instance during a run (to lend its RAM to something
// else) and instantiate it again later in the same run. attachDevice() then rebuilds what
// bootDevice() knew from flash as bootDevice() left it, deciding and writing nothing. Flash
// tells a started run from one boot() has not started in one case only: a trial image not yet
// marked "tried" has never run (freshly installed: the run that installed it still runs the
// other slot, and the next power-on must call boot() to start it), so attach refuses there.
// A trial image marked "tried" is running in this run - attach cannot tell this run from a
// later power-on, which is why firmware must call boot(), never attach(), at power-on.
import {
  OK, ERR_NOT_PROVISIONED, ERR_NOT_BOOTED, ERR_TRIAL_NOT_BOOTED, ERR_ALREADY_BOOTED, ERR_BOOT_PENDING, ERR_BOOT_CHECK_PENDING, ERR_NO_INTACT_IMAGE,
} from "../status";
import { bootCheck, requireConfigured, trialBoots } from "../store/layout";
import { checkBegin, checkFailed, checkPending, checkSlot, checkStep, checkingOther, checkReset } from "./check";
import { RECORD_ROOT, recordAddress } from "../store/records";
import { activeSlot, onTrial, trialTried, trialBootsUsed, controlLoad, controlSave, controlRevert } from "../store/control";
import { serviceRestore } from "../update/service";

export let booted = false;
export let runningSlot: u32 = 0;

export function bootDevice(): i32 {
  let rc = requireConfigured();
  if (rc != OK) return rc;
  if (booted) return <i32>runningSlot; // one decision per power-on
  if (checkPending()) return ERR_BOOT_CHECK_PENDING; // decided already: the check runs on
  if (checkFailed()) return ERR_NO_INTACT_IMAGE;
  if (recordAddress(RECORD_ROOT) == 0) return ERR_NOT_PROVISIONED;
  rc = controlLoad();
  if (rc != OK) return rc;
  // A trial image gets the layout's number of power-ons (1 unless the board says more) to call
  // confirm(); each start is counted before it runs, so a cut never gives it an extra one.
  if (onTrial && trialBootsUsed >= trialBoots) {
    rc = controlRevert(activeSlot == 0 ? 1 : 0);
  } else if (onTrial) {
    rc = controlSave(activeSlot, true, trialBootsUsed + 1);
  }
  if (rc != OK) return rc;
  if (bootCheck) return checkBegin(activeSlot);
  return finishBoot();
}

/**
 * Advances the boot-time image check boot() started by at most `budget` bytes: the running slot
 * once its images match their manifest (after going back to the other slot if only that one is
 * intact), ERR_BOOT_CHECK_PENDING while there is more to hash, ERR_NO_INTACT_IMAGE when neither
 * slot is intact (nothing written), or a flash error. After boot: the running slot.
 */
export function bootPoll(budget: u32): i32 {
  if (booted) return <i32>runningSlot;
  let rc = checkStep(budget);
  if (rc != OK) return rc;
  if (checkingOther()) {
    // The chosen slot is damaged and the other one intact: run that. A trial image that rotted
    // failed its trial (the session says so); a confirmed one is left as it was recorded.
    const other = checkSlot();
    rc = onTrial ? controlRevert(other) : controlSave(other, false, 0);
    if (rc != OK) return rc;
  }
  checkReset();
  return finishBoot();
}

function finishBoot(): i32 {
  const rc = serviceRestore();
  if (rc != OK) return rc;
  runningSlot = activeSlot;
  booted = true;
  return <i32>runningSlot;
}

/** Rejoins the run boot() started, from flash alone, writing nothing (see the file comment). */
export function attachDevice(): i32 {
  let rc = requireConfigured();
  if (rc != OK) return rc;
  if (booted) return ERR_ALREADY_BOOTED;
  if (recordAddress(RECORD_ROOT) == 0) return ERR_NOT_PROVISIONED;
  rc = controlLoad();
  if (rc != OK) return rc;
  if (onTrial && !trialTried) return ERR_BOOT_PENDING;
  rc = serviceRestore();
  if (rc != OK) return rc;
  runningSlot = activeSlot;
  booted = true;
  return <i32>runningSlot;
}

/** The running image declares itself healthy: a trial becomes the confirmed image. */
export function confirmImage(): i32 {
  if (!booted) return ERR_NOT_BOOTED;
  if (!onTrial) return OK;
  if (activeSlot != runningSlot || !trialTried) return ERR_TRIAL_NOT_BOOTED;
  return controlSave(activeSlot, false, 0);
}

export function requireBooted(): i32 {
  return booted ? OK : ERR_NOT_BOOTED;
}
