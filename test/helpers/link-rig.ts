// A host and a simulated device on a modelled wire, in virtual time. The wire has a baud rate and
// a latency (bytes take 10 bits each, one direction at a time per side), and a fault schedule
// can drop, corrupt, duplicate, reorder or stall frames, cut the connection, or reset or
// power-cut the device. Time only moves when nothing else can happen: every timeout in the host
// stack and the device runs exactly, in microseconds of real time, and the same seed replays the
// same run. The device is the real build/agent-link.wasm over the NOR flash model.
import { LinkedDevice, type BootInfo } from "../../host-sim/index.js";
import { NorFlash } from "../../host-sim/flash.js";
import type { Board } from "../../host-sim/index.js";
import type { ByteLink, Clock } from "../../tools/link/index.js";
import { LinkClosedError } from "../../tools/link/index.js";

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock whose time moves only when run() finds nothing else to do. */
export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: Timer[] = [];
  /** Real async work in progress (a device instantiating its module): time waits for it. */
  private pending = new Set<Promise<unknown>>();

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => {});
    return promise;
  }

  /** Runs until `until` settles; throws if virtual time passes limitMs first (a hang). */
  async run<T>(until: Promise<T>, limitMs: number): Promise<T> {
    let settled = false;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    until.then((v) => { settled = true; value = v; }, (e: unknown) => { settled = true; failed = true; error = e; });
    for (;;) {
      // Let promise chains and real async work (module instantiation) finish at this instant.
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
      while (this.pending.size > 0) {
        await Promise.allSettled([...this.pending]);
        await new Promise<void>((r) => setImmediate(r));
      }
      if (settled) {
        if (failed) throw error;
        return value as T;
      }
      this.timers = this.timers.filter((t) => !t.cancelled);
      if (this.timers.length === 0) throw new Error(`virtual time ${this.time} ms: nothing scheduled and the run has not ended (a hang)`);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      if (next.at > limitMs) throw new Error(`still running after ${limitMs} ms of virtual time (a hang past every timeout)`);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
  }
}

/** What the wire does to one frame (each write is one HDLC frame on both sides). */
export type FrameFate = "deliver" | "drop" | "corrupt" | "duplicate" | "hold" | "stall";

export interface FaultPlan {
  /** Decides each frame's fate, in order; "hold" keeps it back and delivers it after the next (reorder). */
  fate?(direction: "to-device" | "to-host", index: number): FrameFate;
  /** Stall length for "stall" frames. */
  stallMs?: number;
  /** Events at a count of bytes the device has received. */
  atDeviceByte?: { byte: number; action: "cut-link" | "reset" | "power-cut" }[];
  /** Power cut at the N-th flash program/erase from the start (the flash model's own cut). */
  flashCutAt?: number;
}

export interface RigOptions {
  board: Board;
  flash: NorFlash;
  baud?: number;
  latencyMs?: number;
  faults?: FaultPlan;
  /** Deterministic randomness for corruption. */
  random?: () => number;
  /** How long the device stays off after a reset or power cut. */
  offMs?: number;
  autoConfirm?: boolean;
  pollBudget?: number;
}

/** Bytes on the wire in each direction, for efficiency figures. */
export interface WireCounts {
  toDevice: number;
  toHost: number;
}

export class LinkRig {
  readonly clock = new VirtualClock();
  readonly device: LinkedDevice;
  readonly wire: WireCounts = { toDevice: 0, toHost: 0 };
  readonly boots: { info: BootInfo; reason: string; at: number }[] = [];
  private host: { deliver(bytes: Uint8Array): void; close(reason?: Error): void } | undefined;
  private lineFree = { "to-device": 0, "to-host": 0 };
  private frames = { "to-device": 0, "to-host": 0 };
  private held: { "to-device"?: Uint8Array; "to-host"?: Uint8Array } = {};
  private deviceBytes = 0;
  private events: { byte: number; action: "cut-link" | "reset" | "power-cut" }[];
  private readonly baud: number;
  private readonly latency: number;
  private loopStarted = false;
  private stopped = false;
  private restarting = false;

  constructor(readonly options: RigOptions) {
    this.baud = options.baud ?? 115200;
    this.latency = options.latencyMs ?? 10;
    this.events = [...(options.faults?.atDeviceByte ?? [])].sort((a, b) => a.byte - b.byte);
    this.device = new LinkedDevice(options.flash, options.board, (frame) => this.send("to-host", frame), {
      autoConfirm: options.autoConfirm ?? true,
      pollBudget: options.pollBudget,
      onBoot: (info, reason) => this.boots.push({ info, reason, at: this.clock.now() }),
    });
    if (options.faults?.flashCutAt !== undefined) options.flash.arm({ atOp: options.faults.flashCutAt, mode: "torn", seed: 1 });
  }

  /** Powers the device on and starts its main loop. */
  async start(): Promise<BootInfo> {
    const info = await this.clock.track(this.device.powerOn("power-on"));
    if (!this.loopStarted) {
      this.loopStarted = true;
      this.loop();
    }
    return info;
  }

  stop(): void {
    this.stopped = true;
    this.host?.close();
  }

  private loop(): void {
    if (this.stopped) return;
    const result = this.device.step(1);
    if (result === "off") this.comeBack();
    this.clock.after(1, () => this.loop());
  }

  private comeBack(): void {
    if (this.restarting || this.stopped || this.device.booting) return;
    this.restarting = true;
    this.clock.after(this.options.offMs ?? 50, () => {
      this.restarting = false;
      void this.clock.track(this.device.powerOn()).catch(() => this.comeBack());
    });
  }

  /** The host's connect(): a fresh link to the device (the device end is always there). */
  connect = async (): Promise<ByteLink> => {
    this.host?.close(new Error("replaced by a new connection"));
    const dataListeners: ((b: Uint8Array) => void)[] = [];
    const closeListeners: ((r: Error | undefined) => void)[] = [];
    let open = true;
    const end = {
      deliver: (bytes: Uint8Array) => {
        if (open) dataListeners.forEach((l) => l(bytes));
      },
      close: (reason?: Error) => {
        if (!open) return;
        open = false;
        if (this.host === end) this.host = undefined;
        closeListeners.forEach((l) => l(reason));
      },
    };
    this.host = end;
    this.device.linkReset();
    return {
      description: "the simulated wire",
      write: (bytes) => {
        if (!open) throw new LinkClosedError("the simulated wire");
        this.send("to-device", bytes);
      },
      onData: (l) => void dataListeners.push(l),
      onClose: (l) => void closeListeners.push(l),
      close: () => end.close(),
    };
  };

  private send(direction: "to-device" | "to-host", frame: Uint8Array): void {
    const index = this.frames[direction]++;
    const fate = this.options.faults?.fate?.(direction, index) ?? "deliver";
    if (fate === "drop") return;
    let bytes = frame.slice();
    if (fate === "corrupt") {
      const r = this.options.random ?? Math.random;
      const at = Math.floor(r() * bytes.length);
      bytes[at] ^= 1 << Math.floor(r() * 8);
    }
    if (fate === "hold" && !this.held[direction]) {
      this.held[direction] = bytes;
      return;
    }
    this.transmit(direction, bytes, fate === "stall" ? this.options.faults?.stallMs ?? 3000 : 0);
    const held = this.held[direction];
    if (held) {
      this.held[direction] = undefined;
      this.transmit(direction, held, 0);
    }
    if (fate === "duplicate") this.transmit(direction, bytes, 0);
  }

  /** Puts bytes on the line: they arrive after the line is free, their serialization time and the latency. */
  private transmit(direction: "to-device" | "to-host", bytes: Uint8Array, extraMs: number): void {
    const now = this.clock.now();
    const serialization = (bytes.length * 10 * 1000) / this.baud;
    const start = Math.max(now, this.lineFree[direction]);
    this.lineFree[direction] = start + serialization;
    if (direction === "to-device") this.wire.toDevice += bytes.length;
    else this.wire.toHost += bytes.length;
    this.clock.after(start + serialization + this.latency + extraMs - now, () => {
      if (direction === "to-host") {
        this.host?.deliver(bytes);
        return;
      }
      this.deviceReceive(bytes);
    });
  }

  private deviceReceive(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const event = this.events[0];
      const until = event ? Math.min(bytes.length, at + Math.max(0, event.byte - this.deviceBytes)) : bytes.length;
      if (until > at) {
        this.device.receive(bytes.subarray(at, until));
        this.deviceBytes += until - at;
        at = until;
      }
      if (event && this.deviceBytes >= event.byte) {
        this.events.shift();
        this.fire(event.action);
      } else if (!event) break;
    }
    if (!this.device.powered) this.comeBack();
  }

  private fire(action: "cut-link" | "reset" | "power-cut"): void {
    if (action === "cut-link") {
      this.host?.close(new Error("the link was cut"));
    } else if (action === "reset") {
      this.device.cut();
      this.comeBack();
    } else {
      this.device.cut();
      this.comeBack();
    }
  }

  /** Runs a host operation to its end in virtual time. */
  run<T>(operation: Promise<T>, limitMs = 3_600_000): Promise<T> {
    return this.clock.run(operation, limitMs);
  }
}
