// `npm run bench:fleet`: fleet simulation at scale against the rollout service (SQLite, in this
// process; the devices on worker threads, one per core):
//   1. the largest real-agent fleet (each device the real agent over its own 1 MiB emulated
//      flash) taking one release: enrollment, install and idle check-in rates, against one
//      device installing alone measured in the same run;
//   2. memory per simulated device: RSS and heap of a 100-device fleet against the large one,
//      per device, against the flash a device emulates;
//   3. the largest lightweight fleet (check-in clients with a real manifest, no agent): its
//      check-in rate against the real-agent fleet's idle check-ins;
//   4. a 1,000-device staged rollout of four waves with one-hour soaks in simulated time
//      (ManualClock, advanced when a wave meets its threshold): wall time against simulated time.
// Sizes: BENCH_SIM_AGENT_DEVICES (1000), BENCH_SIM_LIGHT_DEVICES (100000), BENCH_SIM_ROLLOUT_DEVICES (1000).
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { FleetDevice, startSimulation, type SimulateOptions, type SimulationSummary } from "../tools/fleet/index.js";
import { scratchDirs } from "../test/helpers/cli-run.js";
import { FleetSimWorld } from "../test/helpers/fleet-sim-world.js";
import { PRODUCT } from "../test/helpers/fleet-world.js";

const AGENT_DEVICES = Number(process.env.BENCH_SIM_AGENT_DEVICES ?? 1000);
const LIGHT_DEVICES = Number(process.env.BENCH_SIM_LIGHT_DEVICES ?? 100_000);
const ROLLOUT_DEVICES = Number(process.env.BENCH_SIM_ROLLOUT_DEVICES ?? 1000);
const SMALL_FLEET = 100;
/** Which parts run (BENCH_SIM_PARTS=1,3,4; 2 runs with 1). */
const PARTS = (process.env.BENCH_SIM_PARTS ?? "1,3,4").split(",");
const HOUR = 3_600_000;
const dirs = scratchDirs("bench-fleet-sim");
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
let prefixes = 0;
/** Idle check-ins per second of up-to-date real-agent devices (part 1), the reference of part 3. */
let agentIdleRate = 0;

async function openWorld(): Promise<FleetSimWorld> {
  const world = await new FleetSimWorld(dirs.make()).open();
  world.publishBundle(2);
  return world;
}

function simulate(world: FleetSimWorld, options: Partial<SimulateOptions> & { devices: number }): Promise<{ stop(): void; done: Promise<SimulationSummary> }> {
  return startSimulation({
    serviceUrl: world.url, product: PRODUCT, enrollSecret: world.enrollSecret, board: world.board, root: readFileSync(world.at("root.bin")),
    images: { app: readFileSync(world.at("v1.bin")) }, factoryVersion: 1, prefix: `b${prefixes++}-`, faults: { revert: 0, powerCut: 0, flaky: 0, lossRate: 0 },
    pollMs: 0, seed: 1, ...options,
  });
}

/** One device alone, in this thread: enrolled, then timed from check-in to confirmed and reported. */
async function oneInstallMs(world: FleetSimWorld): Promise<number> {
  const device = new FleetDevice({ id: "alone", product: PRODUCT, serviceUrl: world.url, enrollSecret: world.enrollSecret, board: world.board, flash: world.factory.clone() });
  await device.pollOnce();
  const t0 = performance.now();
  const event = await device.pollOnce();
  if (event.kind !== "installed") throw new Error(`the lone device did not install: ${JSON.stringify(event)}`);
  return performance.now() - t0;
}

/** Idle check-ins per second of up-to-date real-agent devices (the world's rollout already installed). */
async function agentIdleCheckIns(world: FleetSimWorld): Promise<number> {
  const idle = await (await simulate(world, { devices: SMALL_FLEET * 2, rounds: 10 })).done;
  return (idle.events.idle ?? 0) / ((idle.elapsedMs - idle.enrollMs) / 1000);
}

function check(summary: SimulationSummary, expected: Record<string, number>): void {
  if (summary.problems.length > 0) throw new Error(`problems in the fleet: ${JSON.stringify(summary.problems.slice(0, 3))}`);
  if (JSON.stringify(summary.states) !== JSON.stringify(expected)) throw new Error(`devices by state ${JSON.stringify(summary.states)}, expected ${JSON.stringify(expected)}`);
}

console.log(`fleet simulation (${availableParallelism()} cores, worker threads = cores; rollout service on SQLite in the main thread)`);

// 1 and 2: the real-agent fleets.
if (PARTS.includes("1")) {
  const world = await openWorld();
  try {
    await world.rollout({ waves: [{ percent: 100 }], policy: { soakMs: 0 } });
    const aloneMs = await oneInstallMs(world);
    const small = await (await simulate(world, { devices: SMALL_FLEET, settleRounds: 2 })).done;
    check(small, { installed: SMALL_FLEET });
    const large = await (await simulate(world, { devices: AGENT_DEVICES, settleRounds: 2 })).done;
    check(large, { installed: AGENT_DEVICES });
    const installMs = large.elapsedMs - large.enrollMs;
    const installsPerSecond = AGENT_DEVICES / (installMs / 1000);
    console.log(`1. real-agent fleet: ${AGENT_DEVICES} devices, each the agent over its own ${mib(world.board.flash.sectors.reduce((n, r) => n + r.size * r.count, 0))} flash, all installed and confirmed v2`);
    console.log(`   enrolled in ${(large.enrollMs / 1000).toFixed(1)} s (${(AGENT_DEVICES / (large.enrollMs / 1000)).toFixed(0)}/s, flash provisioning included); rounds to settle ${large.rounds}, ${(installMs / 1000).toFixed(1)} s`);
    console.log(`   one device alone: ${aloneMs.toFixed(1)} ms from check-in to confirmed (${(1000 / aloneMs).toFixed(1)} installs/s)`);
    console.log(`   the fleet: ${installsPerSecond.toFixed(1)} installs/s (check-in, deployment, download, install, reboot, confirm, report), ratio ${(installsPerSecond / (1000 / aloneMs)).toFixed(2)} against one device alone`);
    const flashBytes = world.board.flash.sectors.reduce((n, r) => n + r.size * r.count, 0);
    console.log(`2. memory per device, in the workers (JS heap + external: emulated flash, agent memory): ${kib(large.memory.perDeviceBytes)} with ${AGENT_DEVICES} devices, ${kib(small.memory.perDeviceBytes)} with ${SMALL_FLEET}; ratio ${(large.memory.perDeviceBytes / flashBytes).toFixed(2)} of the ${kib(flashBytes)} flash each emulates`);
    console.log(`   whole process RSS with ${AGENT_DEVICES} devices up: ${mib(large.memory.rssReadyBytes)} (service, ${large.workers} workers), ${kib(large.memory.rssReadyBytes / AGENT_DEVICES)} per device`);
    // Idle check-ins of real devices, the reference for the lightweight clients.
    agentIdleRate = await agentIdleCheckIns(world);
    console.log(`   idle check-ins of up-to-date real-agent devices: ${agentIdleRate.toFixed(0)}/s`);
  } finally {
    await world.stop();
  }
}

// 3: the lightweight fleet.
if (PARTS.includes("3")) {
  const world = await openWorld();
  try {
    let lastLine = 0;
    const t0 = performance.now();
    const light = await (await simulate(world, {
      devices: LIGHT_DEVICES, lightweight: true, rounds: 1, concurrency: 32,
      onProgress: (p) => {
        if (performance.now() - lastLine < 10_000) return;
        lastLine = performance.now();
        console.log(`   ... ${p.phase} ${p.enrolled}/${LIGHT_DEVICES} ready, ${p.polls} check-ins, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      },
    })).done;
    check(light, { idle: LIGHT_DEVICES });
    if (agentIdleRate === 0) agentIdleRate = await agentIdleCheckIns(world); // part 1 did not run
    const rate = light.pollsPerSecond;
    console.log(`3. lightweight fleet: ${LIGHT_DEVICES} check-in clients enrolled in ${(light.enrollMs / 1000).toFixed(1)} s (${(LIGHT_DEVICES / (light.enrollMs / 1000)).toFixed(0)}/s), one round of check-ins at ${rate.toFixed(0)}/s; ratio ${(rate / agentIdleRate).toFixed(2)} against real-agent devices' idle check-ins`);
    console.log(`   ${(light.memory.perDeviceBytes / 1024).toFixed(1)} KiB per client in the workers; whole process RSS ${mib(light.memory.rssReadyBytes)}`);
  } finally {
    await world.stop();
  }
}

// 4: a staged rollout in simulated time, created once the fleet has enrolled (waves are sized then).
if (PARTS.includes("4")) {
  const world = await openWorld();
  try {
    let enrolled!: () => void;
    const allEnrolled = new Promise<void>((resolve) => (enrolled = resolve));
    const simulation = await simulate(world, { devices: ROLLOUT_DEVICES, pollMs: 20, onProgress: (p) => p.enrolled === ROLLOUT_DEVICES && enrolled() });
    await allEnrolled;
    const wallStart = performance.now();
    const startClock = world.clock.now();
    const { rollout } = await world.rollout({ waves: [{ percent: 10 }, { percent: 25 }, { percent: 50 }, { percent: 100 }], policy: { soakMs: HOUR } });
    let view = await world.show(rollout.id);
    while (!(view.rollout.state === "completed" && view.totals.installed === ROLLOUT_DEVICES)) {
      if (view.rollout.state !== "running" && view.rollout.state !== "completed") throw new Error(`the rollout went ${view.rollout.state}: ${view.rollout.stateReason}`);
      if (performance.now() - wallStart > 300_000) throw new Error(`the rollout did not complete in 5 minutes: ${JSON.stringify(view.totals)}, wave ${view.rollout.currentWave + 1}`);
      // A wave that met its threshold soaks: the hour passes in simulated time, and the tick moves on.
      if (view.waves[view.rollout.currentWave]?.succeededAt !== null) await world.pass(HOUR);
      await new Promise((resolve) => setTimeout(resolve, 25));
      view = await world.show(rollout.id);
    }
    const wallMs = performance.now() - wallStart;
    simulation.stop();
    const summary = await simulation.done;
    check(summary, { installed: ROLLOUT_DEVICES });
    const simulatedMs = world.clock.now() - startClock;
    console.log(`4. staged rollout: ${ROLLOUT_DEVICES} real-agent devices, waves 10%,25%,50%,100% with 1 h soaks: completed in ${(wallMs / 1000).toFixed(1)} s of wall time for ${(simulatedMs / HOUR).toFixed(1)} h simulated; ratio ${(simulatedMs / wallMs).toFixed(0)} simulated to wall`);
    console.log(`   waves: ${view.waves.map((w: any) => `${w.counts.installed}`).join(" + ")} installed`);
  } finally {
    await world.stop();
  }
}
dirs.cleanup();
