// The transfer gate: checks the bundle as it streams in, so that a payload the signed targets
// metadata does not list never reaches flash - not a slot, not even staging.
//
// The bundle must arrive as airlock writes it: the root metadata (optional) and the "targets"
// metadata first, then the payload entries, each { key = 1 (name); value = 2 (bytes) } with the
// key first. The gate follows the top-level fields byte by byte. When the first payload entry
// has shown its name, the metadata before it is verified on the spot (root rotation rules,
// targets signatures, version, hardware; the bytes still in the writer's partial write unit
// are served from RAM). From then on each entry's value is written only if its name is listed
// with exactly that length, and only once. Everything else is refused before a byte of the value
// is programmed. update_verify later verifies the whole staged bundle again, from scratch.
// Metadata after the first payload - a plain protobuf encoder's order, since Pigweed numbers
// root_metadata 5, after target_payloads 4 - is refused with ERR_METADATA_AFTER_PAYLOAD; the
// host rewrites such a bundle into this order (tools/bundle.ts, `airlock bundle reorder`).
// A root after the "targets" metadata is refused too (ERR_ROOT_AFTER_TARGETS): a root persisted at
// the check must be fully programmed, and a root that ends just before the first payload may
// still sit in the writer's partial write unit - so such a bundle would pass or fail depending
// on the flash's write unit, and the host's verifier (another board) could disagree with the device.
//
// After a reset the gate is rebuilt by replaying the staged prefix from flash (no writes).
import {
  OK, ERR_BUNDLE_FORMAT, ERR_PAYLOAD_UNLISTED, ERR_PROTO_DUPLICATE_KEY, ERR_TARGET_LENGTH_MISMATCH,
  ERR_PROTO_VARINT, ERR_BUNDLE_TOO_LARGE, ERR_METADATA_AFTER_PAYLOAD, ERR_ROOT_TOO_LARGE,
  ERR_TARGETS_TOO_LARGE, ERR_ROOT_AFTER_TARGETS,
} from "../status";
import {
  MAX_BUNDLE_FIELDS, MAX_TARGET_NAME, MAX_ROOT_METADATA_BYTES, MAX_TARGETS_METADATA_BYTES,
} from "../limits";
import { stagingOffset, stagingSize } from "../store/layout";
import { manifestEntryOf } from "../store/manifest";
import { flashRead } from "../store/flash";
import { useFlashSource, setFlashOverlay, clearFlashOverlay } from "../proto/source";
import { targetListed, targetLength } from "../tuf/targets";
import { ROLE_TARGETS_LEN } from "../tuf/common";
import { indexBundle, bundleRootStart, bundleRootLen } from "./bundle";
import { verifyRoot, verifyTargetsMetadata } from "./verify";
import { writerAppend, writerProgrammed, tailPointer, tailLength } from "./writer";

const FIELD_TARGETS: u32 = 3;
const FIELD_PAYLOAD: u32 = 4;
const FIELD_ROOT: u32 = 5;
const TAG_KEY: u8 = 0x0a; // field 1, length-delimited
const TAG_VALUE: u8 = 0x12; // field 2, length-delimited

const AT_KEY: u32 = 0; // reading a top-level field's key varint
const AT_LENGTH: u32 = 1; // reading its length varint
const IN_METADATA: u32 = 2; // inside a root/targets metadata field
const AT_ENTRY: u32 = 3; // inside a payload entry, before its value
const IN_VALUE: u32 = 4; // inside a listed payload's value

const ENTRY_HEADER_MAX: u32 = 3 + MAX_TARGET_NAME + 5;
// The largest "targets" map entry indexBundle can accept: key field (tag, length, "targets"),
// value tag, the longest varint the wire reader takes, and MAX_TARGETS_METADATA_BYTES of value.
const TARGETS_ENTRY_MAX: u32 = 2 + ROLE_TARGETS_LEN + 1 + 10 + <u32>MAX_TARGETS_METADATA_BYTES;
const entryHeader: usize = memory.data(ENTRY_HEADER_MAX);
const REPLAY_BYTES: u32 = 64;
const replayBuffer: usize = memory.data(REPLAY_BYTES);

let ready = false;
let state: u32 = AT_KEY;
let position: u32 = 0; // bundle offset of the next byte
let varint: u64 = 0;
let varintBytes: u32 = 0;
let field: u32 = 0;
let remaining: u32 = 0;
let fields: u32 = 0;
let metadataChecked = false;
let targetsSeen = false; // a "targets" metadata field has started
let payloadsSeen: u32 = 0;
let entryStart: u32 = 0; // bundle offset of the current entry's top-level key
let entryLength: u32 = 0;
let entryHave: u32 = 0;
let writing = true;
let keyStart: u32 = 0; // bundle offset of the current top-level key's first byte

/** A fresh transfer starts. */
export function gateReset(): void {
  ready = true;
  state = AT_KEY;
  position = 0;
  varint = 0;
  varintBytes = 0;
  fields = 0;
  metadataChecked = false;
  targetsSeen = false;
  payloadsSeen = 0;
}

/** After a reset: the gate must be rebuilt before more bytes are accepted. */
export function gateForget(): void {
  ready = false;
}

function append(ptr: usize, len: u32): i32 {
  if (!writing || len == 0) return OK;
  return writerAppend(ptr, len);
}

/** Verifies everything before the first payload entry, where it lies in staging. */
function checkMetadata(prefix: u32): i32 {
  useFlashSource();
  setFlashOverlay(stagingOffset + writerProgrammed(), tailPointer(), tailLength());
  let rc = indexBundle(stagingOffset, prefix);
  // The root may be persisted from staging by verifyRoot: it must be fully programmed.
  if (rc == OK && bundleRootLen > 0 && bundleRootStart + bundleRootLen > stagingOffset + writerProgrammed()) {
    rc = ERR_BUNDLE_FORMAT;
  }
  if (rc == OK) rc = verifyRoot();
  if (rc == OK) rc = verifyTargetsMetadata();
  clearFlashOverlay();
  if (rc != OK) return rc;
  metadataChecked = true;
  return OK;
}

/** The entry header is complete in entryHeader[0..entryHave): decide on its value. */
function entryDecision(headerLen: u32, valueLen: u32, keyLen: u32): i32 {
  if (entryLength != headerLen + valueLen) return ERR_BUNDLE_FORMAT; // fields after the value
  if (!metadataChecked) {
    const rc = checkMetadata(entryStart);
    if (rc != OK) return rc;
  }
  const t = manifestEntryOf(entryHeader + 2, keyLen); // a layout target or "user_manifest"
  if (t < 0 || !targetListed(<u32>t)) return ERR_PAYLOAD_UNLISTED;
  if ((payloadsSeen & (1 << <u32>t)) != 0) return ERR_PROTO_DUPLICATE_KEY;
  if (valueLen != targetLength(<u32>t)) return ERR_TARGET_LENGTH_MISMATCH;
  payloadsSeen |= 1 << <u32>t;
  remaining = valueLen;
  state = IN_VALUE;
  return OK;
}

/** One more byte of an entry header; decides once the value's length is known. */
function entryByte(b: u8): i32 {
  if (entryHave >= entryLength || entryHave >= ENTRY_HEADER_MAX) return ERR_BUNDLE_FORMAT;
  store<u8>(entryHeader + entryHave, b);
  entryHave++;
  if (load<u8>(entryHeader) != TAG_KEY) return ERR_BUNDLE_FORMAT; // key first
  if (entryHave < 2) return OK;
  const keyLen = <u32>load<u8>(entryHeader + 1);
  if (keyLen == 0 || keyLen > <u32>MAX_TARGET_NAME) return ERR_PAYLOAD_UNLISTED;
  if (entryHave < 3 + keyLen) return OK;
  if (load<u8>(entryHeader + 2 + keyLen) != TAG_VALUE) return ERR_BUNDLE_FORMAT;
  // The value's length varint follows; complete when a byte without the continuation bit ends it.
  if ((b & 0x80) != 0 || entryHave == 3 + keyLen) return OK;
  let value: u64 = 0;
  let shift: u64 = 0;
  for (let i: u32 = 3 + keyLen; i < entryHave; i++) {
    value |= (<u64>load<u8>(entryHeader + i) & 0x7f) << shift;
    shift += 7;
  }
  if (entryHave - (3 + keyLen) > 5 || value > <u64>stagingSize) return ERR_PROTO_VARINT;
  return entryDecision(entryHave, <u32>value, keyLen);
}

/** A byte of a top-level key or length varint. */
function headerByte(b: u8): i32 {
  if (varintBytes == 5) return ERR_PROTO_VARINT;
  varint |= (<u64>b & 0x7f) << (<u64>varintBytes * 7);
  varintBytes++;
  if ((b & 0x80) != 0) return OK;
  const value = varint;
  varint = 0;
  varintBytes = 0;
  if (state == AT_KEY) {
    if (++fields > <u32>MAX_BUNDLE_FIELDS) return ERR_BUNDLE_FORMAT;
    if ((value & 7) != 2) return ERR_BUNDLE_FORMAT;
    field = <u32>(value >> 3);
    if (field != FIELD_PAYLOAD) {
      // Only root, targets and payloads: nothing else reaches flash. Metadata after the first
      // payload would escape the check made there. It is what a plain protobuf encoder writes
      // (root_metadata is field 5, after target_payloads), so it gets a code that says so.
      if (field != FIELD_TARGETS && field != FIELD_ROOT) return ERR_BUNDLE_FORMAT;
      if (metadataChecked) return ERR_METADATA_AFTER_PAYLOAD;
      if (field == FIELD_ROOT && targetsSeen) return ERR_ROOT_AFTER_TARGETS;
      if (field == FIELD_TARGETS) targetsSeen = true;
    }
    entryStart = keyStart;
    state = AT_LENGTH;
    return OK;
  }
  // AT_LENGTH: a field that cannot fit the staging partition is refused before its first byte.
  if (<u64>position + value > <u64>stagingSize) return ERR_BUNDLE_TOO_LARGE;
  // Metadata is bounded here, at its length prefix, as indexBundle bounds it later: otherwise an
  // unverified "root" or "targets" field could fill staging with arbitrary bytes (flash wear,
  // minutes of transfer) before the first payload entry triggers the metadata check.
  if (field == FIELD_ROOT && value > <u64>MAX_ROOT_METADATA_BYTES) return ERR_ROOT_TOO_LARGE;
  if (field == FIELD_TARGETS && value > <u64>TARGETS_ENTRY_MAX) return ERR_TARGETS_TOO_LARGE;
  remaining = <u32>value;
  if (field == FIELD_PAYLOAD) {
    entryLength = remaining;
    entryHave = 0;
    state = AT_ENTRY;
    if (entryLength == 0) return ERR_BUNDLE_FORMAT;
  } else {
    state = remaining == 0 ? AT_KEY : IN_METADATA;
  }
  return OK;
}

/** Feeds len bytes at ptr (appending them to staging when writing). OK or the refusal. */
function advance(ptr: usize, len: u32): i32 {
  let i: u32 = 0;
  while (i < len) {
    if (state == IN_METADATA || state == IN_VALUE) {
      const n = min(remaining, len - i);
      const rc = append(ptr + i, n);
      if (rc != OK) return rc;
      i += n;
      position += n;
      remaining -= n;
      if (remaining == 0) state = AT_KEY;
      continue;
    }
    const b = load<u8>(ptr + i);
    // Header bytes (keys, lengths, entry names) are written before they are judged: they are
    // not payload, and the metadata check needs everything before the first value in staging.
    const rc = append(ptr + i, 1);
    if (rc != OK) return rc;
    if (state == AT_KEY && varintBytes == 0) keyStart = position;
    i++;
    position++;
    const r = state == AT_ENTRY ? entryByte(b) : headerByte(b);
    if (r != OK) return r;
    if (state == IN_VALUE && remaining == 0) state = AT_KEY;
  }
  return OK;
}

/** Accepts the next len bytes of the bundle from memory, writing what may be written. */
export function gateWrite(ptr: usize, len: u32): i32 {
  writing = true;
  return advance(ptr, len);
}

export function gateReady(): bool {
  return ready;
}

/** Rebuilds the gate from the `upTo` bytes already staged (after a reset). */
export function gateReplay(upTo: u32): i32 {
  gateReset();
  writing = false;
  let at: u32 = 0;
  while (at < upTo) {
    if (state == IN_METADATA || state == IN_VALUE) {
      const n = min(remaining, upTo - at); // skipped unread: it was judged when it arrived
      at += n;
      position += n;
      remaining -= n;
      if (remaining == 0) state = AT_KEY;
      continue;
    }
    const n = min(REPLAY_BYTES, upTo - at);
    let rc = flashRead(stagingOffset + at, replayBuffer, n);
    if (rc == OK) rc = advance(replayBuffer, n);
    if (rc != OK) {
      writing = true;
      ready = false;
      return rc;
    }
    at += n;
  }
  writing = true;
  return OK;
}
