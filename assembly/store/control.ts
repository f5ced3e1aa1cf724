// Boot control: which slot runs, and whether it is on trial. One small record; switching slots
// and ending or reverting a trial are each one write of it, so each happens entirely or not at all.
//   body: u32 active slot (0 = A, 1 = B), u32 trial (1 = not yet confirmed),
//         u32 tried (how many power-ons boot() has started the trial image at: 0..255; the layout's
//         trial boots say how many it gets before the next power-on reverts),
//         u32 installed session (the id of the update session whose install made the last slot
//         switch; 0 = none). The switch itself thus records that its session succeeded: a power
//         cut between the switch and the session's own "finished" record leaves nothing unknown.
//         u32 reverted session (the session whose image a revert took out of service; 0 = none):
//         written by the revert itself, so "this update's image no longer runs" is never lost.
// A body of the first three words only (written before the session id existed) is read as
// "no installed session"; one of four words (before reverts were recorded) as "none reverted".
import { OK, ERR_STORE_CORRUPT } from "../status";
import { RECORD_BOOT, readRecord, recordAddress, recordLength, writeRecordOf } from "./records";

const BODY_BYTES: u32 = 20;
const UNREVERTED_BODY_BYTES: u32 = 16;
const LEGACY_BODY_BYTES: u32 = 12;
const body: usize = memory.data(BODY_BYTES, 4);

export let activeSlot: u32 = 0;
export let onTrial = false;
export let trialTried = false; // trialBootsUsed > 0
export let trialBootsUsed: u32 = 0;
/** The update session the last slot switch completed (0 = none): see the header comment. */
export let installedSession: u32 = 0;
/** The update session whose image was reverted (0 = none). */
export let revertedSession: u32 = 0;

/** Loads boot control; a device without the record runs slot A, confirmed. */
export function controlLoad(): i32 {
  let bodyLen = BODY_BYTES;
  if (recordAddress(RECORD_BOOT) != 0) {
    const stored = recordLength(RECORD_BOOT);
    if (stored == LEGACY_BODY_BYTES || stored == UNREVERTED_BODY_BYTES) bodyLen = stored;
  }
  memory.fill(body, 0, BODY_BYTES);
  const rc = readRecord(RECORD_BOOT, body, bodyLen);
  if (rc == 1) {
    activeSlot = 0;
    onTrial = false;
    trialTried = false;
    trialBootsUsed = 0;
    installedSession = 0;
    revertedSession = 0;
    return OK;
  }
  if (rc != OK) return rc;
  const slot = load<u32>(body), trial = load<u32>(body + 4), tried = load<u32>(body + 8);
  if (slot > 1 || trial > 1 || tried > 255) return ERR_STORE_CORRUPT;
  activeSlot = slot;
  onTrial = trial == 1;
  trialBootsUsed = tried;
  trialTried = tried > 0;
  installedSession = load<u32>(body + 12);
  revertedSession = load<u32>(body + 16);
  return OK;
}

function write(slot: u32, trial: bool, tried: u32, session: u32, reverted: u32): i32 {
  store<u32>(body, slot);
  store<u32>(body + 4, trial ? 1 : 0);
  store<u32>(body + 8, tried);
  store<u32>(body + 12, session);
  store<u32>(body + 16, reverted);
  const rc = writeRecordOf(RECORD_BOOT, false, body, BODY_BYTES);
  if (rc != OK) return rc;
  activeSlot = slot;
  onTrial = trial;
  trialBootsUsed = tried;
  trialTried = tried > 0;
  installedSession = session;
  revertedSession = reverted;
  return OK;
}

/** Trial bookkeeping, confirm, revert: the installed session is carried over unchanged. */
export function controlSave(slot: u32, trial: bool, tried: u32): i32 {
  return write(slot, trial, tried, installedSession, revertedSession);
}

/** Revert: `slot` runs again, confirmed, and the installed session's image is out of service. */
export function controlRevert(slot: u32): i32 {
  return write(slot, false, 0, installedSession, installedSession);
}

/** Install's switch: `slot` runs next, on trial, and update session `session` is complete. */
export function controlSwitch(slot: u32, session: u32): i32 {
  return write(slot, true, 0, session, revertedSession);
}
