// Boot info for the host: what runs, from which slot, under which root.
//   0 u32 running slot (0 = A, 1 = B)    4 u32 trial (1 = the running image is not confirmed)
//   8 u32 trusted root version           12 u32 targets version of the running slot's manifest
//   16 u32 T targets in the layout       20 u32 pending (1 = an installed update waits for reboot)
//   24 T x { name: MAX_TARGET_NAME bytes zero-padded, u32 present, u32 length, 32 bytes sha256 }
import { OK } from "../status";
import { MAX_TARGET_NAME } from "../limits";
import { targetCount, targetName } from "../store/layout";
import { activeSlot, onTrial, trialTried } from "../store/control";
import {
  MANIFEST_CURRENT, manifestLoad, manifestVersion, manifestHas, manifestLength, manifestHash,
} from "../store/manifest";
import { loadTrustedRoot } from "../update/verify";
import { rootVersionOf, ROOT_TRUSTED } from "../tuf/root";
import { booted, runningSlot } from "./boot";

const HEADER_BYTES: u32 = 24;
const ENTRY_BYTES: u32 = <u32>MAX_TARGET_NAME + 40;

export function writeBootInfo(out: usize): i32 {
  let rc = loadTrustedRoot();
  if (rc != OK) return rc;
  rc = manifestLoad(MANIFEST_CURRENT, runningSlot);
  if (rc != OK) return rc;
  store<u32>(out, runningSlot);
  store<u32>(out + 4, booted && onTrial && trialTried && activeSlot == runningSlot ? 1 : 0);
  store<u32>(out + 8, rootVersionOf(ROOT_TRUSTED));
  store<u32>(out + 12, manifestVersion(MANIFEST_CURRENT));
  store<u32>(out + 16, targetCount);
  store<u32>(out + 20, activeSlot != runningSlot ? 1 : 0);
  for (let t: u32 = 0; t < targetCount; t++) {
    const e = out + HEADER_BYTES + t * ENTRY_BYTES;
    memory.copy(e, targetName(t), MAX_TARGET_NAME);
    const has = manifestHas(MANIFEST_CURRENT, t);
    store<u32>(e + MAX_TARGET_NAME, has ? 1 : 0);
    store<u32>(e + MAX_TARGET_NAME + 4, has ? manifestLength(MANIFEST_CURRENT, t) : 0);
    if (has) memory.copy(e + MAX_TARGET_NAME + 8, manifestHash(MANIFEST_CURRENT, t), 32);
    else memory.fill(e + MAX_TARGET_NAME + 8, 0, 32);
  }
  return OK;
}
