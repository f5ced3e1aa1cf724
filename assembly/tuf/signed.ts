// Signed{Root,Targets}Metadata: the exact serialized metadata bytes plus their signatures.
// Only positions are kept (the bytes stay in flash); each signature entry is checked for shape.
import {
  OK, ERR_PROTO_DUPLICATE_FIELD, ERR_PROTO_TOO_MANY, ERR_SIGNATURE_FORMAT,
} from "../status";
import { MAX_SIGNATURES } from "../limits";
import {
  readField, FIELD_END, fieldNumber, fieldStart, fieldLen, fieldNext, expectWire, WIRE_LEN, seenOnce,
  readPair, pairFirstStart, pairFirstLen, pairSecondStart, pairSecondLen,
} from "../proto/wire";

export const KEY_ID_BYTES: u32 = 32;
export const SIGNATURE_BYTES: u32 = 64;

/** Which signed metadata a view holds. */
export const SIGNED_TRUSTED_ROOT: u32 = 0;
export const SIGNED_BUNDLE_ROOT: u32 = 1;
export const SIGNED_TARGETS: u32 = 2;
const VIEWS: u32 = 3;

const payloadStart: usize = memory.data(VIEWS * 4);
const payloadLen: usize = memory.data(VIEWS * 4);
const signatureCount: usize = memory.data(VIEWS * 4);
const signatureKeyId: usize = memory.data(VIEWS * MAX_SIGNATURES * 4);
const signatureBytes: usize = memory.data(VIEWS * MAX_SIGNATURES * 4);

export function signedPayloadStart(view: u32): u32 {
  return load<u32>(payloadStart + view * 4);
}
export function signedPayloadLength(view: u32): u32 {
  return load<u32>(payloadLen + view * 4);
}
export function signedCount(view: u32): u32 {
  return load<u32>(signatureCount + view * 4);
}
/** Source address of signature i's 32-byte key ID. */
export function signedKeyId(view: u32, i: u32): u32 {
  return load<u32>(signatureKeyId + (view * MAX_SIGNATURES + i) * 4);
}
/** Source address of signature i's 64 bytes. */
export function signedSignature(view: u32, i: u32): u32 {
  return load<u32>(signatureBytes + (view * MAX_SIGNATURES + i) * 4);
}

/** Returned by parseSigned when the metadata bytes (field 1) are absent. */
export const SIGNED_NO_PAYLOAD: i32 = 1;

function parseSignature(view: u32, index: u32, start: u32, end: u32): i32 {
  // Signature { bytes key_id = 1; bytes sig = 2; }
  const rc = readPair(start, end);
  if (rc != OK) return rc;
  const keyId = pairFirstStart, keyIdLen = pairFirstLen, sig = pairSecondStart, sigLen = pairSecondLen;
  if (keyIdLen != KEY_ID_BYTES || sigLen != SIGNATURE_BYTES) return ERR_SIGNATURE_FORMAT;
  store<u32>(signatureKeyId + (view * MAX_SIGNATURES + index) * 4, keyId);
  store<u32>(signatureBytes + (view * MAX_SIGNATURES + index) * 4, sig);
  return OK;
}

/** Parses a Signed*Metadata message in [start, start+len) of the current source into `view`. */
export function parseSigned(view: u32, start: u32, len: u32): i32 {
  const end = start + len;
  let seen: u32 = 0;
  let count: u32 = 0;
  let hasPayload = false;
  let pos = start;
  store<u32>(signatureCount + view * 4, 0);
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    if (fieldNumber == 1) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      seen = seenOnce(seen, 1);
      if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
      store<u32>(payloadStart + view * 4, fieldStart);
      store<u32>(payloadLen + view * 4, fieldLen);
      hasPayload = fieldLen > 0;
    } else if (fieldNumber == 2) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      if (count == <u32>MAX_SIGNATURES) return ERR_PROTO_TOO_MANY;
      const next = fieldNext;
      const s = parseSignature(view, count, fieldStart, fieldStart + fieldLen);
      if (s != OK) return s;
      count++;
      pos = next;
    }
  }
  store<u32>(signatureCount + view * 4, count);
  return hasPayload ? OK : SIGNED_NO_PAYLOAD;
}
