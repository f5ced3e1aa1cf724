// Boot control: which slot runs, and whether it is on trial. One small record; switching slots
// and ending or reverting a trial are each one write of it, so each happens entirely or not at all.
//   body: u32 active slot (0 = A, 1 = B), u32 trial (1 = not yet confirmed),
//         u32 tried (1 = boot() has already started the trial image once)
import { OK, ERR_STORE_CORRUPT } from "../status";
import { RECORD_BOOT, readRecord, writeRecordOf } from "./records";

const BODY_BYTES: u32 = 12;
const body: usize = memory.data(BODY_BYTES, 4);

export let activeSlot: u32 = 0;
export let onTrial = false;
export let trialTried = false;

/** Loads boot control; a device without the record runs slot A, confirmed. */
export function controlLoad(): i32 {
  const rc = readRecord(RECORD_BOOT, body, BODY_BYTES);
  if (rc == 1) {
    activeSlot = 0;
    onTrial = false;
    trialTried = false;
    return OK;
  }
  if (rc != OK) return rc;
  const slot = load<u32>(body), trial = load<u32>(body + 4), tried = load<u32>(body + 8);
  if (slot > 1 || trial > 1 || tried > 1) return ERR_STORE_CORRUPT;
  activeSlot = slot;
  onTrial = trial == 1;
  trialTried = tried == 1;
  return OK;
}

export function controlSave(slot: u32, trial: bool, tried: bool): i32 {
  store<u32>(body, slot);
  store<u32>(body + 4, trial ? 1 : 0);
  store<u32>(body + 8, tried ? 1 : 0);
  const rc = writeRecordOf(RECORD_BOOT, false, body, BODY_BYTES);
  if (rc != OK) return rc;
  activeSlot = slot;
  onTrial = trial;
  trialTried = tried;
  return OK;
}
