// The suites' way of driving a simulated device: the agent engineer's SimDevice (host-sim/
// device.ts) over a NorFlash, with one fresh SimDevice (and so one fresh WASM instance) per
// power-on, exactly as a reset leaves a real device with nothing but its flash.
import { NorFlash } from "../../host-sim/flash.js";
import { targetSlots, type Board } from "../../host-sim/boards.js";
import { SimDevice, AgentError, type BootInfo, type UpdateOutcome } from "../../host-sim/device.js";
import { statusInfo } from "../../host-sim/status.js";
import { OK } from "../../assembly/status.js";
import type { BootReport } from "./sweep.js";

export interface Session {
  report: BootInfo;
  device: SimDevice;
  /** Stages, verifies and applies; 0 or the agent's negative code. `resume` continues a
   *  transfer a reset interrupted (SimDevice's resume option) instead of starting over. */
  update(bundle: Uint8Array, options?: { resume?: boolean }): Promise<number>;
  /** The update service's state now (Pigweed's BundledUpdateState number). */
  updateState(): number;
  /** Full outcome of the last update() call. */
  lastOutcome?: UpdateOutcome;
  confirm(): Promise<number>;
}

export function codeName(code: number): string {
  return statusInfo(code).name;
}

/** One power-on: a fresh agent instance over the flash, configured and booted. `wasm`: another
 *  build of the agent (a signature-scheme variant) instead of build/agent.wasm. */
export async function powerOn(board: Board, flash: NorFlash, wasm?: URL): Promise<Session> {
  flash.powerOn();
  const device = new SimDevice(flash, board, undefined, wasm);
  const report = await device.powerOn();
  const session: Session = {
    report,
    device,
    async update(bundle, options = {}) {
      const outcome = device.update(bundle, { resume: options.resume });
      session.lastOutcome = outcome;
      return outcome.ok ? OK : outcome.error < 0 ? outcome.error : -1000 - outcome.state;
    },
    updateState: () => device.status().state,
    async confirm() {
      try {
        device.confirm();
        return OK;
      } catch (e) {
        if (e instanceof AgentError) return e.code;
        throw e;
      }
    },
  };
  return session;
}

/** A factory-fresh device of `board`, provisioned with `root` and `images` (targets version 1). */
export async function manufacture(board: Board, root: Uint8Array, images: Record<string, Uint8Array>, wasm?: URL): Promise<NorFlash> {
  const flash = new NorFlash(board.flash);
  const device = new SimDevice(flash, board, undefined, wasm);
  await device.provision(root, images, { targetsVersion: 1 });
  return flash;
}

/** The bytes the device executes for `target`: its running slot, read straight from flash. */
export function runningImage(board: Board, flash: NorFlash, report: BootReport, target: string, length: number): Uint8Array {
  const slots = targetSlots(board, target);
  return flash.dump(report.slot === "a" ? slots.slotA : slots.slotB, length);
}
