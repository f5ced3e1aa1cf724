// The power-safe record store in the metadata partition.
//
// The partition is split into two banks (halves by sector). The active bank starts with a bank
// header {magic, generation, CRC} and holds a log of records; each record is a 32-byte header
// {magic, type, body length, sequence, body CRC, header CRC} followed by its body, padded to 32
// bytes (a multiple of every write unit). The latest valid record of a type wins.
//
// Why a power cut at any instant leaves the old or the new record readable, never a mix:
//   - Appending writes the body first and the header last: until the header's CRC is complete the
//     record does not exist, and the older record of the same type is still the latest.
//   - When the active bank is full, or its tail is not clean (a torn append), compaction erases
//     the OTHER bank, copies every live record into it (the new one replacing its type), and
//     writes that bank's header last, with the next generation. Until that header is complete the
//     old bank, untouched, stays active.
//   - After a power-on the tail of the active bank is never trusted: bytes an interrupted write
//     programmed may read exactly like erased ones (an all-0x00 body on a part that erases to
//     0x00), and programming them again is forbidden. So the first write after mount always
//     compacts into the freshly erased other bank; appends follow only within one power-on.
//   - Erased bytes are recognised by the layout's erased value (0xFF or 0x00), never assumed.
import {
  OK, ERR_STORE_FULL, ERR_NOT_CONFIGURED, ERR_LAYOUT_METADATA_SMALL, ERR_STORE_CORRUPT,
} from "../status";
import { MIN_METADATA_BANK_BYTES, RECORD_HEADER_BYTES } from "../limits";
import {
  erasedByte, bank0Offset, bank0Size, bank1Offset, bank1Size, sectorAt, sectorStart, sectorBytes,
  unconfigure, configured,
} from "./layout";
import { flashRead, flashProgram, flashErase } from "./flash";
import { CRC32_INIT, crc32Update, crc32Final } from "./crc32";

// Record types. The largest body of each is what compaction must always have room for.
export const RECORD_ROOT: u32 = 1; // the trusted SignedRootMetadata, verbatim
export const RECORD_BOOT: u32 = 2; // boot control: active slot, trial flags
export const RECORD_SESSION: u32 = 3; // the update session: state and durable transfer progress
export const RECORD_MANIFEST_A: u32 = 4; // what slot A holds: targets version, per-target length/hash
export const RECORD_MANIFEST_B: u32 = 5; // the same for slot B
export const RECORD_USER_MANIFEST_A: u32 = 6; // the user manifest of slot A's manifest, verbatim
export const RECORD_USER_MANIFEST_B: u32 = 7; // the same for slot B
const RECORD_TYPES: u32 = 8;
// The record header size and the smallest bank (MIN_METADATA_BANK_BYTES) are in limits.ts,
// which the host's board check shares; so is the largest small-record body.
const HEADER_BYTES: u32 = RECORD_HEADER_BYTES;
const RECORD_MAGIC: u32 = 0x52434c41; // "ALCR"
const BANK_MAGIC: u32 = 0x4b424c41; // "ALBK"
const COPY_BYTES: u32 = 256;

const header: usize = memory.data(HEADER_BYTES, 8);
const copyBuffer: usize = memory.data(COPY_BYTES, 8);
const recordAddr: usize = memory.data(RECORD_TYPES * 4);
const recordLen: usize = memory.data(RECORD_TYPES * 4);
const compactAddr: usize = memory.data(RECORD_TYPES * 4);

let mounted = false;
let activeBank: i32 = -1;
let generation: u32 = 0;
let appendAt: u32 = 0; // offset of the next record in the active bank
let dirty = false; // the active bank's tail is not known to be erased: next write compacts
let sequence: u32 = 0;

function pad32(n: u32): u32 {
  return (n + 31) & ~31;
}
function bankOffset(b: i32): u32 {
  return b == 0 ? bank0Offset : bank1Offset;
}
function bankSize(b: i32): u32 {
  return b == 0 ? bank0Size : bank1Size;
}

/** Checks that both banks can hold every record at its largest; called by configure. */
export function storeConfigure(): i32 {
  const needed: u32 = MIN_METADATA_BANK_BYTES;
  if (bank0Size < needed || bank1Size < needed) {
    unconfigure();
    return ERR_LAYOUT_METADATA_SMALL;
  }
  mounted = false;
  return OK;
}

// ---- reading ----

function crcOfFlash(addr: u32, len: u32): i64 {
  let crc = CRC32_INIT;
  let done: u32 = 0;
  while (done < len) {
    const n = min(COPY_BYTES, len - done);
    const rc = flashRead(addr + done, copyBuffer, n);
    if (rc != OK) return rc;
    crc = crc32Update(crc, copyBuffer, n);
    done += n;
  }
  return <i64>crc32Final(crc);
}

function isErased(ptr: usize, len: u32): bool {
  for (let i: u32 = 0; i < len; i++) if (load<u8>(ptr + i) != erasedByte) return false;
  return true;
}

/** Reads the 32-byte header at addr; true when its magic and CRC hold. */
function readHeader(addr: u32, magic: u32): i32 {
  const rc = flashRead(addr, header, HEADER_BYTES);
  if (rc != OK) return rc;
  if (load<u32>(header) != magic) return 0;
  return crc32Final(crc32Update(CRC32_INIT, header, 28)) == load<u32>(header + 28) ? 1 : 0;
}

/** Rebuilds the view of the store from flash alone (every power-on). */
export function storeMount(): i32 {
  if (!configured) return ERR_NOT_CONFIGURED;
  memory.fill(recordAddr, 0, RECORD_TYPES * 4);
  memory.fill(recordLen, 0, RECORD_TYPES * 4);
  activeBank = -1;
  dirty = false;
  appendAt = 0;
  sequence = 0;
  let bestGen: u32 = 0;
  for (let b = 0; b < 2; b++) {
    const ok = readHeader(bankOffset(b), BANK_MAGIC);
    if (ok < 0) return ok;
    if (ok == 0) continue;
    const gen = load<u32>(header + 4);
    if (activeBank < 0 || gen > bestGen) {
      activeBank = b;
      bestGen = gen;
    }
  }
  mounted = true;
  if (activeBank < 0) return OK; // factory-fresh: the first write formats a bank
  generation = bestGen;
  const base = bankOffset(activeBank);
  const size = bankSize(activeBank);
  let pos = HEADER_BYTES;
  while (pos + HEADER_BYTES <= size) {
    const rc = flashRead(base + pos, header, HEADER_BYTES);
    if (rc != OK) return rc;
    if (isErased(header, HEADER_BYTES)) break;
    const ok = readHeader(base + pos, RECORD_MAGIC);
    if (ok < 0) return ok;
    const type = load<u8>(header + 4);
    const len = load<u32>(header + 8);
    // A torn or foreign record ends the log: everything before it is what was committed.
    if (ok == 0 || type == 0 || <u32>type >= RECORD_TYPES || len > size - pos - HEADER_BYTES) break;
    const bodyCrc = load<u32>(header + 16);
    const seq = load<u32>(header + 12);
    const crc = crcOfFlash(base + pos + HEADER_BYTES, len);
    if (crc < 0) return <i32>crc;
    if (<u32>crc != bodyCrc) break;
    store<u32>(recordAddr + <u32>type * 4, base + pos + HEADER_BYTES);
    store<u32>(recordLen + <u32>type * 4, len);
    if (seq > sequence) sequence = seq;
    pos += HEADER_BYTES + pad32(len);
  }
  appendAt = pos;
  dirty = true; // see the header comment: the first write of this power-on compacts
  return OK;
}

/** Flash address of the latest body of a record type, or 0 when there is none. */
export function recordAddress(type: u32): u32 {
  return load<u32>(recordAddr + type * 4);
}
export function recordLength(type: u32): u32 {
  return load<u32>(recordLen + type * 4);
}

/** Copies a record's body (exactly `expected` bytes) to dst; ERR_STORE_CORRUPT if it differs. */
export function readRecord(type: u32, dst: usize, expected: u32): i32 {
  const addr = recordAddress(type);
  if (addr == 0) return 1; // absent
  if (recordLength(type) != expected) return ERR_STORE_CORRUPT;
  const rc = flashRead(addr, dst, expected);
  return rc != OK ? rc : OK;
}

// ---- writing ----

// The source of a record body: memory (a static buffer) or flash (staging, or the old bank).
let bodyCrc: u32 = 0;

function writeBody(addr: u32, fromFlash: bool, src: usize, len: u32): i32 {
  let crc = CRC32_INIT;
  let done: u32 = 0;
  while (done < len) {
    const n = min(COPY_BYTES, len - done);
    if (fromFlash) {
      const rc = flashRead(<u32>src + done, copyBuffer, n);
      if (rc != OK) return rc;
    } else {
      memory.copy(copyBuffer, src + done, n);
    }
    crc = crc32Update(crc, copyBuffer, n);
    const padded = pad32(n);
    if (padded > n) memory.fill(copyBuffer + n, 0, padded - n);
    const rc = flashProgram(addr + done, copyBuffer, padded);
    if (rc != OK) return rc;
    done += n;
  }
  bodyCrc = crc32Final(crc);
  return OK;
}

function writeHeader(addr: u32, magic: u32, word1: u32, word2: u32, word3: u32, word4: u32): i32 {
  memory.fill(header, 0, HEADER_BYTES);
  store<u32>(header, magic);
  store<u32>(header + 4, word1);
  store<u32>(header + 8, word2);
  store<u32>(header + 12, word3);
  store<u32>(header + 16, word4);
  store<u32>(header + 28, crc32Final(crc32Update(CRC32_INIT, header, 28)));
  return flashProgram(addr, header, HEADER_BYTES);
}

/** Writes one record (body, then the header that commits it) at addr. */
function writeRecord(addr: u32, type: u32, fromFlash: bool, src: usize, len: u32): i32 {
  let rc = writeBody(addr + HEADER_BYTES, fromFlash, src, len);
  if (rc != OK) return rc;
  sequence++;
  if (len == 0) bodyCrc = crc32Final(CRC32_INIT);
  return writeHeader(addr, RECORD_MAGIC, type, len, sequence, bodyCrc);
}

/**
 * Persists a record of `type` whose body is len bytes at src (memory, or flash when fromFlash).
 * On return OK the record is durable; if power fails first, the previous record of the type is
 * what the next power-on reads.
 */
export function writeRecordOf(type: u32, fromFlash: bool, src: usize, len: u32): i32 {
  if (!mounted) return ERR_NOT_CONFIGURED;
  const need = HEADER_BYTES + pad32(len);
  if (activeBank >= 0 && !dirty && appendAt + need <= bankSize(activeBank)) {
    const addr = bankOffset(activeBank) + appendAt;
    const rc = writeRecord(addr, type, fromFlash, src, len);
    if (rc != OK) {
      dirty = true; // part of the record may be programmed: never program there again
      return rc;
    }
    store<u32>(recordAddr + type * 4, addr + HEADER_BYTES);
    store<u32>(recordLen + type * 4, len);
    appendAt += need;
    return OK;
  }
  return compact(type, fromFlash, src, len);
}

function compact(type: u32, fromFlash: bool, src: usize, len: u32): i32 {
  const target: i32 = activeBank == 0 ? 1 : 0;
  const base = bankOffset(target);
  const size = bankSize(target);
  let total = HEADER_BYTES + HEADER_BYTES + pad32(len);
  for (let t: u32 = 1; t < RECORD_TYPES; t++) {
    if (t != type && recordAddress(t) != 0) total += HEADER_BYTES + pad32(recordLength(t));
  }
  if (total > size) return ERR_STORE_FULL;
  // Erase from the bank header on: once the first sector is erased the bank is invalid.
  let at = base;
  while (at < base + size) {
    sectorAt(at);
    const rc = flashErase(sectorStart, sectorBytes);
    if (rc != OK) return rc;
    at = sectorStart + sectorBytes;
  }
  let pos = HEADER_BYTES;
  memory.fill(compactAddr, 0, RECORD_TYPES * 4);
  for (let t: u32 = 1; t < RECORD_TYPES; t++) {
    if (t == type || recordAddress(t) == 0) continue;
    const rc = writeRecord(base + pos, t, true, recordAddress(t), recordLength(t));
    if (rc != OK) return rc;
    store<u32>(compactAddr + t * 4, base + pos + HEADER_BYTES);
    pos += HEADER_BYTES + pad32(recordLength(t));
  }
  let rc = writeRecord(base + pos, type, fromFlash, src, len);
  if (rc != OK) return rc;
  store<u32>(compactAddr + type * 4, base + pos + HEADER_BYTES);
  store<u32>(recordLen + type * 4, len);
  pos += HEADER_BYTES + pad32(len);
  rc = writeHeader(base, BANK_MAGIC, generation + 1, 0, 0, 0);
  if (rc != OK) return rc;
  memory.copy(recordAddr, compactAddr, RECORD_TYPES * 4);
  activeBank = target;
  generation++;
  appendAt = pos;
  dirty = false;
  return OK;
}
