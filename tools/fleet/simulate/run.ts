// `fleet simulate`: a fleet of simulated devices against a running rollout service, spread over
// worker threads. Every device is the real agent over its own emulated flash (or, lightweight, a
// check-in client with a real manifest); failure models pick fractions of the fleet. The run
// ends after `rounds`, after `durationMs`, once `settleRounds` rounds in a row were quiet (every
// device idle), or when `stop()` is called; the summary counts devices by state and by what runs.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InputError, RejectedError } from "../../format/index.js";
import { FleetDevice, manufactureFlash } from "../device/index.js";
import type { DeviceManifest } from "../model.js";
import { planDevices, type DeviceResult, type FaultFractions, type FleetSetting, type WorkerMessage, type WorkerSpec } from "./plan.js";

export interface SimulateOptions extends FleetSetting {
  devices: number;
  workers?: number;
  prefix: string;
  faults: FaultFractions;
  /** Pause between rounds (a round that took longer starts the next at once). */
  pollMs: number;
  rounds?: number;
  durationMs?: number;
  settleRounds?: number;
  lightweight?: boolean;
  seed: number;
  /** Requests in flight per worker. */
  concurrency?: number;
  onProgress?: (progress: SimulationProgress) => void;
}

export interface SimulationProgress {
  phase: "enrolling" | "running";
  enrolled: number;
  round: number;
  polls: number;
  events: Record<string, number>;
  elapsedMs: number;
}

export interface SimulationSummary {
  devices: number;
  workers: number;
  lightweight: boolean;
  rounds: number;
  elapsedMs: number;
  enrollMs: number;
  polls: number;
  pollsPerSecond: number;
  /** Every poll's outcome, counted over the run. */
  events: Record<string, number>;
  /** Devices by the last thing that happened to them (installed, reverted, refused, power-cut, withdrawn, offered, bricked, error, idle). */
  states: Record<string, number>;
  /** Devices by the targets version they run (their agent's boot state). */
  versions: Record<string, number>;
  onTrial: number;
  faults: { revert: number; powerCut: number; flaky: number };
  powerCuts: number;
  networkErrors: number;
  problems: Array<{ id: string; state: string; error: string }>;
  /**
   * rss*: the whole process (service, workers and all) before and with the fleet up; device*: what
   * the devices took in their workers' JS heaps and external memory (emulated flash, agent memory).
   */
  memory: { rssBeforeBytes: number; rssReadyBytes: number; rssPerDeviceBytes: number; deviceBytes: number; perDeviceBytes: number };
}

export interface Simulation {
  done: Promise<SimulationSummary>;
  stop(): void;
}

const WORKER_URL = new URL("./worker-boot.mjs", import.meta.url);

/** What a factory-fresh device reports (the lightweight clients' manifest), from its agent. */
async function factoryManifest(options: SimulateOptions): Promise<DeviceManifest> {
  const flash = await manufactureFlash({ board: options.board, root: options.root, images: options.images, targetsVersion: options.factoryVersion });
  const device = new FleetDevice({ id: "factory", product: options.product, serviceUrl: options.serviceUrl, enrollSecret: "", board: options.board, flash });
  return device.manifest();
}

async function requireService(url: string): Promise<void> {
  let body: { ok?: boolean } | undefined;
  try {
    body = (await (await fetch(`${url.replace(/\/+$/, "")}/health`)).json()) as { ok?: boolean };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new InputError(`cannot reach the rollout service at ${url} (${cause}): is \`airlock fleet serve\` running there? check --remote`);
  }
  if (body?.ok !== true) throw new InputError(`${url}/health did not answer as the rollout service does: is ${url} \`airlock fleet serve\`?`);
}

function fatal(code: string, message: string): Error {
  if (code === "BAD_ENROLLMENT_SECRET") return new InputError(`${message}: give the product's secret (--enroll-secret-file, from \`airlock fleet enroll-secret create\`)`);
  if (code === "ALREADY_ENROLLED") return new InputError(`${message}: these device IDs are taken; pick another --prefix`);
  if (code === "INTERNAL") return new Error(`a simulation worker failed: ${message}`);
  return new RejectedError(message, code);
}

export async function startSimulation(options: SimulateOptions): Promise<Simulation> {
  if (!(Number.isSafeInteger(options.devices) && options.devices > 0)) throw new InputError(`--devices ${options.devices}: a whole number above 0`);
  await requireService(options.serviceUrl);
  // Made once here: a root or images the agent refuses fail now, with the agent's reason.
  const manifest = await factoryManifest(options);
  const workerCount = Math.max(1, Math.min(options.workers ?? availableParallelism(), options.devices));
  const plans = planDevices(options.prefix, options.devices, options.faults, options.seed);
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const workers: Worker[] = [];
  const results: DeviceResult[] = [];
  const events: Record<string, number> = {};
  const rounds = new Array<number>(workerCount).fill(0);
  const enrolling = new Array<number>(workerCount).fill(0);
  const quiet = new Array<number>(workerCount).fill(0);
  let ready = 0;
  let deviceBytes = 0;
  let rssReady = 0;
  let enrollMs = 0;
  let polls = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    for (const w of workers) w.postMessage({ type: "stop" });
  };
  const progress = (phase: SimulationProgress["phase"]) =>
    options.onProgress?.({ phase, enrolled: Math.max(ready, enrolling.reduce((a, b) => a + b, 0)), round: Math.min(...rounds), polls, events: { ...events }, elapsedMs: performance.now() - t0 });

  const done = new Promise<SimulationSummary>((resolve, reject) => {
    let finished = 0;
    let failure: Error | undefined;
    for (let w = 0; w < workerCount; w++) {
      const spec: WorkerSpec = {
        serviceUrl: options.serviceUrl, product: options.product, enrollSecret: options.enrollSecret, board: options.board, root: options.root, images: options.images,
        factoryVersion: options.factoryVersion, devices: plans.filter((_, i) => i % workerCount === w), pollMs: options.pollMs, rounds: options.rounds,
        concurrency: options.concurrency ?? 64, ...(options.lightweight ? { lightweight: manifest } : {}),
      };
      const worker = new Worker(WORKER_URL, { workerData: spec });
      workers.push(worker);
      worker.on("message", (message: WorkerMessage) => {
        switch (message.type) {
          case "enrolling":
            enrolling[w] = message.enrolled;
            progress("enrolling");
            break;
          case "ready":
            enrolling[w] = message.devices;
            ready += message.devices;
            deviceBytes += message.memoryBytes;
            if (ready === options.devices) {
              rssReady = process.memoryUsage().rss;
              enrollMs = performance.now() - t0;
              if (options.durationMs !== undefined) timer = setTimeout(stop, options.durationMs);
            }
            progress("enrolling");
            break;
          case "round": {
            rounds[w] = message.round;
            let n = 0;
            for (const [kind, count] of Object.entries(message.events)) {
              events[kind] = (events[kind] ?? 0) + count;
              n += count;
            }
            polls += n;
            quiet[w] = (message.events.idle ?? 0) === n ? quiet[w]! + 1 : 0;
            if (options.settleRounds !== undefined && quiet.every((q) => q >= options.settleRounds!)) stop();
            progress("running");
            break;
          }
          case "done":
            results.push(...message.results);
            break;
          case "failed":
            failure ??= fatal(message.code, message.message);
            stop();
            break;
        }
      });
      worker.on("error", (err) => {
        failure ??= err;
        stop();
      });
      worker.on("exit", () => {
        if (++finished < workerCount) return;
        clearTimeout(timer);
        if (failure) return reject(failure);
        resolve(summarize(results));
      });
    }
  });

  const summarize = (all: DeviceResult[]): SimulationSummary => {
    const elapsedMs = performance.now() - t0;
    const count = (key: (r: DeviceResult) => string) => all.reduce<Record<string, number>>((n, r) => ({ ...n, [key(r)]: (n[key(r)] ?? 0) + 1 }), {});
    const runMs = elapsedMs - enrollMs;
    return {
      devices: all.length,
      workers: workerCount,
      lightweight: options.lightweight === true,
      rounds: Math.max(...rounds),
      elapsedMs,
      enrollMs,
      polls,
      pollsPerSecond: runMs > 0 ? polls / (runMs / 1000) : 0,
      events,
      states: count((r) => r.state),
      versions: count((r) => String(r.targetsVersion)),
      onTrial: all.filter((r) => r.trial).length,
      faults: { revert: plans.filter((p) => p.revert).length, powerCut: plans.filter((p) => p.powerCut !== undefined).length, flaky: plans.filter((p) => p.lossRate !== undefined).length },
      powerCuts: all.reduce((n, r) => n + r.powerCuts, 0),
      networkErrors: all.reduce((n, r) => n + r.networkErrors, 0),
      problems: all.filter((r) => r.error).map((r) => ({ id: r.id, state: r.state, error: r.error! })),
      memory: {
        rssBeforeBytes: rssBefore, rssReadyBytes: rssReady, rssPerDeviceBytes: (rssReady - rssBefore) / options.devices,
        deviceBytes, perDeviceBytes: deviceBytes / options.devices,
      },
    };
  };
  return { done, stop };
}
