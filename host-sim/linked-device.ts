// A simulated device on a wire: the link variant of the agent (build/agent-link.wasm) over a NOR
// flash model, run the way firmware runs it. Bytes from the host go in through link_rx, frames
// come out through link.tx, and a main-loop step ticks the link's timers and advances verify and
// install with update_poll budgets. Power can be cut at any flash operation (the flash model's
// arm) or at once (cut()); the device is then off until powerOn(), as after a real power loss.
// After an install completes the device reboots into the new image by itself, as firmware does.
import { SimDevice, type BootInfo, type UpdateStatus } from "./device.js";
import { PowerCutError, type NorFlash } from "./flash.js";
import type { Board } from "./boards.js";
import type { LinkExports } from "./agent-module.js";
import { LINK_RX_BYTES } from "../assembly/limits.js";

/** The link's drop counters, in link/counters.ts order. */
export const LINK_COUNTERS = [
  "frames", "badFcs", "tooLong", "tooShort", "outsideBytes", "otherAddress", "badPacket", "unknownCall",
  "txDropped", "txFailed",
] as const;
export type LinkCounters = Record<(typeof LINK_COUNTERS)[number], number>;

export interface LinkedDeviceOptions {
  /** Confirm a trial image at power-on, as firmware that passes its self-test does. */
  autoConfirm?: boolean;
  /** Bytes hashed or copied per update_poll call (one main-loop iteration). */
  pollBudget?: number;
  /** Called after every power-on with what runs (and why it powered on). */
  onBoot?(info: BootInfo, reason: BootReason): void;
}

export type BootReason = "power-on" | "reboot-after-install" | "reset";

/** What one main-loop step did: "busy" = call again soon, "idle", "off" = powered off. */
export type StepResult = "busy" | "idle" | "off";

export class LinkedDevice {
  private readonly device: SimDevice;
  private on = false;
  private bootInProgress: Promise<BootInfo> | undefined;
  private pendingReason: BootReason = "power-on";
  readonly options: Required<Omit<LinkedDeviceOptions, "onBoot">> & Pick<LinkedDeviceOptions, "onBoot">;
  /** Power cuts that happened (armed ones and cut() calls). */
  powerCuts = 0;
  boots = 0;

  constructor(
    readonly flash: NorFlash,
    readonly board: Board,
    transmit: (frame: Uint8Array) => void,
    options: LinkedDeviceOptions = {},
  ) {
    this.options = { autoConfirm: options.autoConfirm ?? false, pollBudget: options.pollBudget ?? 4096, onBoot: options.onBoot };
    this.device = new SimDevice(flash, board, {
      transmit: (frame) => {
        transmit(frame);
        return 0;
      },
    });
  }

  get powered(): boolean {
    return this.on;
  }

  /** A power-on is under way (the module is being instantiated and booted). */
  get booting(): boolean {
    return this.bootInProgress !== undefined;
  }

  private get exports(): LinkExports {
    return this.device.instance.exports as LinkExports;
  }

  /** Powers on (fresh instance, configure, boot, optional confirm). Safe to call while booting. */
  powerOn(reason: BootReason = this.pendingReason): Promise<BootInfo> {
    this.bootInProgress ??= (async () => {
      try {
        this.flash.powerOn();
        let info = await this.device.powerOn();
        if (this.options.autoConfirm && info.trial) {
          this.device.confirm();
          info = this.device.bootInfo();
        }
        this.on = true;
        this.boots++;
        this.pendingReason = "power-on";
        this.options.onBoot?.(info, reason);
        return info;
      } catch (err) {
        this.off(err);
        throw err;
      } finally {
        this.bootInProgress = undefined;
      }
    })();
    return this.bootInProgress;
  }

  /** Power goes out now; the next powerOn() boots from flash alone. */
  cut(): void {
    this.powerCuts++;
    this.on = false;
    this.device.powerOff();
  }

  /** A reset from the host side: off, and on again from flash (a watchdog or the reset pin). */
  async reset(): Promise<BootInfo> {
    this.on = false;
    this.device.powerOff();
    return this.powerOn("reset");
  }

  private off(err: unknown): void {
    if (!(err instanceof PowerCutError)) throw err;
    this.cut();
  }

  /** Runs fn on the agent; a power cut inside it leaves the device off. */
  private run<T>(fn: (x: LinkExports) => T): T | undefined {
    if (!this.on) return undefined;
    try {
      return fn(this.exports);
    } catch (err) {
      this.off(err);
      return undefined;
    }
  }

  /** Bytes arrived on the wire (lost while the device is off, as on a real UART). */
  receive(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length && this.on; at += LINK_RX_BYTES) {
      const piece = bytes.subarray(at, Math.min(at + LINK_RX_BYTES, bytes.length));
      this.run((x) => {
        this.device.instance.io().set(piece);
        return x.link_rx(piece.length);
      });
    }
  }

  /** One main-loop iteration: elapsedMs of time, one update_poll budget, a reboot if due. */
  step(elapsedMs: number): StepResult {
    if (!this.on) return "off";
    const reboot = this.run((x) => x.link_tick(elapsedMs));
    if (reboot === 1) {
      this.on = false;
      this.device.powerOff();
      this.pendingReason = "reboot-after-install";
      return "off";
    }
    const polled = this.run((x) => x.update_poll(this.options.pollBudget));
    if (!this.on) return "off";
    return polled === 1 ? "busy" : "idle";
  }

  /** The wire was reconnected: drop half-received frames and any transfer session. */
  linkReset(): void {
    this.run((x) => x.link_reset());
  }

  /** The link layer's drop counters. */
  counters(): LinkCounters {
    const values = this.run((x) => {
      const n = x.link_stats();
      const io = this.device.instance.io();
      const view = new DataView(io.buffer, io.byteOffset, n * 4);
      return Array.from({ length: n }, (_, i) => view.getUint32(i * 4, true));
    }) ?? [];
    return Object.fromEntries(LINK_COUNTERS.map((name, i) => [name, values[i] ?? 0])) as LinkCounters;
  }

  /** Bytes of linear memory the agent has now (it must stay one 64 KiB page). */
  memoryBytes(): number {
    return this.device.memoryBytes();
  }

  bootInfo(): BootInfo {
    return this.device.bootInfo();
  }

  status(): UpdateStatus {
    return this.device.status();
  }
}
