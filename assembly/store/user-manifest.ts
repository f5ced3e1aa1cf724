// The user manifest's bytes: Pigweed's Manifest.user_manifest, the payload of the reserved target
// "user_manifest", which the product reads and airlock never interprets.
//
// One record per slot, next to that slot's manifest record (manifest.ts), and written in the same
// install, before it: the manifest entry USER_MANIFEST_ENTRY (signed length and SHA-256) is what
// says a slot has a user manifest, and the switch record that makes the slot run is written after
// both. So the manifest and the user manifest that run are always from the same bundle, and a
// revert brings back the previous slot's pair untouched. A record left behind by an older bundle
// is never read: only the manifest entry decides, and the bytes must match it (checked once per
// power-on before the first read).
import { OK, ERR_STORE_CORRUPT, ERR_USER_MANIFEST_ABSENT, ERR_USER_MANIFEST_RANGE, ERR_IO_RANGE } from "../status";
import { IO_WINDOW_BYTES, MAX_USER_MANIFEST_BYTES } from "../limits";
import { scratch, SCRATCH_BYTES } from "./scratch";
import { flashRead } from "./flash";
import { RECORD_USER_MANIFEST_A, RECORD_USER_MANIFEST_B, recordAddress, recordLength, writeRecordOf } from "./records";
import { MANIFEST_CURRENT, USER_MANIFEST_ENTRY, manifestLoad, manifestHas, manifestLength, manifestHash } from "./manifest";
import { SHA256_CTX_BYTES, sha256Init, sha256Update, sha256Final } from "../crypto/sha256";

const hashCtx: usize = memory.data(SHA256_CTX_BYTES, 8);
const digest: usize = memory.data(32);

function recordOf(slot: u32): u32 {
  return slot == 0 ? RECORD_USER_MANIFEST_A : RECORD_USER_MANIFEST_B;
}

/** Writes slot's user manifest: len bytes at flash address src (staging, or the other slot's record). */
export function userManifestSave(slot: u32, src: u32, len: u32): i32 {
  if (len == 0 || len > <u32>MAX_USER_MANIFEST_BYTES) return ERR_STORE_CORRUPT; // verified before; never trust it
  return writeRecordOf(recordOf(slot), true, <usize>src, len);
}

/** Flash address of slot's user manifest record body (0: none). */
export function userManifestAddress(slot: u32): u32 {
  return recordAddress(recordOf(slot));
}

/** Whether slot's user manifest record holds exactly `len` bytes hashing to the 32 at `hash`. */
export function userManifestMatches(slot: u32, len: u32, hash: usize): i32 {
  const type = recordOf(slot);
  const addr = recordAddress(type);
  if (addr == 0 || recordLength(type) != len) return 0;
  sha256Init(hashCtx);
  let done: u32 = 0;
  while (done < len) {
    const n = min(SCRATCH_BYTES, len - done);
    const rc = flashRead(addr + done, scratch, n);
    if (rc != OK) return rc;
    sha256Update(hashCtx, scratch, n);
    done += n;
  }
  sha256Final(hashCtx, digest);
  return memory.compare(digest, hash, 32) == 0 ? 1 : 0;
}

// The slot whose user manifest was checked against its manifest at this power-on (-1: none yet).
// (A fresh module instance at every power-on starts with nothing checked.)
// Within one power-on the running slot's records never change: installs write the other slot,
// and after an install's switch updates are refused until the next power-on settles the trial.
let checkedSlot: i32 = -1;
let checkedLength: u32 = 0;

/**
 * Bytes of the user manifest that runs with `slot` (its manifest lists one and the stored bytes
 * match it), ERR_USER_MANIFEST_ABSENT when the manifest lists none, ERR_STORE_CORRUPT when the
 * stored bytes disagree with the manifest (a flash fault).
 */
export function userManifestSize(slot: u32): i32 {
  if (checkedSlot == <i32>slot) return <i32>checkedLength;
  const rc = manifestLoad(MANIFEST_CURRENT, slot);
  if (rc != OK) return rc;
  if (!manifestHas(MANIFEST_CURRENT, USER_MANIFEST_ENTRY)) return ERR_USER_MANIFEST_ABSENT;
  const len = manifestLength(MANIFEST_CURRENT, USER_MANIFEST_ENTRY);
  if (len == 0 || len > <u32>MAX_USER_MANIFEST_BYTES) return ERR_STORE_CORRUPT;
  const m = userManifestMatches(slot, len, manifestHash(MANIFEST_CURRENT, USER_MANIFEST_ENTRY));
  if (m < 0) return m;
  if (m == 0) return ERR_STORE_CORRUPT;
  checkedSlot = <i32>slot;
  checkedLength = len;
  return <i32>len;
}

/**
 * Copies up to len bytes of slot's user manifest, from byte `offset`, to dst (the I/O window).
 * Returns the bytes copied (0 at the end), or ERR_IO_RANGE (len beyond the window),
 * ERR_USER_MANIFEST_RANGE (offset past the end), or userManifestSize's errors.
 */
export function userManifestRead(slot: u32, dst: usize, offset: u32, len: u32): i32 {
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  const size = userManifestSize(slot);
  if (size < 0) return size;
  if (offset > <u32>size) return ERR_USER_MANIFEST_RANGE;
  const n = min(len, <u32>size - offset);
  if (n == 0) return 0;
  const rc = flashRead(userManifestAddress(slot) + offset, dst, n);
  return rc != OK ? rc : <i32>n;
}
