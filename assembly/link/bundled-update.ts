// pw.software_update.BundledUpdate over the agent's update state machine. Every method answers
// at once with the BundledUpdateStatus; Verify and Apply only start the work, which the main loop
// advances with update_poll, so GetStatus keeps answering (with progress) while the device works.
// Where Pigweed's service ends a running update on a call in the wrong state (its SET_ERROR moves
// to FINISHED), airlock answers FAILED_PRECONDITION and leaves the update as it was: a second
// host's stray Start must not destroy the first host's transfer. The reason goes in the note.
import { OK, ERR_UPDATE_STATE } from "../status";
import { LINK_TX_FRAME_AT, LINK_BUNDLE_RESOURCE_ID, MAX_BUNDLE_FILENAME } from "../limits";
import { ioWindow } from "../io";
import { useMemorySource } from "../proto/source";
import { readField, FIELD_END, fieldNumber, fieldWire, fieldStart, fieldLen, fieldNext, WIRE_LEN } from "../proto/wire";
import {
  updateStartNamed, updateSetTransferred, updateVerify, updateApply, updateAbort, updateReset,
  updateStatus, updateState, updateResult, updateLastError, updateBytesReceived, bundleName,
  bundleNameLength, STATUS_BYTES, STATE_INACTIVE, STATE_TRANSFERRING, STATE_TRANSFERRED,
  STATE_VERIFYING, STATE_INSTALLING, STATE_FINISHED,
} from "../update/service";
import { requireBooted } from "../boot/boot";
import { pbBegin, pbUint, pbBytes, pbLength, pbOverflow } from "./pb";
import { sendResponse, unknownMethod } from "./rpc";
import { transferReset } from "./transfer";
import { count, COUNTER_BAD_PACKET, COUNTER_TX_DROPPED } from "./counters";
import { PW_OK, PW_FAILED_PRECONDITION, PW_INVALID_ARGUMENT, PW_UNAVAILABLE } from "./status";
import {
  METHOD_GET_STATUS, METHOD_START, METHOD_SET_TRANSFERRED, METHOD_VERIFY, METHOD_APPLY, METHOD_ABORT, METHOD_RESET,
} from "./ids";

const statusRecord: usize = memory.data(STATUS_BYTES, 4);
const out: usize = ioWindow + LINK_TX_FRAME_AT;
const OUT_BYTES: u32 = 256;
const NOTE_BYTES: u32 = 24;
const note: usize = memory.data(NOTE_BYTES);
let noteLen: u32 = 0;

/**
 * The note names an agent error as "airlock error -NN": Pigweed's note is free text (tokenized
 * text optional), and the host turns the number back into the code's name and its fix.
 */
function setNote(code: i32): void {
  noteLen = 0;
  if (code == OK) return;
  const prefix = "airlock error -";
  for (let i = 0; i < prefix.length; i++) store<u8>(note + noteLen++, <u8>prefix.charCodeAt(i));
  let v = <u32>(code < 0 ? -code : code);
  let digits: u32 = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  for (let i: u32 = 0; i < digits; i++) {
    store<u8>(note + noteLen + digits - 1 - i, <u8>(0x30 + v % 10));
    v /= 10;
  }
  noteLen += digits;
}

function respond(status: u32): void {
  updateStatus(statusRecord);
  const s = load<u32>(statusRecord);
  pbBegin(out, OUT_BYTES);
  pbUint(1, <u64>s, true);
  if (s == STATE_FINISHED) pbUint(2, <u64>updateResult(), true);
  if (s == STATE_TRANSFERRING || s == STATE_VERIFYING || s == STATE_INSTALLING) {
    pbUint(3, <u64>load<u32>(statusRecord + 8), true);
  }
  if (s == STATE_TRANSFERRING) pbUint(4, <u64>LINK_BUNDLE_RESOURCE_ID, true);
  const nameLen = bundleNameLength();
  if (s != STATE_INACTIVE && nameLen > 0) pbBytes(5, bundleName(), nameLen);
  if (noteLen == 0 && s == STATE_FINISHED) setNote(updateLastError());
  if (noteLen > 0) pbBytes(6, note, noteLen);
  if (pbOverflow) {
    count(COUNTER_TX_DROPPED);
    return;
  }
  sendResponse(status, out, pbLength());
}

/** OK, or FAILED_PRECONDITION with the agent's code in the note. */
function answer(rc: i32): void {
  if (rc == OK) {
    noteLen = 0;
    respond(PW_OK);
    return;
  }
  setNote(rc);
  // A call the state machine refused changes nothing; a failure of the update itself (the
  // update is FINISHED with the code) is reported as a finished update, which is OK to ask.
  respond(updateState() == STATE_FINISHED && rc != ERR_UPDATE_STATE ? PW_OK : PW_FAILED_PRECONDITION);
}

const name: usize = memory.data(MAX_BUNDLE_FILENAME);

function start(at: usize, len: u32): void {
  useMemorySource();
  let nameAt: usize = 0;
  let nameLen: u32 = 0;
  let pos = <u32>at;
  const end = <u32>(at + len);
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK || (fieldNumber == 1 && fieldWire != WIRE_LEN)) {
      count(COUNTER_BAD_PACKET);
      noteLen = 0;
      respond(PW_INVALID_ARGUMENT);
      return;
    }
    if (fieldNumber == 1) {
      nameAt = <usize>fieldStart;
      nameLen = fieldLen;
    }
    pos = fieldNext;
  }
  if (nameLen > <u32>MAX_BUNDLE_FILENAME) {
    noteLen = 0;
    respond(PW_INVALID_ARGUMENT);
    return;
  }
  // The request lives in the receive buffer; copy the name out before anything else runs.
  memory.copy(name, nameAt, nameLen);
  transferReset();
  answer(updateStartNamed(name, nameLen));
}

/** Handles one unary BundledUpdate request. */
export function bundledUpdateCall(method: u32, at: usize, len: u32): void {
  if (requireBooted() != OK) {
    noteLen = 0;
    sendResponse(PW_UNAVAILABLE, 0, 0); // the firmware has not called boot() yet
    return;
  }
  noteLen = 0;
  if (method == METHOD_GET_STATUS) respond(PW_OK);
  else if (method == METHOD_START) start(at, len);
  else if (method == METHOD_SET_TRANSFERRED) {
    const s = updateState();
    if (s == STATE_TRANSFERRED) answer(OK);
    else if (s == STATE_TRANSFERRING) {
      transferReset();
      answer(updateSetTransferred(updateBytesReceived()));
    } else answer(ERR_UPDATE_STATE);
  } else if (method == METHOD_VERIFY) answer(updateVerify());
  else if (method == METHOD_APPLY) answer(updateApply());
  else if (method == METHOD_ABORT) {
    transferReset();
    answer(updateAbort());
  } else if (method == METHOD_RESET) {
    transferReset();
    answer(updateReset());
  } else unknownMethod();
}
