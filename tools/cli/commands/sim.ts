// airlock sim init|update|boot|confirm: a simulated device in one file, driven like real hardware.
import type { Command } from "commander";
import { forDevice, reorderNote, RejectedError, InputError, readInput, parseTargetArgument, loadPublicKey } from "../../format/index.js";
import { checkForUpdate, clientStatePath, downloadRelease, lastSeenPayloadSha256, lastSeenVersion, loadClientState, recordIndexVersion, requireChannelName } from "../../release/index.js";
import type { CliIo } from "../io.js";
import { progressFor } from "../progress.js";
import type { BootReport, UpdateReport } from "../../../host-sim/index.js";
import { collect, integer, tcpAddress } from "./options.js";
import { eventPrinter, untilStopped } from "./service.js";
import { reportWrote, writeOutput, writesFiles, type OutputFlags } from "./output.js";

// The simulator (agent loader, flash model) loads only when a sim verb runs: the other verbs
// start faster without it.
const simulator = () => import("../../../host-sim/index.js");

export function registerSim(program: Command, io: CliIo): void {
  const sim = program.command("sim").description("simulated devices: the real agent over emulated flash, kept in one file");

  sim
    .command("init")
    .description("make a factory-fresh device: erased flash, provisioned with ROOT and slot A images")
    .requiredOption("--flash <dev>", "device file to create (an existing device file is replaced only with --force)")
    .option("--board <board>", "board from board/*.json", "nrf52840")
    .requiredOption("--root <root>", "signed root metadata the device trusts")
    .option("--json", "print what runs as one JSON object")
    .option("--force", "replace an existing device file (a file that is not one is never replaced)")
    .argument("<images...>", "NAME=FILE: the factory image of each target (every board has `app`)")
    .action(async (images: string[], options: { flash: string; board: string; root: string; json?: boolean; force?: boolean }) => {
      const files: Record<string, Uint8Array> = {};
      for (const argument of images) {
        const { name, file } = parseTargetArgument(argument);
        files[name] = readInput(file, `image "${name}"`);
      }
      const { simInit } = await simulator();
      const boot = await simInit({ flash: options.flash, board: options.board, root: readInput(options.root, "root metadata"), images: files, force: options.force });
      io.out(options.json ? `${JSON.stringify(boot)}\n` : `made ${options.flash} (board ${options.board}): ${describeBoot(boot)}\n`);
    });

  sim
    .command("update")
    .description("send BUNDLE: stage, verify, apply, and reboot into the new image (on trial)")
    .requiredOption("--flash <dev>", "device file")
    .argument("<bundle>", "bundle file")
    .option("--power-cut-at <n>", "cut power during the N-th program/erase operation of this command (1-based)", integer)
    .option("--tear", "with --power-cut-at: leave the interrupted operation half done")
    .option("--resume", "continue a transfer that a reset interrupted (send the same bundle)")
    .option("--json", "print {result, error, message, flashOps, slot, images, rootVersion, targetsVersion, trial}")
    .action(async (path: string, options: InstallFlags) => {
      const { bytes: bundle, reordered } = forDevice(readInput(path, "bundle"));
      if (reordered) io.err(reorderNote(path));
      await installBundle(io, bundle, options);
    });

  sim
    .command("boot")
    .description("one power cycle; prints what runs")
    .requiredOption("--flash <dev>", "device file")
    .option("--json", 'print {"slot", "images", "rootVersion", "targetsVersion", "trial"}')
    .action(async (options: { flash: string; json?: boolean }) => {
      const { simBoot } = await simulator();
      const boot = await simBoot(options.flash);
      const reverted = boot.revertedFrom ? `reverted: the image on trial in slot ${boot.revertedFrom.toUpperCase()} was never confirmed; now ` : "";
      io.out(options.json ? `${JSON.stringify(boot)}\n` : `${reverted}${describeBoot(boot)}\n`);
    });

  sim
    .command("confirm")
    .description("the running image declares itself healthy (ends its trial)")
    .requiredOption("--flash <dev>", "device file")
    .option("--json", "print what runs as one JSON object")
    .action(async (options: { flash: string; json?: boolean }) => {
      const { simConfirm } = await simulator();
      const boot = await simConfirm(options.flash);
      io.out(options.json ? `${JSON.stringify(boot)}\n` : `confirmed: ${describeBoot(boot)}\n`);
    });

  registerSimManifest(sim, io);
  registerSimServe(sim, io);
  registerSimFetch(sim, io);
}

function registerSimServe(sim: Command, io: CliIo): void {
  sim
    .command("serve")
    .description("run the device on a wire: Pigweed's pw_hdlc/pw_rpc/pw_transfer over TCP, as a board on its UART (Ctrl-C stops it)")
    .requiredOption("--flash <dev>", "device file (saved at every boot and whenever the device goes quiet)")
    .option("--tcp <host:port>", "where to listen (port 0 picks a free one)", tcpAddress, { host: "127.0.0.1", port: 33000 })
    .option("--power-cut-at <n>", "cut power during the N-th program/erase operation after start (once); it powers on again", integer)
    .option("--tear", "with --power-cut-at: leave the interrupted operation half done")
    .option("--auto-confirm", "confirm a trial image at boot, as firmware that passes its self-test does")
    .option("--json", "print one JSON line per event ({event, ...}) instead of text")
    .addHelpText("after", "\nSignals: SIGUSR1 resets the device (boots again from flash), SIGUSR2 cuts its power; SIGINT/SIGTERM save and stop.")
    .action(async (options: { flash: string; tcp: { host: string; port: number }; powerCutAt?: number; tear?: boolean; autoConfirm?: boolean; json?: boolean }) => {
      const { serveDevice, ServeError } = await simulator();
      const say = eventPrinter(io, options.json);
      let handle;
      try {
        handle = await serveDevice({
          flash: options.flash,
          host: options.tcp.host,
          port: options.tcp.port,
          powerCutAt: options.powerCutAt,
          powerCutMode: options.tear ? "torn" : "before",
          autoConfirm: options.autoConfirm,
          log: (line) => say("log", line),
        });
      } catch (err) {
        if (err instanceof ServeError) throw new InputError(err.message);
        throw err;
      }
      const { host, port } = handle.address;
      say("listening", `listening on ${host}:${port} (pid ${process.pid}); send with \`airlock send BUNDLE --tcp ${host}:${port}\``, { host, port, pid: process.pid });
      process.on("SIGUSR1", () => void handle.reset().catch(() => {}));
      process.on("SIGUSR2", () => handle.powerCut());
      await untilStopped(() => handle.close());
      say("stopped", `stopped; ${options.flash} saved`);
    });
}

function registerSimManifest(sim: Command, io: CliIo): void {
  writesFiles(sim
    .command("manifest")
    .description("write the manifest of what the device runs (for bundle verify --manifest)")
    .requiredOption("--flash <dev>", "device file")
    .requiredOption("-o, --output <manifest>", "where to write the manifest"))
    .action(async (options: OutputFlags & { flash: string; output: string }) => {
      const { simManifest } = await simulator();
      writeOutput(options.output, await simManifest(options.flash), options);
      reportWrote(io, options, `wrote ${options.output}`, { wrote: options.output });
    });
}

interface InstallFlags {
  flash: string;
  powerCutAt?: number;
  tear?: boolean;
  resume?: boolean;
  json?: boolean;
}

/**
 * `sim update`'s install: stage, verify, apply, reboot into trial, and report. `sim fetch` ends
 * here too with the bundle it downloaded, adding its own fields (`extra`) to the JSON report.
 */
async function installBundle(io: CliIo, bundle: Uint8Array, options: InstallFlags, extra: Record<string, unknown> = {}): Promise<void> {
  const { simUpdate, SimPowerCut } = await simulator();
  const progress = options.json ? progressFor({ ...io, isTTY: false }) : progressFor(io);
  let report: UpdateReport;
  try {
    report = await simUpdate({
      flash: options.flash,
      bundle,
      powerCutAt: options.powerCutAt,
      tear: options.tear,
      resume: options.resume,
      onProgress: (phase, done, total) => progress.update(phase, done, total),
    });
  } catch (err) {
    progress.stop();
    if (err instanceof SimPowerCut && options.json) {
      io.out(`${JSON.stringify({ result: "POWER_CUT", error: null, message: err.message, flashOps: err.flashOps, ...extra })}\n`);
    }
    throw err;
  }
  if (report.error === null) progress.finish();
  progress.stop();
  if (options.json) io.out(`${JSON.stringify({ result: report.result, error: report.error, message: report.message, flashOps: report.flashOps, ...report.boot, ...(report.alreadyOnTrial ? { alreadyOnTrial: true } : {}), ...extra })}\n`);
  if (report.error !== null) {
    throw new RejectedError(`bundle rejected: ${report.error}: ${report.message}; the device still runs ${report.boot ? describeBoot(report.boot) : "its previous image"}`, report.error);
  }
  if (!options.json && report.alreadyOnTrial) {
    io.out(`already installed, nothing sent: ${report.boot ? describeBoot(report.boot) : ""}\nconfirm it with \`airlock sim confirm --flash ${options.flash}\`; the next power-on without confirm reverts\n`);
  } else if (!options.json) {
    io.out(`update installed (${report.flashOps} flash operations): ${report.boot ? describeBoot(report.boot) : ""}\nconfirm it with \`airlock sim confirm --flash ${options.flash}\`; the next power-on without confirm reverts\n`);
  }
}

function registerSimFetch(sim: Command, io: CliIo): void {
  sim
    .command("fetch")
    .description("a networked device's update client: poll a channel's signed index, and if it names a newer release, download it and install it as sim update does")
    .requiredOption("--flash <dev>", "device file (its last seen index versions are kept beside it, in DEV.release-state.json)")
    .requiredOption("--from <url>", "the release repository's base URL (where channels/ and objects/ are)")
    .requiredOption("--channel <channel>", "the channel to follow: dev, internal, rc, prod, emergency or a custom one")
    .requiredOption("--release-key <pub>", "a trusted release public key (SPKI PEM); repeat for several", collect)
    .option("--product <product>", "the product whose releases the device follows (default: the only one for its hardware ID)")
    .option("--stall-timeout <seconds>", "drop a response that sends nothing for this long and retry (a stalled server; default 30)", integer, 30)
    .option("--json", "print {result, channel, indexVersion, product, targetsVersion, bundle, download, ...sim update's report}")
    .action(async (options: { flash: string; from: string; channel: string; releaseKey: string[]; product?: string; stallTimeout: number; json?: boolean }) => {
      if (options.stallTimeout < 1) throw new InputError("--stall-timeout takes at least 1 second");
      const retry = { idleTimeoutMs: options.stallTimeout * 1000 };
      if (!/^https?:\/\/[^/\s]+/.test(options.from)) throw new InputError(`--from ${JSON.stringify(options.from)} is not an http(s) URL such as http://127.0.0.1:8480`);
      requireChannelName(options.channel);
      const trustedKeys = options.releaseKey.map((path) => loadPublicKey(path));
      const { simRunning } = await simulator();
      const device = await simRunning(options.flash);
      const statePath = clientStatePath(options.flash);
      const state = loadClientState(statePath);
      const check = await checkForUpdate({
        baseUrl: options.from,
        channel: options.channel,
        trustedKeys,
        lastSeenVersion: lastSeenVersion(state, options.channel),
        lastSeenPayloadSha256: lastSeenPayloadSha256(state, options.channel),
        device: { hardwareId: device.hardwareId, targetsVersion: device.boot.targetsVersion },
        product: options.product,
        retry,
      });
      // Remembered before acting on it: an older index is refused from now on, even if the download fails.
      recordIndexVersion(statePath, state, options.channel, check.index.version, check.payloadSha256);
      const found = { channel: options.channel, indexVersion: check.index.version, product: check.release.product, releaseTargetsVersion: check.release.targetsVersion, bundle: check.release.bundle };
      if (!check.newer) {
        const message = `nothing newer on channel ${options.channel} (index version ${check.index.version}): ${check.release.product} targets v${check.release.targetsVersion} is released, the device runs v${device.boot.targetsVersion}`;
        io.out(options.json ? `${JSON.stringify({ result: "UP_TO_DATE", error: null, message, flashOps: 0, ...device.boot, ...found })}\n` : `${message}\n`);
        return;
      }
      const progress = options.json ? undefined : progressFor(io);
      const download = await downloadRelease(options.from, check.release, { ...retry, onProgress: (held, total) => progress?.update("download", held, total) });
      progress?.stop();
      if (!options.json) io.out(`downloaded ${check.release.product} targets v${check.release.targetsVersion} (${download.bytes.length} bytes, sha256 ${check.release.bundle.sha256}, ${download.requests} request(s)) from channel ${options.channel}\n`);
      await installBundle(io, download.bytes, { flash: options.flash, json: options.json }, {
        ...found,
        download: { url: download.url, bytes: download.bytes.length, bytesReceived: download.bytesReceived, requests: download.requests },
      });
    });
}

export function describeBoot(boot: BootReport): string {
  const images = Object.entries(boot.images)
    .map(([name, sha]) => `${name} sha256 ${sha}`)
    .join(", ");
  const userManifest = boot.userManifest ? `, user manifest ${boot.userManifest.length} bytes sha256 ${boot.userManifest.sha256}` : "";
  return `slot ${boot.slot.toUpperCase()}${boot.trial ? " on trial" : ""}, root v${boot.rootVersion}, targets v${boot.targetsVersion}, ${images || "no images"}${userManifest}`;
}
