// Installing a verified bundle into the inactive slot, as steps that update_poll() advances:
//   for each target: copy the image into the inactive slot (the payload from staging; a target
//   personalized out of the bundle, or not listed at all, is carried over from the active slot),
//   then read the slot back and check its SHA-256 - only then is it bootable;
//   then the inactive slot's user manifest record (when the bundle lists "user_manifest": from
//   staging, or carried over from the running slot when personalized out), read back and hashed;
//   then the inactive slot's manifest record; then the switch: ONE boot-control record write
//   (active = the new slot, on trial, and the id of the update session it completes, so the
//   session's success survives a power cut before the service records it). Until the switch
//   the device boots exactly what it did.
// As in Pigweed, the user manifest belongs to the bundle: a bundle that does not list it leaves
// the new manifest without one (slot images it does not list are carried over: they still run).
import { OK, ERR_SLOT_VERIFY, ERR_TARGET_TOO_LARGE } from "../status";
import { scratch, SCRATCH_BYTES } from "../store/scratch";
import { MAX_TARGETS } from "../limits";
import { flashRead } from "../store/flash";
import { targetCount, slotAddress, slotSize } from "../store/layout";
import { activeSlot, controlSwitch } from "../store/control";
import {
  MANIFEST_CURRENT, MANIFEST_NEXT, USER_MANIFEST_ENTRY, manifestLoad, manifestClear, manifestSet,
  manifestCopyEntry, manifestHas, manifestLength, manifestHash, manifestSave,
} from "../store/manifest";
import { userManifestSave, userManifestAddress, userManifestMatches } from "../store/user-manifest";
import { targetsVersion, targetListed, targetLength, targetHash } from "../tuf/targets";
import { payloadAddress } from "./bundle";
import { payloadInstalled } from "./verify";
import { writerBegin, writerAppend, writerFlush } from "./writer";
import { SHA256_CTX_BYTES, sha256Init, sha256Final } from "../crypto/sha256";
import { hashFlashSpan } from "../store/flash-hash";

const STEP_COPY: u32 = 0;
const STEP_CHECK: u32 = 1;
const STEP_USER_MANIFEST: u32 = 2;
const STEP_MANIFEST: u32 = 3;
const STEP_SWITCH: u32 = 4;
const STEP_DONE: u32 = 5;

const CHUNK_BYTES: u32 = SCRATCH_BYTES;
const chunk: usize = scratch;
const hashCtx: usize = memory.data(SHA256_CTX_BYTES, 8);
const digest: usize = memory.data(32);
const sourceAddr: usize = memory.data(MAX_TARGETS * 4);

let step: u32 = STEP_DONE;
let target: u32 = 0;
let done: u32 = 0;
let newSlot: u32 = 0;
let session: u32 = 0; // the update session this install completes (recorded by the switch)
export let installTotal: u32 = 0; // bytes to copy (each is also read back)
export let installDone: u32 = 0;

/**
 * Plans the install for update session `sessionId`: the next manifest and where each target's
 * image comes from.
 */
export function installBegin(sessionId: u32): i32 {
  newSlot = activeSlot == 0 ? 1 : 0;
  session = sessionId;
  const rc = manifestLoad(MANIFEST_CURRENT, activeSlot);
  if (rc != OK) return rc;
  manifestClear(MANIFEST_NEXT, targetsVersion);
  installTotal = 0;
  installDone = 0;
  for (let t: u32 = 0; t < targetCount; t++) {
    if (payloadInstalled(t)) {
      manifestSet(MANIFEST_NEXT, t, targetLength(t), targetHash(t));
      store<u32>(sourceAddr + t * 4, payloadAddress(t));
    } else if (targetListed(t) || manifestHas(MANIFEST_CURRENT, t)) {
      // Verified equal to the manifest (personalized out) or untouched by this bundle.
      manifestCopyEntry(MANIFEST_CURRENT, MANIFEST_NEXT, t);
      store<u32>(sourceAddr + t * 4, slotAddress(t, activeSlot));
    } else {
      continue;
    }
    // A carried-over length comes from the running slot's manifest, recorded under the layout
    // of its day; the copy must never run past the end of the slot it is written into.
    if (manifestLength(MANIFEST_NEXT, t) > slotSize(t)) return ERR_TARGET_TOO_LARGE;
    installTotal += manifestLength(MANIFEST_NEXT, t);
  }
  if (targetListed(USER_MANIFEST_ENTRY)) {
    // In the bundle, or personalized out and verified equal to the running manifest's.
    if (payloadInstalled(USER_MANIFEST_ENTRY)) {
      manifestSet(MANIFEST_NEXT, USER_MANIFEST_ENTRY, targetLength(USER_MANIFEST_ENTRY), targetHash(USER_MANIFEST_ENTRY));
    } else {
      manifestCopyEntry(MANIFEST_CURRENT, MANIFEST_NEXT, USER_MANIFEST_ENTRY);
    }
  }
  step = STEP_COPY;
  target = 0;
  done = 0;
  return OK;
}

function nextTarget(): void {
  target++;
  done = 0;
  step = STEP_COPY;
}

/**
 * The new slot's user manifest record, before its manifest record: read back and hashed, so the
 * manifest never names bytes that are not there. The source address is taken now, not at
 * installBegin: a record write between the two may have moved the running slot's record.
 */
function saveUserManifest(): i32 {
  if (!manifestHas(MANIFEST_NEXT, USER_MANIFEST_ENTRY)) return OK;
  const len = manifestLength(MANIFEST_NEXT, USER_MANIFEST_ENTRY);
  const src = payloadInstalled(USER_MANIFEST_ENTRY)
    ? payloadAddress(USER_MANIFEST_ENTRY)
    : userManifestAddress(activeSlot);
  if (src == 0) return ERR_SLOT_VERIFY; // the running manifest names a user manifest not stored
  let rc = userManifestSave(newSlot, src, len);
  if (rc != OK) return rc;
  rc = userManifestMatches(newSlot, len, manifestHash(MANIFEST_NEXT, USER_MANIFEST_ENTRY));
  if (rc < 0) return rc;
  return rc == 1 ? OK : ERR_SLOT_VERIFY;
}

/** Advances the install. 1 = call again, OK = switched, negative = failed (nothing switched). */
export function installStep(budget: u32): i32 {
  let left = budget;
  while (step == STEP_COPY || step == STEP_CHECK) {
    if (target >= targetCount) {
      step = STEP_USER_MANIFEST;
      break;
    }
    if (!manifestHas(MANIFEST_NEXT, target)) {
      nextTarget();
      continue;
    }
    const len = manifestLength(MANIFEST_NEXT, target);
    const dest = slotAddress(target, newSlot);
    if (step == STEP_COPY) {
      if (done == 0) writerBegin(dest, 0);
      while (done < len) {
        if (left == 0) return 1;
        const n = min(min(CHUNK_BYTES, len - done), left);
        let rc = flashRead(load<u32>(sourceAddr + target * 4) + done, chunk, n);
        if (rc != OK) return rc;
        rc = writerAppend(chunk, n);
        if (rc != OK) return rc;
        done += n;
        installDone += n;
        left -= n;
      }
      const rc = writerFlush();
      if (rc != OK) return rc;
      step = STEP_CHECK;
      done = 0;
      sha256Init(hashCtx);
    }
    // Read the slot back: it becomes bootable only if it hashes to what the metadata signed.
    const hashed = hashFlashSpan(hashCtx, dest, done, len, left);
    if (hashed < 0) return <i32>hashed;
    done += <u32>hashed;
    installDone += <u32>hashed;
    left -= <u32>hashed;
    if (done < len) return 1;
    sha256Final(hashCtx, digest);
    if (memory.compare(digest, manifestHash(MANIFEST_NEXT, target), 32) != 0) return ERR_SLOT_VERIFY;
    nextTarget();
  }
  if (step == STEP_USER_MANIFEST) {
    const rc = saveUserManifest();
    if (rc != OK) return rc;
    step = STEP_MANIFEST;
  }
  if (step == STEP_MANIFEST) {
    const rc = manifestSave(MANIFEST_NEXT, newSlot);
    if (rc != OK) return rc;
    step = STEP_SWITCH;
  }
  if (step == STEP_SWITCH) {
    const rc = controlSwitch(newSlot, session);
    if (rc != OK) return rc;
    step = STEP_DONE;
  }
  return OK;
}
