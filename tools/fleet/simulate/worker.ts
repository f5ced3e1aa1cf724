// One worker thread of a fleet simulation: its share of the devices, each a FleetDevice (the
// real agent over its own flash, made from one factory flash per worker) or, in lightweight
// mode, a CheckInClient. Enrolls them all, then runs rounds (every device polls once, at most
// `concurrency` requests at a time) until told to stop or the rounds are done, reporting each
// round's events and at the end every device's state and what its agent runs.
import { parentPort, workerData } from "node:worker_threads";
import { BrickedError, CheckInClient, DdiRefusal, FleetDevice, flakyFetch, manufactureFlash } from "../device/index.js";
import type { DeviceResult, WorkerMessage, WorkerSpec } from "./plan.js";

const spec = workerData as WorkerSpec;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
let stopping = false;
parentPort!.on("message", (message: { type: string }) => {
  if (message.type === "stop") stopping = true;
});
parentPort!.unref(); // listening for "stop" must not keep the thread alive once its work is done

interface Simulated {
  plan: WorkerSpec["devices"][number];
  poll(): Promise<{ kind: string }>;
  network?: { lossRate: number };
  enrolled(): boolean;
  result: DeviceResult;
  device?: FleetDevice;
}

async function makeDevices(): Promise<Simulated[]> {
  const factory = spec.lightweight ? undefined : await manufactureFlash({ board: spec.board, root: spec.root, images: spec.images, targetsVersion: spec.factoryVersion });
  return spec.devices.map((plan) => {
    // The network is good at enrollment (the factory's); lossy ones turn lossy afterwards.
    const network = plan.lossRate === undefined ? undefined : flakyFetch(0, plan.seed);
    const result: DeviceResult = { id: plan.id, state: "idle", targetsVersion: spec.lightweight?.targetsVersion ?? spec.factoryVersion, trial: false, polls: 0, powerCuts: 0, networkErrors: 0 };
    if (spec.lightweight) {
      const client = new CheckInClient(plan.id, spec.lightweight, spec.serviceUrl, spec.enrollSecret, network?.fetch);
      return { plan, network, result, enrolled: () => client.client.token !== undefined, poll: () => client.pollOnce() };
    }
    const device = new FleetDevice({
      id: plan.id, product: spec.product, serviceUrl: spec.serviceUrl, enrollSecret: spec.enrollSecret, board: spec.board, flash: factory!.clone(), fetch: network?.fetch,
      ...(plan.revert ? { selfTest: () => false } : {}), ...(plan.powerCut !== undefined ? { powerCutFraction: plan.powerCut } : {}),
    });
    return { plan, network, result, device, enrolled: () => device.enrolled, poll: () => device.pollOnce() };
  });
}

/** Runs fn over items with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

class Fatal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

async function pollOne(d: Simulated, events: Record<string, number>): Promise<void> {
  if (d.result.error) return;
  let kind: string;
  try {
    kind = (await d.poll()).kind;
  } catch (err) {
    // Refused enrollment (a wrong secret, an ID taken) is the same for every device: the run stops.
    if (err instanceof DdiRefusal && !d.enrolled()) throw new Fatal(err.code, `enrolling ${d.plan.id}: ${err.message}`);
    kind = err instanceof BrickedError ? "bricked" : "error";
    d.result.error = (err as Error).message;
  }
  d.result.polls++;
  events[kind] = (events[kind] ?? 0) + 1;
  if (kind === "network") d.result.networkErrors++;
  if (kind !== "idle" && kind !== "network") d.result.state = kind;
}

/** This thread's own memory: its JS heap and what lives outside it (ArrayBuffers, WASM memories). */
function isolateBytes(): number {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function main(): Promise<void> {
  const before = isolateBytes();
  const devices = await makeDevices();
  // Enrollment: until every device has a token (a lost answer is retried).
  let waiting = devices;
  let enrolled = 0;
  let told = performance.now();
  while (waiting.length > 0 && !stopping) {
    await pool(waiting, spec.concurrency, async (d) => {
      await pollOne(d, {});
      if (d.result.state === "enrolled") enrolled++;
      if (performance.now() - told > 500) {
        told = performance.now();
        post({ type: "enrolling", enrolled });
      }
    });
    waiting = waiting.filter((d) => !d.result.error && d.result.state !== "enrolled");
  }
  for (const d of devices) {
    d.result.state = "idle";
    if (d.network) d.network.lossRate = d.plan.lossRate!;
  }
  post({ type: "ready", devices: devices.length, memoryBytes: isolateBytes() - before });
  for (let round = 1; !stopping && (spec.rounds === undefined || round <= spec.rounds); round++) {
    const started = performance.now();
    const events: Record<string, number> = {};
    await pool(devices, spec.concurrency, (d) => pollOne(d, events));
    post({ type: "round", round, events });
    const rest = spec.pollMs - (performance.now() - started);
    if (rest > 0 && !stopping && (spec.rounds === undefined || round < spec.rounds)) await new Promise((resolve) => setTimeout(resolve, rest));
  }
  const results: DeviceResult[] = [];
  for (const d of devices) {
    if (d.device) {
      const running = await d.device.boot();
      Object.assign(d.result, { targetsVersion: running.targetsVersion, trial: running.trial, powerCuts: d.device.counters.powerCuts });
    }
    results.push(d.result);
  }
  post({ type: "done", results });
}

main().catch((err: Error) => post(err instanceof Fatal ? { type: "failed", code: err.code, message: err.message } : { type: "failed", code: "INTERNAL", message: err.stack ?? err.message }));
