// A sequential writer into a partition (the staging area, or a slot): bytes arrive in any sizes,
// are programmed in whole write units, and each sector is erased when the writer first enters
// it. So a partition is never erased ahead of need, and a writer restarted at a sector boundary
// (a resumed transfer) erases that sector again before programming it.
import { OK, ERR_FLASH_OUT_OF_RANGE } from "../status";
import { MAX_WRITE_UNIT } from "../limits";
import { writeUnit, sectorAt, sectorStart, sectorBytes } from "../store/layout";
import { flashProgram, flashErase } from "../store/flash";

let base: u32 = 0;
let written: u32 = 0; // bytes programmed from base (a multiple of the write unit)
let erasedEnd: u32 = 0; // absolute address up to which this pass has erased
const tail: usize = memory.data(MAX_WRITE_UNIT, 8);
let tailLen: u32 = 0;

/** Starts writing at base + at; `at` must be 0 or a sector boundary. */
export function writerBegin(partition: u32, at: u32): void {
  base = partition;
  written = at;
  erasedEnd = partition + at;
  tailLen = 0;
}

/** Bytes accepted so far (programmed or waiting in the partial write unit). */
export function writerPosition(): u32 {
  return written + tailLen;
}

/** The received bytes not programmed yet: tailLength() bytes at tailPointer(), at base + programmed. */
export function tailPointer(): usize {
  return tail;
}
export function tailLength(): u32 {
  return tailLen;
}

/** Bytes durably programmed so far. */
export function writerProgrammed(): u32 {
  return written;
}

function programUnits(src: usize, len: u32): i32 {
  let ptr = src;
  let n = len;
  while (n > 0) {
    const addr = base + written;
    if (addr >= erasedEnd) {
      if (!sectorAt(addr)) return ERR_FLASH_OUT_OF_RANGE; // callers bound writes; never trust it
      const rc = flashErase(sectorStart, sectorBytes);
      if (rc != OK) return rc;
      erasedEnd = sectorStart + sectorBytes;
    }
    const piece = min(n, erasedEnd - addr);
    const rc = flashProgram(addr, ptr, piece);
    if (rc != OK) return rc;
    written += piece;
    ptr += piece;
    n -= piece;
  }
  return OK;
}

/** Appends len bytes from memory. The caller has checked they fit the partition. */
export function writerAppend(src: usize, len: u32): i32 {
  const wu = writeUnit;
  let i: u32 = 0;
  if (tailLen > 0) {
    const take = min(wu - tailLen, len);
    memory.copy(tail + tailLen, src, take);
    tailLen += take;
    i = take;
    if (tailLen == wu) {
      tailLen = 0;
      const rc = programUnits(tail, wu);
      if (rc != OK) return rc;
    }
  }
  const bulk = ((len - i) / wu) * wu;
  if (bulk > 0) {
    const rc = programUnits(src + i, bulk);
    if (rc != OK) return rc;
    i += bulk;
  }
  if (i < len) {
    memory.copy(tail + tailLen, src + i, len - i);
    tailLen += len - i;
  }
  return OK;
}

/** Programs a pending partial write unit, padded (the padding lies past the data's end). */
export function writerFlush(): i32 {
  if (tailLen == 0) return OK;
  memory.fill(tail + tailLen, 0, writeUnit - tailLen);
  const keep = tailLen;
  tailLen = 0;
  const rc = programUnits(tail, writeUnit);
  if (rc != OK) return rc;
  written = written - writeUnit + keep;
  return OK;
}
