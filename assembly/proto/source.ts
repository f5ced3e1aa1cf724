// Where the protobuf reader takes its bytes from: flash (a staged bundle, a stored record) or
// memory (the I/O window, at provisioning). Addresses are flash addresses or memory pointers;
// a caller selects the source once for a whole parse (all windows of one parse share it).
import { OK } from "../status";
import { flashByte, flashRead, flashFault, clearFlashFault } from "../store/flash";

let fromMemory = false;

export function useFlashSource(): void {
  fromMemory = false;
  clearFlashFault();
}

export function useMemorySource(): void {
  fromMemory = true;
  clearFlashFault();
}

export function sourceIsMemory(): bool {
  return fromMemory;
}

/** One byte; a flash fault is remembered and reported by sourceFault(). */
export function sourceByte(addr: u32): u8 {
  return fromMemory ? load<u8>(<usize>addr) : flashByte(addr);
}

/** Copies len bytes at addr into memory at dst. */
export function sourceRead(addr: u32, dst: usize, len: u32): i32 {
  if (fromMemory) {
    memory.copy(dst, <usize>addr, len);
    return OK;
  }
  return flashRead(addr, dst, len);
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
