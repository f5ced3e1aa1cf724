// A local update over the wire, as `airlock send` runs it: GetStatus, Start, the transfer,
// Verify, Apply, and the wait for the device to come back from its reboot. Resumable at every
// step: when the link drops or the device resets, the host reconnects, asks where the device is,
// and continues from there (the transfer from the device's offset, verify or apply again after
// a reset, since neither survives one as done). The device keeps the bundle's file name, so a
// second `send` of the same bundle after a host crash resumes too, and another host's bundle is
// never mistaken for ours.
import { RpcClient, RpcError, RpcTimeoutError } from "./rpc-client.js";
import { BundledUpdateClient, refused, type DeviceStatus } from "./bundled-update-client.js";
import { DeviceInfoClient } from "./device-info-client.js";
import { TransferClient, TransferError } from "./transfer-client.js";
import { LinkClosedError, type ByteLink } from "./byte-link.js";
import { ConnectError } from "./tcp.js";
import { realClock, type Clock } from "./clock.js";
import { statusInfo } from "../../host-sim/index.js";

export type SendPhase = "transfer" | "verify" | "apply";

export interface SendOptions {
  /** Opens a fresh link to the device (called again after the link drops). */
  connect(): Promise<ByteLink>;
  bundle: Uint8Array;
  /** Kept by the device for this update (Pigweed's bundle_filename). */
  filename: string;
  clock?: Clock;
  onProgress?(phase: SendPhase, done: number, total: number): void;
  log?(line: string): void;
  /** Per RPC call. */
  callTimeoutMs?: number;
  /** Per transfer chunk (Pigweed's 2 s by default). */
  chunkTimeoutMs?: number;
  /** How long the device may stay silent (rebooting, powered off) before send gives up. */
  deviceTimeoutMs?: number;
  /** Verify and apply of a large bundle take a while: the whole of each may take this long. */
  workTimeoutMs?: number;
  /** Between GetStatus polls while the device verifies or applies. */
  pollMs?: number;
  /** Transfer restarts after a drop or reset before send gives up. */
  maxResumes?: number;
}

export interface SendReport {
  state: string;
  result: string;
  /** Bundle bytes sent on the wire, retransmissions included. */
  bytesSent: number;
  bundleBytes: number;
  /** Transfers continued from the device's offset after a drop, reset or timeout. */
  resumes: number;
  /** The update was already installed by an earlier send (nothing sent). */
  alreadyInstalled: boolean;
  durationMs: number;
}

export type SendErrorCode = "NO_DEVICE" | "BUSY" | "REJECTED" | "TIMEOUT";

export class SendError extends Error {
  constructor(message: string, readonly code: SendErrorCode, readonly agentError?: string) {
    super(message);
    this.name = "SendError";
  }
}

const STATE = { INACTIVE: "INACTIVE", TRANSFERRING: "TRANSFERRING", TRANSFERRED: "TRANSFERRED", VERIFYING: "VERIFYING", VERIFIED: "VERIFIED", APPLYING: "APPLYING", FINISHED: "FINISHED" };

/** The agent's error named in a status note ("airlock error -NN"), with its cause and fix. */
export function agentErrorOf(status: DeviceStatus): { name: string; message: string } | undefined {
  const match = /airlock error (-\d+)/.exec(status.note ?? "");
  if (!match) return undefined;
  const info = statusInfo(Number(match[1]));
  return { name: info.name, message: info.message };
}

function describe(status: DeviceStatus): string {
  const name = status.bundleFilename !== undefined ? ` with bundle "${status.bundleFilename}"` : "";
  const result = status.resultName ? ` (${status.resultName})` : "";
  return `${status.stateName}${result}${name}`;
}

export class DeviceConnection {
  rpc!: RpcClient;
  update!: BundledUpdateClient;
  info!: DeviceInfoClient;
  transfer!: TransferClient;
  private link: ByteLink | undefined;
  private open = false;

  constructor(readonly connect: () => Promise<ByteLink>, readonly clock: Clock, readonly callTimeoutMs: number) {}

  get description(): string {
    return this.link?.description ?? "the device";
  }

  async ensure(): Promise<void> {
    if (this.open) return;
    const link = await this.connect();
    this.link = link;
    this.open = true;
    link.onClose(() => {
      if (this.link === link) this.open = false;
    });
    this.rpc = new RpcClient(link, { clock: this.clock });
    this.update = new BundledUpdateClient(this.rpc, this.callTimeoutMs);
    this.info = new DeviceInfoClient(this.rpc, this.callTimeoutMs);
    this.transfer = new TransferClient(this.rpc);
  }

  close(): void {
    this.open = false;
    this.link?.close();
  }
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.after(ms, resolve));
}

/** Retryable: the link dropped, the device did not answer in time, or it is off (refused connect). */
function transient(err: unknown): boolean {
  return err instanceof RpcTimeoutError || err instanceof LinkClosedError || err instanceof ConnectError || err instanceof TransferError;
}

export async function sendBundle(options: SendOptions): Promise<SendReport> {
  const connection: { device?: DeviceConnection } = {};
  try {
    return await runSend(options, connection);
  } finally {
    connection.device?.close(); // on success and on every failure: no socket keeps the process alive
  }
}

async function runSend(options: SendOptions, connection: { device?: DeviceConnection }): Promise<SendReport> {
  const clock = options.clock ?? realClock;
  const log = options.log ?? (() => {});
  const deviceTimeout = options.deviceTimeoutMs ?? 30_000;
  const workTimeout = options.workTimeoutMs ?? 600_000;
  const pollMs = options.pollMs ?? 100;
  // Status polls while the device works: short, since one lost to a reboot is just asked again.
  const pollTimeout = Math.min(options.callTimeoutMs ?? 2000, Math.max(500, 5 * pollMs));
  const maxResumes = options.maxResumes ?? 20;
  const started = clock.now();
  const device = new DeviceConnection(options.connect, clock, options.callTimeoutMs ?? 2000);
  connection.device = device;
  let bytesSent = 0;
  let resumes = 0;

  /** Runs one call, reconnecting and retrying while the device is silent, up to deviceTimeout. */
  async function ask(what: string, call: (d: DeviceConnection) => Promise<DeviceStatus>): Promise<DeviceStatus> {
    const deadline = clock.now() + deviceTimeout;
    for (;;) {
      try {
        await device.ensure();
        return await call(device);
      } catch (err) {
        if (err instanceof RpcError) throw new SendError(`${what}: the device answered ${err.message}`, "REJECTED");
        if (!transient(err)) throw err;
        if (clock.now() >= deadline) {
          throw new SendError(`${what}: no answer from ${device.description} for ${Math.round(deviceTimeout / 1000)} s (${(err as Error).message})`, err instanceof ConnectError ? "NO_DEVICE" : "TIMEOUT");
        }
        if (err instanceof LinkClosedError || err instanceof ConnectError) device.close();
        await sleep(clock, Math.min(pollMs * 5, 500));
      }
    }
  }

  const rejectWith = (status: DeviceStatus, phase: string): never => {
    const agent = agentErrorOf(status);
    const why = agent ? `${agent.name}: ${agent.message}` : status.note ?? status.resultName ?? status.stateName;
    throw new SendError(`the device refused the bundle during ${phase}: ${why}`, "REJECTED", agent?.name);
  };

  // Nothing listening at the address is said at once; later, a silent device is waited for.
  try {
    await device.ensure();
  } catch (err) {
    if (err instanceof ConnectError) throw new SendError(err.message, "NO_DEVICE");
    throw err;
  }
  let status = await ask("GetStatus", (d) => d.update.getStatus());
  const ours = status.bundleFilename === options.filename;
  let alreadyInstalled = false;

  if (status.stateName === STATE.FINISHED) {
    if (ours && status.resultName === "SUCCESS") {
      alreadyInstalled = true;
    } else {
      log(`the device holds a finished update (${describe(status)}); clearing it with Reset`);
      status = await ask("Reset", (d) => d.update.reset());
    }
  } else if (status.stateName !== STATE.INACTIVE && !ours) {
    throw new SendError(
      `the device is busy with another update: ${describe(status)}; finish it, or run \`airlock device abort\` and then \`airlock device reset\``,
      "BUSY",
    );
  }
  if (alreadyInstalled) {
    return report(status, true);
  }
  if (status.stateName === STATE.INACTIVE) {
    status = await ask("Start", (d) => d.update.start(options.filename));
    // A retried Start (its first answer was lost) is refused because the first one worked.
    const started = status.stateName === STATE.TRANSFERRING && status.bundleFilename === options.filename;
    if (refused(status) && !started) rejectWith(status, "Start");
  } else {
    log(`continuing the update the device holds: ${describe(status)}`);
  }

  // ---- transfer (resumed from the device's offset after a drop or reset) ----
  let lastSent = 0;
  while (status.stateName === STATE.TRANSFERRING) {
    try {
      await device.ensure();
      const resourceId = status.transferId ?? 1;
      await device.transfer.write(resourceId, options.bundle, {
        initialOffset: lastSent,
        chunkTimeoutMs: options.chunkTimeoutMs,
        onDataSent: (bytes) => (bytesSent += bytes),
        onProgress: (sent, total) => {
          lastSent = sent;
          options.onProgress?.("transfer", sent, total);
        },
      });
    } catch (err) {
      if (!transient(err)) throw err;
      if (resumes >= maxResumes) throw new SendError(`the transfer failed ${resumes + 1} times; last: ${(err as Error).message}`, "TIMEOUT");
      resumes++;
      log(`transfer interrupted (${(err as Error).message}); asking the device where it is`);
      if (err instanceof LinkClosedError) device.close();
    }
    status = await ask("GetStatus", (d) => d.update.getStatus());
    if (status.stateName === STATE.FINISHED) rejectWith(status, "the transfer");
    if (status.stateName === STATE.INACTIVE) throw new SendError(`the device dropped the update during the transfer (${describe(status)}): someone aborted and reset it`, "BUSY");
  }
  options.onProgress?.("transfer", options.bundle.length, options.bundle.length);

  // ---- verify and apply: started by one call, advanced by the device's main loop ----
  for (const phase of ["verify", "apply"] as const) {
    const deadline = clock.now() + workTimeout;
    let refusals = 0;
    for (;;) {
      if (phase === "verify" && (status.stateName === STATE.VERIFIED || status.stateName === STATE.APPLYING)) break;
      if (phase === "apply" && status.stateName === STATE.FINISHED) break;
      if (status.stateName === STATE.FINISHED) rejectWith(status, phase);
      if (status.stateName === STATE.INACTIVE) throw new SendError(`the device dropped the update during ${phase} (${describe(status)})`, "BUSY");
      if (status.stateName === STATE.TRANSFERRED || (phase === "apply" && status.stateName === STATE.VERIFIED)) {
        // Not started yet, or a reset undid the work: (re)start it. A refusal is judged by the
        // state it reports (a retried call finds the work already going), and only a refusal
        // that leaves the state where it was, three times over, ends the send.
        const before = status.stateName;
        status = await ask(phase === "verify" ? "Verify" : "Apply", (d) => (phase === "verify" ? d.update.verify() : d.update.apply()));
        if (refused(status) && status.stateName === before && ++refusals >= 3) rejectWith(status, phase);
        continue;
      }
      if (status.progress !== undefined) options.onProgress?.(phase, status.progress, 10000);
      if (clock.now() >= deadline) throw new SendError(`${phase} did not finish within ${Math.round(workTimeout / 1000)} s (device: ${describe(status)})`, "TIMEOUT");
      await sleep(clock, pollMs);
      status = await ask("GetStatus", (d) => d.update.getStatus(pollTimeout));
    }
    options.onProgress?.(phase, 10000, 10000);
  }
  if (status.resultName !== "SUCCESS") rejectWith(status, "apply");
  device.close();
  return report(status, false);

  function report(s: DeviceStatus, already: boolean): SendReport {
    device.close();
    return {
      state: s.stateName,
      result: s.resultName ?? "UNKNOWN",
      bytesSent,
      bundleBytes: options.bundle.length,
      resumes,
      alreadyInstalled: already,
      durationMs: clock.now() - started,
    };
  }
}
