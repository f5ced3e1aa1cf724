// TargetsMetadata: what the bundle installs. Each listed target must be a target of this
// device's layout, listed once, with a length of 1..slot size and exactly one 32-byte SHA-256.
// The reserved name "user_manifest" is listed the same way (at index USER_MANIFEST_ENTRY, after
// the layout's targets) with a length of 1..MAX_USER_MANIFEST_BYTES: it has no slot.
// Field 65 (airlock's hardware_id) must equal the layout's hardware ID when present.
import {
  OK, ERR_PROTO_DUPLICATE_FIELD, ERR_PROTO_DUPLICATE_KEY, ERR_TARGETS_ROLE,
  ERR_TARGETS_VERSION_MISSING, ERR_WRONG_HARDWARE, ERR_TARGET_UNKNOWN, ERR_TARGET_TOO_LARGE,
  ERR_TARGET_EMPTY, ERR_TARGET_HASH_MISSING, ERR_PROTO_WIRE_TYPE, ERR_USER_MANIFEST_TOO_LARGE,
} from "../status";
import { MAX_TARGET_NAME, MAX_USER_MANIFEST_BYTES } from "../limits";
import {
  readField, FIELD_END, fieldNumber, fieldStart, fieldLen, fieldNext, fieldVarint, fieldWire,
  expectWire, expectU32, fieldU32, WIRE_LEN, WIRE_VARINT, seenOnce,
} from "../proto/wire";
import { sourceRead, sourceEquals } from "../proto/source";
import { parseCommonOf, commonVersion, commonRoleMatches, ROLE_TARGETS, ROLE_TARGETS_LEN } from "./common";
import { slotSize, hardwareId, hardwareIdLen } from "../store/layout";
import { manifestEntryOf, MANIFEST_ENTRIES, USER_MANIFEST_ENTRY } from "../store/manifest";

const HARDWARE_ID_FIELD: u32 = 65;
const SHA256_FUNCTION: u32 = 1;
export const DIGEST_BYTES: u32 = 32;

export let targetsVersion: u32 = 0;
/** Bit t: layout target t (or the user manifest, t = USER_MANIFEST_ENTRY) is listed. */
export let listedTargets: u32 = 0;
const listedLength: usize = memory.data(MANIFEST_ENTRIES * 4);
const listedHash: usize = memory.data(MANIFEST_ENTRIES * DIGEST_BYTES);
const nameBuffer: usize = memory.data(MAX_TARGET_NAME);

export function targetListed(t: u32): bool {
  return (listedTargets & (1 << t)) != 0;
}
export function targetLength(t: u32): u32 {
  return load<u32>(listedLength + t * 4);
}
export function targetHash(t: u32): usize {
  return listedHash + t * DIGEST_BYTES;
}

let hashAddr: u32 = 0;

/** Hash { function = 1, hash = 2 }: remembers a SHA-256 digest, refuses a second one. */
function parseHash(start: u32, end: u32): i32 {
  let seen: u32 = 0;
  let fn: u32 = 0, digest: u32 = 0, digestLen: u32 = 0;
  let pos = start;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    const f = fieldNumber;
    if (f != 1 && f != 2) continue;
    seen = seenOnce(seen, f);
    if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
    if (f == 1) {
      const v = expectU32();
      if (v != OK) return v;
      fn = fieldU32;
    } else {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      digest = fieldStart;
      digestLen = fieldLen;
    }
  }
  if (fn != SHA256_FUNCTION) return OK; // other functions are not ours to check
  if (digestLen != DIGEST_BYTES) return ERR_TARGET_HASH_MISSING;
  if (hashAddr != 0) return ERR_PROTO_DUPLICATE_KEY;
  hashAddr = digest;
  return OK;
}

function parseTargetFile(start: u32, end: u32): i32 {
  let seen: u32 = 0;
  let name: u32 = 0, nameLen: u32 = 0;
  let length: u64 = 0;
  hashAddr = 0;
  let pos = start;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    const f = fieldNumber;
    if (f == 3) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      const next = fieldNext;
      const h = parseHash(fieldStart, fieldStart + fieldLen);
      if (h != OK) return h;
      pos = next;
      continue;
    }
    if (f != 1 && f != 2) continue;
    seen = seenOnce(seen, f);
    if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
    if (f == 1) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      name = fieldStart;
      nameLen = fieldLen;
    } else {
      if (fieldWire != WIRE_VARINT) return ERR_PROTO_WIRE_TYPE;
      length = fieldVarint;
    }
  }
  if (nameLen == 0 || nameLen > <u32>MAX_TARGET_NAME) return ERR_TARGET_UNKNOWN;
  const rc = sourceRead(name, nameBuffer, nameLen);
  if (rc != OK) return rc;
  const t = manifestEntryOf(nameBuffer, nameLen);
  if (t < 0) return ERR_TARGET_UNKNOWN;
  if (targetListed(<u32>t)) return ERR_PROTO_DUPLICATE_KEY;
  if (length == 0) return ERR_TARGET_EMPTY;
  if (<u32>t == USER_MANIFEST_ENTRY) {
    if (length > <u64>MAX_USER_MANIFEST_BYTES) return ERR_USER_MANIFEST_TOO_LARGE;
  } else if (length > <u64>slotSize(<u32>t)) {
    return ERR_TARGET_TOO_LARGE;
  }
  if (hashAddr == 0) return ERR_TARGET_HASH_MISSING;
  const r = sourceRead(hashAddr, targetHash(<u32>t), DIGEST_BYTES);
  if (r != OK) return r;
  store<u32>(listedLength + <u32>t * 4, <u32>length);
  listedTargets |= 1 << <u32>t;
  return OK;
}

/** Parses serialized TargetsMetadata at [start, start+len) of the current source. */
export function parseTargets(start: u32, len: u32): i32 {
  const end = start + len;
  listedTargets = 0;
  targetsVersion = 0;
  let rc = parseCommonOf(start, len, ROLE_TARGETS, ROLE_TARGETS_LEN);
  if (rc != OK) return rc;
  if (!commonRoleMatches) return ERR_TARGETS_ROLE;
  if (commonVersion == 0) return ERR_TARGETS_VERSION_MISSING;
  targetsVersion = commonVersion;
  let seenHardware = false;
  let pos = start;
  while (true) {
    rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    const f = fieldNumber;
    if (f == 2) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      const next = fieldNext;
      const t = parseTargetFile(fieldStart, fieldStart + fieldLen);
      if (t != OK) return t;
      pos = next;
    } else if (f == HARDWARE_ID_FIELD) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      if (seenHardware) return ERR_PROTO_DUPLICATE_FIELD;
      seenHardware = true;
      if (fieldLen != hardwareIdLen || !sourceEquals(fieldStart, hardwareId, hardwareIdLen)) {
        return ERR_WRONG_HARDWARE;
      }
    }
  }
  return OK;
}
