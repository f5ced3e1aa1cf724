// The flash port: the three operations the firmware provides (module "flash"), with a small read
// cache for the byte-at-a-time protobuf reader. Every program and erase drops the cache, so a
// read never returns bytes older than the flash.
import { OK, ERR_FLASH_OUT_OF_RANGE } from "../status";
import { writeUnit, erasedByte } from "./layout";

@external("flash", "read")
declare function portRead(addr: u32, dst: usize, len: u32): i32;
@external("flash", "program")
declare function portProgram(addr: u32, src: usize, len: u32): i32;
@external("flash", "erase")
declare function portErase(addr: u32, len: u32): i32;

const CACHE_BYTES: u32 = 64;
const cache: usize = memory.data(CACHE_BYTES);
let cacheAddr: u32 = 0;
let cacheLen: u32 = 0;
/** Error of the last failed cached read (readByte has no room for it). */
export let flashFault: i32 = OK;

export function flashRead(addr: u32, dst: usize, len: u32): i32 {
  if (len == 0) return OK;
  return portRead(addr, dst, len);
}

/**
 * Programs len bytes at addr without the leading and trailing write units that hold only the
 * erased value. Such a unit already reads that way; programmed anyway, it would look free to the
 * next power-on (a record bank's tail is found by reading erased bytes) while the part refuses a
 * second program before an erase (MCUboot's simulator and ECC flash alike). Trimming both ends is
 * enough: whatever prefix of the call a power cut completes starts with a unit that does not read
 * erased, so the next power-on sees the write. Misaligned calls go to the port unchanged so it
 * reports them.
 */
export function flashProgram(addr: u32, src: usize, len: u32): i32 {
  cacheLen = 0;
  const wu = writeUnit;
  if (len == 0 || addr % wu != 0 || len % wu != 0) return portProgram(addr, src, len);
  let first: u32 = 0;
  while (first < len && unitIsErased(src + first, wu)) first += wu;
  if (first == len) return OK;
  let end = len;
  while (unitIsErased(src + end - wu, wu)) end -= wu;
  return portProgram(addr + first, src + first, end - first);
}

function unitIsErased(ptr: usize, wu: u32): bool {
  for (let i: u32 = 0; i < wu; i++) if (load<u8>(ptr + i) != erasedByte) return false;
  return true;
}

export function flashErase(addr: u32, len: u32): i32 {
  cacheLen = 0;
  return portErase(addr, len);
}

/**
 * One byte at addr through the cache. On a port error returns 0 and sets flashFault; callers
 * that parse check flashFault once at the end of their window (see proto/source.ts).
 */
export function flashByte(addr: u32): u8 {
  if (addr - cacheAddr < cacheLen) return load<u8>(cache + (addr - cacheAddr));
  let rc = portRead(addr, cache, CACHE_BYTES);
  if (rc != OK) {
    // Near the end of the part a full line may not exist: fall back to the single byte.
    rc = portRead(addr, cache, 1);
    if (rc != OK) {
      cacheLen = 0;
      flashFault = rc < 0 ? rc : ERR_FLASH_OUT_OF_RANGE;
      return 0;
    }
    cacheAddr = addr;
    cacheLen = 1;
    return load<u8>(cache);
  }
  cacheAddr = addr;
  cacheLen = CACHE_BYTES;
  return load<u8>(cache);
}

export function clearFlashFault(): void {
  flashFault = OK;
}
