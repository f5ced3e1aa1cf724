// Indexes a staged UpdateBundle in flash: where its root metadata, its "targets" metadata and
// the payload of each layout target are. Nothing is interpreted yet; only positions are kept.
//   UpdateBundle { timestamp_metadata = 1; snapshot_metadata = 2;
//                  map<string, SignedTargetsMetadata> targets_metadata = 3;
//                  map<string, bytes> target_payloads = 4; SignedRootMetadata root_metadata = 5 }
// Strict: singular fields once, map keys once, only the "targets" metadata role (no delegation),
// at most MAX_BUNDLE_FIELDS top-level fields. A payload for a name outside the layout is refused
// (ERR_PAYLOAD_UNLISTED): no signed metadata can list it. The reserved "user_manifest" payload is
// indexed at USER_MANIFEST_ENTRY, after the layout's targets.
import {
  OK, ERR_PROTO_DUPLICATE_FIELD, ERR_PROTO_DUPLICATE_KEY, ERR_BUNDLE_FORMAT, ERR_ROOT_TOO_LARGE,
  ERR_TARGETS_MISSING, ERR_TARGETS_TOO_LARGE, ERR_PAYLOAD_UNLISTED,
} from "../status";
import {
  MAX_BUNDLE_FIELDS, MAX_TARGET_NAME, MAX_ROOT_METADATA_BYTES, MAX_TARGETS_METADATA_BYTES,
} from "../limits";
import {
  readField, FIELD_END, fieldNumber, fieldStart, fieldLen, fieldNext, expectWire, WIRE_LEN, seenOnce,
  readPair, pairFirstStart, pairFirstLen, pairSecondStart, pairSecondLen,
} from "../proto/wire";
import { sourceRead, sourceEquals } from "../proto/source";
import { manifestEntryOf, MANIFEST_ENTRIES } from "../store/manifest";
import { ROLE_TARGETS, ROLE_TARGETS_LEN } from "../tuf/common";

export let bundleRootStart: u32 = 0;
export let bundleRootLen: u32 = 0; // 0: the bundle carries no root
export let bundleTargetsStart: u32 = 0;
export let bundleTargetsLen: u32 = 0;
/** Bit t: the bundle carries a payload for layout target t (or the user manifest). */
export let payloadMask: u32 = 0;
const payloadStart: usize = memory.data(MANIFEST_ENTRIES * 4);
const payloadLen: usize = memory.data(MANIFEST_ENTRIES * 4);
const keyBuffer: usize = memory.data(MAX_TARGET_NAME);

export function payloadAddress(t: u32): u32 {
  return load<u32>(payloadStart + t * 4);
}
export function payloadLength(t: u32): u32 {
  return load<u32>(payloadLen + t * 4);
}

// A map entry { key = 1 (string); value = 2 }, each at most once.
let entryKey: u32 = 0;
let entryKeyLen: u32 = 0;
let entryValue: u32 = 0;
let entryValueLen: u32 = 0;

function parseEntry(start: u32, end: u32): i32 {
  // A map entry { key = 1; value = 2; }
  const rc = readPair(start, end);
  if (rc != OK) return rc;
  entryKey = pairFirstStart;
  entryKeyLen = pairFirstLen;
  entryValue = pairSecondStart;
  entryValueLen = pairSecondLen;
  return OK;
}

/** Indexes the bundle at [start, start+len) of flash (the caller selected the flash source). */
export function indexBundle(start: u32, len: u32): i32 {
  const end = start + len;
  bundleRootLen = 0;
  bundleTargetsLen = 0;
  payloadMask = 0;
  let seen: u32 = 0;
  let hasTargets = false;
  let fields: u32 = 0;
  let pos = start;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    if (++fields > <u32>MAX_BUNDLE_FIELDS) return ERR_BUNDLE_FORMAT;
    const f = fieldNumber;
    if (f < 1 || f > 5) continue;
    const w = expectWire(WIRE_LEN);
    if (w != OK) return w;
    if (f == 1 || f == 2 || f == 5) {
      seen = seenOnce(seen, f);
      if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
      if (f == 5) {
        if (fieldLen > <u32>MAX_ROOT_METADATA_BYTES) return ERR_ROOT_TOO_LARGE;
        bundleRootStart = fieldStart;
        bundleRootLen = fieldLen;
      }
      continue;
    }
    const next = fieldNext;
    const e = parseEntry(fieldStart, fieldStart + fieldLen);
    if (e != OK) return e;
    pos = next;
    if (f == 3) {
      // Only the top-level "targets" role exists on this device (no delegations).
      if (entryKeyLen != ROLE_TARGETS_LEN || !sourceEquals(entryKey, ROLE_TARGETS, ROLE_TARGETS_LEN)) {
        return ERR_BUNDLE_FORMAT;
      }
      if (hasTargets) return ERR_PROTO_DUPLICATE_KEY;
      hasTargets = true;
      if (entryValueLen > <u32>MAX_TARGETS_METADATA_BYTES) return ERR_TARGETS_TOO_LARGE;
      bundleTargetsStart = entryValue;
      bundleTargetsLen = entryValueLen;
    } else {
      // A name outside the layout can never be listed (targets parsing refuses it).
      if (entryKeyLen == 0 || entryKeyLen > <u32>MAX_TARGET_NAME) return ERR_PAYLOAD_UNLISTED;
      const r = sourceRead(entryKey, keyBuffer, entryKeyLen);
      if (r != OK) return r;
      const t = manifestEntryOf(keyBuffer, entryKeyLen);
      if (t < 0) return ERR_PAYLOAD_UNLISTED;
      if ((payloadMask & (1 << <u32>t)) != 0) return ERR_PROTO_DUPLICATE_KEY;
      payloadMask |= 1 << <u32>t;
      store<u32>(payloadStart + <u32>t * 4, entryValue);
      store<u32>(payloadLen + <u32>t * 4, entryValueLen);
    }
  }
  if (!hasTargets || bundleTargetsLen == 0) return ERR_TARGETS_MISSING;
  return OK;
}
