// The runtime layout descriptor: flash geometry and partitions, passed by the firmware at every
// power-on through configure(). Everything is validated here once, so the rest of the agent may
// trust these numbers: partitions are inside the flash, sector-aligned and disjoint.
import {
  OK, ERR_LAYOUT_LENGTH, ERR_LAYOUT_MAGIC, ERR_LAYOUT_GEOMETRY, ERR_LAYOUT_PARTITION,
  ERR_LAYOUT_OVERLAP, ERR_LAYOUT_TARGET, ERR_LAYOUT_METADATA_SMALL, ERR_NOT_CONFIGURED,
} from "../status";
import {
  IO_WINDOW_BYTES, LAYOUT_MAGIC, LAYOUT_VERSION, MAX_HARDWARE_ID, MAX_SECTOR_RUNS, MAX_TARGETS,
  MAX_TARGET_NAME, MAX_WRITE_UNIT,
} from "../limits";

const HEADER_BYTES: u32 = 12;
const RUN_BYTES: u32 = 8;
const PARTITION_BYTES: u32 = 8;
const TARGET_BYTES: u32 = <u32>MAX_TARGET_NAME + 12;
/** Smallest sector the agent supports: every record and header is a multiple of 32 bytes. */
const MIN_SECTOR_BYTES: u32 = 256;

export let configured = false;
export let writeUnit: u32 = 1;
export let erasedByte: u8 = 0xff;
export let flashSize: u32 = 0;
/** Power-ons a new image gets on trial before boot() reverts it (the layout's byte 10; >= 1). */
export let trialBoots: u32 = 1;
/** boot() re-hashes the slot it is about to run, through boot_poll (the layout's byte 11 = 1). */
export let bootCheck = false;
let runCount: u32 = 0;
const runSize: usize = memory.data(MAX_SECTOR_RUNS * 4);
const runSectors: usize = memory.data(MAX_SECTOR_RUNS * 4);

export let metadataOffset: u32 = 0;
export let metadataSize: u32 = 0;
export let stagingOffset: u32 = 0;
export let stagingSize: u32 = 0;

export let targetCount: u32 = 0;
/** Target names, MAX_TARGET_NAME bytes each, zero-padded. */
export const targetNames: usize = memory.data(MAX_TARGETS * MAX_TARGET_NAME);
const targetNameLen: usize = memory.data(MAX_TARGETS * 4);
const targetSlotA: usize = memory.data(MAX_TARGETS * 4);
const targetSlotB: usize = memory.data(MAX_TARGETS * 4);
const targetSlotSize: usize = memory.data(MAX_TARGETS * 4);

export const hardwareId: usize = memory.data(MAX_HARDWARE_ID);
export let hardwareIdLen: u32 = 0;

/** Called by the record store when its banks are too small: the layout is then unusable. */
export function unconfigure(): void {
  configured = false;
}

export function requireConfigured(): i32 {
  return configured ? OK : ERR_NOT_CONFIGURED;
}

export function targetNameLength(t: u32): u32 {
  return load<u32>(targetNameLen + t * 4);
}
export function targetName(t: u32): usize {
  return targetNames + t * MAX_TARGET_NAME;
}
/** Start of target t's slot (0 = A, 1 = B). */
export function slotAddress(t: u32, slot: u32): u32 {
  return load<u32>((slot == 0 ? targetSlotA : targetSlotB) + t * 4);
}
export function slotSize(t: u32): u32 {
  return load<u32>(targetSlotSize + t * 4);
}

// Pigweed's reserved target name: its payload is kept with the manifest, never installed into a
// slot, so no slot target may take it.
const USER_MANIFEST_NAME: usize = memory.data<u8>([
  0x75, 0x73, 0x65, 0x72, 0x5f, 0x6d, 0x61, 0x6e, 0x69, 0x66, 0x65, 0x73, 0x74, // "user_manifest"
]);
const USER_MANIFEST_NAME_LEN: u32 = 13;

/** Whether len bytes at ptr are the reserved target name "user_manifest". */
export function isUserManifestName(ptr: usize, len: u32): bool {
  return len == USER_MANIFEST_NAME_LEN && memory.compare(USER_MANIFEST_NAME, ptr, len) == 0;
}

/** Index of the target whose name equals len bytes at ptr, or -1. */
export function findTarget(ptr: usize, len: u32): i32 {
  for (let t: u32 = 0; t < targetCount; t++) {
    if (targetNameLength(t) != len) continue;
    if (memory.compare(targetName(t), ptr, len) == 0) return <i32>t;
  }
  return -1;
}

// ---- sector map ----

/** Set by sectorAt: the sector that holds an address. */
export let sectorStart: u32 = 0;
export let sectorBytes: u32 = 0;

/** Finds the sector containing addr (false when addr is past the flash). */
export function sectorAt(addr: u32): bool {
  let start: u64 = 0;
  for (let r: u32 = 0; r < runCount; r++) {
    const size = <u64>load<u32>(runSize + r * 4);
    const count = <u64>load<u32>(runSectors + r * 4);
    const end = start + size * count;
    if (<u64>addr < end) {
      const index = (<u64>addr - start) / size;
      sectorStart = <u32>(start + index * size);
      sectorBytes = <u32>size;
      return true;
    }
    start = end;
  }
  return false;
}

export function isSectorBoundary(addr: u32): bool {
  if (addr == flashSize) return true;
  return sectorAt(addr) && sectorStart == addr;
}

/** Number of sectors in [offset, offset+size) (the range must be sector-aligned). */
export function sectorsIn(offset: u32, size: u32): u32 {
  let n: u32 = 0;
  let at = offset;
  const end = offset + size;
  while (at < end && sectorAt(at)) {
    at = sectorStart + sectorBytes;
    n++;
  }
  return n;
}

// ---- parsing ----

function validRange(offset: u32, size: u32): bool {
  if (size == 0) return false;
  const end = <u64>offset + <u64>size;
  if (end > <u64>flashSize) return false;
  return isSectorBoundary(offset) && isSectorBoundary(<u32>end);
}

// Up to 2 + 2 * MAX_TARGETS ranges are checked pairwise for overlap.
const rangeStart: usize = memory.data((2 + 2 * MAX_TARGETS) * 4);
const rangeEnd: usize = memory.data((2 + 2 * MAX_TARGETS) * 4);

/** Parses and validates len descriptor bytes at ptr. On failure the agent stays unconfigured. */
export function configureLayout(ptr: usize, len: u32): i32 {
  configured = false;
  if (len < HEADER_BYTES || len > <u32>IO_WINDOW_BYTES) return ERR_LAYOUT_LENGTH;
  if (load<u32>(ptr) != LAYOUT_MAGIC || load<u8>(ptr + 4) != LAYOUT_VERSION) return ERR_LAYOUT_MAGIC;
  const wu = <u32>load<u8>(ptr + 5);
  const erased = load<u8>(ptr + 6);
  const runs = <u32>load<u8>(ptr + 7);
  const targets = <u32>load<u8>(ptr + 8);
  const hwLen = <u32>load<u8>(ptr + 9);
  // Byte 11: 1 asks for the image check at boot (boot/check.ts); other values are reserved.
  const check = load<u8>(ptr + 11);
  if (check > 1) return ERR_LAYOUT_MAGIC;
  // Byte 10: power-ons a trial image gets to confirm (0, as older descriptors carry, means 1).
  const trials = <u32>load<u8>(ptr + 10);
  if (runs == 0 || runs > <u32>MAX_SECTOR_RUNS || targets == 0 || targets > <u32>MAX_TARGETS) return ERR_LAYOUT_LENGTH;
  if (hwLen > <u32>MAX_HARDWARE_ID) return ERR_LAYOUT_LENGTH;
  const expected = HEADER_BYTES + runs * RUN_BYTES + 2 * PARTITION_BYTES + targets * TARGET_BYTES + hwLen;
  if (len != expected) return ERR_LAYOUT_LENGTH;
  if (wu == 0 || wu > <u32>MAX_WRITE_UNIT || (wu & (wu - 1)) != 0) return ERR_LAYOUT_GEOMETRY;
  if (erased != 0xff && erased != 0x00) return ERR_LAYOUT_GEOMETRY;

  let at = ptr + HEADER_BYTES;
  let total: u64 = 0;
  for (let r: u32 = 0; r < runs; r++) {
    const size = load<u32>(at);
    const count = load<u32>(at + 4);
    at += RUN_BYTES;
    if (size < MIN_SECTOR_BYTES || size % MAX_WRITE_UNIT != 0 || count == 0) return ERR_LAYOUT_GEOMETRY;
    total += <u64>size * <u64>count;
    if (total > <u64>0xffffffff) return ERR_LAYOUT_GEOMETRY;
    store<u32>(runSize + r * 4, size);
    store<u32>(runSectors + r * 4, count);
  }
  runCount = runs;
  writeUnit = wu;
  erasedByte = erased;
  flashSize = <u32>total;

  metadataOffset = load<u32>(at);
  metadataSize = load<u32>(at + 4);
  stagingOffset = load<u32>(at + 8);
  stagingSize = load<u32>(at + 12);
  at += 2 * PARTITION_BYTES;
  if (!validRange(metadataOffset, metadataSize) || !validRange(stagingOffset, stagingSize)) {
    return ERR_LAYOUT_PARTITION;
  }
  store<u32>(rangeStart, metadataOffset);
  store<u32>(rangeEnd, metadataOffset + metadataSize);
  store<u32>(rangeStart + 4, stagingOffset);
  store<u32>(rangeEnd + 4, stagingOffset + stagingSize);

  memory.fill(targetNames, 0, MAX_TARGETS * MAX_TARGET_NAME);
  for (let t: u32 = 0; t < targets; t++) {
    const name = at;
    let nameLen: u32 = 0;
    while (nameLen < <u32>MAX_TARGET_NAME && load<u8>(name + nameLen) != 0) nameLen++;
    if (nameLen == 0 || isUserManifestName(name, nameLen)) return ERR_LAYOUT_TARGET;
    for (let i = nameLen; i < <u32>MAX_TARGET_NAME; i++) {
      if (load<u8>(name + i) != 0) return ERR_LAYOUT_TARGET;
    }
    for (let u: u32 = 0; u < t; u++) {
      if (targetNameLength(u) == nameLen && memory.compare(targetName(u), name, nameLen) == 0) {
        return ERR_LAYOUT_TARGET;
      }
    }
    memory.copy(targetName(t), name, MAX_TARGET_NAME);
    store<u32>(targetNameLen + t * 4, nameLen);
    const a = load<u32>(at + MAX_TARGET_NAME);
    const b = load<u32>(at + MAX_TARGET_NAME + 4);
    const size = load<u32>(at + MAX_TARGET_NAME + 8);
    at += TARGET_BYTES;
    if (!validRange(a, size) || !validRange(b, size)) return ERR_LAYOUT_PARTITION;
    store<u32>(targetSlotA + t * 4, a);
    store<u32>(targetSlotB + t * 4, b);
    store<u32>(targetSlotSize + t * 4, size);
    store<u32>(rangeStart + (2 + 2 * t) * 4, a);
    store<u32>(rangeEnd + (2 + 2 * t) * 4, a + size);
    store<u32>(rangeStart + (3 + 2 * t) * 4, b);
    store<u32>(rangeEnd + (3 + 2 * t) * 4, b + size);
  }
  const ranges: u32 = 2 + 2 * targets;
  for (let i: u32 = 0; i < ranges; i++) {
    for (let j = i + 1; j < ranges; j++) {
      const s1 = load<u32>(rangeStart + i * 4), e1 = load<u32>(rangeEnd + i * 4);
      const s2 = load<u32>(rangeStart + j * 4), e2 = load<u32>(rangeEnd + j * 4);
      if (s1 < e2 && s2 < e1) return ERR_LAYOUT_OVERLAP;
    }
  }
  targetCount = targets;
  memory.copy(hardwareId, at, hwLen);
  hardwareIdLen = hwLen;

  // The record store alternates between two banks: the halves (by sector) of the metadata partition.
  const sectors = sectorsIn(metadataOffset, metadataSize);
  if (sectors < 2) return ERR_LAYOUT_METADATA_SMALL;
  computeBanks(sectors);
  trialBoots = trials == 0 ? 1 : trials;
  bootCheck = check == 1;
  configured = true;
  return OK;
}

export let bank0Offset: u32 = 0;
export let bank0Size: u32 = 0;
export let bank1Offset: u32 = 0;
export let bank1Size: u32 = 0;

/** Bank 0 = the first half of the metadata sectors, bank 1 = the next equal count of sectors. */
function computeBanks(sectors: u32): void {
  const half = sectors / 2;
  let at = metadataOffset;
  for (let i: u32 = 0; i < half; i++) {
    sectorAt(at);
    at = sectorStart + sectorBytes;
  }
  bank0Offset = metadataOffset;
  bank0Size = at - metadataOffset;
  bank1Offset = at;
  for (let i: u32 = 0; i < half; i++) {
    sectorAt(at);
    at = sectorStart + sectorBytes;
  }
  bank1Size = at - bank1Offset;
}
