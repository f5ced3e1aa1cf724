// Factory provisioning: the trusted root and the factory images' manifest, written once.
//
// At manufacture the factory streams each target's image into slot A with provision_image
// (sequentially, erasing each sector as it is entered), then calls provision(len) with this
// request in the I/O window (little-endian):
//   0 u32 R root length   4 u32 targets version of the factory manifest (usually 0)
//   8 u8 N declared entries   9..11 reserved (0)
//   12 N x { u8 target index, 3 reserved (0), u32 length, 32 bytes sha256 }
//   12 + 40 N: R bytes SignedRootMetadata
// The root must parse strictly and meet its own root threshold. Each target written through
// provision_image is hashed from slot A into the manifest (a declared entry for it must agree);
// a declared entry for a target not written is recorded as declared (a device whose images were
// programmed by other means, or the host verifier's throw-away device). Target index
// USER_MANIFEST_ENTRY declares a user manifest (length and SHA-256 only: its bytes are not
// stored, so such a device can verify a bundle that personalizes it out, not read or carry it).
// Records are written manifest, boot control, then the root last: the root's presence is what
// makes the device provisioned, so an interrupted provisioning is simply done again.
import {
  OK, ERR_ALREADY_PROVISIONED, ERR_PROVISION_REQUEST, ERR_ROOT_ROLE, ERR_ROOT_NOT_SELF_SIGNED,
  ERR_ROOT_TOO_LARGE, ERR_TRANSFER_OFFSET, ERR_TARGET_TOO_LARGE, ERR_TARGET_UNKNOWN, ERR_IO_RANGE,
} from "../status";
import { scratch, SCRATCH_BYTES } from "../store/scratch";
import { IO_WINDOW_BYTES, MAX_ROOT_METADATA_BYTES, MAX_TARGETS, MAX_USER_MANIFEST_BYTES } from "../limits";
import { requireConfigured, targetCount, slotAddress, slotSize } from "../store/layout";
import { flashRead } from "../store/flash";
import { RECORD_ROOT, recordAddress, writeRecordOf } from "../store/records";
import { controlSave } from "../store/control";
import {
  MANIFEST_NEXT, USER_MANIFEST_ENTRY, manifestClear, manifestSet, manifestHas, manifestLength, manifestHash,
  manifestSave, entryInLayout,
} from "../store/manifest";
import { useMemorySource } from "../proto/source";
import { parseSigned, SIGNED_TRUSTED_ROOT, SIGNED_NO_PAYLOAD, signedPayloadStart, signedPayloadLength } from "../tuf/signed";
import { parseRoot, ROOT_TRUSTED, ROLE_REQ_ROOT } from "../tuf/root";
import { meetsThreshold } from "../tuf/threshold";
import { writerBegin, writerAppend, writerFlush, writerPosition } from "../update/writer";
import { SHA256_CTX_BYTES, sha256Init, sha256Update, sha256Final } from "../crypto/sha256";

const HEADER_BYTES: u32 = 12;
const ENTRY_BYTES: u32 = 40;
const CHUNK_BYTES: u32 = SCRATCH_BYTES;
const chunk: usize = scratch;
const hashCtx: usize = memory.data(SHA256_CTX_BYTES, 8);
const digest: usize = memory.data(32);
const imageBytes: usize = memory.data(MAX_TARGETS * 4);
let writing: i32 = -1; // target whose slot A the writer is filling
let finishedMask: u32 = 0; // targets whose image is complete
// Slot A's address and size when each image started: configure() may be called again before
// provision(), and an image streamed under one layout must not go on (or be hashed) under another
// - the writer would keep programming the old address, outside the layout now in force.
const imageSlot: usize = memory.data(MAX_TARGETS * 4);
const imageSlotSize: usize = memory.data(MAX_TARGETS * 4);

function slotKept(t: u32): bool {
  return load<u32>(imageSlot + t * 4) == slotAddress(t, 0) && load<u32>(imageSlotSize + t * 4) == slotSize(t);
}

function requireUnprovisioned(): i32 {
  const rc = requireConfigured();
  if (rc != OK) return rc;
  return recordAddress(RECORD_ROOT) == 0 ? OK : ERR_ALREADY_PROVISIONED;
}

function closeImage(): i32 {
  if (writing < 0) return OK;
  if (!slotKept(<u32>writing)) return ERR_PROVISION_REQUEST;
  const rc = writerFlush();
  if (rc != OK) return rc;
  store<u32>(imageBytes + <u32>writing * 4, writerPosition());
  finishedMask |= 1 << <u32>writing;
  writing = -1;
  return OK;
}

/** Writes len bytes from the I/O window at `offset` of target t's factory image (slot A). */
export function provisionImage(io: usize, t: u32, offset: u32, len: u32): i32 {
  let rc = requireUnprovisioned();
  if (rc != OK) return rc;
  if (t >= targetCount) return ERR_TARGET_UNKNOWN;
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  if (writing != <i32>t) {
    if ((finishedMask & (1 << t)) != 0) return ERR_TRANSFER_OFFSET; // an image is written once
    rc = closeImage();
    if (rc != OK) return rc;
    writerBegin(slotAddress(t, 0), 0);
    writing = <i32>t;
    store<u32>(imageSlot + t * 4, slotAddress(t, 0));
    store<u32>(imageSlotSize + t * 4, slotSize(t));
  }
  if (!slotKept(t)) return ERR_PROVISION_REQUEST;
  if (offset != writerPosition()) return ERR_TRANSFER_OFFSET;
  if (len > slotSize(t) - offset) return ERR_TARGET_TOO_LARGE;
  return writerAppend(io, len);
}

function hashSlotA(t: u32, len: u32): i32 {
  sha256Init(hashCtx);
  let done: u32 = 0;
  while (done < len) {
    const n = min(CHUNK_BYTES, len - done);
    const rc = flashRead(slotAddress(t, 0) + done, chunk, n);
    if (rc != OK) return rc;
    sha256Update(hashCtx, chunk, n);
    done += n;
  }
  sha256Final(hashCtx, digest);
  return OK;
}

export function provision(io: usize, len: u32): i32 {
  let rc = requireUnprovisioned();
  if (rc != OK) return rc;
  if (len < HEADER_BYTES || len > <u32>IO_WINDOW_BYTES) return ERR_PROVISION_REQUEST;
  const rootLen = load<u32>(io);
  const version = load<u32>(io + 4);
  const declared = <u32>load<u8>(io + 8);
  if (load<u8>(io + 9) != 0 || load<u16>(io + 10) != 0 || declared > targetCount + 1) return ERR_PROVISION_REQUEST;
  if (rootLen > <u32>MAX_ROOT_METADATA_BYTES) return ERR_ROOT_TOO_LARGE;
  const rootAt = io + HEADER_BYTES + declared * ENTRY_BYTES;
  if (<u64>HEADER_BYTES + <u64>declared * ENTRY_BYTES + <u64>rootLen != <u64>len) return ERR_PROVISION_REQUEST;

  // The root: strict parse, and it must meet its own root threshold.
  useMemorySource();
  rc = parseSigned(SIGNED_TRUSTED_ROOT, <u32>rootAt, rootLen);
  if (rc == SIGNED_NO_PAYLOAD) return ERR_ROOT_ROLE;
  if (rc != OK) return rc;
  rc = parseRoot(ROOT_TRUSTED, signedPayloadStart(SIGNED_TRUSTED_ROOT), signedPayloadLength(SIGNED_TRUSTED_ROOT), true);
  if (rc != OK) return rc;
  rc = meetsThreshold(ROOT_TRUSTED, ROLE_REQ_ROOT, SIGNED_TRUSTED_ROOT);
  if (rc < 0) return rc;
  if (rc == 0) return ERR_ROOT_NOT_SELF_SIGNED;

  // The factory manifest of slot A.
  rc = closeImage();
  if (rc != OK) return rc;
  manifestClear(MANIFEST_NEXT, version);
  for (let t: u32 = 0; t < targetCount; t++) {
    if ((finishedMask & (1 << t)) == 0) continue;
    const bytes = load<u32>(imageBytes + t * 4);
    if (bytes == 0) continue;
    if (!slotKept(t)) return ERR_PROVISION_REQUEST;
    rc = hashSlotA(t, bytes);
    if (rc != OK) return rc;
    manifestSet(MANIFEST_NEXT, t, bytes, digest);
  }
  for (let i: u32 = 0; i < declared; i++) {
    const e = io + HEADER_BYTES + i * ENTRY_BYTES;
    const t = <u32>load<u8>(e);
    const bytes = load<u32>(e + 4);
    if (!entryInLayout(t) || load<u8>(e + 1) != 0 || load<u16>(e + 2) != 0) return ERR_PROVISION_REQUEST;
    const most = t == USER_MANIFEST_ENTRY ? <u32>MAX_USER_MANIFEST_BYTES : slotSize(t);
    if (bytes == 0 || bytes > most) return ERR_PROVISION_REQUEST;
    if ((finishedMask & (1 << t)) != 0 && load<u32>(imageBytes + t * 4) > 0) {
      if (manifestLength(MANIFEST_NEXT, t) != bytes || memory.compare(manifestHash(MANIFEST_NEXT, t), e + 8, 32) != 0) {
        return ERR_PROVISION_REQUEST;
      }
    } else {
      if (manifestHas(MANIFEST_NEXT, t)) return ERR_PROVISION_REQUEST; // declared twice
      manifestSet(MANIFEST_NEXT, t, bytes, e + 8);
    }
  }
  rc = manifestSave(MANIFEST_NEXT, 0);
  if (rc != OK) return rc;
  rc = controlSave(0, false, 0);
  if (rc != OK) return rc;
  return writeRecordOf(RECORD_ROOT, false, rootAt, rootLen);
}
