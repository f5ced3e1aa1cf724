// Signature thresholds: how many distinct keys of a role's requirement produced a valid Ed25519
// signature over the exact signed bytes. Each key counts once however many signatures name it;
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
import { findKey, requirementCount, requirementKey, requirementThreshold, rootKeyValue } from "./root";
import {
  ED25519_VERIFY_CTX_BYTES, ed25519VerifyInit, ed25519VerifyUpdate, ed25519VerifyFinal,
} from "../crypto/ed25519";

const CHUNK_BYTES: u32 = SCRATCH_BYTES;
const verifyCtx: usize = memory.data(ED25519_VERIFY_CTX_BYTES, 16);
const chunk: usize = scratch;
const keyId: usize = memory.data(KEY_ID_BYTES);
const signature: usize = memory.data(SIGNATURE_BYTES);
const publicKey: usize = memory.data(32);

/** Whether one signature (key index k in rootView) is valid over the view's payload. */
function signatureHolds(rootView: u32, k: u32, signedView: u32): i32 {
  const rc = sourceRead(rootKeyValue(rootView, k), publicKey, 32);
  if (rc != OK) return rc;
  if (ed25519VerifyInit(verifyCtx, publicKey, signature) != OK) return 0;
  const start = signedPayloadStart(signedView);
  const len = signedPayloadLength(signedView);
  let done: u32 = 0;
  while (done < len) {
    const n = min(CHUNK_BYTES, len - done);
    const rc = sourceRead(start + done, chunk, n);
    if (rc != OK) return rc;
    ed25519VerifyUpdate(verifyCtx, chunk, n);
    done += n;
  }
  return ed25519VerifyFinal(verifyCtx) == OK ? 1 : 0;
}

/**
 * 1 when the signatures of `signedView` meet the threshold of `role` in `rootView`, 0 when they
 * do not, negative on a flash error. The threshold is > 0 (parseRoot refuses 0).
 */
export function meetsThreshold(rootView: u32, role: u32, signedView: u32): i32 {
  const threshold = requirementThreshold(rootView, role);
  const required = requirementCount(rootView, role);
  if (threshold == 0) return 0;
  let counted: u32 = 0; // bit i: requirement key i already counted
  let valid: u32 = 0;
  const n = signedCount(signedView);
  for (let s: u32 = 0; s < n; s++) {
    let rc = sourceRead(signedKeyId(signedView, s), keyId, KEY_ID_BYTES);
    if (rc != OK) return rc;
    const k = findKey(rootView, keyId);
    if (k < 0) continue;
    let slot: i32 = -1;
    for (let i: u32 = 0; i < required && i < <u32>MAX_ROOT_KEYS; i++) {
      if (requirementKey(rootView, role, i) == <u32>k) slot = <i32>i;
    }
    if (slot < 0 || (counted & (1 << <u32>slot)) != 0) continue;
    rc = sourceRead(signedSignature(signedView, s), signature, SIGNATURE_BYTES);
    if (rc != OK) return rc;
    const holds = signatureHolds(rootView, <u32>k, signedView);
    if (holds < 0) return holds;
    if (holds == 0) continue;
    counted |= 1 << <u32>slot;
    valid++;
    if (valid >= threshold) return 1;
  }
  return 0;
}
