// Bundle verification, in DESIGN.md's order, as steps that update_poll() advances:
//   1. index the staged bundle;  2. trusted root from the store, and the bundle's root if it
//   carries one (old AND own thresholds, version >= trusted, equal only if byte-identical; then
//   persisted and used);  3. targets signatures with the trusted root's targets threshold, then
//   the targets metadata itself (role, version >= manifest's, hardware, lengths);  4. each
//   payload's SHA-256 streamed from flash, at most `budget` bytes per step; payloads left out
//   must match the device manifest.
// Metadata steps are bounded by MAX_*_METADATA_BYTES and MAX_SIGNATURES and run whole.
import {
  OK, ERR_NOT_PROVISIONED, ERR_ROOT_ROLE, ERR_ROOT_NOT_SIGNED_BY_TRUSTED, ERR_ROOT_NOT_SELF_SIGNED,
  ERR_ROOT_ROLLBACK, ERR_ROOT_VERSION_REUSED, ERR_TARGETS_MISSING, ERR_TARGETS_NOT_SIGNED,
  ERR_TARGETS_ROLLBACK, ERR_TARGET_LENGTH_MISMATCH, ERR_PERSONALIZED_UNKNOWN,
  ERR_PERSONALIZED_MISMATCH, ERR_TARGET_HASH_MISMATCH, ERR_STORE_CORRUPT, ERR_PAYLOAD_UNLISTED,
} from "../status";
import { scratch, SCRATCH_BYTES } from "../store/scratch";
import { MAX_TARGETS } from "../limits";
import { useFlashSource } from "../proto/source";
import { flashRead } from "../store/flash";
import { targetCount, stagingOffset } from "../store/layout";
import { RECORD_ROOT, recordAddress, recordLength, writeRecordOf } from "../store/records";
import { activeSlot } from "../store/control";
import {
  MANIFEST_CURRENT, manifestLoad, manifestVersion, manifestHas, manifestLength, manifestHash,
} from "../store/manifest";
import {
  parseSigned, SIGNED_TRUSTED_ROOT, SIGNED_BUNDLE_ROOT, SIGNED_TARGETS, SIGNED_NO_PAYLOAD,
  signedPayloadStart, signedPayloadLength,
} from "../tuf/signed";
import { parseRoot, rootVersionOf, ROOT_TRUSTED, ROOT_CANDIDATE, ROLE_REQ_ROOT, ROLE_REQ_TARGETS } from "../tuf/root";
import { meetsThreshold } from "../tuf/threshold";
import { parseTargets, targetsVersion, targetListed, targetLength, targetHash } from "../tuf/targets";
import {
  indexBundle, bundleRootStart, bundleRootLen, bundleTargetsStart, bundleTargetsLen, payloadMask,
  payloadAddress, payloadLength,
} from "./bundle";
import { SHA256_CTX_BYTES, sha256Init, sha256Update, sha256Final } from "../crypto/sha256";

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

export function verifyRoot(): i32 {
  let rc = loadTrustedRoot();
  if (rc != OK) return rc;
  if (bundleRootLen == 0) return OK;
  rc = parseSigned(SIGNED_BUNDLE_ROOT, bundleRootStart, bundleRootLen);
  if (rc == SIGNED_NO_PAYLOAD) return ERR_ROOT_ROLE;
  if (rc != OK) return rc;
  rc = parseRoot(ROOT_CANDIDATE, signedPayloadStart(SIGNED_BUNDLE_ROOT), signedPayloadLength(SIGNED_BUNDLE_ROOT));
  if (rc != OK) return rc;
  rc = meetsThreshold(ROOT_TRUSTED, ROLE_REQ_ROOT, SIGNED_BUNDLE_ROOT);
  if (rc < 0) return rc;
  if (rc == 0) return ERR_ROOT_NOT_SIGNED_BY_TRUSTED;
  rc = meetsThreshold(ROOT_CANDIDATE, ROLE_REQ_ROOT, SIGNED_BUNDLE_ROOT);
  if (rc < 0) return rc;
  if (rc == 0) return ERR_ROOT_NOT_SELF_SIGNED;
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
  // Persist first, then trust: the rest of the bundle is checked against the stored root.
  rc = writeRecordOf(RECORD_ROOT, true, bundleRootStart, bundleRootLen);
  if (rc != OK) return rc;
  return loadTrustedRoot();
}

/**
 * The targets metadata alone: signatures with the trusted root's targets threshold, then its
 * content (role, version, hardware, targets) and anti-rollback against the running manifest.
 */
export function verifyTargetsMetadata(): i32 {
  useFlashSource();
  let rc = parseSigned(SIGNED_TARGETS, bundleTargetsStart, bundleTargetsLen);
  if (rc == SIGNED_NO_PAYLOAD) return ERR_TARGETS_MISSING;
  if (rc != OK) return rc;
  rc = meetsThreshold(ROOT_TRUSTED, ROLE_REQ_TARGETS, SIGNED_TARGETS);
  if (rc < 0) return rc;
  if (rc == 0) return ERR_TARGETS_NOT_SIGNED;
  rc = parseTargets(signedPayloadStart(SIGNED_TARGETS), signedPayloadLength(SIGNED_TARGETS));
  if (rc != OK) return rc;
  rc = manifestLoad(MANIFEST_CURRENT, activeSlot);
  if (rc != OK) return rc;
  if (targetsVersion < manifestVersion(MANIFEST_CURRENT)) return ERR_TARGETS_ROLLBACK;
  return OK;
}

function verifyTargets(): i32 {
  let rc = verifyTargetsMetadata();
  if (rc != OK) return rc;
  for (let t: u32 = 0; t < targetCount; t++) {
    if ((payloadMask & (1 << t)) != 0 && !targetListed(t)) return ERR_PAYLOAD_UNLISTED;
  }
  for (let t: u32 = 0; t < targetCount; t++) {
    if (!targetListed(t)) continue;
    if ((payloadMask & (1 << t)) != 0) {
      if (payloadLength(t) != targetLength(t)) return ERR_TARGET_LENGTH_MISMATCH;
      verifyTotal += targetLength(t);
    } else {
      // Personalized out: the device must already run exactly this image.
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
  while (hashTarget < targetCount && hashTarget < <u32>MAX_TARGETS) {
    const t = hashTarget;
    if (!payloadInstalled(t)) {
      hashTarget++;
      continue;
    }
    const len = targetLength(t);
    if (hashDone == 0) sha256Init(hashCtx);
    while (hashDone < len) {
      if (left == 0) return 1;
      const n = min(min(CHUNK_BYTES, len - hashDone), left);
      const rc = flashRead(payloadAddress(t) + hashDone, chunk, n);
      if (rc != OK) return rc;
      sha256Update(hashCtx, chunk, n);
      hashDone += n;
      verifyHashed += n;
      left -= n;
    }
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
    step = STEP_ROOT;
  }
  if (step == STEP_ROOT) {
    rc = verifyRoot();
    if (rc != OK) return rc;
    step = STEP_TARGETS;
    return 1; // signature checks are the heavy part: let the caller breathe
  }
  if (step == STEP_TARGETS) {
    rc = verifyTargets();
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
