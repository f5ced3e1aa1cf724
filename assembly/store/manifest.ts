// The device manifest of a slot: what each target's image in that slot is (Pigweed keeps the
// last installed targets metadata; airlock keeps the part it checks against), plus one more
// entry for the bundle's user manifest (the reserved target "user_manifest": its bytes live in
// their own record, see user-manifest.ts; this entry is their signed length and SHA-256).
// One record per slot, so the running slot's manifest and the revert slot's manifest both survive.
//   body: u32 targets version, then MANIFEST_ENTRIES x { u32 present (0/1), u32 length, 32 sha256 }
//   (entries 0..MAX_TARGETS-1: layout targets; entry USER_MANIFEST_ENTRY: the user manifest)
// A body of the earlier format (MAX_TARGETS entries, no user manifest entry) still loads.
import { OK, ERR_STORE_CORRUPT } from "../status";
import { MAX_TARGETS } from "../limits";
import { RECORD_MANIFEST_A, RECORD_MANIFEST_B, readRecord, writeRecordOf, recordAddress, recordLength } from "./records";
import { findTarget, isUserManifestName, targetCount } from "./layout";

const ENTRY_BYTES: u32 = 40;
/** The manifest entry (and targets-metadata index) of the user manifest: after every slot target. */
export const USER_MANIFEST_ENTRY: u32 = MAX_TARGETS;
/** Entries in a manifest: MAX_TARGETS slot targets and the user manifest. */
export const MANIFEST_ENTRIES: u32 = MAX_TARGETS + 1;
export const MANIFEST_BODY_BYTES: u32 = 4 + MANIFEST_ENTRIES * ENTRY_BYTES;
const LEGACY_BODY_BYTES: u32 = 4 + MAX_TARGETS * ENTRY_BYTES;

/** Two manifests in RAM: the one being read (the running slot's) and the one being built. */
export const MANIFEST_CURRENT: u32 = 0;
export const MANIFEST_NEXT: u32 = 1;
const manifests: usize = memory.data(2 * MANIFEST_BODY_BYTES, 4);

/**
 * The manifest entry a target name denotes: a layout target's index, USER_MANIFEST_ENTRY for
 * "user_manifest", or -1 for a name this device does not know.
 */
export function manifestEntryOf(ptr: usize, len: u32): i32 {
  if (isUserManifestName(ptr, len)) return <i32>USER_MANIFEST_ENTRY;
  return findTarget(ptr, len);
}

/** Whether entry t exists on this device: a layout target, or the user manifest. */
export function entryInLayout(t: u32): bool {
  return t < targetCount || t == USER_MANIFEST_ENTRY;
}

function base(m: u32): usize {
  return manifests + m * MANIFEST_BODY_BYTES;
}
function entry(m: u32, t: u32): usize {
  return base(m) + 4 + t * ENTRY_BYTES;
}

export function manifestVersion(m: u32): u32 {
  return load<u32>(base(m));
}
export function manifestHas(m: u32, t: u32): bool {
  return load<u32>(entry(m, t)) == 1;
}
export function manifestLength(m: u32, t: u32): u32 {
  return load<u32>(entry(m, t) + 4);
}
export function manifestHash(m: u32, t: u32): usize {
  return entry(m, t) + 8;
}

export function manifestClear(m: u32, version: u32): void {
  memory.fill(base(m), 0, MANIFEST_BODY_BYTES);
  store<u32>(base(m), version);
}

export function manifestSet(m: u32, t: u32, length: u32, hash: usize): void {
  store<u32>(entry(m, t), 1);
  store<u32>(entry(m, t) + 4, length);
  memory.copy(entry(m, t) + 8, hash, 32);
}

/** Copies entry t of manifest `from` into manifest `to`. */
export function manifestCopyEntry(from: u32, to: u32, t: u32): void {
  memory.copy(entry(to, t), entry(from, t), ENTRY_BYTES);
}

function recordOf(slot: u32): u32 {
  return slot == 0 ? RECORD_MANIFEST_A : RECORD_MANIFEST_B;
}

/** Loads slot's manifest into m; a slot without one reads as empty (version 0, no targets). */
export function manifestLoad(m: u32, slot: u32): i32 {
  const type = recordOf(slot);
  // A record written before the user manifest entry existed: the same entries, that one absent.
  const expected = recordAddress(type) != 0 && recordLength(type) == LEGACY_BODY_BYTES
    ? LEGACY_BODY_BYTES
    : MANIFEST_BODY_BYTES;
  memory.fill(base(m), 0, MANIFEST_BODY_BYTES);
  const rc = readRecord(type, base(m), expected);
  if (rc == 1) {
    manifestClear(m, 0);
    return OK;
  }
  if (rc != OK) return rc;
  for (let t: u32 = 0; t < MANIFEST_ENTRIES; t++) {
    if (load<u32>(entry(m, t)) > 1) return ERR_STORE_CORRUPT;
  }
  return OK;
}

export function manifestSave(m: u32, slot: u32): i32 {
  return writeRecordOf(recordOf(slot), false, base(m), MANIFEST_BODY_BYTES);
}
