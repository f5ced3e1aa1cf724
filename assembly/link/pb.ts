// A protobuf writer into one bounded buffer: the link layer's responses (RpcPacket, Chunk,
// BundledUpdateStatus, ResourceStatus) are a handful of scalar and bytes fields, so they are
// encoded field by field without a schema. Writing past the buffer never happens: the first
// field that does not fit sets pbOverflow, nothing more is written and the message is dropped.
import { WIRE_VARINT, WIRE_LEN, WIRE_FIXED32 } from "../proto/wire";

let at: usize = 0;
let start: usize = 0;
let end: usize = 0;
export let pbOverflow = false;

export function pbBegin(buffer: usize, capacity: u32): void {
  at = buffer;
  start = buffer;
  end = buffer + capacity;
  pbOverflow = false;
}

/** Bytes written since pbBegin. */
export function pbLength(): u32 {
  return <u32>(at - start);
}

function varintBytes(value: u64): u32 {
  let n: u32 = 1;
  let v = value;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

function putVarint(value: u64): void {
  let v = value;
  while (v >= 0x80) {
    store<u8>(at++, <u8>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  store<u8>(at++, <u8>v);
}

function room(bytes: u64): bool {
  if (pbOverflow || <u64>(end - at) < bytes) {
    pbOverflow = true;
    return false;
  }
  return true;
}

/** A varint field (uint32, uint64, enum). Proto3 scalars equal to 0 are written only when `always`. */
export function pbUint(field: u32, value: u64, always: bool = false): void {
  if (value == 0 && !always) return;
  const key = <u64>((field << 3) | WIRE_VARINT);
  if (!room(<u64>varintBytes(key) + <u64>varintBytes(value))) return;
  putVarint(key);
  putVarint(value);
}

export function pbFixed32(field: u32, value: u32): void {
  const key = <u64>((field << 3) | WIRE_FIXED32);
  if (!room(<u64>varintBytes(key) + 4)) return;
  putVarint(key);
  store<u32>(at, value);
  at += 4;
}

/** A bytes/string/message field copied from len bytes at src (src may overlap the buffer). */
export function pbBytes(field: u32, src: usize, len: u32): void {
  const key = <u64>((field << 3) | WIRE_LEN);
  if (!room(<u64>varintBytes(key) + <u64>varintBytes(<u64>len) + <u64>len)) return;
  putVarint(key);
  putVarint(<u64>len);
  memory.copy(at, src, len);
  at += len;
}

/**
 * Starts an embedded message field whose encoding is shorter than 128 bytes (its length fits
 * one varint byte, patched by pbNestedEnd). Returns the mark pbNestedEnd needs.
 */
export function pbNestedBegin(field: u32): usize {
  const key = <u64>((field << 3) | WIRE_LEN);
  if (!room(<u64>varintBytes(key) + 1)) return 0;
  putVarint(key);
  const mark = at;
  store<u8>(at++, 0);
  return mark;
}

/** Ends the message pbNestedBegin started; one of 128 bytes or more overflows the whole buffer. */
export function pbNestedEnd(mark: usize): void {
  if (pbOverflow) return;
  const len = at - mark - 1;
  if (len >= 128) {
    pbOverflow = true;
    return;
  }
  store<u8>(mark, <u8>len);
}
