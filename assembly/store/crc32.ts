// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): detects torn and partial record writes.
// Bitwise rather than table-driven: 1 KiB of table would cost more RAM than the speed is worth
// for a few KiB of metadata per power-on.

export const CRC32_INIT: u32 = 0xffffffff;

export function crc32Update(crc: u32, data: usize, len: u32): u32 {
  let c = crc;
  for (let i: u32 = 0; i < len; i++) {
    c ^= <u32>load<u8>(data + i);
    for (let b = 0; b < 8; b++) {
      c = (c >>> 1) ^ (0xedb88320 & (0 - (c & 1)));
    }
  }
  return c;
}

export function crc32Final(crc: u32): u32 {
  return crc ^ 0xffffffff;
}
