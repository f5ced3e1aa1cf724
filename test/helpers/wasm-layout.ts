// Reads the memory facts of a WebAssembly binary straight from its sections (WebAssembly core
// spec, "Binary Format"): the memory limits and the data segments (address and size). Used by
// the fixed-memory test to bound the agent's static footprint from the module itself.

export interface DataSegment {
  /** Start address for an active segment in memory 0; null for a passive one. */
  offset: number | null;
  size: number;
  /** True when every byte is zero (release builds elide these; debug builds keep them). */
  zero: boolean;
}

export interface WasmMemoryLayout {
  /** Pages of 64 KiB: initial and maximum (null: no maximum declared). */
  initialPages: number;
  maximumPages: number | null;
  segments: DataSegment[];
  /** First byte past the highest active segment. */
  dataEnd: number;
}

const SECTION_MEMORY = 5;
const SECTION_DATA = 11;
const OP_I32_CONST = 0x41;
const OP_END = 0x0b;

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new Error("wasm binary ends in the middle of a section");
    return this.bytes[this.at++]!;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error("malformed LEB128 u32");
  }
  i32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }
  /** A constant expression that must be `i32.const n end` (what memory offsets are). */
  constOffset(): number {
    if (this.byte() !== OP_I32_CONST) throw new Error("data segment offset is not an i32.const");
    const value = this.i32() >>> 0;
    if (this.byte() !== OP_END) throw new Error("data segment offset expression is not a single constant");
    return value;
  }
}

export function readMemoryLayout(binary: Uint8Array): WasmMemoryLayout {
  const r = new Reader(binary);
  const magic = [0x00, 0x61, 0x73, 0x6d];
  for (const b of magic) if (r.byte() !== b) throw new Error("not a WebAssembly binary");
  r.at = 8; // magic + version
  let initialPages = -1;
  let maximumPages: number | null = null;
  const segments: DataSegment[] = [];
  while (r.at < binary.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (id === SECTION_MEMORY) {
      if (r.u32() !== 1) throw new Error("the module must declare exactly one memory");
      const flags = r.byte();
      initialPages = r.u32();
      maximumPages = flags & 1 ? r.u32() : null;
    } else if (id === SECTION_DATA) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const kind = r.u32();
        let offset: number | null = null;
        if (kind === 0) offset = r.constOffset();
        else if (kind === 2) {
          if (r.u32() !== 0) throw new Error("data segment for a memory other than 0");
          offset = r.constOffset();
        } else if (kind !== 1) throw new Error(`unknown data segment kind ${kind}`);
        const length = r.u32();
        const bytes = binary.subarray(r.at, r.at + length);
        r.at += length;
        segments.push({ offset, size: length, zero: bytes.every((b) => b === 0) });
      }
    }
    r.at = end;
  }
  if (initialPages < 0) throw new Error("the module declares no memory of its own");
  const dataEnd = Math.max(0, ...segments.map((s) => (s.offset === null ? 0 : s.offset + s.size)));
  return { initialPages, maximumPages, segments, dataEnd };
}
