// The host's public entry into the agent: the same build/agent.wasm as on a device.
import { instantiateAgent, type AgentInstance } from "./agent-module.js";
import { refusingFlashPort } from "./flash-port.js";
import { OK } from "../assembly/status.js";

export { instantiateAgent, AGENT_WASM_URL, AGENT_ED25519_WASM_URL, AGENT_P256_WASM_URL } from "./agent-module.js";
export type { AgentExports, AgentInstance } from "./agent-module.js";
export { refusingFlashPort } from "./flash-port.js";
export type { FlashPort } from "./flash-port.js";

const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;

/** The agent's crypto, driven through its I/O window. */
export interface AgentCrypto {
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  /** RFC 8032 Ed25519 (PureEdDSA) verification with OpenSSL 3's verdicts. */
  ed25519Verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean;
  /** ECDSA P-256 over a SHA-256 digest: key 04 || X || Y (65 bytes), signature r || s (64 bytes). */
  p256VerifyDigest(publicKey: Uint8Array, signature: Uint8Array, digest: Uint8Array): boolean;
  memory: WebAssembly.Memory;
}

function check(what: string, code: number): void {
  if (code !== OK) throw new Error(`agent ${what} returned ${code}: the I/O window protocol was broken (a bug in host-sim)`);
}

/** Feeds data through the I/O window in window-sized chunks. */
function stream(agent: AgentInstance, data: Uint8Array, update: (len: number) => number, what: string): void {
  const io = agent.io();
  for (let at = 0; at < data.length; at += io.length) {
    const chunk = data.subarray(at, Math.min(at + io.length, data.length));
    io.set(chunk);
    check(what, update(chunk.length));
  }
}

function digest(agent: AgentInstance, data: Uint8Array, bytes: number,
                init: () => void, update: (len: number) => number, final: () => number, what: string): Uint8Array {
  init();
  stream(agent, data, update, `${what}_update`);
  check(`${what}_final`, final());
  return agent.io().slice(0, bytes);
}

/**
 * Loads a fresh agent with no flash behind it and wraps its crypto test surface. Messages of any
 * length are streamed through the 4 KiB I/O window, so nothing is limited by the agent's memory.
 */
export async function loadAgent(): Promise<AgentCrypto> {
  const agent = await instantiateAgent(refusingFlashPort);
  const x = agent.exports;
  return {
    memory: agent.memory,
    sha256: (data) => digest(agent, data, 32, x.sha256_init, x.sha256_update, x.sha256_final, "sha256"),
    sha512: (data) => digest(agent, data, 64, x.sha512_init, x.sha512_update, x.sha512_final, "sha512"),
    ed25519Verify(publicKey, signature, message) {
      if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
      const io = agent.io();
      const header = ED25519_PUBLIC_KEY_BYTES + ED25519_SIGNATURE_BYTES;
      io.set(publicKey, 0);
      io.set(signature, ED25519_PUBLIC_KEY_BYTES);
      if (message.length <= io.length - header) {
        io.set(message, header);
        return x.ed25519_verify(message.length) === OK;
      }
      // Longer than the window: the streaming form, as the device verifies metadata in flash.
      if (x.ed25519_verify_init() !== OK) return false;
      stream(agent, message, x.ed25519_verify_update, "ed25519_verify_update");
      return x.ed25519_verify_final() === OK;
    },
    p256VerifyDigest(publicKey, signature, digest) {
      if (publicKey.length !== 65 || signature.length !== 64 || digest.length !== 32) return false;
      const io = agent.io();
      io.set(publicKey, 0);
      io.set(signature, 65);
      io.set(digest, 129);
      return x.p256_verify_digest() === OK;
    },
  };
}

// The simulated device lifecycle (provision, power-on, update, confirm) and the agent's codes.
export { SimDevice, AgentError, UPDATE_STATES, UPDATE_RESULTS, STATE, RESULT } from "./device.js";
export type { BootInfo, UpdateOutcome, UpdateStatus, UpdateOptions, UpdatePhase, DeclaredImage, Slot } from "./device.js";
export { statusInfo, statusName, STATUS_CODES } from "./status.js";
export type { StatusInfo } from "./status.js";

// The simulated device's lifecycle on a device file (the `sim` verbs and the host's `bundle verify`).
export { bootReport, simInit, simBoot, simConfirm, simManifest, simRunning, simUpdate, SimPowerCut, verifyBundle } from "./session.js";
export type { BootReport, InitOptions, UpdateOptions as SimUpdateOptions, UpdateReport, VerifyOptions, VerifyReport } from "./session.js";
export { APP_TARGET, DEFAULT_BOARD, boardNamed, loadBoard, requireImagesFit, validateBoard } from "./boards.js";
export type { Board } from "./boards.js";
export { encodeLayout } from "./layout.js";
export { targetSlots } from "./boards.js";

// The flash and the device file, for host tools that run their own device scenarios (release qualification).
export { NorFlash, PowerCutError, POWER_CUT_MODES, seededRandom } from "./flash.js";
export type { PowerCutMode } from "./flash.js";
export { saveDevice, loadDevice } from "./device-file.js";

// The simulated device on a wire (the link variant of the agent), and `sim serve`.
export { LinkedDevice, LINK_COUNTERS } from "./linked-device.js";
export type { LinkCounters, LinkedDeviceOptions, StepResult, BootReason } from "./linked-device.js";
export { serveDevice, ServeError } from "./serve.js";
export type { ServeHandle, ServeOptions } from "./serve.js";
export { instantiateLinkAgent, AGENT_LINK_WASM_URL } from "./agent-module.js";
export type { LinkExports, LinkPort } from "./agent-module.js";
