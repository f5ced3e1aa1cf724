// airlock fleet gateway: checks in with the rollout service for one device on a wire and updates
// it over the wire when a rollout names it (tools/fleet/gateway/). The device's token is kept in
// --token-file (enrolled with the product's secret the first time); every manifest it reports is
// the device's own answer. Runs until Ctrl-C, or with --once for one turn.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { InputError, readInput } from "../../format/index.js";
import { requirePrivateFile } from "../../signer/index.js";
import type { GatewayEvent } from "../../fleet/index.js";
import type { CliIo } from "../io.js";
import { duration } from "./fleet.js";
import { addWireOptions, connector, type WireFlags } from "./send.js";
import { eventPrinter } from "./service.js";

interface GatewayFlags extends WireFlags {
  remote: string;
  product: string;
  deviceId: string;
  hardware: string;
  tokenFile: string;
  enrollSecretFile?: string;
  pollInterval: number;
  confirmTimeout: number;
  once?: boolean;
}

function readDeviceToken(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  requirePrivateFile(path, "the device token file");
  const token = readFileSync(path, "utf8").trim();
  if (!token) throw new InputError(`${path} is empty: remove it to enroll the device again with --enroll-secret-file`);
  return token;
}

export function registerFleetGateway(fleet: Command, io: CliIo): void {
  addWireOptions(
    fleet
      .command("gateway")
      .description("check in with the rollout service for a device on a wire (UART, TCP) and update it over the wire when a rollout names it; reports only what the device itself says it runs")
      .requiredOption("--remote <url>", "the rollout service (airlock fleet serve)")
      .requiredOption("--product <product>", "the device's product")
      .requiredOption("--device-id <id>", "the device's ID in the fleet")
      .requiredOption("--hardware <id>", "the device's hardware ID (as its releases name it)")
      .requiredOption("--token-file <file>", "the device's token: read if it exists, else written (mode 600) when the device enrolls")
      .option("--enroll-secret-file <file>", "the product's enrollment secret, for the first run (airlock fleet enroll-secret create)")
      .option("--poll-interval <duration>", "pause between turns (default 5s)", duration, 5000)
      .option("--confirm-timeout <duration>", "how long one turn waits for the device's firmware to confirm an update (default 30s)", duration, 30_000)
      .option("--once", "one turn, then exit")
      .option("--json", "print one JSON line per event"),
  ).action(async (options: GatewayFlags) => {
    if (!/^https?:\/\//.test(options.remote)) throw new InputError(`--remote ${options.remote}: expected an http(s) URL`);
    const token = readDeviceToken(options.tokenFile);
    let enrollSecret: string | undefined;
    if (token === undefined) {
      if (!options.enrollSecretFile) throw new InputError(`${options.tokenFile} does not exist: give --enroll-secret-file so the device can enroll (its token is then written there)`);
      requirePrivateFile(options.enrollSecretFile, "the enrollment secret file");
      enrollSecret = Buffer.from(readInput(options.enrollSecretFile, "enrollment secret file")).toString("utf8").trim();
    }
    const connect = await connector(options);
    const { WireGateway } = await import("../../fleet/index.js");
    const say = eventPrinter(io, options.json);
    const gateway = new WireGateway({
      serviceUrl: options.remote, product: options.product, deviceId: options.deviceId, hardwareId: options.hardware, token, enrollSecret,
      saveToken: (t) => writeFileSync(options.tokenFile, `${t}\n`, { mode: 0o600, flag: "wx" }),
      connect, confirmTimeoutMs: options.confirmTimeout, log: (line) => say("log", line),
    });
    const where = options.tcp ? `tcp ${options.tcp.host}:${options.tcp.port}` : `serial ${options.serial}`;
    say("started", `gateway for ${options.deviceId} (${where}) checking in with ${options.remote}, pid ${process.pid}`, { pid: process.pid, device: options.deviceId });
    let stopped = false;
    let wake: (() => void) | undefined;
    const stop = () => {
      stopped = true;
      wake?.();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    let last = "";
    try {
      while (!stopped) {
        const event = await gateway.pollOnce();
        const text = describe(options.deviceId, event);
        // Idle turns repeat: said once until something changes.
        if (text !== last) {
          const { kind: _kind, ...fields } = event;
          // The event's own message (a wire or network error) goes in `detail`: `message` is the line.
          const { message: detail, ...rest } = fields as typeof fields & { message?: string };
          say(event.kind, text, detail === undefined ? rest : { ...rest, detail });
        }
        last = text;
        if (options.once) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.pollInterval);
        });
      }
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    say("stopped", "stopped");
  });
}

function describe(id: string, event: GatewayEvent): string {
  switch (event.kind) {
    case "enrolled": return `${id} enrolled; its token is kept in the token file`;
    case "idle": return `${id} runs targets v${event.targetsVersion}; nothing to do`;
    case "installed": return `${id} installed and confirmed targets v${event.targetsVersion} (action ${event.actionId})`;
    case "refused": return `${id} refused action ${event.actionId}: ${event.error}`;
    case "reverted": return `${id} reverted to targets v${event.targetsVersion} (action ${event.actionId})`;
    case "on-trial": return `${id} runs targets v${event.targetsVersion} on trial; waiting for its firmware to confirm (action ${event.actionId})`;
    case "withdrawn": return `action ${event.actionId} for ${id} was withdrawn: ${event.reason}`;
    case "no-device": return `${id} does not answer on the wire: ${event.message}`;
    case "network": return `the rollout service did not answer: ${event.message}`;
  }
}
