// Where the protobuf reader takes its bytes from: flash (a staged bundle, a stored record) or
// memory (the I/O window, at provisioning). Addresses are flash addresses or memory pointers;
// a caller selects the source once for a whole parse (all windows of one parse share it).
import { OK } from "../status";
import { flashByte, flashRead, flashFault, clearFlashFault } from "../store/flash";

let fromMemory = false;

// While a transfer is in progress the last bytes received may not be programmed yet (they wait
// in the writer's partial write unit). The overlay serves flash addresses [overlayStart,
// overlayStart + overlayLen) from that RAM instead, so metadata can be checked as it arrives.
let overlayStart: u32 = 0;
let overlayLen: u32 = 0;
let overlayPtr: usize = 0;

export function setFlashOverlay(addr: u32, ptr: usize, len: u32): void {
  overlayStart = addr;
  overlayPtr = ptr;
  overlayLen = len;
}

export function clearFlashOverlay(): void {
  overlayLen = 0;
}

export function useFlashSource(): void {
  fromMemory = false;
  clearFlashFault();
}

export function useMemorySource(): void {
  fromMemory = true;
  clearFlashFault();
}

/** One byte; a flash fault is remembered and reported by sourceFault(). */
export function sourceByte(addr: u32): u8 {
  if (fromMemory) return load<u8>(<usize>addr);
  if (addr - overlayStart < overlayLen) return load<u8>(overlayPtr + (addr - overlayStart));
  return flashByte(addr);
}

/** Copies len bytes at addr into memory at dst. */
export function sourceRead(addr: u32, dst: usize, len: u32): i32 {
  if (fromMemory) {
    memory.copy(dst, <usize>addr, len);
    return OK;
  }
  if (overlayLen == 0 || <u64>addr + <u64>len <= <u64>overlayStart) return flashRead(addr, dst, len);
  // The part before the overlay from flash, the rest byte by byte (overlay, then flash).
  const before = addr < overlayStart ? overlayStart - addr : 0;
  const rc = flashRead(addr, dst, before);
  if (rc != OK) return rc;
  for (let i = before; i < len; i++) store<u8>(dst + i, sourceByte(addr + i));
  return sourceFault();
}

/** The first flash error met by sourceByte since the source was selected, or OK. */
export function sourceFault(): i32 {
  return fromMemory ? OK : flashFault;
}

/** Whether len source bytes at addr equal len memory bytes at ptr. */
export function sourceEquals(addr: u32, ptr: usize, len: u32): bool {
  for (let i: u32 = 0; i < len; i++) {
    if (sourceByte(addr + i) != load<u8>(ptr + i)) return false;
  }
  return true;
}
