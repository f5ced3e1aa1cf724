// The host side of the agent's flash imports (module "flash" in build/agent.wasm). A port is the
// simulator's NOR model, a file-backed device, or a real programmer; the agent sees only these
// three operations, each returning 0 or a negative code from assembly/status.ts.
import { ERR_FLASH_OUT_OF_RANGE } from "../assembly/status.js";

export interface FlashPort {
  /** Fills dst with the bytes at addr. 0 or a negative error. */
  read(addr: number, dst: Uint8Array): number;
  /** Programs src at addr (addr and length aligned to the write unit). 0 or a negative error. */
  program(addr: number, src: Uint8Array): number;
  /** Erases len bytes from addr (whole sectors only). 0 or a negative error. */
  erase(addr: number, len: number): number;
}

/**
 * A port with no flash behind it: every operation fails with ERR_FLASH_OUT_OF_RANGE. For using
 * the agent's crypto alone (the host verifier, tests, the benchmark), where touching flash would
 * be a bug that must surface, not silently read zeros.
 */
export const refusingFlashPort: FlashPort = {
  read: () => ERR_FLASH_OUT_OF_RANGE,
  program: () => ERR_FLASH_OUT_OF_RANGE,
  erase: () => ERR_FLASH_OUT_OF_RANGE,
};
