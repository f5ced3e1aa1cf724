// A simulated device: the real agent.wasm over a flash port and a board layout, driven the way
// firmware drives it. Every powerOn() is a fresh WASM instance, so nothing but flash survives a
// reset; a simulated power cut (PowerCutError from the flash) propagates out of any call and
// leaves the device powered off until the next powerOn(). attach() is also a fresh instance, but
// within the same run: it rejoins what the last power-on started (a firmware that reloads the
// agent, or a CLI command continuing the run an earlier command left going).
import { instantiateAgent, instantiateLinkAgent, AGENT_WASM_URL, type AgentInstance, type LinkPort } from "./agent-module.js";
import type { FlashPort } from "./flash-port.js";
import { USER_MANIFEST_NAME, type Board } from "./boards.js";
import { encodeLayout } from "./layout.js";
import { statusInfo } from "./status.js";
import { MAX_TARGET_NAME, MAX_TARGETS } from "../assembly/limits.js";
import { OK, ERR_UPDATE_STATE, ERR_USER_MANIFEST_ABSENT, ERR_BOOT_CHECK_PENDING } from "../assembly/status.js";

/** Pigweed's BundledUpdateState (INSTALLING is its APPLYING; ABORTING is never reported). */
export const UPDATE_STATES = [
  "UNKNOWN", "INACTIVE", "TRANSFERRING", "TRANSFERRED", "VERIFYING", "VERIFIED", "INSTALLING", "ABORTING", "FINISHED",
] as const;
/** Pigweed's BundledUpdateResult. */
export const UPDATE_RESULTS = [
  "UNKNOWN", "SUCCESS", "UNKNOWN_ERROR", "ABORTED", "TRANSFER_FAILED", "VERIFY_FAILED", "APPLY_FAILED",
] as const;
export const STATE = { INACTIVE: 1, TRANSFERRING: 2, TRANSFERRED: 3, VERIFYING: 4, VERIFIED: 5, INSTALLING: 6, FINISHED: 8 } as const;
export const RESULT = { UNKNOWN: 0, SUCCESS: 1, ABORTED: 3, TRANSFER_FAILED: 4, VERIFY_FAILED: 5, APPLY_FAILED: 6 } as const;

export type Slot = "a" | "b";

export interface BootInfo {
  /** The slot whose images run. */
  slot: Slot;
  /** The running image has not been confirmed yet: the next power-on without confirm reverts. */
  trial: boolean;
  rootVersion: number;
  targetsVersion: number;
  /** Target name -> SHA-256 (hex) of the image that runs, from the running slot's manifest. */
  images: Record<string, string>;
  /** Target name -> image length in bytes. */
  lengths: Record<string, number>;
  /** An update was installed at this power-on and runs after the next one. */
  pending: boolean;
}

export interface UpdateStatus {
  state: number;
  stateName: string;
  result: number;
  resultName: string;
  /** Progress of the current phase in hundredths of a percent (0..10000). */
  progress: number;
  bytesReceived: number;
  lastError: number;
  /** Bundle size once transferred (0 before). */
  total: number;
  phaseDone: number;
  phaseTotal: number;
}

export interface UpdateOutcome {
  ok: boolean;
  state: number;
  result: number;
  /** 0, or the negative code that ended the update. */
  error: number;
  errorName: string;
  message: string;
}

export type UpdatePhase = "transfer" | "verify" | "apply";

export interface UpdateOptions {
  onProgress?(phase: UpdatePhase, done: number, total: number): void;
  /** Continue a transfer interrupted by a reset instead of starting over (same bundle!). */
  resume?: boolean;
  /** Bytes hashed or copied per update_poll call (default 16 KiB). */
  budget?: number;
}

/** Factory manifest entries for targets whose images are not written through provision(). */
export interface DeclaredImage {
  length: number;
  sha256: Uint8Array;
}

/** A negative code from the agent, with its name and a message saying cause and fix. */
export class AgentError extends Error {
  readonly code: number;
  readonly codeName: string;
  constructor(what: string, code: number) {
    const info = statusInfo(code);
    super(`${what} failed: ${info.name} (${code}): ${info.message}`);
    this.name = "AgentError";
    this.code = code;
    this.codeName = info.name;
  }
}

const STATUS_BYTES = 32;
const BOOT_INFO_HEADER = 24;
const BOOT_INFO_ENTRY = MAX_TARGET_NAME + 40;
const PROVISION_HEADER = 12;
const PROVISION_ENTRY = 40;
const DEFAULT_BUDGET = 16 * 1024;
/** Bytes hashed per boot_poll call during the boot-time image check (what a boot loop affords). */
const BOOT_CHECK_BUDGET_BYTES = 16 * 1024;

function check(what: string, rc: number): number {
  if (rc < 0) throw new AgentError(what, rc);
  return rc;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export class SimDevice {
  private agent: AgentInstance | undefined;

  /**
   * With `link`, the device runs the link variant (build/agent-link.wasm) and sends frames there.
   * Otherwise it runs `wasm`: build/agent.wasm unless a signature-scheme variant is named.
   */
  constructor(
    readonly flash: FlashPort,
    readonly board: Board,
    readonly link?: LinkPort,
    readonly wasm: URL = AGENT_WASM_URL,
  ) {}

  /** The running agent instance (after powerOn); throws when the device is off. */
  get instance(): AgentInstance {
    if (!this.agent) throw new Error("the simulated device is powered off: call powerOn() first");
    return this.agent;
  }

  /** Bytes of linear memory the agent has now (it must stay one 64 KiB page). */
  memoryBytes(): number {
    return this.instance.memory.buffer.byteLength;
  }

  /**
   * Runs fn against the agent. A refusal (AgentError) leaves the instance usable; any other
   * exception (a power cut unwinding the WASM call) leaves the device powered off.
   */
  private guard<T>(fn: (agent: AgentInstance) => T): T {
    const agent = this.instance;
    try {
      return fn(agent);
    } catch (e) {
      if (!(e instanceof AgentError)) this.agent = undefined;
      throw e;
    }
  }

  /** A fresh instance with the board's layout configured (nothing else called yet). */
  private async instantiate(): Promise<AgentInstance> {
    this.agent = undefined;
    const agent = this.link ? await instantiateLinkAgent(this.flash, this.link) : await instantiateAgent(this.flash, this.wasm);
    this.agent = agent;
    const layout = encodeLayout(this.board);
    this.guard((a) => {
      a.io().set(layout);
      check("configure", a.exports.configure(layout.length));
    });
    return agent;
  }

  /** Power-on: fresh instance, configure, boot. Returns what runs. */
  async powerOn(): Promise<BootInfo> {
    await this.instantiate();
    this.guard((a) => {
      let rc = a.exports.boot();
      // The board asks for the image check at boot: hashed in budgets, as firmware would.
      while (rc === ERR_BOOT_CHECK_PENDING) rc = a.exports.boot_poll(BOOT_CHECK_BUDGET_BYTES);
      check("boot", rc);
    });
    return this.bootInfo();
  }

  /**
   * Rejoins the run the last power-on started: fresh instance, configure, attach. Nothing is
   * settled and nothing written, so a trial image stays on trial and confirm() reaches it.
   * AgentError ERR_BOOT_PENDING when flash holds an installed image no power-on started yet
   * (the instance stays, configured, for the boot() that firmware would call then).
   */
  async attach(): Promise<BootInfo> {
    await this.instantiate();
    this.guard((a) => check("attach", a.exports.attach()));
    return this.bootInfo();
  }

  /** Marks the device powered off (the next call must be powerOn). */
  powerOff(): void {
    this.agent = undefined;
  }

  bootInfo(): BootInfo {
    return this.guard((a) => {
      check("boot_info", a.exports.boot_info());
      const io = a.io();
      const view = new DataView(io.buffer, io.byteOffset, io.byteLength);
      const count = view.getUint32(16, true);
      const images: Record<string, string> = {};
      const lengths: Record<string, number> = {};
      for (let t = 0; t < count; t++) {
        const at = BOOT_INFO_HEADER + t * BOOT_INFO_ENTRY;
        const nameBytes = io.subarray(at, at + MAX_TARGET_NAME);
        const end = nameBytes.indexOf(0);
        const name = Buffer.from(nameBytes.subarray(0, end < 0 ? MAX_TARGET_NAME : end)).toString("utf8");
        if (view.getUint32(at + MAX_TARGET_NAME, true) !== 1) continue;
        lengths[name] = view.getUint32(at + MAX_TARGET_NAME + 4, true);
        images[name] = hex(io.subarray(at + MAX_TARGET_NAME + 8, at + MAX_TARGET_NAME + 40));
      }
      return {
        slot: view.getUint32(0, true) === 0 ? "a" : "b",
        trial: view.getUint32(4, true) === 1,
        rootVersion: view.getUint32(8, true),
        targetsVersion: view.getUint32(12, true),
        images,
        lengths,
        pending: view.getUint32(20, true) === 1,
      };
    });
  }

  /**
   * The user manifest that runs: the "user_manifest" payload of the bundle the running slot was
   * installed from, read through user_manifest_read in window-sized pieces. undefined when that
   * bundle listed none.
   */
  userManifest(): Uint8Array | undefined {
    return this.guard((a) => {
      const size = a.exports.user_manifest_size();
      if (size === ERR_USER_MANIFEST_ABSENT) return undefined;
      check("user_manifest_size", size);
      const out = new Uint8Array(size);
      const io = a.io();
      for (let at = 0; at < size; ) {
        const n = check("user_manifest_read", a.exports.user_manifest_read(at, Math.min(io.length, size - at)));
        if (n === 0) throw new Error(`user_manifest_read returned no bytes at offset ${at} of ${size}; the agent and host disagree`);
        out.set(io.subarray(0, n), at);
        at += n;
      }
      return out;
    });
  }

  /**
   * Factory provisioning of a fresh device: each image into slot A of its target, then the
   * trusted root and the factory manifest. Ends with a power-on; returns what runs.
   * `declared` records images the factory wrote by other means (or, for the host verifier,
   * images that exist only as a manifest; "user_manifest" declares a user manifest that way).
   */
  async provision(
    rootMetadata: Uint8Array,
    images: Record<string, Uint8Array>,
    options: { targetsVersion?: number; declared?: Record<string, DeclaredImage> } = {},
  ): Promise<BootInfo> {
    await this.instantiate();
    const names = this.board.partitions.targets.map((t) => t.name);
    const indexOf = (name: string): number => {
      // A declared user manifest: its manifest entry follows the MAX_TARGETS slot targets'.
      if (name === USER_MANIFEST_NAME) return MAX_TARGETS;
      const t = names.indexOf(name);
      if (t < 0) {
        throw new Error(`board "${this.board.name}" has no target "${name}"; its targets are ${names.join(", ")}`);
      }
      return t;
    };
    this.guard((a) => {
      const io = a.io();
      for (const [name, image] of Object.entries(images)) {
        const t = indexOf(name);
        for (let at = 0; at < image.length; at += io.length) {
          const chunk = image.subarray(at, Math.min(at + io.length, image.length));
          io.set(chunk);
          check(`provision_image(${name})`, a.exports.provision_image(t, at, chunk.length));
        }
      }
      const declared = Object.entries(options.declared ?? {});
      const len = PROVISION_HEADER + declared.length * PROVISION_ENTRY + rootMetadata.length;
      if (len > io.length) {
        throw new Error(`root metadata of ${rootMetadata.length} bytes does not fit the agent's I/O window`);
      }
      io.fill(0, 0, len);
      const view = new DataView(io.buffer, io.byteOffset, io.byteLength);
      view.setUint32(0, rootMetadata.length, true);
      view.setUint32(4, options.targetsVersion ?? 0, true);
      view.setUint8(8, declared.length);
      declared.forEach(([name, d], i) => {
        const at = PROVISION_HEADER + i * PROVISION_ENTRY;
        view.setUint8(at, indexOf(name));
        view.setUint32(at + 4, d.length, true);
        io.set(d.sha256, at + 8);
      });
      io.set(rootMetadata, PROVISION_HEADER + declared.length * PROVISION_ENTRY);
      check("provision", a.exports.provision(len));
    });
    return this.powerOn();
  }

  status(): UpdateStatus {
    return this.guard((a) => {
      check("update_status", a.exports.update_status());
      const io = a.io();
      const view = new DataView(io.buffer, io.byteOffset, STATUS_BYTES);
      const state = view.getUint32(0, true);
      const result = view.getUint32(4, true);
      return {
        state,
        stateName: UPDATE_STATES[state] ?? `STATE_${state}`,
        result,
        resultName: UPDATE_RESULTS[result] ?? `RESULT_${result}`,
        progress: view.getUint32(8, true),
        bytesReceived: view.getUint32(12, true),
        lastError: view.getInt32(16, true),
        total: view.getUint32(20, true),
        phaseDone: view.getUint32(24, true),
        phaseTotal: view.getUint32(28, true),
      };
    });
  }

  /** The running image declares itself healthy. */
  confirm(): void {
    this.guard((a) => check("confirm", a.exports.confirm()));
  }

  /** Aborts the update in progress; returns the agent's code (ERR_UPDATE_STATE when idle). */
  abort(): number {
    return this.guard((a) => a.exports.update_abort());
  }

  /** Clears a finished update (FINISHED -> INACTIVE); returns the agent's code. */
  reset(): number {
    return this.guard((a) => a.exports.update_reset());
  }

  private outcome(rc: number): UpdateOutcome {
    const s = this.status();
    const error = rc < 0 ? rc : s.lastError;
    const info = statusInfo(error);
    const ok = error === OK && s.state === STATE.FINISHED && s.result === RESULT.SUCCESS;
    return {
      ok,
      state: s.state,
      result: s.result,
      error,
      errorName: info.name,
      message: ok ? "update installed; it runs (on trial) after the next power-on" : info.message,
    };
  }

  /** Polls until the phase ends; reports progress from the status record. */
  private pollPhase(phase: UpdatePhase, budget: number, options: UpdateOptions): number {
    return this.guard((a) => {
      for (;;) {
        const rc = a.exports.update_poll(budget);
        if (options.onProgress) {
          const s = this.status();
          options.onProgress(phase, s.phaseDone, s.phaseTotal);
        }
        if (rc !== 1) return rc;
      }
    });
  }

  /**
   * Brings the service to a fresh transfer (or keeps an interrupted one when resuming) and
   * streams the bundle through the I/O window. Returns the agent's code (0 when transferred).
   */
  private stage(bundle: Uint8Array, options: UpdateOptions): number {
    const x = this.instance.exports;
    const s = this.status();
    let offset = 0;
    if (options.resume && s.state === STATE.TRANSFERRING) {
      offset = s.bytesReceived;
    } else {
      if (s.state !== STATE.INACTIVE && s.state !== STATE.FINISHED) this.abort();
      if (this.status().state === STATE.FINISHED) {
        const rc = this.reset();
        if (rc < 0) return rc;
      }
      const rc = this.guard(() => x.update_start());
      if (rc < 0) return rc;
    }
    return this.guard((a) => {
      const io = a.io();
      options.onProgress?.("transfer", offset, bundle.length);
      for (let at = offset; at < bundle.length; at += io.length) {
        const chunk = bundle.subarray(at, Math.min(at + io.length, bundle.length));
        io.set(chunk);
        const w = x.update_write(at, chunk.length);
        if (w < 0) return w;
        options.onProgress?.("transfer", at + chunk.length, bundle.length);
      }
      return x.update_set_transferred(bundle.length);
    });
  }

  /**
   * Stages and verifies the bundle without installing it (the host's `bundle verify` on a
   * throw-away device). ok when the agent reached VERIFIED; the service is left there.
   * Like a device, it keeps a bundle root that verified even if the rest is rejected.
   */
  verify(bundle: Uint8Array, options: UpdateOptions = {}): UpdateOutcome {
    const budget = options.budget ?? DEFAULT_BUDGET;
    let rc = this.stage(bundle, options);
    if (rc < 0) return this.outcome(rc);
    rc = this.guard((a) => a.exports.update_verify());
    if (rc < 0) return this.outcome(rc);
    rc = this.pollPhase("verify", budget, options);
    const s = this.status();
    const info = statusInfo(rc < 0 ? rc : s.lastError);
    const ok = rc >= 0 && s.state === STATE.VERIFIED;
    return {
      ok,
      state: s.state,
      result: s.result,
      error: ok ? OK : info.code,
      errorName: ok ? "OK" : info.name,
      message: ok ? "bundle verified: the device would install it" : info.message,
    };
  }

  /**
   * Stages the bundle through the I/O window, verifies and applies it (no reboot). A rejected
   * bundle returns ok: false with the code; power cuts propagate as PowerCutError.
   */
  update(bundle: Uint8Array, options: UpdateOptions = {}): UpdateOutcome {
    const budget = options.budget ?? DEFAULT_BUDGET;
    const x = this.instance.exports;
    const rc = this.stage(bundle, options);
    if (rc < 0) return this.outcome(rc);
    let step = this.guard(() => x.update_verify());
    if (step < 0) return this.outcome(step);
    step = this.pollPhase("verify", budget, options);
    if (step < 0) return this.outcome(step);
    step = this.guard(() => x.update_apply());
    if (step < 0) return this.outcome(step);
    step = this.pollPhase("apply", budget, options);
    const s = this.status();
    if (step >= 0 && s.state !== STATE.FINISHED) return this.outcome(ERR_UPDATE_STATE);
    return this.outcome(step);
  }
}
