// A gateway: the rollout service's device API spoken for one device that has no network of its
// own, only a wire (a board's UART, `sim serve` on TCP). hawkBit's gateway model: the host holds
// the device's token and checks in for it, but every fact it reports is the device's own answer
// over the wire (airlock.link.DeviceInfo: what runs, on trial or confirmed), and the device's
// agent verifies the bundle itself (BundledUpdate over pw_transfer). One pollOnce() is one turn:
// report what the device runs, and when the service names an action, download the bundle, check
// its SHA-256, send it over the wire and watch the device boot it, confirm it or revert.
import { createHash } from "node:crypto";
import { DdiClient, DdiRefusal, NetworkError, type Deployment } from "../device/ddi-client.js";
import type { DeviceManifest } from "../model.js";
import { DeviceConnection, SendError, realClock, sendBundle, type ByteLink, type RunningFirmware } from "../../link/index.js";

export interface WireGatewayOptions {
  serviceUrl: string;
  product: string;
  deviceId: string;
  hardwareId: string;
  /** The device's token (from an earlier enrollment), or undefined to enroll with `enrollSecret`. */
  token?: string;
  enrollSecret?: string;
  /** Called once with the token enrollment returned, to keep it (the service shows it once). */
  saveToken?: (token: string) => void;
  connect: () => Promise<ByteLink>;
  /** How long the device may stay silent (rebooting) during a send. */
  deviceTimeoutMs?: number;
  /** How long to wait, after the device booted the update, for its firmware to confirm it. */
  confirmTimeoutMs?: number;
  log?: (line: string) => void;
}

export type GatewayEvent =
  | { kind: "enrolled" }
  | { kind: "idle"; targetsVersion: number }
  | { kind: "installed"; actionId: number; targetsVersion: number }
  | { kind: "refused"; actionId: number; error: string }
  | { kind: "reverted"; actionId: number; targetsVersion: number }
  /** The update runs on trial and its firmware has not confirmed it yet: asked again next turn. */
  | { kind: "on-trial"; actionId: number; targetsVersion: number }
  | { kind: "withdrawn"; actionId: number; reason: string }
  /** The device did not answer on the wire (off, rebooting, unplugged): nothing is reported. */
  | { kind: "no-device"; message: string }
  | { kind: "network"; message: string };

/** An update sent and booted, waiting for the device's firmware to confirm it. */
interface Awaiting {
  deployment: Deployment;
  before: RunningFirmware;
  since: number;
}

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WireGateway {
  readonly client: DdiClient;
  private awaiting: Awaiting | undefined;

  constructor(private readonly options: WireGatewayOptions) {
    this.client = new DdiClient(options.serviceUrl, options.product, options.deviceId);
    this.client.token = options.token;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** What the device says it runs (one connection per question: the wire may drop between turns). */
  async running(): Promise<RunningFirmware> {
    const connection = new DeviceConnection(this.options.connect, realClock, 2000);
    try {
      await connection.ensure();
      return await connection.info.getRunning();
    } finally {
      connection.close();
    }
  }

  manifestOf(running: RunningFirmware): DeviceManifest {
    return { product: this.options.product, hardwareId: this.options.hardwareId, targetsVersion: running.targetsVersion, images: running.images };
  }

  async pollOnce(): Promise<GatewayEvent> {
    let running: RunningFirmware;
    try {
      running = await this.running();
    } catch (err) {
      return { kind: "no-device", message: (err as Error).message };
    }
    try {
      if (this.client.token === undefined) {
        if (this.options.enrollSecret === undefined) throw new Error(`device ${this.options.deviceId} has no token and no enrollment secret was given`);
        await this.client.enroll(this.options.enrollSecret, this.manifestOf(running));
        this.options.saveToken?.(this.client.token!);
        return { kind: "enrolled" };
      }
      if (this.awaiting) return await this.settle(this.awaiting, running);
      const answer = await this.client.checkIn(this.manifestOf(running));
      if (answer.actionId === undefined) return { kind: "idle", targetsVersion: running.targetsVersion };
      return await this.act(answer.actionId, running);
    } catch (err) {
      if (err instanceof NetworkError) return { kind: "network", message: err.message };
      throw err;
    }
  }

  private async feedback(actionId: number, status: Parameters<DdiClient["feedback"]>[1]): Promise<boolean> {
    try {
      await this.client.feedback(actionId, status);
      return true;
    } catch (err) {
      if (err instanceof DdiRefusal && err.code === "ACTION_CLOSED") return false; // withdrawn, or closed by the service's timeout
      throw err;
    }
  }

  private async act(actionId: number, before: RunningFirmware): Promise<GatewayEvent> {
    let deployment: Deployment;
    try {
      deployment = await this.client.deployment(actionId);
    } catch (err) {
      if (err instanceof DdiRefusal && err.code === "ACTION_CLOSED") return { kind: "withdrawn", actionId, reason: err.message };
      throw err;
    }
    if (!(await this.feedback(actionId, { execution: "download" }))) return { kind: "withdrawn", actionId, reason: "closed by the service" };
    const bundle = await this.client.download(deployment.bundle.url, deployment.bundle.size);
    const digest = sha256Hex(bundle);
    if (digest !== deployment.bundle.sha256) {
      await this.feedback(actionId, { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "refused", error: "DOWNLOAD_SHA256" }, details: [`the bundle at ${deployment.bundle.url} hashes to ${digest}, the deployment names ${deployment.bundle.sha256}`] });
      return { kind: "refused", actionId, error: "DOWNLOAD_SHA256" };
    }
    if (!(await this.feedback(actionId, { execution: "proceeding" }))) return { kind: "withdrawn", actionId, reason: "closed by the service" };
    this.log(`sending ${this.options.product} v${deployment.targetsVersion} (${bundle.length} bytes) to ${this.options.deviceId} over the wire`);
    try {
      await sendBundle({ connect: this.options.connect, bundle, filename: `${this.options.product}-${deployment.targetsVersion}.bundle`, deviceTimeoutMs: this.options.deviceTimeoutMs ?? 30_000 });
    } catch (err) {
      if (!(err instanceof SendError)) throw err;
      if (err.code === "REJECTED") {
        const error = err.agentError ?? "REJECTED";
        await this.feedback(actionId, { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "refused", error }, details: [err.message.slice(0, 500)] });
        return { kind: "refused", actionId, error };
      }
      // Off, busy or silent: nothing is known about the action yet; the next turn tries again.
      return { kind: "no-device", message: err.message };
    }
    const awaiting = { deployment, before, since: Date.now() };
    this.awaiting = awaiting;
    return this.settle(awaiting, undefined);
  }

  /**
   * After the send: the device booted the update on trial. Its firmware confirms it (installed),
   * or a reset reverts it (the device runs what it ran before); until one of those, the gateway
   * waits up to confirmTimeoutMs in this turn and then asks again next turn.
   */
  private async settle(awaiting: Awaiting, known: RunningFirmware | undefined): Promise<GatewayEvent> {
    const { deployment, before } = awaiting;
    const actionId = deployment.actionId;
    const deadline = Date.now() + (this.options.confirmTimeoutMs ?? 10_000);
    let now = known;
    for (;;) {
      if (now === undefined) {
        try {
          now = await this.running();
        } catch (err) {
          return { kind: "no-device", message: (err as Error).message };
        }
      }
      if (now.targetsVersion === deployment.targetsVersion && !now.trial) {
        this.awaiting = undefined;
        await this.feedback(actionId, { execution: "closed", result: { finished: "success" }, details: [`the device runs targets v${now.targetsVersion} in slot ${now.slot.toUpperCase()}, confirmed (its own answer over the wire)`] });
        return { kind: "installed", actionId, targetsVersion: now.targetsVersion };
      }
      if (now.targetsVersion === before.targetsVersion && !now.trial) {
        this.awaiting = undefined;
        await this.feedback(actionId, { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "reverted" }, details: [`the device reverted to targets v${now.targetsVersion} in slot ${now.slot.toUpperCase()}: its firmware did not confirm v${deployment.targetsVersion}`] });
        return { kind: "reverted", actionId, targetsVersion: now.targetsVersion };
      }
      if (Date.now() >= deadline) return { kind: "on-trial", actionId, targetsVersion: now.targetsVersion };
      await sleep(200);
      now = undefined;
    }
  }
}
