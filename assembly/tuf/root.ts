// RootMetadata: the keys of the repository and, per role, which key IDs may sign and how many
// must. Parsed from the source into one of two views (the trusted root, a bundle's new root),
// keeping keys in RAM (they are used for every signature) and bytes in flash.
//
// Hardening: every key is Ed25519 (type 2, scheme 2, 32-byte value) or ECDSA P-256 (type 3,
// scheme 3, the 65-byte uncompressed point, Pigweed's keyval) and its key ID is recomputed as
// SHA-256(type || scheme || value), as Pigweed's keys.py computes it; key IDs are unique; requirement key IDs must name listed
// keys, once each; thresholds must be > 0; role must be "root"; the version must be present.
// A build without one of the schemes (crypto/schemes.ts) refuses every root that lists a key of
// that type, trusted or new, with ERR_KEY_TYPE_UNSUPPORTED: signatures name only a key ID, so the
// root's key list is the one place a key the device cannot check shows up.
import {
  OK, ERR_PROTO_DUPLICATE_FIELD, ERR_PROTO_DUPLICATE_KEY, ERR_PROTO_TOO_MANY, ERR_KEY_ID_MISMATCH,
  ERR_KEY_UNSUPPORTED, ERR_KEY_UNKNOWN, ERR_THRESHOLD_ZERO, ERR_ROOT_ROLE, ERR_ROOT_VERSION_MISSING,
  ERR_KEY_WEAK, ERR_KEY_TYPE_UNSUPPORTED,
} from "../status";
import { ed25519CheckPublicKey } from "../crypto/ed25519";
import { p256CheckPublicKey, P256_PUBLIC_KEY_BYTES } from "../crypto/p256";
import { SCHEME_ED25519, SCHEME_P256 } from "../crypto/schemes";
import { MAX_ROOT_KEYS } from "../limits";
import {
  readField, FIELD_END, fieldNumber, fieldStart, fieldLen, fieldNext, expectWire, expectU32,
  fieldU32, WIRE_LEN, seenOnce, readPair, pairFirstStart, pairFirstLen, pairSecondStart, pairSecondLen,
} from "../proto/wire";
import { sourceRead, sourceEquals } from "../proto/source";
import { parseCommonOf, commonVersion, commonRoleMatches, ROLE_ROOT, ROLE_ROOT_LEN } from "./common";
import { KEY_ID_BYTES } from "./signed";
import { SHA256_CTX_BYTES, sha256Init, sha256Update, sha256Final } from "../crypto/sha256";

export const ROOT_TRUSTED: u32 = 0;
export const ROOT_CANDIDATE: u32 = 1;
export const ROLE_REQ_ROOT: u32 = 0;
export const ROLE_REQ_TARGETS: u32 = 1;

export const KEY_TYPE_ED25519: u32 = 2;
const ED25519_SCHEME: u32 = 2;
const ED25519_KEY_BYTES: u32 = 32;
export const KEY_TYPE_P256: u32 = 3;
const P256_SCHEME: u32 = 3;
const MAX_KEY_BYTES: u32 = P256_PUBLIC_KEY_BYTES;
const VIEWS: u32 = 2;

const rootVersion: usize = memory.data(VIEWS * 4);
const keyCount: usize = memory.data(VIEWS * 4);
// Keys stay in the source (flash, or memory at provisioning): only their addresses are kept.
const keyIds: usize = memory.data(VIEWS * MAX_ROOT_KEYS * 4);
const keyValues: usize = memory.data(VIEWS * MAX_ROOT_KEYS * 4);
const keyTypes: usize = memory.data(VIEWS * MAX_ROOT_KEYS);
// Per view and role: threshold, number of key IDs, and the key index of each.
const reqThreshold: usize = memory.data(VIEWS * 2 * 4);
const reqCount: usize = memory.data(VIEWS * 2 * 4);
const reqKeyIndex: usize = memory.data(VIEWS * 2 * MAX_ROOT_KEYS);
// Source addresses of requirement key IDs, resolved once all keys are known.
const reqKeyAddr: usize = memory.data(2 * MAX_ROOT_KEYS * 4);

const hashCtx: usize = memory.data(SHA256_CTX_BYTES, 8);
const keyIdInput: usize = memory.data(2 + MAX_KEY_BYTES);
const digest: usize = memory.data(32);

export function rootVersionOf(view: u32): u32 {
  return load<u32>(rootVersion + view * 4);
}
export function rootKeyCount(view: u32): u32 {
  return load<u32>(keyCount + view * 4);
}
/** Source address of key k's 32-byte ID. */
export function rootKeyId(view: u32, k: u32): u32 {
  return load<u32>(keyIds + (view * MAX_ROOT_KEYS + k) * 4);
}
/** Source address of key k's public key (32 bytes Ed25519, 65 bytes P-256: see rootKeyType). */
export function rootKeyValue(view: u32, k: u32): u32 {
  return load<u32>(keyValues + (view * MAX_ROOT_KEYS + k) * 4);
}
/** KEY_TYPE_ED25519 or KEY_TYPE_P256. */
export function rootKeyType(view: u32, k: u32): u32 {
  return <u32>load<u8>(keyTypes + view * MAX_ROOT_KEYS + k);
}
/** Bytes of a public key of this type. */
export function keyBytesOf(type: u32): u32 {
  return type == KEY_TYPE_P256 ? P256_PUBLIC_KEY_BYTES : ED25519_KEY_BYTES;
}
export function requirementThreshold(view: u32, role: u32): u32 {
  return load<u32>(reqThreshold + (view * 2 + role) * 4);
}
export function requirementCount(view: u32, role: u32): u32 {
  return load<u32>(reqCount + (view * 2 + role) * 4);
}
export function requirementKey(view: u32, role: u32, i: u32): u32 {
  return <u32>load<u8>(reqKeyIndex + (view * 2 + role) * MAX_ROOT_KEYS + i);
}

/** Index of the key with this 32-byte ID (in memory) in the view, or -1. */
export function findKey(view: u32, id: usize): i32 {
  const n = rootKeyCount(view);
  for (let k: u32 = 0; k < n; k++) {
    if (sourceEquals(rootKeyId(view, k), id, KEY_ID_BYTES)) return <i32>k;
  }
  return -1;
}

function parseKey(view: u32, k: u32, start: u32, end: u32): i32 {
  let seen: u32 = 0;
  let type: u32 = 0, scheme: u32 = 0, value: u32 = 0, valueLen: u32 = 0;
  let pos = start;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    const f = fieldNumber;
    if (f < 1 || f > 3) continue;
    seen = seenOnce(seen, f);
    if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
    if (f == 3) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      value = fieldStart;
      valueLen = fieldLen;
    } else {
      const v = expectU32();
      if (v != OK) return v;
      if (f == 1) type = fieldU32;
      else scheme = fieldU32;
    }
  }
  const ed25519 = type == KEY_TYPE_ED25519 && scheme == ED25519_SCHEME && valueLen == ED25519_KEY_BYTES;
  const p256 = type == KEY_TYPE_P256 && scheme == P256_SCHEME && valueLen == P256_PUBLIC_KEY_BYTES;
  if (!ed25519 && !p256) return ERR_KEY_UNSUPPORTED;
  if ((ed25519 && !SCHEME_ED25519) || (p256 && !SCHEME_P256)) return ERR_KEY_TYPE_UNSUPPORTED;
  store<u32>(keyValues + (view * MAX_ROOT_KEYS + k) * 4, value);
  store<u8>(keyTypes + view * MAX_ROOT_KEYS + k, <u8>type);
  return OK;
}

function parseKeyMapping(view: u32, k: u32, start: u32, end: u32): i32 {
  // KeyMapping { bytes key_id = 1; Key key = 2; }
  let rc = readPair(start, end);
  if (rc != OK) return rc;
  const id = pairFirstStart, idLen = pairFirstLen;
  if (pairSecondLen == 0) return ERR_KEY_UNSUPPORTED; // no key, or an empty one
  rc = parseKey(view, k, pairSecondStart, pairSecondStart + pairSecondLen);
  if (rc != OK) return rc;
  if (idLen != KEY_ID_BYTES) return ERR_KEY_ID_MISMATCH;
  store<u32>(keyIds + (view * MAX_ROOT_KEYS + k) * 4, id);
  // Pigweed's key ID: SHA-256 over the key type byte, the scheme byte and the key value (the
  // scheme number equals the type number for both supported types).
  const type = rootKeyType(view, k);
  const bytes = keyBytesOf(type);
  store<u8>(keyIdInput, <u8>type);
  store<u8>(keyIdInput + 1, <u8>type);
  rc = sourceRead(rootKeyValue(view, k), keyIdInput + 2, bytes);
  if (rc != OK) return rc;
  sha256Init(hashCtx);
  sha256Update(hashCtx, keyIdInput, 2 + bytes);
  sha256Final(hashCtx, digest);
  if (!sourceEquals(id, digest, KEY_ID_BYTES)) return ERR_KEY_ID_MISMATCH;
  // keyIdInput + 2 holds the key, just read from the source. A root about to be trusted may not
  // list an Ed25519 key of small order, nor a P-256 "point" off the curve (or not 04 || X || Y).
  if (checkingNewRoot) {
    if (!keySound(type, keyIdInput + 2)) return ERR_KEY_WEAK;
  }
  return OK;
}

/** Whether a key of a scheme this build verifies (parseKey refused the others) is sound. */
function keySound(type: u32, key: usize): bool {
  // Each call sits in a branch on a compile-time constant, so a scheme that is off is not compiled.
  if (type == KEY_TYPE_P256) {
    if (SCHEME_P256) return p256CheckPublicKey(key);
    return false;
  }
  if (SCHEME_ED25519) return ed25519CheckPublicKey(key) == OK;
  return false;
}

function parseRequirement(view: u32, role: u32, start: u32, end: u32): i32 {
  let seen: u32 = 0;
  let count: u32 = 0;
  let threshold: u32 = 0;
  let pos = start;
  while (true) {
    const rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    if (fieldNumber == 1) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      if (count == <u32>MAX_ROOT_KEYS) return ERR_PROTO_TOO_MANY;
      if (fieldLen != KEY_ID_BYTES) return ERR_KEY_UNKNOWN;
      store<u32>(reqKeyAddr + (role * MAX_ROOT_KEYS + count) * 4, fieldStart);
      count++;
    } else if (fieldNumber == 2) {
      seen = seenOnce(seen, 2);
      if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
      const v = expectU32();
      if (v != OK) return v;
      threshold = fieldU32;
    }
  }
  store<u32>(reqThreshold + (view * 2 + role) * 4, threshold);
  store<u32>(reqCount + (view * 2 + role) * 4, count);
  return OK;
}

const candidateId: usize = memory.data(KEY_ID_BYTES);

/** Maps a requirement's key IDs to key indexes: each must name a listed key, once. */
function resolveRequirement(view: u32, role: u32): i32 {
  const n = requirementCount(view, role);
  if (requirementThreshold(view, role) == 0) return ERR_THRESHOLD_ZERO;
  for (let i: u32 = 0; i < n; i++) {
    const rc = sourceRead(load<u32>(reqKeyAddr + (role * MAX_ROOT_KEYS + i) * 4), candidateId, KEY_ID_BYTES);
    if (rc != OK) return rc;
    const k = findKey(view, candidateId);
    if (k < 0) return ERR_KEY_UNKNOWN;
    for (let j: u32 = 0; j < i; j++) {
      if (requirementKey(view, role, j) == <u32>k) return ERR_PROTO_DUPLICATE_KEY;
    }
    store<u8>(reqKeyIndex + (view * 2 + role) * MAX_ROOT_KEYS + i, <u8>k);
  }
  return OK;
}

/** True while parsing a root about to be trusted: its keys are checked (ed25519CheckPublicKey). */
let checkingNewRoot = false;

/**
 * Parses serialized RootMetadata at [start, start+len) of the current source into `view`.
 * `newRoot`: a root being provisioned or rotated to, whose every key must be a sound Ed25519
 * key (ERR_KEY_WEAK otherwise); the trusted root already passed that check when it was accepted.
 */
export function parseRoot(view: u32, start: u32, len: u32, newRoot: bool = false): i32 {
  checkingNewRoot = newRoot;
  const end = start + len;
  let rc = parseCommonOf(start, len, ROLE_ROOT, ROLE_ROOT_LEN);
  if (rc != OK) return rc;
  if (!commonRoleMatches) return ERR_ROOT_ROLE;
  if (commonVersion == 0) return ERR_ROOT_VERSION_MISSING;
  store<u32>(rootVersion + view * 4, commonVersion);
  store<u32>(keyCount + view * 4, 0);
  store<u32>(reqThreshold + (view * 2) * 4, 0);
  store<u32>(reqThreshold + (view * 2 + 1) * 4, 0);
  store<u32>(reqCount + (view * 2) * 4, 0);
  store<u32>(reqCount + (view * 2 + 1) * 4, 0);
  let seen: u32 = 0;
  let keys: u32 = 0;
  let pos = start;
  while (true) {
    rc = readField(pos, end);
    if (rc == FIELD_END) break;
    if (rc != OK) return rc;
    pos = fieldNext;
    const f = fieldNumber;
    if (f == 3) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      if (keys == <u32>MAX_ROOT_KEYS) return ERR_PROTO_TOO_MANY;
      const next = fieldNext;
      const k = parseKeyMapping(view, keys, fieldStart, fieldStart + fieldLen);
      if (k != OK) return k;
      // Key IDs are unique (the digest of this key is still in `digest`).
      if (findKey(view, digest) >= 0) return ERR_PROTO_DUPLICATE_KEY;
      keys++;
      store<u32>(keyCount + view * 4, keys);
      pos = next;
      continue;
    }
    if (f == 1 || f == 2 || (f >= 4 && f <= 7)) {
      seen = seenOnce(seen, f);
      if (seen == 0) return ERR_PROTO_DUPLICATE_FIELD;
    }
    if (f == 2) {
      const v = expectU32();
      if (v != OK) return v;
    } else if (f == 1 || (f >= 4 && f <= 7)) {
      const w = expectWire(WIRE_LEN);
      if (w != OK) return w;
      if (f == 4 || f == 7) {
        const next = fieldNext;
        const r = parseRequirement(view, f == 4 ? ROLE_REQ_ROOT : ROLE_REQ_TARGETS, fieldStart, fieldStart + fieldLen);
        if (r != OK) return r;
        pos = next;
      }
    }
  }
  rc = resolveRequirement(view, ROLE_REQ_ROOT);
  if (rc != OK) return rc;
  return resolveRequirement(view, ROLE_REQ_TARGETS);
}
