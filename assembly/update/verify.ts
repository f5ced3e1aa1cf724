// Bundle verification, in DESIGN.md's order, as steps that update_poll() advances:
//   1. index the staged bundle;  2. trusted root from the store, and the bundle's root if it
//   carries one (old AND own thresholds, version >= trusted, equal only if byte-identical; then
//   persisted and used);  3. targets signatures with the trusted root's targets threshold, then
//   the targets metadata itself (role, version >= manifest's, hardware, lengths);  4. each
//   payload's SHA-256 streamed from flash, at most `budget` bytes per step; payloads left out
//   must match the device manifest. The user manifest ("user_manifest") is one more payload
//   here, checked exactly like the images (entry USER_MANIFEST_ENTRY).
// A step performs at most one Ed25519 verification (over at most MAX_*_METADATA_BYTES of
// metadata) or hashes at most `budget` payload bytes, so a firmware main loop keeps running.
import {
  OK, ERR_NOT_PROVISIONED, ERR_ROOT_ROLE, ERR_ROOT_NOT_SIGNED_BY_TRUSTED, ERR_ROOT_NOT_SELF_SIGNED,
  ERR_ROOT_ROLLBACK, ERR_ROOT_VERSION_REUSED, ERR_TARGETS_MISSING, ERR_TARGETS_NOT_SIGNED,
  ERR_TARGETS_ROLLBACK, ERR_TARGETS_VERSION_REUSED, ERR_TARGET_LENGTH_MISMATCH, ERR_PERSONALIZED_UNKNOWN,
  ERR_PERSONALIZED_MISMATCH, ERR_TARGET_HASH_MISMATCH, ERR_STORE_CORRUPT, ERR_PAYLOAD_UNLISTED,
} from "../status";
import { scratch, SCRATCH_BYTES } from "../store/scratch";
import { useFlashSource } from "../proto/source";
import { flashRead } from "../store/flash";
import { stagingOffset } from "../store/layout";
import { RECORD_ROOT, recordAddress, recordLength, writeRecordOf } from "../store/records";
import { activeSlot } from "../store/control";
import {
  MANIFEST_CURRENT, MANIFEST_ENTRIES, manifestLoad, manifestVersion, manifestHas, manifestLength,
  manifestHash, entryInLayout,
} from "../store/manifest";
import {
  parseSigned, SIGNED_TRUSTED_ROOT, SIGNED_BUNDLE_ROOT, SIGNED_TARGETS, SIGNED_NO_PAYLOAD,
  signedPayloadStart, signedPayloadLength,
} from "../tuf/signed";
import { parseRoot, rootVersionOf, ROOT_TRUSTED, ROOT_CANDIDATE, ROLE_REQ_ROOT, ROLE_REQ_TARGETS } from "../tuf/root";
import { thresholdBegin, thresholdStep, THRESHOLD_MORE, THRESHOLD_MET } from "../tuf/threshold";
import { parseTargets, targetsVersion, targetListed, targetLength, targetHash } from "../tuf/targets";
import {
  indexBundle, bundleRootStart, bundleRootLen, bundleTargetsStart, bundleTargetsLen, payloadMask,
  payloadAddress, payloadLength,
} from "./bundle";
import { SHA256_CTX_BYTES, sha256Init, sha256Final } from "../crypto/sha256";
import { hashFlashSpan } from "../store/flash-hash";

const STEP_INDEX: u32 = 0;
const STEP_ROOT: u32 = 1;
const STEP_TARGETS: u32 = 2;
const STEP_HASH: u32 = 3;
const STEP_DONE: u32 = 4;

const CHUNK_BYTES: u32 = SCRATCH_BYTES;
const chunk: usize = scratch;
const hashCtx: usize = memory.data(SHA256_CTX_BYTES, 8);
const digest: usize = memory.data(32);

let step: u32 = STEP_DONE;
let bundleBytes: u32 = 0;
let hashTarget: u32 = 0;
let hashDone: u32 = 0;
export let verifyTotal: u32 = 0; // payload bytes to hash
export let verifyHashed: u32 = 0;

export function verifyBegin(total: u32): void {
  step = STEP_INDEX;
  bundleBytes = total;
  verifyTotal = 0;
  verifyHashed = 0;
}

/** Loads the trusted root from the store into ROOT_TRUSTED (flash source). */
export function loadTrustedRoot(): i32 {
  const addr = recordAddress(RECORD_ROOT);
  if (addr == 0) return ERR_NOT_PROVISIONED;
  useFlashSource();
  const rc = parseSigned(SIGNED_TRUSTED_ROOT, addr, recordLength(RECORD_ROOT));
  if (rc != OK) return ERR_STORE_CORRUPT;
  const r = parseRoot(ROOT_TRUSTED, signedPayloadStart(SIGNED_TRUSTED_ROOT), signedPayloadLength(SIGNED_TRUSTED_ROOT));
  return r == OK ? OK : ERR_STORE_CORRUPT;
}

function sameFlashBytes(a: u32, b: u32, len: u32): i32 {
  const half = CHUNK_BYTES / 2;
  let done: u32 = 0;
  while (done < len) {
    const n = min(half, len - done);
    let rc = flashRead(a + done, chunk, n);
    if (rc != OK) return rc;
    rc = flashRead(b + done, chunk + half, n);
    if (rc != OK) return rc;
    if (memory.compare(chunk, chunk + half, n) != 0) return 0;
    done += n;
  }
  return 1;
}

// ---- 2. the bundle's root (rotation) ----
const ROOT_PARSE: u32 = 0;
const ROOT_OLD_KEYS: u32 = 1; // the trusted root's root threshold
const ROOT_OWN_KEYS: u32 = 2; // the new root's own root threshold
const ROOT_COMMIT: u32 = 3;
let rootPhase: u32 = ROOT_PARSE;

/** One signature of a threshold; the phase moves on when it is decided. */
function thresholdPhase(missed: i32, next: u32): i32 {
  const r = thresholdStep();
  if (r < 0) return r;
  if (r == THRESHOLD_MORE) return 1;
  if (r != THRESHOLD_MET) return missed;
  rootPhase = next;
  return 1;
}

/** 1 = call again, OK = the trusted root is settled, negative = rejected. */
function rootStep(): i32 {
  useFlashSource();
  let rc: i32 = OK;
  if (rootPhase == ROOT_PARSE) {
    rc = loadTrustedRoot();
    if (rc != OK) return rc;
    if (bundleRootLen == 0) return OK;
    rc = parseSigned(SIGNED_BUNDLE_ROOT, bundleRootStart, bundleRootLen);
    if (rc == SIGNED_NO_PAYLOAD) return ERR_ROOT_ROLE;
    if (rc != OK) return rc;
    rc = parseRoot(ROOT_CANDIDATE, signedPayloadStart(SIGNED_BUNDLE_ROOT), signedPayloadLength(SIGNED_BUNDLE_ROOT), true);
    if (rc != OK) return rc;
    thresholdBegin(ROOT_TRUSTED, ROLE_REQ_ROOT, SIGNED_BUNDLE_ROOT);
    rootPhase = ROOT_OLD_KEYS;
  }
  if (rootPhase == ROOT_OLD_KEYS) {
    rc = thresholdPhase(ERR_ROOT_NOT_SIGNED_BY_TRUSTED, ROOT_OWN_KEYS);
    if (rootPhase == ROOT_OWN_KEYS) thresholdBegin(ROOT_CANDIDATE, ROLE_REQ_ROOT, SIGNED_BUNDLE_ROOT);
    return rc;
  }
  if (rootPhase == ROOT_OWN_KEYS) return thresholdPhase(ERR_ROOT_NOT_SELF_SIGNED, ROOT_COMMIT);
  // ROOT_COMMIT: version rules, then persist first and trust after.
  const trusted = rootVersionOf(ROOT_TRUSTED);
  const candidate = rootVersionOf(ROOT_CANDIDATE);
  if (candidate < trusted) return ERR_ROOT_ROLLBACK;
  if (candidate == trusted) {
    // The same version must be the same root: compare the signed bytes.
    const len = signedPayloadLength(SIGNED_BUNDLE_ROOT);
    if (len != signedPayloadLength(SIGNED_TRUSTED_ROOT)) return ERR_ROOT_VERSION_REUSED;
    rc = sameFlashBytes(signedPayloadStart(SIGNED_BUNDLE_ROOT), signedPayloadStart(SIGNED_TRUSTED_ROOT), len);
    if (rc < 0) return rc;
    return rc == 1 ? OK : ERR_ROOT_VERSION_REUSED;
  }
  rc = writeRecordOf(RECORD_ROOT, true, bundleRootStart, bundleRootLen);
  if (rc != OK) return rc;
  return loadTrustedRoot();
}

/** The whole root step at once (the transfer gate's check). */
export function verifyRoot(): i32 {
  rootPhase = ROOT_PARSE;
  let rc: i32 = 1;
  while (rc == 1) rc = rootStep();
  return rc;
}

// ---- 3. the targets metadata ----
const TARGETS_PARSE: u32 = 0;
const TARGETS_KEYS: u32 = 1;
const TARGETS_CHECK: u32 = 2;
let targetsPhase: u32 = TARGETS_PARSE;

/** 1 = call again, OK = accepted, negative = rejected. With payloads: checks them against it. */
function targetsStep(withPayloads: bool): i32 {
  useFlashSource();
  let rc: i32 = OK;
  if (targetsPhase == TARGETS_PARSE) {
    rc = parseSigned(SIGNED_TARGETS, bundleTargetsStart, bundleTargetsLen);
    if (rc == SIGNED_NO_PAYLOAD) return ERR_TARGETS_MISSING;
    if (rc != OK) return rc;
    thresholdBegin(ROOT_TRUSTED, ROLE_REQ_TARGETS, SIGNED_TARGETS);
    targetsPhase = TARGETS_KEYS;
  }
  if (targetsPhase == TARGETS_KEYS) {
    const r = thresholdStep();
    if (r < 0) return r;
    if (r == THRESHOLD_MORE) return 1;
    if (r != THRESHOLD_MET) return ERR_TARGETS_NOT_SIGNED;
    targetsPhase = TARGETS_CHECK;
    return 1;
  }
  // TARGETS_CHECK: the signed content, then the payloads against it.
  rc = parseTargets(signedPayloadStart(SIGNED_TARGETS), signedPayloadLength(SIGNED_TARGETS));
  if (rc != OK) return rc;
  rc = manifestLoad(MANIFEST_CURRENT, activeSlot);
  if (rc != OK) return rc;
  if (targetsVersion < manifestVersion(MANIFEST_CURRENT)) return ERR_TARGETS_ROLLBACK;
  if (targetsVersion == manifestVersion(MANIFEST_CURRENT) && !sameAsInstalled()) return ERR_TARGETS_VERSION_REUSED;
  return withPayloads ? checkPayloads() : OK;
}

/**
 * At the installed version, a bundle is a repair re-install only when it lists exactly what the
 * device runs: the same targets (and user manifest) with the same lengths and hashes. Another
 * firmware under the same version number would make "version N" mean two things to every
 * later anti-rollback decision and to the fleet's records.
 */
function sameAsInstalled(): bool {
  for (let t: u32 = 0; t < MANIFEST_ENTRIES; t++) {
    if (!entryInLayout(t)) continue;
    const listed = targetListed(t);
    if (listed != manifestHas(MANIFEST_CURRENT, t)) return false;
    if (!listed) continue;
    if (manifestLength(MANIFEST_CURRENT, t) != targetLength(t)) return false;
    if (memory.compare(manifestHash(MANIFEST_CURRENT, t), targetHash(t), 32) != 0) return false;
  }
  return true;
}

/**
 * The targets metadata alone, all at once (the transfer gate's check): signatures with the
 * trusted root's targets threshold, then role, version, hardware, targets, anti-rollback.
 */
export function verifyTargetsMetadata(): i32 {
  targetsPhase = TARGETS_PARSE;
  let rc: i32 = 1;
  while (rc == 1) rc = targetsStep(false);
  return rc;
}

function checkPayloads(): i32 {
  for (let t: u32 = 0; t < MANIFEST_ENTRIES; t++) {
    if ((payloadMask & (1 << t)) != 0 && !targetListed(t)) return ERR_PAYLOAD_UNLISTED;
  }
  for (let t: u32 = 0; t < MANIFEST_ENTRIES; t++) {
    if (!entryInLayout(t) || !targetListed(t)) continue;
    if ((payloadMask & (1 << t)) != 0) {
      if (payloadLength(t) != targetLength(t)) return ERR_TARGET_LENGTH_MISMATCH;
      verifyTotal += targetLength(t);
    } else {
      // Personalized out: the device must already run exactly this image (or user manifest).
      if (!manifestHas(MANIFEST_CURRENT, t)) return ERR_PERSONALIZED_UNKNOWN;
      if (manifestLength(MANIFEST_CURRENT, t) != targetLength(t)) return ERR_PERSONALIZED_MISMATCH;
      if (memory.compare(manifestHash(MANIFEST_CURRENT, t), targetHash(t), 32) != 0) return ERR_PERSONALIZED_MISMATCH;
    }
  }
  hashTarget = 0;
  hashDone = 0;
  return OK;
}

/** Whether target t's payload is in the bundle and listed (so it is hashed and installed). */
export function payloadInstalled(t: u32): bool {
  return targetListed(t) && (payloadMask & (1 << t)) != 0;
}

/** Hashes payloads for at most `budget` bytes. 1 = more to do, OK = all hashed. */
function hashPayloads(budget: u32): i32 {
  let left = budget;
  while (hashTarget < MANIFEST_ENTRIES) {
    const t = hashTarget;
    if (!entryInLayout(t) || !payloadInstalled(t)) {
      hashTarget++;
      continue;
    }
    const len = targetLength(t);
    if (hashDone == 0) sha256Init(hashCtx);
    const hashed = hashFlashSpan(hashCtx, payloadAddress(t), hashDone, len, left);
    if (hashed < 0) return <i32>hashed;
    hashDone += <u32>hashed;
    verifyHashed += <u32>hashed;
    left -= <u32>hashed;
    if (hashDone < len) return 1;
    sha256Final(hashCtx, digest);
    if (memory.compare(digest, targetHash(t), 32) != 0) return ERR_TARGET_HASH_MISMATCH;
    hashTarget++;
    hashDone = 0;
  }
  return OK;
}

/** Advances verification. 1 = call again, OK = verified, negative = rejected with that code. */
export function verifyStep(budget: u32): i32 {
  let rc: i32 = OK;
  if (step == STEP_INDEX) {
    useFlashSource();
    rc = indexBundle(stagingOffset, bundleBytes);
    if (rc != OK) return rc;
    rootPhase = ROOT_PARSE;
    step = STEP_ROOT;
  }
  if (step == STEP_ROOT) {
    rc = rootStep();
    if (rc != OK) return rc; // 1: more signatures to check
    targetsPhase = TARGETS_PARSE;
    step = STEP_TARGETS;
    return 1;
  }
  if (step == STEP_TARGETS) {
    rc = targetsStep(true);
    if (rc != OK) return rc;
    step = STEP_HASH;
    return 1;
  }
  if (step == STEP_HASH) {
    rc = hashPayloads(budget);
    if (rc != OK) return rc;
    step = STEP_DONE;
  }
  return OK;
}
