// The device manifest of a slot: what each target's image in that slot is (Pigweed keeps the
// last installed targets metadata; airlock keeps the part it checks against). One record per
// slot, so the running slot's manifest and the revert slot's manifest both survive.
//   body: u32 targets version, then MAX_TARGETS x { u32 present (0/1), u32 length, 32 sha256 }
import { OK, ERR_STORE_CORRUPT } from "../status";
import { MAX_TARGETS } from "../limits";
import { RECORD_MANIFEST_A, RECORD_MANIFEST_B, readRecord, writeRecordOf } from "./records";

const ENTRY_BYTES: u32 = 40;
export const MANIFEST_BODY_BYTES: u32 = 4 + MAX_TARGETS * ENTRY_BYTES;

/** Two manifests in RAM: the one being read (the running slot's) and the one being built. */
export const MANIFEST_CURRENT: u32 = 0;
export const MANIFEST_NEXT: u32 = 1;
const manifests: usize = memory.data(2 * MANIFEST_BODY_BYTES, 4);

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
  const rc = readRecord(recordOf(slot), base(m), MANIFEST_BODY_BYTES);
  if (rc == 1) {
    manifestClear(m, 0);
    return OK;
  }
  if (rc != OK) return rc;
  for (let t: u32 = 0; t < <u32>MAX_TARGETS; t++) {
    if (load<u32>(entry(m, t)) > 1) return ERR_STORE_CORRUPT;
  }
  return OK;
}

export function manifestSave(m: u32, slot: u32): i32 {
  return writeRecordOf(recordOf(slot), false, base(m), MANIFEST_BODY_BYTES);
}
