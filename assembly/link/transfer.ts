// The pw_transfer (version 2) server for the one resource a device accepts: the bundle being
// staged (LINK_BUNDLE_RESOURCE_ID). A write session goes START -> START_ACK ->
// START_ACK_CONFIRMATION -> PARAMETERS_RETRANSMIT, then DATA chunks inside the window the device
// grants, which it extends (PARAMETERS_CONTINUE) when half is used; a gap gets one
// PARAMETERS_RETRANSMIT at the offset the device needs. The last chunk (remaining_bytes 0) ends
// the transfer: the device marks the bundle transferred and sends COMPLETION, which the client
// acknowledges. Every byte goes through update_write, so the transfer gate sees it before flash.
//
// Resume: the device always asks for the bytes it lacks. After a reset the agent resumes at the
// last staging sector boundary it recorded; a START with another initial_offset is answered with
// initial_offset 0 (denied) and parameters at the device's offset, which Pigweed's clients follow.
// A session that goes quiet for the server timeout (Pigweed's default: 5 x 2 s, no retries) ends
// without a word; the update stays TRANSFERRING, so the next session resumes it.
import { OK, ERR_UPDATE_STATE, ERR_BUNDLE_TOO_LARGE } from "../status";
import { LINK_TX_FRAME_AT, LINK_BUNDLE_RESOURCE_ID, LINK_MAX_CHUNK_BYTES, LINK_WINDOW_BYTES } from "../limits";
import { ioWindow } from "../io";
import { useMemorySource } from "../proto/source";
import { readField, FIELD_END, fieldNumber, fieldWire, fieldVarint, fieldStart, fieldLen, fieldNext, WIRE_VARINT, WIRE_LEN } from "../proto/wire";
import { updateState, updateWrite, updateSetTransferred, STATE_TRANSFERRING, STATE_TRANSFERRED, updateBytesReceived } from "../update/service";
import { pbBegin, pbUint, pbBytes, pbLength, pbOverflow } from "./pb";
import { sendStream, sendResponse } from "./rpc";
import { count, COUNTER_BAD_PACKET, COUNTER_UNKNOWN_CALL, COUNTER_TX_DROPPED } from "./counters";
import {
  PW_OK, PW_NOT_FOUND, PW_FAILED_PRECONDITION, PW_DATA_LOSS, PW_RESOURCE_EXHAUSTED, PW_UNIMPLEMENTED,
  PW_INVALID_ARGUMENT,
} from "./status";

// Chunk.Type
const DATA: u32 = 0;
const START: u32 = 1;
const PARAMETERS_RETRANSMIT: u32 = 2;
const PARAMETERS_CONTINUE: u32 = 3;
const COMPLETION: u32 = 4;
const COMPLETION_ACK: u32 = 5;
const START_ACK: u32 = 6;
const START_ACK_CONFIRMATION: u32 = 7;

const PROTOCOL_VERSION: u32 = 2;
/** Pigweed's PW_TRANSFER_DEFAULT_SERVER_TIMEOUT_MS (5 x the client's 2000 ms), 0 server retries. */
export const SERVER_TIMEOUT_MS: u32 = 10000;

// The chunk being handled (fields of pw.transfer.Chunk).
let cType: u32 = 0;
let cHasType = false;
let cSession: u32 = 0;
let cResource: u32 = 0;
let cHasResource = false;
let cDesired: u32 = 0;
let cHasDesired = false;
let cVersion: u32 = 0;
let cOffset: u64 = 0;
let cData: usize = 0;
let cDataLen: u32 = 0;
let cRemaining: u64 = 0;
let cHasRemaining = false;
let cStatus: u32 = 0;
let cHasStatus = false;
let cInitialOffset: u64 = 0;
let cLegacyId: u32 = 0;

const IDLE: u32 = 0;
const AWAIT_CONFIRM: u32 = 1;
const RECEIVING: u32 = 2;
const COMPLETING: u32 = 3;

let phase: u32 = IDLE;
let session: u32 = 0;
let windowEnd: u32 = 0;
let recovering = false;
let gapOffset: u64 = 0; // the last out-of-order offset seen while recovering
let quietMs: u32 = 0;
// The last session that ended with a COMPLETION, so a retried final chunk gets the same answer.
let lastSession: u32 = 0;
let lastStatus: u32 = 0;
let lastEnded = false;

function decodeChunk(at: usize, len: u32): bool {
  cType = 0; cHasType = false; cSession = 0; cResource = 0; cHasResource = false;
  cDesired = 0; cHasDesired = false; cVersion = 0; cOffset = 0; cData = 0; cDataLen = 0;
  cRemaining = 0; cHasRemaining = false; cStatus = 0; cHasStatus = false; cInitialOffset = 0;
  cLegacyId = 0;
  useMemorySource();
  let pos = <u32>at;
  const end = <u32>(at + len);
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return false;
    const f = fieldNumber;
    if (f == 6) {
      if (fieldWire != WIRE_LEN) return false;
      cData = <usize>fieldStart;
      cDataLen = fieldLen;
    } else if (f >= 1 && f <= 15) {
      if (fieldWire != WIRE_VARINT) return false;
      const v = fieldVarint;
      // 64-bit fields: offset, remaining_bytes, initial_offset; every other one is 32-bit.
      if (f != 5 && f != 7 && f != 15 && v > <u64>0xffffffff) return false;
      const v32 = <u32>v;
      if (f == 1) cLegacyId = v32;
      else if (f == 5) cOffset = v;
      else if (f == 7) { cRemaining = v; cHasRemaining = true; }
      else if (f == 8) { cStatus = v32; cHasStatus = true; }
      else if (f == 10) { cType = v32; cHasType = true; }
      else if (f == 11) { cResource = v32; cHasResource = true; }
      else if (f == 12) cSession = v32;
      else if (f == 13) cVersion = v32;
      else if (f == 14) { cDesired = v32; cHasDesired = true; }
      else if (f == 15) cInitialOffset = v;
    }
    pos = fieldNext;
  }
  return true;
}

const out: usize = ioWindow + LINK_TX_FRAME_AT;
const OUT_BYTES: u32 = 256;

function sendChunk(): void {
  if (pbOverflow) {
    count(COUNTER_TX_DROPPED);
    return;
  }
  sendStream(out, pbLength());
}

function sendStartAck(confirmedOffset: u32): void {
  pbBegin(out, OUT_BYTES);
  pbUint(10, <u64>START_ACK, true);
  pbUint(11, <u64>LINK_BUNDLE_RESOURCE_ID, true);
  pbUint(12, <u64>session, true);
  pbUint(13, <u64>PROTOCOL_VERSION, true);
  pbUint(15, <u64>confirmedOffset);
  sendChunk();
}

function sendParameters(type: u32): void {
  const offset = updateBytesReceived();
  pbBegin(out, OUT_BYTES);
  pbUint(3, <u64>LINK_MAX_CHUNK_BYTES);
  pbUint(5, <u64>offset);
  pbUint(9, <u64>windowEnd, true);
  pbUint(10, <u64>type, true);
  pbUint(12, <u64>session, true);
  sendChunk();
}

function sendCompletion(sessionId: u32, status: u32): void {
  pbBegin(out, OUT_BYTES);
  pbUint(8, <u64>status, true);
  pbUint(10, <u64>COMPLETION, true);
  pbUint(12, <u64>sessionId, true);
  sendChunk();
}

function sendCompletionAck(sessionId: u32): void {
  pbBegin(out, OUT_BYTES);
  pbUint(10, <u64>COMPLETION_ACK, true);
  pbUint(12, <u64>sessionId, true);
  sendChunk();
}

function endSession(status: u32): void {
  sendCompletion(session, status);
  lastSession = session;
  lastStatus = status;
  lastEnded = true;
  phase = COMPLETING;
  quietMs = 0;
}

function closeSession(): void {
  phase = IDLE;
  recovering = false;
  quietMs = 0;
}

/** Maps the agent's refusal of a write onto the status that ends the transfer. */
function statusOfWrite(rc: i32): u32 {
  if (rc == ERR_UPDATE_STATE) return PW_FAILED_PRECONDITION;
  if (rc == ERR_BUNDLE_TOO_LARGE) return PW_RESOURCE_EXHAUSTED;
  return PW_DATA_LOSS; // the gate refused the bundle or flash failed: GetStatus names the code
}

function start(): void {
  if (cVersion < PROTOCOL_VERSION || !cHasDesired) {
    // A legacy (version 1) client: this device speaks version 2 only.
    pbBegin(out, OUT_BYTES);
    pbUint(1, <u64>(cHasResource ? cResource : cLegacyId), true);
    pbUint(8, <u64>PW_UNIMPLEMENTED, true);
    pbUint(10, <u64>COMPLETION, true);
    sendChunk();
    return;
  }
  if (phase != IDLE && cDesired == session && phase == AWAIT_CONFIRM) {
    sendStartAck(<u64>updateBytesReceived() == cInitialOffset ? <u32>cInitialOffset : 0); // a retried START
    return;
  }
  if (cResource != LINK_BUNDLE_RESOURCE_ID) {
    sendCompletion(cDesired, PW_NOT_FOUND);
    return;
  }
  if (updateState() != STATE_TRANSFERRING) {
    sendCompletion(cDesired, PW_FAILED_PRECONDITION); // Start() first, or the bundle is complete
    return;
  }
  // A new session replaces an older one without a word: its client is gone (one host at a time).
  session = cDesired;
  lastEnded = false;
  recovering = false;
  quietMs = 0;
  phase = AWAIT_CONFIRM;
  const have = updateBytesReceived();
  sendStartAck(<u64>have == cInitialOffset ? have : 0);
}

function confirm(): void {
  phase = RECEIVING;
  windowEnd = updateBytesReceived() + <u32>LINK_WINDOW_BYTES;
  sendParameters(PARAMETERS_RETRANSMIT);
}

function data(): void {
  if (phase == AWAIT_CONFIRM) confirm(); // the confirmation was lost; data implies it
  if (phase != RECEIVING) return;
  const expected = updateBytesReceived();
  if (cOffset != <u64>expected) {
    // One retransmit per gap: the rest of the window in flight arrives with rising offsets and is
    // dropped quietly. An offset that does not rise means the client went back (its timeout
    // repeated a chunk, or it missed our request): ask again.
    const ask = !recovering || cOffset <= gapOffset;
    recovering = true;
    gapOffset = cOffset;
    if (ask) {
      windowEnd = expected + <u32>LINK_WINDOW_BYTES;
      sendParameters(PARAMETERS_RETRANSMIT);
    }
    return;
  }
  recovering = false;
  if (cDataLen > 0) {
    const rc = updateWrite(cData, expected, cDataLen);
    if (rc != OK) {
      endSession(statusOfWrite(rc));
      return;
    }
  }
  const received = updateBytesReceived();
  if (cHasRemaining && cRemaining == 0) {
    endSession(updateSetTransferred(received) == OK ? PW_OK : PW_DATA_LOSS);
    return;
  }
  if (windowEnd < received || windowEnd - received <= <u32>LINK_WINDOW_BYTES / 2) {
    windowEnd = received + <u32>LINK_WINDOW_BYTES;
    sendParameters(PARAMETERS_CONTINUE);
  }
}

/** Handles one Chunk from the Write stream. */
export function transferChunk(at: usize, len: u32): void {
  if (!decodeChunk(at, len) || !cHasType) {
    count(COUNTER_BAD_PACKET); // a legacy chunk without a type, or one that does not decode
    return;
  }
  quietMs = 0;
  if (cType == START) {
    start();
    return;
  }
  if (phase == IDLE || cSession != session) {
    if (lastEnded && cSession == lastSession && cType != COMPLETION_ACK) {
      sendCompletion(lastSession, lastStatus); // our COMPLETION was lost: say it again
    } else if (cType != COMPLETION_ACK && cType != COMPLETION) {
      sendCompletion(cSession, PW_FAILED_PRECONDITION); // no such session (any more): start again
    } else count(COUNTER_UNKNOWN_CALL);
    return;
  }
  if (cType == START_ACK_CONFIRMATION) {
    if (phase == AWAIT_CONFIRM) confirm();
    else if (phase == RECEIVING) sendParameters(PARAMETERS_RETRANSMIT);
  } else if (cType == DATA) {
    data();
  } else if (cType == COMPLETION) {
    // The client ends the session (cancelled or failed); the staged bytes stay for a resume.
    sendCompletionAck(session);
    closeSession();
  } else if (cType == COMPLETION_ACK) {
    if (phase == COMPLETING) closeSession();
  } else {
    count(COUNTER_BAD_PACKET); // parameters are the receiver's to send
  }
}

/** The Write stream was cancelled or completed by the client: the session has no path back. */
export function transferStreamClosed(): void {
  if (phase != COMPLETING) closeSession();
}

/** Abort and reset end any session at once. */
export function transferReset(): void {
  closeSession();
  lastEnded = false;
}

/** Time passes (ms since the last tick): a session quiet for SERVER_TIMEOUT_MS ends. */
export function transferTick(elapsedMs: u32): void {
  if (phase == IDLE) return;
  quietMs = quietMs + elapsedMs < quietMs ? 0xffffffff : quietMs + elapsedMs;
  if (quietMs >= SERVER_TIMEOUT_MS) closeSession();
}

/** The resource the status names (BundledUpdateStatus.transfer_id), while a bundle can be sent. */
export function transferOpen(): bool {
  return updateState() == STATE_TRANSFERRING;
}

/** A Read of any resource: the bundle is write-only, anything else does not exist. */
export function readRefused(at: usize, len: u32): void {
  if (!decodeChunk(at, len) || !cHasType || cType != START) {
    count(COUNTER_BAD_PACKET);
    return;
  }
  sendCompletion(cDesired, cResource == LINK_BUNDLE_RESOURCE_ID ? PW_UNIMPLEMENTED : PW_NOT_FOUND);
}

/** Transfer.GetResourceStatus: how many bytes of the bundle the device already holds. */
export function resourceStatus(at: usize, len: u32): void {
  useMemorySource();
  let resource: u32 = 0;
  let pos = <u32>at;
  const end = <u32>(at + len);
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK || (fieldNumber == 1 && (fieldWire != WIRE_VARINT || fieldVarint > <u64>0xffffffff))) {
      count(COUNTER_BAD_PACKET);
      sendResponse(PW_INVALID_ARGUMENT, 0, 0);
      return;
    }
    if (fieldNumber == 1) resource = <u32>fieldVarint;
    pos = fieldNext;
  }
  const s = updateState();
  let status = PW_OK;
  if (resource != LINK_BUNDLE_RESOURCE_ID) status = PW_NOT_FOUND;
  else if (s != STATE_TRANSFERRING && s != STATE_TRANSFERRED) status = PW_FAILED_PRECONDITION;
  pbBegin(out, OUT_BYTES);
  pbUint(1, <u64>resource);
  pbUint(2, <u64>status);
  if (status == PW_OK) pbUint(3, <u64>updateBytesReceived());
  if (pbOverflow) {
    count(COUNTER_TX_DROPPED);
    return;
  }
  sendResponse(PW_OK, out, pbLength());
}

/** Whether a session is open (for tests and link_stats). */
export function transferPhase(): u32 {
  return phase;
}
