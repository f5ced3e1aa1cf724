// What a fleet simulation is asked to do, and which devices get which fault: each failure model
// names a fraction of the fleet, picked by a seeded shuffle (so a run is repeatable), each model
// independently of the others.
import type { Board } from "../../../host-sim/index.js";
import { seededRandom } from "../../../host-sim/index.js";
import type { DeviceManifest } from "../model.js";

export interface DevicePlan {
  id: string;
  /** The new image's self-test fails: it never confirms, and the next power-on reverts it. */
  revert: boolean;
  /** Power goes out once, this far (0..1) through the device's first install. */
  powerCut?: number;
  /** On a lossy network: this share of requests gets no answer. */
  lossRate?: number;
  seed: number;
}

/** Where every simulated device checks in and what it left the factory with. */
export interface FleetSetting {
  serviceUrl: string;
  product: string;
  enrollSecret: string;
  board: Board;
  /** The signed root every device trusts. */
  root: Uint8Array;
  /** The factory images, by target. */
  images: Record<string, Uint8Array>;
  factoryVersion: number;
}

/** One worker's share, as it crosses into the worker thread (structured clone). */
export interface WorkerSpec extends FleetSetting {
  /** Lightweight mode: check-in clients reporting this manifest, no agent. */
  lightweight?: DeviceManifest;
  devices: DevicePlan[];
  pollMs: number;
  rounds?: number;
  concurrency: number;
}

export interface FaultFractions {
  revert: number;
  powerCut: number;
  flaky: number;
  lossRate: number;
}

/** `count` distinct indexes out of `n`, by a seeded shuffle. */
function pick(n: number, count: number, random: () => number): Set<number> {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return new Set(order.slice(0, count));
}

export function planDevices(prefix: string, n: number, faults: FaultFractions, seed: number): DevicePlan[] {
  const random = seededRandom(seed);
  const width = String(n - 1).length;
  const reverting = pick(n, Math.round(faults.revert * n), random);
  const cut = pick(n, Math.round(faults.powerCut * n), random);
  const flaky = pick(n, Math.round(faults.flaky * n), random);
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${String(i).padStart(width, "0")}`,
    revert: reverting.has(i),
    ...(cut.has(i) ? { powerCut: random() } : {}),
    ...(flaky.has(i) ? { lossRate: faults.lossRate } : {}),
    seed: Math.floor(random() * 2 ** 32),
  }));
}

/** What a worker tells the simulation. */
export type WorkerMessage =
  /** While enrolling, at most twice a second: how many of its devices have a token so far. */
  | { type: "enrolling"; enrolled: number }
  /** memoryBytes: the worker's JS heap and external memory (flash, agent memory) its devices took. */
  | { type: "ready"; devices: number; memoryBytes: number }
  | { type: "round"; round: number; events: Record<string, number> }
  | { type: "done"; results: DeviceResult[] }
  | { type: "failed"; code: string; message: string };

export interface DeviceResult {
  id: string;
  /** The last thing that happened to it other than an idle check-in or a lost request ("idle" when nothing did). */
  state: string;
  /** What runs: from the agent's boot state (or the fixed manifest in lightweight mode). */
  targetsVersion: number;
  trial: boolean;
  polls: number;
  powerCuts: number;
  networkErrors: number;
  error?: string;
}
