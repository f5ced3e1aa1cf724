// airlock send BUNDLE and airlock device status|abort|reset: local updates over Pigweed's wire
// protocol to a device on TCP (`sim serve`, a board's UART bridged to a socket) or a serial port.
import { basename } from "node:path";
import { Option, type Command } from "commander";
import { InputError, RejectedError, forDevice, parseBundle, readInput, reorderNote } from "../../format/index.js";
import type { ByteLink, DeviceStatus, SendPhase } from "../../link/index.js";
import type { CliIo } from "../io.js";
import { progressFor } from "../progress.js";
import { integer, tcpAddress } from "./options.js";

// The link stack (protobufjs schemas, serialport's native binding) loads only when a wire verb runs.
const wire = () => import("../../link/index.js");

interface WireFlags {
  tcp?: { host: string; port: number };
  serial?: string;
  baud: number;
  json?: boolean;
}

function addWireOptions(command: Command): Command {
  return command
    .addOption(new Option("--tcp <host:port>", "the device on TCP (`airlock sim serve`, a UART bridged to a socket)").argParser(tcpAddress).conflicts("serial"))
    .option("--serial <path>", "the device on a serial port (e.g. /dev/ttyACM0)")
    .option("--baud <n>", "serial baud rate", integer, 115200);
}

/** A connect() for the flags given; usage error when neither or both are given. */
async function connector(flags: WireFlags): Promise<() => Promise<ByteLink>> {
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
    .argument("<bundle>", "bundle file")
    .option("--name <name>", "the name the device keeps for this update (default: the file's name)")
    .option("--timeout <seconds>", "how long the device may stay silent (rebooting, powered off) before send gives up", integer, 30)
    .option("--json", "print one object at the end ({result, state, bytesSent, bundleBytes, resumes, alreadyInstalled, durationMs}) and no bar"))
    .action(async (path: string, options: WireFlags & { name?: string; timeout: number }) => {
      const input = readInput(path, "bundle");
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

  const device = program.command("device").description("ask a device on the wire about its update (Pigweed's BundledUpdate service)");
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
