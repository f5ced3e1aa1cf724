// A reader for the firmware ELF files a build hands to `airlock build`: 32-bit little-endian
// (every Cortex-M and RISC-V MCU toolchain's output), enough to turn the linked program into the
// image a slot holds and to check it: the machine, the entry point, the loadable segments by
// their load (physical) address, and the symbol table. Every offset and size is bounds-checked
// against the file, so a truncated or hostile file is an input error, never a crash.
import { InputError } from "../format/index.js";

export const EM_ARM = 40;
export const EM_RISCV = 243;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const STT_FUNC = 2;
const ELF_HEADER_BYTES = 52;
const PROGRAM_HEADER_BYTES = 32;
const SECTION_HEADER_BYTES = 40;
const SYMBOL_BYTES = 16;
/** An image spanning more than this is a linker script mistake (RAM data placed at its VMA). */
export const MAX_IMAGE_SPAN = 64 * 1024 * 1024;

export interface ElfSegment {
  /** Load address: where the bytes sit in flash (p_paddr). */
  loadAddress: number;
  /** Run address (p_vaddr): differs from loadAddress for .data copied to RAM at start. */
  runAddress: number;
  bytes: Uint8Array;
}

export interface ElfSymbol {
  name: string;
  /** The symbol's address; for an Arm Thumb function without the Thumb bit, as nm prints it. */
  value: number;
  size: number;
  /** STT_*: 0 none, 1 object, 2 function, ... */
  type: number;
}

export interface ElfFile {
  machine: number;
  entry: number;
  segments: ElfSegment[];
  symbols: ElfSymbol[];
}

export interface SlotImage {
  /** Lowest load address: where the image must sit. */
  loadAddress: number;
  /** The bytes from loadAddress to the end of the last segment, gaps erased (0xff). */
  bytes: Uint8Array;
}

export function parseElf(file: Uint8Array, what: string): ElfFile {
  const bad = (why: string): never => {
    throw new InputError(`${what} is not a usable firmware ELF: ${why}`);
  };
  if (file.length < ELF_HEADER_BYTES) bad(`${file.length} bytes, shorter than an ELF header`);
  if (file[0] !== 0x7f || file[1] !== 0x45 || file[2] !== 0x4c || file[3] !== 0x46) bad("it does not start with the ELF magic (\\x7fELF)");
  if (file[4] !== 1) bad(`ELF class ${file[4]} (64-bit?): microcontroller firmware is ELF32`);
  if (file[5] !== 1) bad("big-endian: only little-endian targets are supported");
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const within = (offset: number, size: number, label: string) => {
    if (offset + size > file.length || offset < 0 || size < 0) bad(`${label} lies beyond the file's ${file.length} bytes (truncated?)`);
  };
  const machine = u16(18);
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);

  const segments: ElfSegment[] = [];
  if (phnum > 0 && phentsize < PROGRAM_HEADER_BYTES) bad(`program header entries of ${phentsize} bytes`);
  within(phoff, phnum * phentsize, "the program header table");
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (u32(at) !== PT_LOAD) continue;
    const offset = u32(at + 4);
    const filesz = u32(at + 16);
    if (filesz === 0) continue; // .bss: nothing in flash
    within(offset, filesz, `loadable segment ${i}`);
    segments.push({ loadAddress: u32(at + 12), runAddress: u32(at + 8), bytes: file.subarray(offset, offset + filesz) });
  }

  const symbols: ElfSymbol[] = [];
  if (shnum > 0) {
    if (shentsize < SECTION_HEADER_BYTES) bad(`section header entries of ${shentsize} bytes`);
    within(shoff, shnum * shentsize, "the section header table");
    const section = (i: number) => {
      const at = shoff + i * shentsize;
      return { type: u32(at + 4), offset: u32(at + 16), size: u32(at + 20), link: u32(at + 24) };
    };
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      if (s.type !== SHT_SYMTAB) continue;
      within(s.offset, s.size, "the symbol table");
      if (s.link >= shnum) bad("the symbol table names a string table that does not exist");
      const strings = section(s.link);
      within(strings.offset, strings.size, "the symbol string table");
      const name = (at: number) => {
        if (at >= strings.size) bad("a symbol name lies outside its string table");
        const start = strings.offset + at;
        let end = start;
        while (end < strings.offset + strings.size && file[end] !== 0) end++;
        return Buffer.from(file.subarray(start, end)).toString("utf8");
      };
      for (let at = s.offset; at + SYMBOL_BYTES <= s.offset + s.size; at += SYMBOL_BYTES) {
        const n = name(u32(at));
        const type = file[at + 12]! & 0xf;
        // Arm marks a Thumb function by bit 0 of its value (AAELF32 5.5.3); the code is at value & ~1.
        const value = machine === EM_ARM && type === STT_FUNC ? u32(at + 4) & ~1 : u32(at + 4);
        if (n) symbols.push({ name: n, value: value >>> 0, size: u32(at + 8), type });
      }
    }
  }
  if (segments.length === 0) bad("no loadable segment with bytes in it");
  return { machine, entry, segments, symbols };
}

/** The slot image: every loadable segment at its load address, the gaps erased (0xff). */
export function slotImage(elf: ElfFile, what: string): SlotImage {
  const start = Math.min(...elf.segments.map((s) => s.loadAddress));
  const end = Math.max(...elf.segments.map((s) => s.loadAddress + s.bytes.length));
  if (end - start > MAX_IMAGE_SPAN) {
    throw new InputError(
      `${what}: its loadable segments span ${end - start} bytes (0x${start.toString(16)}..0x${end.toString(16)}): ` +
        "a section is loaded at its RAM address; give it an AT> flash region in the linker script",
    );
  }
  const bytes = new Uint8Array(end - start).fill(0xff);
  for (const s of elf.segments) bytes.set(s.bytes, s.loadAddress - start);
  return { loadAddress: start, bytes };
}

/**
 * The initial bytes of a symbol (a log level, a build flag) as the firmware starts with them:
 * read from the segment that holds its run address, so a variable in .data (copied from flash to
 * RAM at start) reads as the value stored in flash. Undefined when no loaded segment holds it
 * (a .bss variable starts as zero; the caller decides what that means).
 */
export function symbolBytes(elf: ElfFile, symbol: ElfSymbol, length = symbol.size): Uint8Array | undefined {
  for (const s of elf.segments) {
    const at = symbol.value - s.runAddress;
    if (at >= 0 && at + length <= s.bytes.length) return s.bytes.subarray(at, at + length);
  }
  return undefined;
}
