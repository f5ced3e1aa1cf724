// Loads build/agent.wasm — the same module a device runs — and binds its flash imports to a
// FlashPort. The module is compiled once per process; every instantiateAgent() call returns a
// fresh instance (fresh static memory, as after a device reset) over the port it is given.
import { readFile } from "node:fs/promises";
import type { FlashPort } from "./flash-port.js";
import { ERR_IO_RANGE } from "../assembly/status.js";

/**
 * Every function build/agent.wasm exports, typed. The device ABI is documented in
 * assembly/index.ts; add a line here for each export added there.
 */
export interface AgentExports {
  memory: WebAssembly.Memory;
  io_ptr(): number;
  io_len(): number;

  // crypto test surface: inputs and outputs in the I/O window
  sha256_init(): void;
  sha256_update(len: number): number;
  sha256_final(): number;
  sha512_init(): void;
  sha512_update(len: number): number;
  sha512_final(): number;
  /** Window: [public key 32][signature 64][message msgLen]. 0 = valid, else a negative code. */
  ed25519_verify(msgLen: number): number;
  /** Window: [public key 32][signature 64]. Starts a streamed verification. */
  ed25519_verify_init(): number;
  /** Window: the next len message bytes. */
  ed25519_verify_update(len: number): number;
  ed25519_verify_final(): number;
  /** Window: [public key 65 (04 || X || Y)][signature 64 (r || s)][SHA-256 digest 32]. 0 = valid. */
  p256_verify_digest(): number;

  // update agent (assembly/index.ts "update agent"): 0 = OK, negative = a code in status.ts
  /** Layout descriptor (len bytes in the window); also mounts the record store. */
  configure(len: number): number;
  /** Returns the slot to run (0 = A, 1 = B) or a negative code. */
  boot(): number;
  /** Advances the boot-time image check (layout bootCheck) by at most budget bytes: the slot when done. */
  boot_poll(budget: number): number;
  /** Rejoins the run boot() started, instead of boot() (same run, fresh instance): the running slot; writes nothing. */
  attach(): number;
  confirm(): number;
  /** Boot info record into the window (boot/info.ts). */
  boot_info(): number;
  /** Bytes of the running user manifest, or ERR_USER_MANIFEST_ABSENT / another negative code. */
  user_manifest_size(): number;
  /** Copies up to len bytes from `offset` of the running user manifest to the window; bytes copied. */
  user_manifest_read(offset: number, len: number): number;
  provision_image(target: number, offset: number, len: number): number;
  provision(len: number): number;
  update_start(): number;
  update_write(offset: number, len: number): number;
  update_set_transferred(total: number): number;
  update_verify(): number;
  update_apply(): number;
  update_abort(): number;
  update_reset(): number;
  /** 32-byte status record into the window (update/service.ts). */
  update_status(): number;
  /** 1 = call again, 0 = idle, negative = the update failed with that code. */
  update_poll(budget: number): number;
}

/** The link variant (build/agent-link.wasm, assembly/link/index.ts) adds Pigweed's wire protocol. */
export interface LinkExports extends AgentExports {
  /** Feeds len received bytes placed at the start of the window (at most LINK_RX_BYTES). */
  link_rx(len: number): number;
  /** ms elapsed since the last call; returns 1 when an installed update waits for a reboot. */
  link_tick(elapsedMs: number): number;
  /** Copies the drop counters into the window; returns how many (u32 each). */
  link_stats(): number;
  /** Forgets a half-received frame and any open transfer session (the wire was reconnected). */
  link_reset(): void;
}

export interface AgentInstance {
  exports: AgentExports;
  memory: WebAssembly.Memory;
  /** A view of the I/O window (stable: the agent's memory never grows). */
  io(): Uint8Array;
}

/** Where the release builds live; `npm run build` writes them. */
export const AGENT_WASM_URL = new URL("../build/agent.wasm", import.meta.url);
export const AGENT_LINK_WASM_URL = new URL("../build/agent-link.wasm", import.meta.url);
/** The single-scheme builds (`npm run build:ed25519`, `npm run build:p256`; README "Build variants"). */
export const AGENT_ED25519_WASM_URL = new URL("../build/agent-ed25519.wasm", import.meta.url);
export const AGENT_P256_WASM_URL = new URL("../build/agent-p256.wasm", import.meta.url);

const compiled = new Map<string, Promise<WebAssembly.Module>>();

function compileAgent(url: URL): Promise<WebAssembly.Module> {
  let module = compiled.get(url.href);
  if (!module) {
    module = readFile(url)
      .catch((cause: unknown) => {
        throw new Error(`cannot read ${url.pathname}: run \`npm run build\` (or the build:* script of that variant) first`, { cause });
      })
      .then((bytes) => WebAssembly.compile(bytes));
    compiled.set(url.href, module);
    // A failed compile must not poison every later call (the build may be fixed in between).
    module.catch(() => compiled.delete(url.href));
  }
  return module;
}

/** Where the link variant's frames go: link.tx(ptr, len) hands each encoded frame here. */
export interface LinkPort {
  /** One whole HDLC frame (flags included). Return 0, or a negative code if it cannot be sent. */
  transmit(frame: Uint8Array): number;
}

/**
 * A fresh agent instance whose flash imports call `flash`. A pointer/length pair from the agent
 * that falls outside its memory is refused with ERR_IO_RANGE instead of throwing a RangeError.
 * Exceptions thrown by the port (a simulated power cut) propagate through the WASM call.
 * `wasm` picks another build with the same ABI (a signature-scheme variant).
 */
export async function instantiateAgent(flash: FlashPort, wasm: URL = AGENT_WASM_URL): Promise<AgentInstance> {
  return instantiate(wasm, flash, undefined);
}

export interface LinkAgentInstance extends AgentInstance {
  exports: LinkExports;
}

/** A fresh instance of the link variant: flash imports on `flash`, frames out through `link`. */
export async function instantiateLinkAgent(flash: FlashPort, link: LinkPort): Promise<LinkAgentInstance> {
  return (await instantiate(AGENT_LINK_WASM_URL, flash, link)) as LinkAgentInstance;
}

async function instantiate(url: URL, flash: FlashPort, link: LinkPort | undefined): Promise<AgentInstance> {
  const module = await compileAgent(url);
  let memory: WebAssembly.Memory | undefined;
  const view = (ptr: number, len: number): Uint8Array | undefined => {
    const buffer = memory!.buffer;
    if (ptr < 0 || len < 0 || ptr + len > buffer.byteLength) return undefined;
    return new Uint8Array(buffer, ptr, len);
  };
  const imports = {
    flash: {
      read(addr: number, dst: number, len: number): number {
        const bytes = view(dst >>> 0, len >>> 0);
        return bytes ? flash.read(addr >>> 0, bytes) : ERR_IO_RANGE;
      },
      program(addr: number, src: number, len: number): number {
        const bytes = view(src >>> 0, len >>> 0);
        return bytes ? flash.program(addr >>> 0, bytes) : ERR_IO_RANGE;
      },
      erase(addr: number, len: number): number {
        return flash.erase(addr >>> 0, len >>> 0);
      },
    },
    link: {
      tx(ptr: number, len: number): number {
        const bytes = view(ptr >>> 0, len >>> 0);
        // A copy: the agent reuses its transmit buffer for the next frame.
        return bytes && link ? link.transmit(bytes.slice()) : ERR_IO_RANGE;
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  const exports = instance.exports as unknown as AgentExports;
  memory = exports.memory;
  const io = new Uint8Array(memory.buffer, exports.io_ptr(), exports.io_len());
  return { exports, memory, io: () => io };
}
