// airlock send BUNDLE and airlock device status|abort|reset: local updates over Pigweed's wire
// protocol to a device on TCP (`sim serve`, a board's UART bridged to a socket) or a serial port.
import { basename } from "node:path";
import { Option, type Command } from "commander";
import { InputError, RejectedError, forDevice, loadPublicKey, parseBundle, readInput, reorderNote } from "../../format/index.js";
import type { ByteLink, DeviceStatus, SendPhase } from "../../link/index.js";
import type { CliIo } from "../io.js";
import { progressFor } from "../progress.js";
import { collect, integer, tcpAddress } from "./options.js";

// The link stack (protobufjs schemas, serialport's native binding) loads only when a wire verb runs.
const wire = () => import("../../link/index.js");

export interface WireFlags {
  tcp?: { host: string; port: number };
  serial?: string;
  baud: number;
  json?: boolean;
}

/** --tcp, --serial and --baud: where a device on a wire is. */
export function addWireOptions(command: Command): Command {
  return command
    .addOption(new Option("--tcp <host:port>", "the device on TCP (`airlock sim serve`, a UART bridged to a socket)").argParser(tcpAddress).conflicts("serial"))
    .option("--serial <path>", "the device on a serial port (e.g. /dev/ttyACM0)")
    .option("--baud <n>", "serial baud rate", integer, 115200);
}

/** A connect() for the flags given; usage error when neither or both are given. */
export async function connector(flags: WireFlags): Promise<() => Promise<ByteLink>> {
  const { connectTcp, openSerial } = await wire();
  if (flags.tcp) {
    const { host, port } = flags.tcp;
    return () => connectTcp(host, port);
  }
  if (flags.serial) {
    const path = flags.serial;
    return () => openSerial(path, flags.baud);
  }
  throw new InputError("say where the device is: --tcp HOST:PORT or --serial PATH");
}

interface FromFlags {
  from?: string;
  channel?: string;
  releaseKey?: string[];
  product?: string;
  hardware?: string;
  state?: string;
}

/**
 * The bundle file, or with --from the channel's current release: its signed index checked
 * (signature, channel, expiry, with --state also rollback) and its bytes checked against the
 * index's size and SHA-256, all before any device is touched.
 */
async function bundleToSend(io: CliIo, given: string | undefined, flags: FromFlags & { json?: boolean }): Promise<{ input: Uint8Array; path: string }> {
  if (flags.from === undefined) {
    if (given === undefined) throw new InputError("say what to send: a BUNDLE file, or --from URL --channel C --release-key PUB");
    return { input: readInput(given, "bundle"), path: given };
  }
  if (given !== undefined) throw new InputError(`give a BUNDLE file or --from, not both (${given} and ${flags.from})`);
  if (!/^https?:\/\/[^/\s]+/.test(flags.from)) throw new InputError(`--from ${JSON.stringify(flags.from)} is not an http(s) URL such as http://127.0.0.1:8480`);
  if (!flags.channel || !flags.releaseKey?.length) throw new InputError("--from needs --channel C and --release-key PUB (the key that signs the channel indexes)");
  const release = await import("../../release/index.js");
  release.requireChannelName(flags.channel);
  const trustedKeys = flags.releaseKey.map((key) => loadPublicKey(key));
  const state = flags.state === undefined ? undefined : release.loadClientState(flags.state);
  if (state === undefined) io.err("note: no --state file: a rolled-back index that has not expired yet cannot be told from the current one\n");
  const check = await release.checkForUpdate({
    baseUrl: flags.from,
    channel: flags.channel,
    trustedKeys,
    lastSeenVersion: state ? release.lastSeenVersion(state, flags.channel) : 0,
    lastSeenPayloadSha256: state && release.lastSeenPayloadSha256(state, flags.channel),
    device: { hardwareId: flags.hardware, targetsVersion: 0 }, // the device itself refuses what it already runs
    product: flags.product,
  });
  if (state && flags.state) release.recordIndexVersion(flags.state, state, flags.channel, check.index.version, check.payloadSha256);
  const download = await release.downloadRelease(flags.from, check.release);
  if (!flags.json) {
    io.err(`release: ${check.release.product} targets v${check.release.targetsVersion} from channel ${flags.channel} (index version ${check.index.version}), ${download.bytes.length} bytes, sha256 ${check.release.bundle.sha256}\n`);
  }
  return { input: download.bytes, path: `${check.release.product}-${check.release.targetsVersion}.bundle` };
}

function describeStatus(s: DeviceStatus): string {
  const parts = [s.stateName];
  if (s.resultName) parts.push(`result ${s.resultName}`);
  if (s.progress !== undefined) parts.push(`progress ${(s.progress / 100).toFixed(2)}%`);
  if (s.bundleFilename !== undefined) parts.push(`bundle "${s.bundleFilename}"`);
  if (s.transferId !== undefined) parts.push(`transfer id ${s.transferId}`);
  if (s.note) parts.push(`note "${s.note}"`);
  return parts.join(", ");
}

export function registerSend(program: Command, io: CliIo): void {
  addWireOptions(program
    .command("send")
    .description("send BUNDLE to a device over the wire: transfer (resumable), verify, apply, wait for its reboot")
    .argument("[bundle]", "bundle file (or --from URL --channel C: the channel's current release)")
    .option("--from <url>", "take the bundle from a release repository (where channels/ and objects/ are)")
    .option("--channel <channel>", "--from: the channel whose current release to send (dev, internal, rc, prod, emergency or custom)")
    .option("--release-key <pub>", "--from: a trusted release public key (SPKI PEM); repeat for several", collect)
    .option("--product <product>", "--from: the product (default: the channel's only one)")
    .option("--hardware <id>", "--from: the device's hardware ID (default: the product's only release)")
    .option("--state <file>", "--from: where the last index version seen per channel is kept, to refuse a rolled-back index")
    .option("--name <name>", "the name the device keeps for this update (default: the file's name)")
    .option("--timeout <seconds>", "how long the device may stay silent (rebooting, powered off) before send gives up", integer, 30)
    .option("--json", "print one object at the end ({result, state, bytesSent, bundleBytes, resumes, alreadyInstalled, durationMs}) and no bar"))
    .action(async (given: string | undefined, options: WireFlags & FromFlags & { name?: string; timeout: number }) => {
      const { input, path } = await bundleToSend(io, given, options);
      // Said here, before any device is disturbed: a file that is not a bundle never goes out.
      parseBundle(input, path);
      const { bytes: bundle, reordered } = forDevice(input);
      if (reordered) io.err(reorderNote(path));
      const connect = await connector(options);
      const { sendBundle, SendError } = await wire();
      const progress = progressFor(options.json ? { ...io, isTTY: false } : io);
      const filename = options.name ?? basename(path);
      const scale = (phase: SendPhase, done: number, total: number) =>
        phase === "transfer" ? [done, total] : [Math.round((done / total) * bundle.length), bundle.length];
      try {
        const report = await sendBundle({
          connect,
          bundle,
          filename,
          deviceTimeoutMs: options.timeout * 1000,
          log: (line) => {
            if (!options.json) io.err(`${line}\n`);
          },
          onProgress: (phase, done, total) => {
            const [d, t] = scale(phase, done, total);
            progress.update(phase, d!, t!);
          },
        });
        progress.finish();
        progress.stop();
        if (options.json) {
          io.out(`${JSON.stringify(report)}\n`);
        } else if (report.alreadyInstalled) {
          io.out(`already installed: the device reports "${filename}" ${report.state} ${report.result}; nothing sent\n`);
        } else {
          const seconds = (report.durationMs / 1000).toFixed(1);
          const resumed = report.resumes ? `, resumed ${report.resumes} time${report.resumes === 1 ? "" : "s"}` : "";
          io.out(`update installed: ${report.state} ${report.result} (${report.bundleBytes} bytes, ${report.bytesSent} sent in ${seconds} s${resumed}); the device boots it on trial, and its firmware confirms it once healthy\n`);
        }
      } catch (err) {
        progress.stop();
        if (err instanceof SendError) {
          if (err.code === "NO_DEVICE") throw new InputError(err.message);
          throw new RejectedError(err.message, err.agentError ?? err.code);
        }
        throw err;
      }
    });

  const device = program.command("device").description("ask a device on the wire about its update (Pigweed's BundledUpdate service) and what it runs");
  addWireOptions(device.command("info").description("what the device runs, in its own words: slot, trial, root and targets versions, each image's SHA-256 (airlock's DeviceInfo service)").option("--json", "print {slot, trial, rootVersion, targetsVersion, pending, images, lengths}"))
    .action(async (options: WireFlags) => {
      const connect = await connector(options);
      const { DeviceConnection, realClock, ConnectError, RpcTimeoutError, RpcError, statusName } = await wire();
      const connection = new DeviceConnection(connect, realClock, 2000);
      try {
        await connection.ensure();
        const running = await connection.info.getRunning();
        if (options.json) io.out(`${JSON.stringify(running)}\n`);
        else {
          io.out(`running slot ${running.slot.toUpperCase()}${running.trial ? " (trial: not yet confirmed)" : ""}${running.pending ? " (an installed update waits for a reboot)" : ""}, root v${running.rootVersion}, targets v${running.targetsVersion}\n`);
          for (const [name, sha] of Object.entries(running.images)) io.out(`  ${name}: ${running.lengths[name]} bytes, sha256 ${sha}\n`);
        }
      } catch (err) {
        if (err instanceof ConnectError) throw new InputError(err.message);
        if (err instanceof RpcTimeoutError) throw new RejectedError(`${err.message}: is it running the airlock link agent?`, "TIMEOUT");
        if (err instanceof RpcError) {
          const why = statusName(err.status) === "UNAVAILABLE" ? "its firmware has not booted the agent yet" : statusName(err.status) === "FAILED_PRECONDITION" ? "it is verifying or installing an update; ask again when `device status` says FINISHED" : statusName(err.status) === "NOT_FOUND" ? "its agent predates the DeviceInfo service" : "";
          throw new RejectedError(`the device did not say what it runs (${statusName(err.status)})${why ? `: ${why}` : ""}`, statusName(err.status));
        }
        throw err;
      } finally {
        connection.close();
      }
    });
  for (const [verb, description] of [
    ["status", "print the device's update state"],
    ["abort", "abort the update in progress (the staged bundle is dropped)"],
    ["reset", "clear a finished update so a new one can start (Pigweed's Reset; the device does not reboot)"],
  ] as const) {
    addWireOptions(device.command(verb).description(description).option("--json", "print the status as one JSON object"))
      .action(async (options: WireFlags) => {
        const connect = await connector(options);
        const { DeviceConnection, SendError, realClock, ConnectError, RpcTimeoutError } = await wire();
        const connection = new DeviceConnection(connect, realClock, 2000);
        try {
          await connection.ensure();
          const call = verb === "status" ? connection.update.getStatus() : verb === "abort" ? connection.update.abort() : connection.update.reset();
          const status = await call;
          const refusedCall = status.callStatus !== 0;
          io.out(options.json ? `${JSON.stringify(status)}\n` : `${refusedCall ? `${verb} refused in this state: ` : ""}${describeStatus(status)}\n`);
          if (refusedCall) throw new RejectedError(`device ${verb} refused: the device is ${status.stateName}`, "FAILED_PRECONDITION");
        } catch (err) {
          if (err instanceof ConnectError) throw new InputError(err.message);
          if (err instanceof RpcTimeoutError) throw new RejectedError(`${err.message}: is it running the airlock link agent?`, "TIMEOUT");
          if (err instanceof SendError) throw new RejectedError(err.message, err.code);
          throw err;
        } finally {
          connection.close();
        }
      });
  }
}
