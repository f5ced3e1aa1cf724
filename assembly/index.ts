// The device ABI: the only door into the agent. Integers and pointers only; every function here
// is a thin call into the folders below. Names are a contract with firmware code and the tests.
import { IO_WINDOW_BYTES } from "./limits";
import { OK, ERR_IO_RANGE, ERR_ALREADY_BOOTED, ERR_SIGNATURE_INVALID, ERR_KEY_TYPE_UNSUPPORTED } from "./status";
import { SCHEME_ED25519, SCHEME_P256 } from "./crypto/schemes";
import { p256Verify, P256_PUBLIC_KEY_BYTES, P256_SIGNATURE_BYTES } from "./crypto/p256";
import { SHA256_CTX_BYTES, sha256Init, sha256Update, sha256Final } from "./crypto/sha256";
import { SHA512_CTX_BYTES, sha512Init, sha512Update, sha512Final } from "./crypto/sha512";
import {
  ED25519_VERIFY_CTX_BYTES, ed25519Verify, ed25519VerifyInit, ed25519VerifyUpdate, ed25519VerifyFinal,
} from "./crypto/ed25519";

import { configureLayout } from "./store/layout";
import { storeConfigure, storeMount } from "./store/records";
import { attachDevice, bootDevice, bootPoll, confirmImage, requireBooted, runningSlot } from "./boot/boot";
import { userManifestSize, userManifestRead } from "./store/user-manifest";
import { writeBootInfo } from "./boot/info";
import { provisionImage, provision as provisionDevice } from "./boot/provision";
import {
  updateStart, updateWrite, updateSetTransferred, updateVerify, updateApply, updateAbort, updateReset,
  updateStatus, updatePoll,
} from "./update/service";

// The I/O window (io.ts): the host writes inputs here and reads outputs from here.
import { ioWindow } from "./io";

export function io_ptr(): usize {
  return ioWindow;
}

export function io_len(): u32 {
  return IO_WINDOW_BYTES;
}

// ---- crypto test surface (also used by the host verifier) ----
// Each function works on bytes the host placed in the I/O window and writes results back there.
// Lengths are checked against the window before any byte is touched.

const sha256Context: usize = memory.data(SHA256_CTX_BYTES, 8);

/** Starts a SHA-256 digest in the agent's test-surface context. */
export function sha256_init(): void {
  sha256Init(sha256Context);
}

/** Hashes the first len bytes of the I/O window. ERR_IO_RANGE if len exceeds the window. */
export function sha256_update(len: u32): i32 {
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  sha256Update(sha256Context, ioWindow, len);
  return OK;
}

/** Writes the 32-byte SHA-256 digest to the start of the I/O window. */
export function sha256_final(): i32 {
  sha256Final(sha256Context, ioWindow);
  return OK;
}

const sha512Context: usize = memory.data(SHA512_CTX_BYTES, 8);

/** Starts a SHA-512 digest in the agent's test-surface context. */
export function sha512_init(): void {
  sha512Init(sha512Context);
}

/** Hashes the first len bytes of the I/O window. ERR_IO_RANGE if len exceeds the window. */
export function sha512_update(len: u32): i32 {
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  sha512Update(sha512Context, ioWindow, len);
  return OK;
}

/** Writes the 64-byte SHA-512 digest to the start of the I/O window. */
export function sha512_final(): i32 {
  sha512Final(sha512Context, ioWindow);
  return OK;
}

// Ed25519: the window holds [public key 32][signature 64][message...] for the one-shot form; the
// streamed form takes the key and signature at init and the message in any number of updates.
// Every variant exports the same functions: a build without Ed25519 (crypto/schemes.ts) answers
// ERR_KEY_TYPE_UNSUPPORTED from each, and likewise p256_verify_digest in a build without P-256.
const ED25519_HEADER_BYTES: u32 = 32 + 64;
const ed25519Context: usize = memory.data(ED25519_VERIFY_CTX_BYTES, 8);

/** Verifies the signature in the window over the msgLen message bytes after it. 0 = valid. */
export function ed25519_verify(msgLen: u32): i32 {
  if (!SCHEME_ED25519) return ERR_KEY_TYPE_UNSUPPORTED;
  if (msgLen > <u32>IO_WINDOW_BYTES - ED25519_HEADER_BYTES) return ERR_IO_RANGE;
  return ed25519Verify(ioWindow, ioWindow + 32, ioWindow + ED25519_HEADER_BYTES, msgLen);
}

/** Starts a streamed verification of the key at window[0..32) and signature at window[32..96). */
export function ed25519_verify_init(): i32 {
  if (!SCHEME_ED25519) return ERR_KEY_TYPE_UNSUPPORTED;
  return ed25519VerifyInit(ed25519Context, ioWindow, ioWindow + 32);
}

/** Feeds the first len bytes of the window as the next part of the message. */
export function ed25519_verify_update(len: u32): i32 {
  if (!SCHEME_ED25519) return ERR_KEY_TYPE_UNSUPPORTED;
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  ed25519VerifyUpdate(ed25519Context, ioWindow, len);
  return OK;
}

/** Finishes a streamed verification: 0 = valid, else a negative code. */
export function ed25519_verify_final(): i32 {
  if (!SCHEME_ED25519) return ERR_KEY_TYPE_UNSUPPORTED;
  return ed25519VerifyFinal(ed25519Context);
}

// ECDSA P-256: the window holds [public key 65 (04 || X || Y)][signature 64 (r || s)][SHA-256
// digest 32] (the agent hashes signed bytes itself as they stream; this surface takes the digest,
// so tests can reach every digest, including those at or above the group order).
const P256_HEADER_BYTES: u32 = P256_PUBLIC_KEY_BYTES + P256_SIGNATURE_BYTES;

/** 0 when the window's signature is valid for its key and digest, else ERR_SIGNATURE_INVALID. */
export function p256_verify_digest(): i32 {
  if (!SCHEME_P256) return ERR_KEY_TYPE_UNSUPPORTED;
  return p256Verify(ioWindow, ioWindow + P256_PUBLIC_KEY_BYTES, ioWindow + P256_HEADER_BYTES) ? OK : ERR_SIGNATURE_INVALID;
}


// ---- update agent ----
// Every function returns 0 (OK) or a negative code from status.ts unless it says otherwise.
// Order at power-on: configure(len) with the layout descriptor, then boot(), then anything else.
// A firmware that drops the agent's instance during a run (to lend its RAM to something else) and
// instantiates it again later in the SAME run calls configure(len), then attach() instead of
// boot(): attach rebuilds the running slot, trial flag and versions from flash as boot() left
// them and settles nothing (no revert, no "tried" mark, no flash write at all). It refuses with
// ERR_BOOT_PENDING when flash holds an installed image boot() has not started yet (after
// update_apply the run can only reboot). Never call attach() at power-on: only boot() reverts a
// trial image that did not confirm. configure and attach are refused with ERR_ALREADY_BOOTED
// once boot() or attach() succeeded in this instance (a second boot() only returns the slot).

/** Reads and validates the layout descriptor (len bytes in the I/O window), mounts the store. */
export function configure(len: u32): i32 {
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  // The layout cannot change under a running update or a settled boot decision.
  if (requireBooted() == OK) return ERR_ALREADY_BOOTED;
  let rc = configureLayout(ioWindow, len);
  if (rc != OK) return rc;
  rc = storeConfigure();
  if (rc != OK) return rc;
  return storeMount();
}

/** Settles trial/revert and picks the slot: returns 0 (A) or 1 (B), or a negative code. */
export function boot(): i32 {
  return bootDevice();
}

/**
 * The boot-time image check (layout byte 11): after boot() returned ERR_BOOT_CHECK_PENDING, call
 * this until it returns the slot (0 or 1) or another negative code; each call hashes at most
 * `budget` bytes of flash. Without the check, or once booted, it returns the running slot.
 */
export function boot_poll(budget: u32): i32 {
  return bootPoll(budget);
}

/** Rejoins the run boot() started (same run, fresh instance): returns the running slot, writes nothing. */
export function attach(): i32 {
  return attachDevice();
}

/** The running image is healthy: ends its trial (no-op when not on trial). */
export function confirm(): i32 {
  return confirmImage();
}

/** Writes the boot info record into the I/O window (layout in boot/info.ts). */
export function boot_info(): i32 {
  const rc = requireBooted();
  if (rc != OK) return rc;
  return writeBootInfo(ioWindow);
}

/**
 * Size in bytes of the user manifest that runs: the payload of the reserved target
 * "user_manifest" from the bundle the running slot was installed from (Pigweed's
 * Manifest.user_manifest; product-defined, 1..MAX_USER_MANIFEST_BYTES). ERR_USER_MANIFEST_ABSENT
 * when that bundle listed none; ERR_STORE_CORRUPT when the stored bytes fail their signed hash.
 */
export function user_manifest_size(): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : userManifestSize(runningSlot);
}

/**
 * Copies up to len bytes of the running user manifest, from byte `offset`, to the start of the
 * I/O window. Returns the bytes copied (0 at offset = size), ERR_IO_RANGE when len exceeds the
 * window, ERR_USER_MANIFEST_RANGE when offset is past the end, or user_manifest_size's errors.
 */
export function user_manifest_read(offset: u32, len: u32): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : userManifestRead(runningSlot, ioWindow, offset, len);
}

/** Factory: len bytes of the window at `offset` of target's slot A image (boot/provision.ts). */
export function provision_image(target: u32, offset: u32, len: u32): i32 {
  return provisionImage(ioWindow, target, offset, len);
}

/** Factory: the provisioning request (len bytes in the window): trusted root + manifest. */
export function provision(len: u32): i32 {
  if (len > <u32>IO_WINDOW_BYTES) return ERR_IO_RANGE;
  return provisionDevice(ioWindow, len);
}

export function update_start(): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateStart();
}

/**
 * Appends len bytes from the window at bundle offset `offset` (= bytes received so far). The
 * bytes pass the transfer gate first: metadata must precede payloads, and a payload the signed
 * metadata does not list is refused before it reaches flash. The call that completes the first
 * payload entry's header also verifies the metadata (at most 3 x MAX_SIGNATURES signatures).
 */
export function update_write(offset: u32, len: u32): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateWrite(ioWindow, offset, len);
}

export function update_set_transferred(total: u32): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateSetTransferred(total);
}

/** Starts verification; update_poll advances it. */
export function update_verify(): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateVerify();
}

/** Starts installing (verifying first if needed); update_poll advances it. */
export function update_apply(): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateApply();
}

export function update_abort(): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateAbort();
}

export function update_reset(): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateReset();
}

/** Writes the 32-byte status record into the window (layout in update/service.ts). */
export function update_status(): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updateStatus(ioWindow);
}

/** Hashes or copies at most `budget` bytes. Returns 1 = call again, 0 = idle, < 0 = failed. */
export function update_poll(budget: u32): i32 {
  const rc = requireBooted();
  return rc != OK ? rc : updatePoll(budget);
}
