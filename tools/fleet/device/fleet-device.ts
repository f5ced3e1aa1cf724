// A device of the fleet as the rollout service sees one: the real agent (build/agent.wasm) over
// its own emulated NOR flash, and the DDI client. One pollOnce() is one turn of a firmware's main
// loop: deliver a result the service has not acknowledged yet, check in with what the agent says
// runs, and when the service names an action, fetch the deployment, download the bundle and
// check its SHA-256, install it through the agent, reboot into the trial, run the image's
// self-test, confirm (or let the next power-on revert), and report. Faults a simulation asks for
// happen here: a self-test that fails, power lost at a chosen flash operation of an install,
// requests lost by the network (the fetch passed in). After every reboot the device must run
// either what it ran before or the release: anything else is a BrickedError.
import { createHash } from "node:crypto";
import { NorFlash, PowerCutError, SimDevice, type Board, type BootInfo } from "../../../host-sim/index.js";
import type { DdiFeedback } from "../feedback.js";
import type { DeviceManifest } from "../model.js";
import { DdiClient, DdiRefusal, NetworkError, type Deployment, type Fetch } from "./ddi-client.js";

/** What one pollOnce() did. */
export type PollEvent =
  | { kind: "enrolled" }
  /** Checked in; the service had nothing for it. */
  | { kind: "idle" }
  /** Installed, confirmed and reported the release. */
  | { kind: "installed"; actionId: number; targetsVersion: number }
  /** The agent refused the bundle (its ERR_* code), reported. */
  | { kind: "refused"; actionId: number; error: string }
  /** The new image's trial boot failed; the agent reverted to the previous image, reported. */
  | { kind: "reverted"; actionId: number; targetsVersion: number }
  /** Power went out during the install; the device came back on a working image (`targetsVersion`) and tries again at its next poll. */
  | { kind: "power-cut"; actionId: number; targetsVersion: number }
  /** The service withdrew the action (cancelled or emergency stop) before the device installed it. */
  | { kind: "withdrawn"; actionId: number; reason: string }
  /** A request got no answer; the poll ends and the next one carries on. */
  | { kind: "network"; message: string };

/** After a reboot the device runs neither its previous image nor the release: a bug in the update path. */
export class BrickedError extends Error {
  constructor(deviceId: string, why: string) {
    super(`device ${deviceId} is bricked: ${why}`);
    this.name = "BrickedError";
  }
}

export interface FactoryImage {
  board: Board;
  root: Uint8Array;
  images: Record<string, Uint8Array>;
  targetsVersion?: number;
}

/** A factory-fresh device's flash: provisioned with the root and slot A images, powered off. Clone it per device. */
export async function manufactureFlash(factory: FactoryImage): Promise<NorFlash> {
  const flash = new NorFlash(factory.board.flash);
  const device = new SimDevice(flash, factory.board);
  await device.provision(factory.root, factory.images, { targetsVersion: factory.targetsVersion ?? 0 });
  device.powerOff();
  return flash;
}

export interface FleetDeviceOptions {
  id: string;
  product: string;
  /** The rollout service (fleet serve) as the device reaches it. */
  serviceUrl: string;
  enrollSecret: string;
  board: Board;
  /** This device's own flash, already provisioned (manufactureFlash(...).clone()). */
  flash: NorFlash;
  /** Default: the global fetch (real HTTP). */
  fetch?: Fetch;
  /** The new image's self-test once it runs on trial; false: it never confirms and the next power-on reverts it. Default: passes. */
  selfTest?: (running: BootInfo, deployment: Deployment) => boolean;
  /** Cut power once, during the next install, at this program/erase operation (1-based) of it. */
  powerCutAtOp?: number;
  /**
   * Cut power once, during the next install, this far through it (0..1 of its program/erase
   * operations, counted on a copy of the flash first: a simulation does not know the bundle ahead).
   */
  powerCutFraction?: number;
}

type Report = { actionId: number; status: DdiFeedback["status"]; event: PollEvent };

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const sameImages = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([name, sha]) => b[name] === sha);

export class FleetDevice {
  readonly id: string;
  readonly client: DdiClient;
  readonly flash: NorFlash;
  private readonly agent: SimDevice;
  private running: BootInfo | undefined;
  /** A result the service has not acknowledged (its answer was lost): sent first at the next poll. */
  private unreported: Report | undefined;
  private powerCutAtOp: number | undefined;
  private powerCutFraction: number | undefined;
  /** Power cuts that fired, reboots, and requests that got no answer. */
  readonly counters = { powerCuts: 0, reboots: 0, networkErrors: 0, installs: 0 };

  constructor(private readonly options: FleetDeviceOptions) {
    this.id = options.id;
    this.flash = options.flash;
    this.agent = new SimDevice(options.flash, options.board);
    this.client = new DdiClient(options.serviceUrl, options.product, options.id, options.fetch);
    this.powerCutAtOp = options.powerCutAtOp;
    this.powerCutFraction = options.powerCutFraction;
  }

  get enrolled(): boolean {
    return this.client.token !== undefined;
  }

  /** What the agent says runs (powers the device on first if it is off). */
  async boot(): Promise<BootInfo> {
    if (!this.running) await this.reboot();
    return this.running!;
  }

  /** One power cycle: a fresh agent instance over the same flash. */
  async reboot(): Promise<BootInfo> {
    this.flash.powerOn();
    this.running = await this.agent.powerOn();
    this.counters.reboots++;
    return this.running;
  }

  /** What the device reports on every check-in: the product, its hardware, what the agent runs. */
  async manifest(): Promise<DeviceManifest> {
    const running = await this.boot();
    return { product: this.options.product, hardwareId: this.options.board.hardwareId, targetsVersion: running.targetsVersion, images: running.images };
  }

  /** Joins the fleet with the product's enrollment secret. */
  async enroll(): Promise<void> {
    await this.client.enroll(this.options.enrollSecret, await this.manifest());
  }

  /** One turn of the main loop; see PollEvent. Enrolls first if it has not. */
  async pollOnce(): Promise<PollEvent> {
    try {
      if (!this.enrolled) {
        await this.enroll();
        return { kind: "enrolled" };
      }
      if (this.unreported) return await this.report(this.unreported);
      const answer = await this.client.checkIn(await this.manifest());
      if (answer.actionId === undefined) return { kind: "idle" };
      return await this.act(answer.actionId);
    } catch (err) {
      if (err instanceof NetworkError) {
        this.counters.networkErrors++;
        return { kind: "network", message: err.message };
      }
      throw err;
    }
  }

  /** Polls until `stop` says so (given each event), sleeping `intervalMs` after idle turns. */
  async run(stop: (event: PollEvent) => boolean, intervalMs: number): Promise<void> {
    for (;;) {
      const event = await this.pollOnce();
      if (stop(event)) return;
      if (event.kind === "idle" || event.kind === "network") await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  private async report(report: Report): Promise<PollEvent> {
    this.unreported = report;
    await this.client.feedback(report.actionId, report.status).catch((err) => {
      // The service already holds a result for this action (e.g. its own timeout): nothing to resend.
      if (!(err instanceof DdiRefusal && err.code === "ACTION_CLOSED")) throw err;
    });
    this.unreported = undefined;
    return report.event;
  }

  private async act(actionId: number): Promise<PollEvent> {
    let deployment: Deployment;
    try {
      deployment = await this.client.deployment(actionId);
      await this.client.feedback(actionId, { execution: "download" });
    } catch (err) {
      if (err instanceof DdiRefusal && err.code === "ACTION_CLOSED") return { kind: "withdrawn", actionId, reason: err.message };
      throw err;
    }
    const bundle = await this.client.download(deployment.bundle.url, deployment.bundle.size);
    const digest = sha256Hex(bundle);
    if (digest !== deployment.bundle.sha256) {
      return this.report({
        actionId,
        status: { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "refused", error: "DOWNLOAD_SHA256" }, details: [`the bundle at ${deployment.bundle.url} hashes to ${digest}, the deployment names ${deployment.bundle.sha256}`] },
        event: { kind: "refused", actionId, error: "DOWNLOAD_SHA256" },
      });
    }
    try {
      await this.client.feedback(actionId, { execution: "proceeding" });
    } catch (err) {
      if (err instanceof DdiRefusal && err.code === "ACTION_CLOSED") return { kind: "withdrawn", actionId, reason: err.message };
      throw err;
    }
    return this.install(deployment, bundle);
  }

  private async install(deployment: Deployment, bundle: Uint8Array): Promise<PollEvent> {
    const { actionId } = deployment;
    const before = await this.boot();
    this.counters.installs++;
    if (this.powerCutFraction !== undefined) {
      const operations = await installOperations(this.flash, this.options.board, bundle).catch(() => 1); // a refused bundle: cut at its first write
      this.powerCutAtOp = 1 + Math.min(operations - 1, Math.floor(this.powerCutFraction * operations));
      this.powerCutFraction = undefined;
    }
    if (this.powerCutAtOp !== undefined) this.flash.arm({ atOp: this.powerCutAtOp, mode: "torn", seed: this.powerCutAtOp });
    this.powerCutAtOp = undefined; // one cut, at this install (an install shorter than the cut point escapes it)
    let after: BootInfo;
    try {
      const outcome = this.agent.update(bundle);
      this.flash.disarm();
      if (!outcome.ok) {
        return this.report({
          actionId,
          status: { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "refused", error: outcome.errorName }, details: [outcome.message.slice(0, 500)] },
          event: { kind: "refused", actionId, error: outcome.errorName },
        });
      }
      after = await this.reboot();
    } catch (err) {
      if (!(err instanceof PowerCutError)) throw err;
      this.flash.disarm();
      this.counters.powerCuts++;
      after = await this.reboot();
    }
    if (after.pending) after = await this.reboot();
    this.requireWorking(after, before, deployment);
    if (after.targetsVersion !== deployment.targetsVersion) return { kind: "power-cut", actionId, targetsVersion: after.targetsVersion };
    if (!after.trial) throw new BrickedError(this.id, `the release v${deployment.targetsVersion} runs without a trial right after its install`);
    const healthy = this.options.selfTest?.(after, deployment) ?? true;
    if (healthy) {
      this.agent.confirm();
      this.running = this.agent.bootInfo();
      return this.report({
        actionId,
        status: { execution: "closed", result: { finished: "success" }, details: [`running targets v${this.running.targetsVersion} in slot ${this.running.slot}, confirmed`] },
        event: { kind: "installed", actionId, targetsVersion: this.running.targetsVersion },
      });
    }
    // The image never confirms: the trial boots run out and the agent goes back.
    for (let boots = 0; after.trial && boots < 256; boots++) after = await this.reboot();
    this.requireWorking(after, before, deployment);
    if (after.trial || after.targetsVersion !== before.targetsVersion) {
      throw new BrickedError(this.id, `the unconfirmed release v${deployment.targetsVersion} did not revert (runs v${after.targetsVersion}${after.trial ? " on trial" : ""})`);
    }
    return this.report({
      actionId,
      status: { execution: "closed", result: { finished: "failure" }, airlock: { outcome: "reverted" }, details: [`the trial boot of v${deployment.targetsVersion} failed its self-test; reverted to v${after.targetsVersion} in slot ${after.slot}`] },
      event: { kind: "reverted", actionId, targetsVersion: after.targetsVersion },
    });
  }

  /** The device runs what it ran before (confirmed) or the release: nothing else is a working image. */
  private requireWorking(after: BootInfo, before: BootInfo, deployment: Deployment): void {
    if (after.targetsVersion === deployment.targetsVersion) return;
    if (after.targetsVersion === before.targetsVersion && sameImages(after.images, before.images) && !after.trial) return;
    throw new BrickedError(this.id, `after a reboot it runs targets v${after.targetsVersion}${after.trial ? " on trial" : ""} in slot ${after.slot}, neither its previous v${before.targetsVersion} nor the release v${deployment.targetsVersion}`);
  }
}

/** Program/erase operations one uninterrupted install of `bundle` takes on a copy of `factory` (where a power cut can fall). */
export async function installOperations(factory: NorFlash, board: Board, bundle: Uint8Array): Promise<number> {
  const flash = factory.clone();
  flash.powerOn();
  const device = new SimDevice(flash, board);
  await device.powerOn();
  const start = flash.operations;
  const outcome = device.update(bundle);
  if (!outcome.ok) throw new Error(`the reference install was refused: ${outcome.errorName}: ${outcome.message}`);
  return flash.operations - start;
}
