// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): pw_hdlc's frame check sequence.
// node:zlib has crc32 from Node 20.15 on; before that (and to test it) a table-driven one.
import * as zlib from "node:zlib";

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The table-driven CRC-32 (also the reference the zlib one is tested against). */
export function crc32Table(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export function crc32(data: Uint8Array): number {
  return native ? native(data) >>> 0 : crc32Table(data);
}
