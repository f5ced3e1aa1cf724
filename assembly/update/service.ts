// The update service: Pigweed's BundledUpdate state machine over the staging partition.
//
//   INACTIVE --start--> TRANSFERRING --set_transferred--> TRANSFERRED --verify--> VERIFYING
//   --poll...--> VERIFIED --apply--> INSTALLING --poll...--> FINISHED(SUCCESS)
//   (apply from TRANSFERRED verifies first; any failure ends in FINISHED with VERIFY_FAILED,
//   APPLY_FAILED or TRANSFER_FAILED; abort in any active state -> FINISHED(ABORTED);
//   reset: FINISHED -> INACTIVE)
//
// The session record persists INACTIVE, TRANSFERRING (with the bytes durably received, always a
// staging sector boundary), TRANSFERRED (with the total) and FINISHED (with result and error).
// VERIFYING, VERIFIED and INSTALLING are never persisted: after a reset the bundle is TRANSFERRED
// again and must be verified again - nothing unverified can survive a reset as "verified".
// Each session has an id, and install's slot switch records the id of the session it completes
// (store/control.ts): a power cut after the switch but before FINISHED(SUCCESS) is persisted
// leaves the record TRANSFERRED, and the next power-on reads it as FINISHED(SUCCESS) - the
// bundle runs (on trial, or reverted), so it is never verified or applied again.
// While TRANSFERRING every byte passes the transfer gate (gate.ts) before it is programmed; a
// refusal there ends the update as VERIFY_FAILED with the gate's code.
// Updates are refused while the running image is on trial: its revert slot must stay intact.
import {
  OK, ERR_UPDATE_STATE, ERR_TRANSFER_OFFSET, ERR_BUNDLE_TOO_LARGE, ERR_TRANSFER_LENGTH, ERR_IO_RANGE,
  ERR_TRIAL_PENDING, ERR_STORE_CORRUPT, ERR_TRIAL_REVERTED,
} from "../status";
import { IO_WINDOW_BYTES, MAX_BUNDLE_FILENAME } from "../limits";
import { stagingOffset, stagingSize, sectorAt, sectorStart } from "../store/layout";
import { RECORD_SESSION, readRecord, recordAddress, recordLength, writeRecordOf } from "../store/records";
import { onTrial, installedSession, revertedSession } from "../store/control";
import { writerBegin, writerFlush, writerPosition, writerProgrammed } from "./writer";
import { verifyBegin, verifyStep, verifyTotal, verifyHashed } from "./verify";
import { installBegin, installStep, installTotal, installDone } from "./install";
import { gateReset, gateForget, gateReady, gateReplay, gateWrite } from "./gate";

// Pigweed's BundledUpdateState and BundledUpdateResult numbers (bundled_update.proto at HEAD:
// APPLYING 6, ABORTING 7, FINISHED 8). Abort completes within its call here, so ABORTING is never
// reported; INSTALLING is Pigweed's APPLYING.
export const STATE_UNKNOWN: u32 = 0;
export const STATE_INACTIVE: u32 = 1;
export const STATE_TRANSFERRING: u32 = 2;
export const STATE_TRANSFERRED: u32 = 3;
export const STATE_VERIFYING: u32 = 4;
export const STATE_VERIFIED: u32 = 5;
export const STATE_INSTALLING: u32 = 6;
export const STATE_ABORTING: u32 = 7;
export const STATE_FINISHED: u32 = 8;
// Session records written before the numbers followed Pigweed's HEAD stored FINISHED as 7; a
// session record never holds ABORTING (abort persists FINISHED), so 7 there can only mean FINISHED.
const LEGACY_STATE_FINISHED: u32 = 7;
export const RESULT_UNKNOWN: u32 = 0;
export const RESULT_SUCCESS: u32 = 1;
export const RESULT_UNKNOWN_ERROR: u32 = 2;
export const RESULT_ABORTED: u32 = 3;
export const RESULT_TRANSFER_FAILED: u32 = 4;
export const RESULT_VERIFY_FAILED: u32 = 5;
export const RESULT_APPLY_FAILED: u32 = 6;

let state: u32 = STATE_INACTIVE;
let result: u32 = RESULT_UNKNOWN;
let lastError: i32 = OK;
let durable: u32 = 0; // bytes received that survive a reset
let total: u32 = 0; // bundle size, known from set_transferred
let applyAfterVerify = false;
let sessionId: u32 = 0; // the current (or last) session's id; 0 = none yet
/** An install completed in this run: the new images run only after a reboot. */
export let installedThisRun = false;

// session record body: u32 state, u32 durable bytes, u32 total, u32 result, i32 last error,
// u32 session id, u32 bundle file name length, the name (MAX_BUNDLE_FILENAME bytes). Older bodies
// end after the id (24 bytes: no name) or before it (20 bytes: id 0, no session).
const NAME_AT: u32 = 28;
const SESSION_BYTES: u32 = NAME_AT + <u32>MAX_BUNDLE_FILENAME;
const UNNAMED_SESSION_BYTES: u32 = 24;
const LEGACY_SESSION_BYTES: u32 = 20;
const session: usize = memory.data(SESSION_BYTES, 4);
let nameLen: u32 = 0; // the session's bundle file name lives at session + NAME_AT

function persist(): i32 {
  store<u32>(session, state);
  store<u32>(session + 4, durable);
  store<u32>(session + 8, total);
  store<u32>(session + 12, result);
  store<i32>(session + 16, lastError);
  store<u32>(session + 20, sessionId);
  store<u32>(session + 24, nameLen);
  return writeRecordOf(RECORD_SESSION, false, session, SESSION_BYTES);
}

/** Rebuilds the session from its record (boot). */
export function serviceRestore(): i32 {
  state = STATE_INACTIVE;
  result = RESULT_UNKNOWN;
  lastError = OK;
  durable = 0;
  total = 0;
  applyAfterVerify = false;
  sessionId = 0;
  nameLen = 0;
  let bodyLen = SESSION_BYTES;
  if (recordAddress(RECORD_SESSION) != 0) {
    const stored = recordLength(RECORD_SESSION);
    if (stored == LEGACY_SESSION_BYTES || stored == UNNAMED_SESSION_BYTES) bodyLen = stored;
  }
  memory.fill(session, 0, SESSION_BYTES);
  const rc = readRecord(RECORD_SESSION, session, bodyLen);
  if (rc == 1) return OK;
  if (rc != OK) return rc;
  // Kept even when the session itself is dropped below: a new session never reuses an id.
  sessionId = load<u32>(session + 20);
  const n0 = load<u32>(session + 24);
  // A name longer than the field is bookkeeping damage, not boot state: keep the session, drop it.
  nameLen = n0 <= <u32>MAX_BUNDLE_FILENAME ? n0 : 0;
  let s = load<u32>(session);
  if (s == LEGACY_STATE_FINISHED) s = STATE_FINISHED;
  const d = load<u32>(session + 4);
  const n = load<u32>(session + 8);
  const r = load<u32>(session + 12);
  if (r > RESULT_APPLY_FAILED) return ERR_STORE_CORRUPT;
  // Byte counts beyond this staging partition: the session was recorded under another layout
  // (the image that runs now may pass a descriptor with a smaller staging partition than the
  // bundle that installed it). It cannot be resumed or verified here, and as bookkeeping rather
  // than boot state it must never make boot() fail (that image could then never run): no session.
  if (d > stagingSize || n > stagingSize) return OK;
  if (s == STATE_TRANSFERRING) {
    state = s;
    durable = d;
    writerBegin(stagingOffset, d);
    gateForget();
  } else if (s == STATE_TRANSFERRED) {
    state = s;
    total = n;
    durable = n;
    if (sessionId != 0 && sessionId == installedSession) {
      // The switch record names this session: its install completed, and power failed before
      // finish() recorded it. The new image runs on trial (or already reverted): same outcome.
      state = STATE_FINISHED;
      result = RESULT_SUCCESS;
    }
  } else if (s == STATE_FINISHED) {
    state = s;
    result = r;
    lastError = load<i32>(session + 16);
    total = n;
    durable = d;
  } else if (s != STATE_INACTIVE) {
    return ERR_STORE_CORRUPT;
  }
  // The revert that took this session's image out of service is in the boot control record
  // (written in the same step as the revert): a finished install whose image no longer runs is
  // reported as such, never as a success.
  if (state == STATE_FINISHED && result == RESULT_SUCCESS && sessionId != 0 && sessionId == revertedSession) {
    result = RESULT_APPLY_FAILED;
    lastError = ERR_TRIAL_REVERTED;
  }
  return OK;
}

function finish(res: u32, error: i32): i32 {
  state = STATE_FINISHED;
  result = res;
  lastError = error;
  const rc = persist();
  return error != OK ? error : rc;
}

export function updateStart(): i32 {
  return updateStartNamed(0, 0);
}

/**
 * Starts a session that remembers the bundle's file name (Pigweed's StartRequest.bundle_filename),
 * so a host that reconnects, or comes back after a reset, can tell its own bundle from another's.
 */
export function updateStartNamed(name: usize, len: u32): i32 {
  if (state != STATE_INACTIVE) return ERR_UPDATE_STATE;
  if (onTrial) return ERR_TRIAL_PENDING;
  if (len > <u32>MAX_BUNDLE_FILENAME) return ERR_IO_RANGE;
  memory.copy(session + NAME_AT, name, len);
  nameLen = len;
  state = STATE_TRANSFERRING;
  result = RESULT_UNKNOWN;
  lastError = OK;
  durable = 0;
  total = 0;
  // Larger than every id recorded so far, the installed one included: a switch recorded for
  // an earlier session never marks this one installed.
  sessionId = max(sessionId, installedSession) + 1;
  writerBegin(stagingOffset, 0);
  gateReset();
  return persist();
}

/** A refusal by the transfer gate is a verification failure; a flash error a transfer failure. */
function refuseTransfer(code: i32): i32 {
  const flashError = code <= -80 && code >= -89;
  return finish(flashError ? RESULT_TRANSFER_FAILED : RESULT_VERIFY_FAILED, code);
}

/** Appends len bytes from the I/O window at `offset` of the bundle (offset = bytes received). */
export function updateWrite(io: usize, offset: u32, len: u32): i32 {
  if (state != STATE_TRANSFERRING) return ERR_UPDATE_STATE;
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  if (offset != writerPosition()) return ERR_TRANSFER_OFFSET;
  if (len > stagingSize - offset) return ERR_BUNDLE_TOO_LARGE;
  if (len == 0) return OK;
  if (!gateReady()) {
    const r = gateReplay(writerPosition());
    if (r != OK) return refuseTransfer(r);
  }
  const rc = gateWrite(io, len);
  if (rc != OK) return refuseTransfer(rc);
  // Checkpoint at each staging sector boundary passed: the sector after it will be erased again
  // on resume, so everything before it is exactly what was received.
  const programmed = writerProgrammed();
  let boundary = programmed;
  if (programmed < stagingSize) {
    sectorAt(stagingOffset + programmed);
    boundary = sectorStart - stagingOffset;
  }
  if (boundary > durable) {
    durable = boundary;
    const p = persist();
    if (p != OK) return p;
  }
  return OK;
}

export function updateSetTransferred(bytes: u32): i32 {
  if (state != STATE_TRANSFERRING) return ERR_UPDATE_STATE;
  if (bytes == 0 || bytes != writerPosition()) return ERR_TRANSFER_LENGTH;
  const rc = writerFlush();
  if (rc != OK) return finish(RESULT_TRANSFER_FAILED, rc);
  state = STATE_TRANSFERRED;
  total = bytes;
  durable = bytes;
  return persist();
}

export function updateVerify(): i32 {
  if (state == STATE_VERIFIED || state == STATE_VERIFYING) return OK;
  if (state != STATE_TRANSFERRED) return ERR_UPDATE_STATE;
  verifyBegin(total);
  applyAfterVerify = false;
  state = STATE_VERIFYING;
  return OK;
}

export function updateApply(): i32 {
  if (onTrial) return ERR_TRIAL_PENDING;
  if (state == STATE_TRANSFERRED || state == STATE_VERIFYING) {
    if (state == STATE_TRANSFERRED) verifyBegin(total);
    state = STATE_VERIFYING;
    applyAfterVerify = true;
    return OK;
  }
  if (state != STATE_VERIFIED) return ERR_UPDATE_STATE;
  const rc = installBegin(sessionId);
  if (rc != OK) return finish(RESULT_APPLY_FAILED, rc);
  state = STATE_INSTALLING;
  return OK;
}

/** Advances verify/apply by at most `budget` bytes. 1 = call again, 0 = idle, < 0 = failed. */
export function updatePoll(budget: u32): i32 {
  const b = budget == 0 ? 1 : budget;
  if (state == STATE_VERIFYING) {
    const rc = verifyStep(b);
    if (rc < 0) return finish(RESULT_VERIFY_FAILED, rc);
    if (rc > 0) return 1;
    state = STATE_VERIFIED;
    if (!applyAfterVerify) return 0;
    const a = installBegin(sessionId);
    if (a != OK) return finish(RESULT_APPLY_FAILED, a);
    state = STATE_INSTALLING;
    return 1;
  }
  if (state == STATE_INSTALLING) {
    const rc = installStep(b);
    if (rc < 0) return finish(RESULT_APPLY_FAILED, rc);
    if (rc > 0) return 1;
    installedThisRun = true;
    const f = finish(RESULT_SUCCESS, OK);
    return f < 0 ? f : 0;
  }
  return 0;
}

export function updateAbort(): i32 {
  if (state < STATE_TRANSFERRING || state > STATE_INSTALLING) return ERR_UPDATE_STATE;
  // Even mid-install this is safe: the switch has not happened, the new slot is never booted.
  return finish(RESULT_ABORTED, OK);
}

export function updateReset(): i32 {
  if (state == STATE_INACTIVE) return OK;
  if (state != STATE_FINISHED) return ERR_UPDATE_STATE;
  state = STATE_INACTIVE;
  nameLen = 0;
  result = RESULT_UNKNOWN;
  lastError = OK;
  durable = 0;
  total = 0;
  return persist();
}

/** The session's bundle file name: its bytes at bundleName(), bundleNameLength() of them. */
export function bundleName(): usize {
  return session + NAME_AT;
}

export function bundleNameLength(): u32 {
  return state == STATE_INACTIVE ? 0 : nameLen;
}

/** Bundle bytes the device holds: received so far while transferring, else the recorded count. */
export function updateBytesReceived(): u32 {
  return state == STATE_TRANSFERRING ? writerPosition() : durable;
}

/** The update's current state (STATE_*), result (RESULT_*) and last error code. */
export function updateState(): u32 {
  return state;
}

export function updateResult(): u32 {
  return result;
}

export function updateLastError(): i32 {
  return lastError;
}

/**
 * The status record, written at `out` (little-endian, 32 bytes):
 *   0 u32 state   4 u32 result   8 u32 progress (hundredths of a percent of the current phase)
 *   12 u32 bytes received   16 i32 last error code   20 u32 bundle bytes (0 until transferred)
 *   24 u32 bytes done in the current phase   28 u32 bytes in the current phase
 */
export const STATUS_BYTES: u32 = 32;
export function updateStatus(out: usize): i32 {
  let phaseDone: u32 = 0, phaseTotal: u32 = 0;
  if (state == STATE_TRANSFERRING) {
    phaseDone = writerPosition();
    phaseTotal = stagingSize;
  } else if (state == STATE_VERIFYING || state == STATE_VERIFIED) {
    phaseDone = verifyHashed;
    phaseTotal = verifyTotal;
  } else if (state == STATE_INSTALLING) {
    phaseDone = installDone;
    phaseTotal = installTotal * 2;
  }
  let progress: u32 = 0;
  if (state == STATE_VERIFIED || state == STATE_FINISHED || state == STATE_TRANSFERRED) progress = 10000;
  else if (phaseTotal > 0) progress = <u32>((<u64>phaseDone * 10000) / <u64>phaseTotal);
  store<u32>(out, state);
  store<u32>(out + 4, result);
  store<u32>(out + 8, progress);
  store<u32>(out + 12, state == STATE_TRANSFERRING ? writerPosition() : durable);
  store<i32>(out + 16, lastError);
  store<u32>(out + 20, total);
  store<u32>(out + 24, phaseDone);
  store<u32>(out + 28, phaseTotal);
  return OK;
}
