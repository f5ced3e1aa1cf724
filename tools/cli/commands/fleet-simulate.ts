// airlock fleet simulate: a fleet of simulated devices (the real agent over emulated flash, or
// lightweight check-in clients) against a running `fleet serve`, over worker threads, with
// failure models; progress on stderr, a summary (devices by state, by version) at the end.
import { randomBytes } from "node:crypto";
import { InvalidArgumentError, type Command } from "commander";
import { InputError, parseTargetArgument, readInput } from "../../format/index.js";
import { requirePrivateFile } from "../../signer/index.js";
import { startSimulation, type SimulationProgress, type SimulationSummary } from "../../fleet/index.js";
import type { CliIo } from "../io.js";
import { duration } from "./fleet.js";
import { integer } from "./options.js";

/** A share of the fleet: 0.2 or 20%. */
function fraction(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN;
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError("expected a share of the fleet from 0 to 1, such as 0.2 or 20%");
  return value;
}

function lossRate(text: string): number {
  const value = fraction(text);
  if (value >= 1) throw new InvalidArgumentError("a network that loses every request never delivers anything: give less than 1 (100%)");
  return value;
}

function positive(text: string): number {
  const n = integer(text);
  if (n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

interface SimulateFlags {
  remote: string;
  product: string;
  enrollSecretFile: string;
  root: string;
  board: string;
  factoryVersion: number;
  devices: number;
  workers?: number;
  prefix?: string;
  revert: number;
  powerCut: number;
  flaky: number;
  loss: number;
  pollInterval?: number;
  rounds?: number;
  duration?: number;
  settle?: number;
  lightweight?: boolean;
  concurrency: number;
  seed: number;
  json?: boolean;
}

const counts = (record: Record<string, number>) => Object.entries(record).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(", ") || "none";

function progressLine(p: SimulationProgress, devices: number): string {
  const seconds = (p.elapsedMs / 1000).toFixed(0);
  if (p.phase === "enrolling") return `[${seconds}s] enrolled ${p.enrolled}/${devices}\n`;
  return `[${seconds}s] round ${p.round}: ${p.polls} polls; ${counts(p.events)}\n`;
}

function printSummary(io: CliIo, s: SimulationSummary): void {
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  io.out(`${s.devices} ${s.lightweight ? "lightweight check-in clients" : "devices (real agent, own flash)"} on ${s.workers} worker thread(s): ${s.rounds} round(s) in ${(s.elapsedMs / 1000).toFixed(1)} s (enrolling ${(s.enrollMs / 1000).toFixed(1)} s), ${s.polls} polls, ${s.pollsPerSecond.toFixed(0)} polls/s\n`);
  io.out(`  devices by state: ${counts(s.states)}\n`);
  io.out(`  devices by targets version: ${counts(s.versions)}${s.onTrial ? `; ${s.onTrial} still on trial` : ""}\n`);
  io.out(`  faults: ${s.faults.revert} failing self-test, ${s.faults.powerCut} power cut (${s.powerCuts} cuts happened), ${s.faults.flaky} lossy network (${s.networkErrors} requests lost)\n`);
  io.out(`  memory: ${(s.memory.perDeviceBytes / 1024).toFixed(0)} KiB per device in the workers (JS heap, flash, agent memory); process RSS ${mib(s.memory.rssBeforeBytes)} MiB before, ${mib(s.memory.rssReadyBytes)} MiB with the fleet up\n`);
  for (const p of s.problems.slice(0, 20)) io.out(`  PROBLEM ${p.id} (${p.state}): ${p.error}\n`);
  if (s.problems.length > 20) io.out(`  ... and ${s.problems.length - 20} more problems (--json lists them all)\n`);
}

export function registerFleetSimulate(fleet: Command, io: CliIo): void {
  fleet
    .command("simulate")
    .description("run a fleet of simulated devices against a rollout service: each the real agent over its own emulated flash (or --lightweight check-in clients), over worker threads, with failure models")
    .requiredOption("--remote <url>", "the rollout service the devices check in with (airlock fleet serve)")
    .requiredOption("--product <product>", "the devices' product (the tenant they enroll under)")
    .requiredOption("--enroll-secret-file <file>", "the product's enrollment secret (mode 600; airlock fleet enroll-secret create)")
    .requiredOption("--root <root>", "signed root metadata every device trusts from the factory")
    .option("--board <board>", "board from board/*.json (or a board file ending .json); its hardware ID is the devices'", "nrf52840")
    .option("--factory-version <n>", "the targets version the factory images are", integer, 0)
    .option("--devices <n>", "how many devices", positive, 100)
    .option("--workers <n>", "worker threads (default: one per core)", positive)
    .option("--prefix <text>", "device IDs are PREFIX0, PREFIX1, ... (default sim-RANDOM-: a second run enrolls new devices)")
    .option("--revert <share>", "share of devices whose new image fails its self-test: never confirmed, reverted at the next power-on (0.2 or 20%)", fraction, 0)
    .option("--power-cut <share>", "share of devices that lose power once during their first install, at a random point of it", fraction, 0)
    .option("--flaky <share>", "share of devices on a lossy network (after enrolling): requests or their answers lost, then retried", fraction, 0)
    .option("--loss <rate>", "the share of a lossy network's requests that get no answer", lossRate, 0.2)
    .option("--poll-interval <duration>", "pause between rounds: every device polls once per round (default 1s)", duration)
    .option("--rounds <n>", "stop after this many rounds", positive)
    .option("--duration <duration>", "stop this long after every device has enrolled (e.g. 10m)", duration)
    .option("--settle <n>", "stop once N rounds in a row had every device idle (nothing offered, nothing to report)", positive)
    .option("--lightweight", "no agent: check-in clients reporting a factory device's real manifest, for measuring scale")
    .option("--concurrency <n>", "requests in flight per worker", positive, 64)
    .option("--seed <n>", "picks which devices get which fault: the same seed, the same fleet", integer, 1)
    .option("--json", "print the summary as one JSON object")
    .argument("<images...>", "NAME=FILE: the factory image of each target (every board has `app`)")
    .action(async (imageArgs: string[], options: SimulateFlags) => {
      if (!/^https?:\/\//.test(options.remote)) throw new InputError(`--remote ${options.remote}: expected an http(s) URL`);
      if (options.rounds === undefined && options.duration === undefined && options.settle === undefined) {
        throw new InputError("the simulation needs an end: give --rounds N, --duration D or --settle N (Ctrl-C also ends it, with the summary)");
      }
      const secret = Buffer.from(readInput(options.enrollSecretFile, "enrollment secret file")).toString("utf8").trim();
      requirePrivateFile(options.enrollSecretFile, "the enrollment secret file");
      const images: Record<string, Uint8Array> = {};
      for (const argument of imageArgs) {
        const { name, file } = parseTargetArgument(argument);
        images[name] = readInput(file, `image "${name}"`);
      }
      const { boardNamed } = await import("../../../host-sim/index.js");
      const board = boardNamed(options.board);
      const prefix = options.prefix ?? `sim-${randomBytes(3).toString("hex")}-`;
      let last = 0;
      const simulation = await startSimulation({
        serviceUrl: options.remote, product: options.product, enrollSecret: secret, board, root: readInput(options.root, "root metadata"), images,
        factoryVersion: options.factoryVersion, devices: options.devices, workers: options.workers, prefix,
        faults: { revert: options.revert, powerCut: options.powerCut, flaky: options.flaky, lossRate: options.loss },
        pollMs: options.pollInterval ?? 1000, rounds: options.rounds, durationMs: options.duration, settleRounds: options.settle, lightweight: options.lightweight,
        seed: options.seed, concurrency: options.concurrency,
        onProgress: (p) => {
          if (p.elapsedMs - last < 1000 && !(p.phase === "enrolling" && p.enrolled === options.devices)) return;
          last = p.elapsedMs;
          io.err(progressLine(p, options.devices));
        },
      });
      io.err(`simulating ${options.devices} devices ${prefix}0.. against ${options.remote}\n`);
      const stop = () => simulation.stop();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        const summary = await simulation.done;
        if (options.json) io.out(`${JSON.stringify({ prefix, ...summary })}\n`);
        else printSummary(io, summary);
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
    });
}
