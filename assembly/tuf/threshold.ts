// Signature thresholds: how many distinct keys of a role's requirement produced a valid signature
// (Ed25519, or ECDSA P-256 over the bytes' SHA-256; one requirement may mix both) over the exact
// signed bytes. Each key counts once however many signatures name it;
// signatures from keys outside the requirement, or that fail, count for nothing. The message is
// streamed from the source in chunks (ed25519VerifyUpdate), never held whole in RAM.
import { OK } from "../status";
import { scratch, SCRATCH_BYTES } from "../store/scratch";
import { MAX_ROOT_KEYS } from "../limits";
import { sourceRead } from "../proto/source";
import {
  signedPayloadStart, signedPayloadLength, signedCount, signedKeyId, signedSignature,
  KEY_ID_BYTES, SIGNATURE_BYTES,
} from "./signed";
import {
  findKey, requirementCount, requirementKey, requirementThreshold, rootKeyValue, rootKeyType, keyBytesOf, KEY_TYPE_P256,
} from "./root";
import { SHA256_CTX_BYTES, sha256Init, sha256Update, sha256Final } from "../crypto/sha256";
import { p256Verify, P256_PUBLIC_KEY_BYTES } from "../crypto/p256";
import { SCHEME_ED25519, SCHEME_P256 } from "../crypto/schemes";
import {
  ED25519_VERIFY_CTX_BYTES, ed25519VerifyInit, ed25519VerifyUpdate, ed25519VerifyFinal,
} from "../crypto/ed25519";

const CHUNK_BYTES: u32 = SCRATCH_BYTES;
const verifyCtx: usize = memory.data(ED25519_VERIFY_CTX_BYTES, 16);
const chunk: usize = scratch;
const keyId: usize = memory.data(KEY_ID_BYTES);
const signature: usize = memory.data(SIGNATURE_BYTES);
const publicKey: usize = memory.data(P256_PUBLIC_KEY_BYTES);
const hashCtx: usize = memory.data(SHA256_CTX_BYTES, 8);
const digest: usize = memory.data(32);

/** Whether one signature (key index k in rootView) is valid over the view's payload. */
function signatureHolds(rootView: u32, k: u32, signedView: u32): i32 {
  const type = rootKeyType(rootView, k);
  const rc = sourceRead(rootKeyValue(rootView, k), publicKey, keyBytesOf(type));
  if (rc != OK) return rc;
  const p256 = type == KEY_TYPE_P256;
  // Each call into a scheme sits in an `if` on its compile-time constant (crypto/schemes.ts), so
  // a build without the scheme compiles none of its code; parseRoot refused keys of that type.
  if (p256 ? !SCHEME_P256 : !SCHEME_ED25519) return 0;
  if (p256) {
    if (SCHEME_P256) sha256Init(hashCtx);
  } else if (SCHEME_ED25519) {
    if (ed25519VerifyInit(verifyCtx, publicKey, signature) != OK) return 0;
  }
  const start = signedPayloadStart(signedView);
  const len = signedPayloadLength(signedView);
  let done: u32 = 0;
  while (done < len) {
    const n = min(CHUNK_BYTES, len - done);
    const rc = sourceRead(start + done, chunk, n);
    if (rc != OK) return rc;
    if (p256) {
      if (SCHEME_P256) sha256Update(hashCtx, chunk, n);
    } else if (SCHEME_ED25519) {
      ed25519VerifyUpdate(verifyCtx, chunk, n);
    }
    done += n;
  }
  if (p256) {
    if (!SCHEME_P256) return 0;
    sha256Final(hashCtx, digest);
    return p256Verify(publicKey, signature, digest) ? 1 : 0;
  }
  if (!SCHEME_ED25519) return 0;
  return ed25519VerifyFinal(verifyCtx) == OK ? 1 : 0;
}

// A threshold check runs as an iterator so that update_poll can yield between signatures: each
// step performs at most one Ed25519 verification.
export const THRESHOLD_MISSED: i32 = 0;
export const THRESHOLD_MORE: i32 = 1;
export const THRESHOLD_MET: i32 = 2;

let itRoot: u32 = 0;
let itRole: u32 = 0;
let itSigned: u32 = 0;
let itNext: u32 = 0; // next signature to look at
let itCounted: u32 = 0; // bit i: requirement key i already counted
let itValid: u32 = 0;

/** Starts checking `signedView`'s signatures against `role`'s requirement in `rootView`. */
export function thresholdBegin(rootView: u32, role: u32, signedView: u32): void {
  itRoot = rootView;
  itRole = role;
  itSigned = signedView;
  itNext = 0;
  itCounted = 0;
  itValid = 0;
}

/**
 * Looks at signatures until one has been verified: THRESHOLD_MET, THRESHOLD_MISSED (no
 * signatures left), THRESHOLD_MORE (call again), or a negative flash error.
 */
export function thresholdStep(): i32 {
  const threshold = requirementThreshold(itRoot, itRole);
  const required = requirementCount(itRoot, itRole);
  if (threshold == 0) return THRESHOLD_MISSED; // parseRoot refuses 0; never "pass"
  const n = signedCount(itSigned);
  while (itNext < n) {
    const s = itNext++;
    let rc = sourceRead(signedKeyId(itSigned, s), keyId, KEY_ID_BYTES);
    if (rc != OK) return rc;
    const k = findKey(itRoot, keyId);
    if (k < 0) continue;
    let slot: i32 = -1;
    for (let i: u32 = 0; i < required && i < <u32>MAX_ROOT_KEYS; i++) {
      if (requirementKey(itRoot, itRole, i) == <u32>k) slot = <i32>i;
    }
    if (slot < 0 || (itCounted & (1 << <u32>slot)) != 0) continue;
    rc = sourceRead(signedSignature(itSigned, s), signature, SIGNATURE_BYTES);
    if (rc != OK) return rc;
    const holds = signatureHolds(itRoot, <u32>k, itSigned);
    if (holds < 0) return holds;
    if (holds == 1) {
      itCounted |= 1 << <u32>slot;
      itValid++;
    }
    if (itValid >= threshold) return THRESHOLD_MET;
    return itNext < n ? THRESHOLD_MORE : THRESHOLD_MISSED;
  }
  return THRESHOLD_MISSED;
}

/**
 * 1 when the signatures of `signedView` meet the threshold of `role` in `rootView`, 0 when they
 * do not, negative on a flash error (all steps at once).
 */
export function meetsThreshold(rootView: u32, role: u32, signedView: u32): i32 {
  thresholdBegin(rootView, role, signedView);
  let rc = THRESHOLD_MORE;
  while (rc == THRESHOLD_MORE) rc = thresholdStep();
  if (rc < 0) return rc;
  return rc == THRESHOLD_MET ? 1 : 0;
}
