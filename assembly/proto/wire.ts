// A strict protobuf wire reader over a bounded window [pos, end) of the current source.
//
// readField() decodes one field and leaves it in the exported globals; nothing is allocated and
// nothing is read outside the window. Strictness (no parser differentials between this agent and
// any other decoder): varints at most 10 bytes and within 64 bits, field number 0 and groups
// rejected, every length checked against the window before use. Message parsers on top track
// singular fields with seenOnce() to reject duplicates.
import {
  OK, ERR_PROTO_TRUNCATED, ERR_PROTO_VARINT, ERR_PROTO_WIRE_TYPE, ERR_PROTO_FIELD_NUMBER,
  ERR_PROTO_DUPLICATE_FIELD,
} from "../status";
import { sourceByte, sourceFault } from "./source";

export const WIRE_VARINT: u32 = 0;
export const WIRE_FIXED64: u32 = 1;
export const WIRE_LEN: u32 = 2;
export const WIRE_FIXED32: u32 = 5;

/** readField() result when the window is exhausted (not an error). */
export const FIELD_END: i32 = 1;

export let fieldNumber: u32 = 0;
export let fieldWire: u32 = 0;
/** The value of a varint field. */
export let fieldVarint: u64 = 0;
/** A length-delimited field's payload: [fieldStart, fieldStart + fieldLen). */
export let fieldStart: u32 = 0;
export let fieldLen: u32 = 0;
/** Where the next field starts. */
export let fieldNext: u32 = 0;

let varintValue: u64 = 0;
let varintEnd: u32 = 0;

function readVarint(pos: u32, end: u32): i32 {
  let value: u64 = 0;
  let shift: u64 = 0;
  let at = pos;
  for (let i = 0; i < 10; i++) {
    if (at >= end) return ERR_PROTO_TRUNCATED;
    const b = <u64>sourceByte(at);
    at++;
    // The 10th byte may only carry the 64th bit.
    if (i == 9 && b > 1) return ERR_PROTO_VARINT;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      varintValue = value;
      varintEnd = at;
      const fault = sourceFault();
      return fault != OK ? fault : OK;
    }
    shift += 7;
  }
  return ERR_PROTO_VARINT;
}

/** Decodes the field at pos (pos < end), or returns FIELD_END when pos == end. */
export function readField(pos: u32, end: u32): i32 {
  if (pos >= end) return FIELD_END;
  let rc = readVarint(pos, end);
  if (rc != OK) return rc;
  if (varintValue > <u64>0xffffffff) return ERR_PROTO_VARINT;
  const key = <u32>varintValue;
  let at = varintEnd;
  fieldNumber = key >>> 3;
  fieldWire = key & 7;
  if (fieldNumber == 0) return ERR_PROTO_FIELD_NUMBER;
  fieldVarint = 0;
  fieldStart = at;
  fieldLen = 0;
  if (fieldWire == WIRE_VARINT) {
    rc = readVarint(at, end);
    if (rc != OK) return rc;
    fieldVarint = varintValue;
    fieldNext = varintEnd;
  } else if (fieldWire == WIRE_FIXED64) {
    if (end - at < 8) return ERR_PROTO_TRUNCATED;
    fieldLen = 8;
    fieldNext = at + 8;
  } else if (fieldWire == WIRE_FIXED32) {
    if (end - at < 4) return ERR_PROTO_TRUNCATED;
    fieldLen = 4;
    fieldNext = at + 4;
  } else if (fieldWire == WIRE_LEN) {
    rc = readVarint(at, end);
    if (rc != OK) return rc;
    at = varintEnd;
    if (varintValue > <u64>(end - at)) return ERR_PROTO_TRUNCATED;
    fieldStart = at;
    fieldLen = <u32>varintValue;
    fieldNext = at + fieldLen;
  } else {
    return ERR_PROTO_WIRE_TYPE; // groups (3, 4) and reserved wire types (6, 7)
  }
  return OK;
}

/** OK when the current field has wire type `wire`. */
export function expectWire(wire: u32): i32 {
  return fieldWire == wire ? OK : ERR_PROTO_WIRE_TYPE;
}

/** The current varint field as a u32 (larger values are an error, not silently truncated). */
export let fieldU32: u32 = 0;
export function expectU32(): i32 {
  if (fieldWire != WIRE_VARINT) return ERR_PROTO_WIRE_TYPE;
  if (fieldVarint > <u64>0xffffffff) return ERR_PROTO_VARINT;
  fieldU32 = <u32>fieldVarint;
  return OK;
}

/**
 * Singular-field bookkeeping: `seen` is a bit set of field numbers 1..31 (field 65, the
 * hardware ID, is tracked by its parser). Returns the new set, or 0 if the field was seen before.
 */
export function seenOnce(seen: u32, field: u32): u32 {
  const bit: u32 = 1 << field;
  if ((seen & bit) != 0) return 0;
  return seen | bit;
}


/**
 * A message of two singular length-delimited fields, 1 and 2 (a map entry, a Signature, a
 * KeyMapping). After readPair() returns OK, each field's bytes are [pair*Start, +pair*Len); an
 * absent field reads as empty at the message start. Other fields are skipped; field 1 or 2
 * repeated, or with another wire type, is an error. readField's globals are clobbered.
 */
export let pairFirstStart: u32 = 0;
export let pairFirstLen: u32 = 0;
export let pairSecondStart: u32 = 0;
export let pairSecondLen: u32 = 0;

export function readPair(start: u32, end: u32): i32 {
  let seen: u32 = 0;
  pairFirstStart = start;
  pairFirstLen = 0;
  pairSecondStart = start;
  pairSecondLen = 0;
  let pos = start;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    const f = fieldNumber;
    if (f != 1 && f != 2) continue;
    const w = expectWire(WIRE_LEN);
    if (w != OK) return w;
    seen = seenOnce(seen, f);
    if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
    if (f == 1) {
      pairFirstStart = fieldStart;
      pairFirstLen = fieldLen;
    } else {
      pairSecondStart = fieldStart;
      pairSecondLen = fieldLen;
    }
  }
  return OK;
}
