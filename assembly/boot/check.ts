// Image check at boot (the layout's byte 11): before boot() hands over a slot it re-hashes that
// slot's images against the slot's manifest (length and SHA-256 of each target, recorded when the
// image was installed), in bounded steps through boot_poll(budget), as update_poll bounds an
// update. MCUboot's "validate the primary slot" for what signatures at install cannot catch:
// bit rot, a half-done write by something other than the agent, a debugger's stray erase.
//
// On a mismatch the other slot is checked the same way, and only if it is intact does the device
// go back to it (one boot-control record write, the same one a failed trial makes). If both are
// damaged nothing is written, so a device that cannot boot does not wear its flash flipping
// between two bad slots, and boot_poll keeps returning ERR_NO_INTACT_IMAGE: the firmware's
// recovery path (a serial bootloader, a factory image) takes over. A power cut during the check
// leaves flash as it was and the next boot() starts the check again.
import { OK, ERR_NOT_BOOTED, ERR_NO_INTACT_IMAGE, ERR_BOOT_CHECK_PENDING, ERR_STORE_CORRUPT } from "../status";
import { slotAddress, slotSize, targetCount } from "../store/layout";
import { hashFlashSpan } from "../store/flash-hash";
import { MANIFEST_NEXT, manifestHas, manifestHash, manifestLength, manifestLoad } from "../store/manifest";
import { SHA256_CTX_BYTES, sha256Final, sha256Init } from "../crypto/sha256";

const PHASE_IDLE: u32 = 0;
const PHASE_ACTIVE: u32 = 1; // hashing the slot boot() chose
const PHASE_OTHER: u32 = 2; // the chosen slot was damaged: hashing the other one
const PHASE_FAILED: u32 = 3;

let phase = PHASE_IDLE;
let slotUnderCheck: u32 = 0;
let target: u32 = 0;
let hashed: u32 = 0;
/** Whether the slot's manifest listed any image: an empty slot has nothing to boot. */
let listedAny = false;
const ctx: usize = memory.data(SHA256_CTX_BYTES, 8);
const digest: usize = memory.data(32, 4);

/** Starts checking `slot`; boot() then returns ERR_BOOT_CHECK_PENDING. */
export function checkBegin(slot: u32): i32 {
  return begin(PHASE_ACTIVE, slot);
}

export function checkPending(): bool {
  return phase == PHASE_ACTIVE || phase == PHASE_OTHER;
}

export function checkFailed(): bool {
  return phase == PHASE_FAILED;
}

/** The slot being checked (the other one once the chosen slot failed). */
export function checkSlot(): u32 {
  return slotUnderCheck;
}

/** The phase that is checking the slot boot() did not choose. */
export function checkingOther(): bool {
  return phase == PHASE_OTHER;
}

export function checkReset(): void {
  phase = PHASE_IDLE;
}

function begin(next: u32, slot: u32): i32 {
  phase = next;
  slotUnderCheck = slot;
  target = 0;
  hashed = 0;
  listedAny = false;
  // A slot whose manifest is unreadable has nothing to vouch for its bytes (one never installed
  // loads as an empty manifest and fails below, listing nothing).
  const rc = manifestLoad(MANIFEST_NEXT, slot);
  if (rc == ERR_STORE_CORRUPT) return mismatch();
  if (rc != OK) return rc;
  return ERR_BOOT_CHECK_PENDING;
}

function mismatch(): i32 {
  if (phase == PHASE_ACTIVE) return begin(PHASE_OTHER, slotUnderCheck == 0 ? 1 : 0);
  phase = PHASE_FAILED;
  return ERR_NO_INTACT_IMAGE;
}

/**
 * Hashes at most `budget` bytes. Returns ERR_BOOT_CHECK_PENDING while there is more, OK when the
 * slot under check is intact (checkingOther() says which one), ERR_NO_INTACT_IMAGE when neither
 * is, or a flash error.
 */
export function checkStep(budget: u32): i32 {
  if (phase == PHASE_FAILED) return ERR_NO_INTACT_IMAGE;
  if (!checkPending()) return ERR_NOT_BOOTED;
  let left = budget;
  while (target < targetCount) {
    const t = target;
    if (!manifestHas(MANIFEST_NEXT, t)) {
      target++; // a target this slot never received (a partial bundle keeps the other's)
      continue;
    }
    listedAny = true;
    const len = manifestLength(MANIFEST_NEXT, t);
    if (len > slotSize(t)) return mismatch();
    if (hashed == 0) sha256Init(ctx);
    const n = hashFlashSpan(ctx, slotAddress(t, slotUnderCheck), hashed, len, left);
    if (n < 0) return <i32>n;
    hashed += <u32>n;
    left -= <u32>n;
    if (hashed < len) return ERR_BOOT_CHECK_PENDING;
    sha256Final(ctx, digest);
    if (memory.compare(digest, manifestHash(MANIFEST_NEXT, t), 32) != 0) return mismatch();
    target++;
    hashed = 0;
  }
  return listedAny ? OK : mismatch();
}
