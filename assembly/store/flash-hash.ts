// The one loop behind every bounded hash of flash (verification of staged payloads, install's
// read-back of a slot, the image check at boot): stream a span through the scratch buffer into a
// SHA-256 context, at most `budget` bytes per call, so a caller resumes where the last call ended.
import { OK } from "../status";
import { sha256Update } from "../crypto/sha256";
import { flashRead } from "./flash";
import { scratch, SCRATCH_BYTES } from "./scratch";

/**
 * Hashes flash bytes addr + [from, end) into ctx, at most `budget` of them. Returns how many it
 * hashed (fewer than end - from when the budget ran out), or a negative flash error.
 */
export function hashFlashSpan(ctx: usize, addr: u32, from: u32, end: u32, budget: u32): i64 {
  let done = from;
  let left = budget;
  while (done < end && left > 0) {
    const n = min(min(SCRATCH_BYTES, end - done), left);
    const rc = flashRead(addr + done, scratch, n);
    if (rc != OK) return rc;
    sha256Update(ctx, scratch, n);
    done += n;
    left -= n;
  }
  return <i64>(done - from);
}
