// The simulated device behind `airlock sim` and `airlock bundle verify`: the real agent.wasm
// (host-sim/device.ts) over a NOR flash kept in one device file, so a device lives on between
// commands like a real one between power cycles.
//
// The device file always holds the device's flash as it is, with its real operation and erase
// counts. A device left running by one command keeps running into the next: `sim update` ends
// with the new image booted on trial, and `sim confirm` must reach that same run, not a new
// power-on (which would revert the trial). Only flash survives a process, so the next command
// rejoins the run the way a firmware that reloads the agent does: a fresh agent instance that
// calls attach() instead of boot(), rebuilding the run's state from flash without settling or
// writing anything. The `running` counter in the device file says whether there is a run to
// rejoin; a power cut clears it, and the next command powers the device on.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ERR_UPDATE_STATE, OK } from "../assembly/status.js";
import { AGENT_WASM_URL } from "./agent-module.js";
import { DEFAULT_BOARD, boardNamed, requireImagesFit, type Board } from "./boards.js";
import { DeviceFileError, loadDevice, looksLikeDeviceFile, saveDevice } from "./device-file.js";
import { AgentError, SimDevice, type BootInfo, type UpdateOutcome, type UpdatePhase } from "./device.js";
import { NorFlash, PowerCutError } from "./flash.js";
import { statusInfo } from "./status.js";
import { parseBundle, sha256Of, InputError, PowerCutInterrupt, RejectedError, hex, manifestFromInstalled, parseManifest, schema, parseRoot, USER_MANIFEST_TARGET } from "../tools/format/index.js";

/** Host counter in the device file: 1 while the device is powered on (an image is running). */
const RUNNING = "running";

/** What `sim boot --json` prints: the contract's keys, and userManifest when the device has one. */
export interface BootReport {
  slot: "a" | "b";
  images: Record<string, string>;
  rootVersion: number;
  targetsVersion: number;
  trial: boolean;
  /** The running manifest's user manifest (Pigweed's Manifest.user_manifest); absent when none. */
  userManifest?: { length: number; sha256: string };
  /** sim boot only: the slot whose unconfirmed trial image this power-on reverted. */
  revertedFrom?: "a" | "b";
}

/** The boot report of what `device` runs (info: its boot info, already read). */
export function bootReport(info: BootInfo, device: SimDevice): BootReport {
  const report: BootReport = { slot: info.slot, images: info.images, rootVersion: info.rootVersion, targetsVersion: info.targetsVersion, trial: info.trial };
  const userManifest = device.userManifest();
  if (userManifest) report.userManifest = { length: userManifest.length, sha256: hex(sha256Of(userManifest)) };
  return report;
}

/** One command's hold on a device file. */
class Session {
  running = false;

  private constructor(
    readonly path: string,
    readonly board: Board,
    readonly flash: NorFlash,
    readonly counters: Record<string, number>,
    readonly device: SimDevice,
  ) {}

  /** Opens a device file and, if the device was left running, rejoins that run. */
  static async open(path: string): Promise<Session> {
    requireAgentBuilt();
    let image;
    try {
      image = loadDevice(path);
    } catch (err) {
      if (err instanceof DeviceFileError) throw new InputError(err.message);
      throw err;
    }
    const session = new Session(path, image.board, image.flash, image.counters, new SimDevice(image.flash, image.board));
    if (image.counters[RUNNING] === 1) await session.rejoin();
    return session;
  }

  static create(path: string, board: Board): Session {
    requireAgentBuilt();
    const flash = new NorFlash(board.flash);
    return new Session(path, board, flash, {}, new SimDevice(flash, board));
  }

  /** A power-on: a fresh agent instance that boots from flash alone. */
  async powerOn(): Promise<BootInfo> {
    this.running = false;
    const info = await agentCall(() => this.device.powerOn());
    this.running = true;
    return info;
  }

  /** Continues the run an earlier command left going: a fresh agent instance attached to it (no flash operation). */
  private async rejoin(): Promise<void> {
    await agentCall(() => this.device.attach());
    this.running = true;
  }

  /** Provisioning ends with its own power-on. */
  async provision(root: Uint8Array, images: Record<string, Uint8Array>): Promise<BootInfo> {
    const info = await agentCall(() => this.device.provision(root, images));
    this.running = true;
    return info;
  }

  /** Makes sure an image runs (powering on a device a power cut left off). */
  async ensureRunning(): Promise<void> {
    if (!this.running) await this.powerOn();
  }

  /** The power went out: the device stays off until a later command powers it on. */
  powerCut(): void {
    this.running = false;
    this.device.powerOff();
    this.flash.powerOn(); // the part itself accepts operations again once saved and reloaded
  }

  /** Writes the device file: the flash as it is, and whether a run goes on. */
  save(): void {
    const counters = { ...this.counters, [RUNNING]: this.running ? 1 : 0 };
    saveDevice(this.path, { board: this.board, flash: this.flash, counters }); // its errors name the file and the fix
  }
}

/** The simulator runs build/agent.wasm; without it nothing can run (a setup step, not a bug). */
function requireAgentBuilt(): void {
  if (!existsSync(AGENT_WASM_URL)) {
    throw new InputError(`the agent is not built (${fileURLToPath(AGENT_WASM_URL)} is missing): run \`npm run build\` first`);
  }
}

/** Runs an agent call; the agent's named refusals become RejectedError (exit 1). */
async function agentCall<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AgentError) throw new RejectedError(err.message, err.codeName);
    throw err;
  }
}

// ---- sim init / boot / confirm ----

export interface InitOptions {
  flash: string;
  board?: string;
  root: Uint8Array;
  images: Record<string, Uint8Array>;
  /** Replace an existing device file (never a file that is not one). */
  force?: boolean;
}

/** A factory-fresh device: erased flash, provisioned with the trusted root and slot A images. */
export async function simInit(options: InitOptions): Promise<BootReport> {
  requireNewDevicePath(options.flash, options.force ?? false);
  const board = boardNamed(options.board ?? DEFAULT_BOARD);
  parseRoot(options.root, "the root metadata to provision");
  if (Object.keys(options.images).length === 0) {
    throw new InputError(`give the factory image of each target as NAME=FILE (board "${board.name}" has ${board.partitions.targets.map((t) => t.name).join(", ")})`);
  }
  requireImagesFit(board, Object.entries(options.images).map(([name, data]) => ({ name, length: data.length })));
  const session = Session.create(options.flash, board);
  const info = await session.provision(options.root, options.images);
  session.save();
  return bootReport(info, session.device);
}

/**
 * `sim init` makes a device file: it never replaces a file that is not one (the firmware image
 * given by mistake as --flash), and replaces a device only with --force.
 */
function requireNewDevicePath(path: string, force: boolean): void {
  if (!existsSync(path)) return;
  if (!looksLikeDeviceFile(path)) {
    throw new InputError(`${path} exists and is not an airlock device file; refusing to replace it (it may be an image or key): give --flash a new path`);
  }
  if (!force) throw new InputError(`device file ${path} already exists; pass --force to replace it with a factory-fresh device, or give another --flash path`);
}

/** One power cycle. */
export async function simBoot(flash: string): Promise<BootReport> {
  const session = await Session.open(flash);
  const before = session.running ? session.device.bootInfo() : undefined;
  const info = await session.powerOn();
  session.save();
  const report = bootReport(info, session.device);
  // The power-on settled an unconfirmed trial by going back to the other slot: say so.
  if (before?.trial && !info.trial && info.slot !== before.slot) report.revertedFrom = before.slot;
  return report;
}

/** The running image declares itself healthy. */
export async function simConfirm(flash: string): Promise<BootReport> {
  const session = await Session.open(flash);
  await session.ensureRunning();
  await agentCall(() => session.device.confirm());
  session.save();
  return bootReport(session.device.bootInfo(), session.device);
}

/**
 * The manifest of what the device runs (for `bundle verify --manifest` and for personalizing
 * bundles). Reads only: the device file is left as it was.
 */
export async function simManifest(flash: string): Promise<Uint8Array> {
  const session = await Session.open(flash);
  await session.ensureRunning();
  const userManifest = session.device.userManifest();
  return manifestFromInstalled({ ...session.device.bootInfo(), ...(userManifest ? { userManifest } : {}) });
}

/**
 * What a networked device's update client knows about itself: its hardware ID (from its board's
 * layout) and what it runs. Reads only, like simManifest.
 */
export async function simRunning(flash: string): Promise<{ hardwareId: string; board: string; boot: BootReport }> {
  const session = await Session.open(flash);
  await session.ensureRunning();
  return { hardwareId: session.board.hardwareId, board: session.board.name, boot: bootReport(session.device.bootInfo(), session.device) };
}

// ---- sim update ----

export interface UpdateOptions {
  flash: string;
  bundle: Uint8Array;
  /** Cut power during the N-th program/erase of this command (1-based). */
  powerCutAt?: number;
  /** Leave the interrupted operation half done. */
  tear?: boolean;
  /** Continue a transfer a reset interrupted (the same bundle). */
  resume?: boolean;
  onProgress?(phase: UpdatePhase, done: number, total: number): void;
}

export interface UpdateReport {
  /** Pigweed's BundledUpdateResult name ("SUCCESS", "VERIFY_FAILED", ...), or "POWER_CUT". */
  result: string;
  /** The agent's error code name when the bundle was refused, else null. */
  error: string | null;
  message: string;
  /** Program + erase operations this command performed. */
  flashOps: number;
  /** What runs after the command (null when a power cut left the device off). */
  boot: BootReport | null;
  /** True when the device already ran this very bundle on trial: nothing was sent or written. */
  alreadyOnTrial?: boolean;
}

/** A simulated power cut ended `sim update` (exit 3), after `flashOps` operations. */
export class SimPowerCut extends PowerCutInterrupt {
  constructor(
    message: string,
    readonly flashOps: number,
  ) {
    super(message);
  }
}

/** Stages, verifies and applies a bundle, then reboots into the new image (on trial). */
export async function simUpdate(options: UpdateOptions): Promise<UpdateReport> {
  if (options.powerCutAt !== undefined && (!Number.isInteger(options.powerCutAt) || options.powerCutAt < 1)) {
    throw new InputError(`--power-cut-at takes the 1-based index of a flash operation, got ${options.powerCutAt}`);
  }
  if (options.tear && options.powerCutAt === undefined) {
    throw new InputError("--tear only applies with --power-cut-at N (it leaves the N-th operation half done)");
  }
  const session = await Session.open(options.flash);
  const opsBefore = session.flash.operations;
  const flashOps = () => session.flash.operations - opsBefore;
  if (options.powerCutAt !== undefined) {
    session.flash.arm({ atOp: options.powerCutAt, mode: options.tear ? "torn" : "before", seed: options.powerCutAt });
  }
  try {
    await session.ensureRunning();
    // A script rerunning an interrupted update sends the bundle the device already runs on
    // trial; that is installed, not an update refused for a pending trial.
    if (runsOnTrial(session, options.bundle)) {
      session.save();
      const message = "this bundle is already installed and runs on trial; confirm it, or the next power-on reverts to the previous image";
      return { result: "SUCCESS", error: null, message, flashOps: 0, boot: bootReport(session.device.bootInfo(), session.device), alreadyOnTrial: true };
    }
    const outcome: UpdateOutcome = await agentCall(() =>
      session.device.update(options.bundle, { onProgress: options.onProgress, resume: options.resume }),
    );
    if (!outcome.ok) {
      session.flash.disarm();
      session.save();
      const report = session.device.bootInfo();
      return {
        result: resultName(outcome.result),
        error: outcome.errorName,
        message: outcome.message,
        flashOps: flashOps(),
        boot: bootReport(report, session.device),
      };
    }
    const info = await session.powerOn();
    session.flash.disarm();
    session.save();
    const message = "installed and booted on trial; confirm it, or the next power-on reverts to the previous image";
    return { result: "SUCCESS", error: null, message, flashOps: flashOps(), boot: bootReport(info, session.device) };
  } catch (err) {
    if (err instanceof PowerCutError) {
      const ops = flashOps();
      session.powerCut();
      session.save();
      throw new SimPowerCut(
        `power cut during flash operation ${options.powerCutAt} of this command${options.tear ? " (left half done)" : ""}; ${options.flash} holds the flash as the cut left it: power it on with \`airlock sim boot --flash ${options.flash}\``,
        ops,
      );
    }
    throw err;
  }
}

/** The running image is on trial and is exactly what `bundle` installs (targets version and every image). */
function runsOnTrial(session: Session, bundle: Uint8Array): boolean {
  const info = session.device.bootInfo();
  if (!info.trial) return false;
  let targets;
  try {
    targets = parseBundle(bundle).targets;
  } catch {
    return false; // not a bundle the host can read: the device refuses it with its own code
  }
  if ((targets.commonMetadata?.version ?? 0) !== info.targetsVersion) return false;
  const images = (targets.targetFiles ?? []).filter((file) => file.fileName !== USER_MANIFEST_TARGET);
  const sha256 = schema().enums.hashSha256;
  return (
    images.length === Object.keys(info.images).length &&
    images.every((file) => {
      const hash = file.hashes?.find((h) => h.function === sha256)?.hash;
      return hash !== undefined && file.fileName !== undefined && file.fileName !== null && info.images[file.fileName] === hex(hash);
    })
  );
}

const RESULTS = ["UNKNOWN", "SUCCESS", "UNKNOWN_ERROR", "ABORTED", "TRANSFER_FAILED", "VERIFY_FAILED", "APPLY_FAILED"];
function resultName(result: number): string {
  return RESULTS[result] ?? `RESULT_${result}`;
}

// ---- bundle verify ----

export interface VerifyOptions {
  trustedRoot: Uint8Array;
  /** The device's manifest: what it has installed (for targets rollback and personalized-out payloads). */
  manifest?: Uint8Array;
  bundle: Uint8Array;
  board?: string;
}

export interface VerifyReport {
  verified: boolean;
  error: string | null;
  message: string;
  /** Root version the device trusts after this bundle (a rotation raises it, even on refusal). */
  rootVersion: number;
  /** Targets version and images the device would run after installing. */
  targetsVersion: number;
  images: Record<string, string>;
}

/**
 * Runs the bundle through agent.wasm on a throw-away simulated device that trusts `trustedRoot`
 * and holds `manifest`, exactly as a device would: host and device cannot disagree.
 */
export async function verifyBundle(options: VerifyOptions): Promise<VerifyReport> {
  const board = boardNamed(options.board ?? DEFAULT_BOARD);
  parseRoot(options.trustedRoot, "the trusted root");
  const declared: Record<string, { length: number; sha256: Uint8Array }> = {};
  let targetsVersion = 0;
  if (options.manifest) {
    const manifest = parseManifest(options.manifest);
    targetsVersion = manifest.targets.commonMetadata?.version ?? 0;
    const names = board.partitions.targets.map((t) => t.name);
    for (const file of manifest.targets.targetFiles ?? []) {
      const hash = file.hashes?.find((h) => h.function === schema().enums.hashSha256)?.hash;
      if (!file.fileName || !hash) continue;
      if (file.fileName !== USER_MANIFEST_TARGET && !names.includes(file.fileName)) {
        throw new InputError(
          `the manifest lists target "${file.fileName}", which board "${board.name}" does not have (its targets: ${names.join(", ")}); give --board the board this manifest's device is`,
        );
      }
      declared[file.fileName] = { length: file.length ?? 0, sha256: hash };
    }
  }
  requireAgentBuilt();
  const flash = new NorFlash(board.flash);
  const device = new SimDevice(flash, board);
  try {
    await device.provision(options.trustedRoot, {}, { targetsVersion, declared });
  } catch (err) {
    if (err instanceof AgentError) throw new InputError(`the trusted root or manifest cannot be provisioned: ${err.message}`);
    throw err;
  }
  // Stage and verify only: installing is not part of the question, and payloads the manifest
  // vouches for exist on this throw-away device only as manifest entries.
  const error = stageAndVerify(device, options.bundle);
  const info = device.bootInfo();
  if (error !== OK) {
    const status = statusInfo(error);
    return { verified: false, error: status.name, message: status.message, rootVersion: info.rootVersion, targetsVersion: info.targetsVersion, images: info.images };
  }
  const targets = parseBundle(options.bundle).targets;
  const images: Record<string, string> = {};
  for (const file of targets.targetFiles ?? []) {
    const hash = file.hashes?.find((h) => h.function === schema().enums.hashSha256)?.hash;
    if (file.fileName && file.fileName !== USER_MANIFEST_TARGET && hash) images[file.fileName] = hex(hash);
  }
  return {
    verified: true,
    error: null,
    message: "the bundle verifies: a device trusting this root and holding this manifest would install it",
    rootVersion: info.rootVersion,
    targetsVersion: targets.commonMetadata?.version ?? 0,
    images,
  };
}

/** Transfers the bundle through the I/O window and runs verification to its end; OK or the code. */
function stageAndVerify(device: SimDevice, bundle: Uint8Array): number {
  const agent = device.instance;
  const x = agent.exports;
  const io = agent.io();
  let rc = x.update_start();
  for (let at = 0; rc >= 0 && at < bundle.length; at += io.length) {
    const chunk = bundle.subarray(at, Math.min(at + io.length, bundle.length));
    io.set(chunk);
    rc = x.update_write(at, chunk.length);
  }
  if (rc >= 0) rc = x.update_set_transferred(bundle.length);
  if (rc >= 0) rc = x.update_verify();
  while (rc >= 0) {
    rc = x.update_poll(VERIFY_BUDGET);
    if (rc !== POLL_MORE) break;
  }
  if (rc < 0) return rc;
  const status = device.status();
  if (status.lastError < 0) return status.lastError;
  return status.stateName === "VERIFIED" ? OK : ERR_UPDATE_STATE;
}

/** Bytes hashed per update_poll call while verifying (as a firmware main loop would). */
const VERIFY_BUDGET = 64 * 1024;
/** update_poll's answer while the phase is still running. */
const POLL_MORE = 1;
