// The demo's fleet: the rollout service on SQLite, the product's enrollment secret and an
// operator token, a handful of simulated thermostats (each the real agent over its own emulated
// flash, on worker threads, checking in over HTTP as `airlock fleet simulate` runs them), and a
// bench board on a wire that `fleet gateway` checks in for; a staged rollout of the internal
// release, the bench board first, then 20%, 50% and 100%, watched until every device runs it.
import { readFileSync } from "node:fs";
import { boardNamed } from "../../../host-sim/index.js";
import { startSimulation, type RolloutView, type SimulationSummary } from "../../fleet/index.js";
import { startService, stopService } from "./services.js";
import { announce, query, run, runJson } from "./steps.js";
import { startWireDevice } from "./wire.js";

export interface FleetDemo {
  at: (name: string) => string;
  repositoryUrl: string;
  /** The factory image (relative to the demo directory). */
  v1: string;
  board: string;
  product: string;
  hardwareId: string;
  targetsVersion: number;
}

/** Simulated thermostats, and with the bench board the whole fleet. */
const SIMULATED = 6;
const DEVICES = SIMULATED + 1;
const BENCH = "bench-board";
const WAVES = "group:bench,20%,50%,100%";
const SOAK = "2s";
/** A rollout that has not finished by then is a failure of the demo, not something to wait out. */
const ROLLOUT_DEADLINE_MS = 90_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describeRollout(view: RolloutView): string {
  const waves = view.waves.map((w) => `wave ${w.number + 1} (${w.percent === null ? `groups ${w.groups?.join(",")}` : `up to ${w.percent}%`}, ${w.size} device${w.size === 1 ? "" : "s"}): ${w.startedAt === null ? "waiting" : `${w.counts.installed} installed${w.failures ? `, ${w.failures} failed` : ""}`}`);
  return `rollout ${view.rollout.id} ${view.rollout.state}; ${waves.join("; ")}`;
}

export async function runFleet(demo: FleetDemo): Promise<SimulationSummary> {
  const { at } = demo;
  await run("make the thermostat's enrollment secret (the factory provisions it into devices)", ["fleet", "enroll-secret", "create", demo.product, "--db", at("fleet.sqlite"), "-o", at("enroll.secret")]);
  await run("make an operator token for alice", ["fleet", "token", "create", "alice", "--role", "operator", "--db", at("fleet.sqlite"), "-o", at("alice.token")]);
  announce("start the rollout service on SQLite, trusting the channel indexes the release key signs");
  const fleet = await startService("rollout service", ["fleet", "serve", "--db", at("fleet.sqlite"), "--repo-url", demo.repositoryUrl, "--release-key-pub", at("release.pub"), "--listen", "127.0.0.1:0", "--poll-seconds", "1", "--tick-seconds", "1"]);
  const remote = ["--remote", fleet.url!, "--token-file", at("alice.token")];

  const bench = await startWireDevice(demo, "bench", "bench board");
  announce("let a gateway check in for the bench board: it reports what the board says it runs, and updates it over the wire");
  const gateway = await startService(
    "gateway",
    ["fleet", "gateway", "--remote", fleet.url!, "--product", demo.product, "--device-id", BENCH, "--hardware", demo.hardwareId, "--tcp", `127.0.0.1:${bench.port}`, "--token-file", at("bench.token"), "--enroll-secret-file", at("enroll.secret"), "--poll-interval", "500ms"],
    "started",
  );

  announce(
    `switch on ${SIMULATED} thermostats from the factory (each the real agent over its own flash, on worker threads); they enroll and check in every 0.5 s`,
    ["fleet", "simulate", "--remote", fleet.url!, "--product", demo.product, "--enroll-secret-file", at("enroll.secret"), "--root", at("root.bin"), "--board", demo.board, "--devices", String(SIMULATED), "--prefix", "thermostat-", "--poll-interval", "500ms", `app=${at(demo.v1)}`],
  );
  let enrolled = 0;
  const simulation = await startSimulation({
    serviceUrl: fleet.url!, product: demo.product, enrollSecret: readFileSync(at("enroll.secret"), "utf8").trim(), board: boardNamed(demo.board),
    root: readFileSync(at("root.bin")), images: { app: readFileSync(at(demo.v1)) }, factoryVersion: 0, devices: SIMULATED, workers: 2, prefix: "thermostat-",
    faults: { revert: 0, powerCut: 0, flaky: 0, lossRate: 0 }, pollMs: 500, seed: 1,
    onProgress: (p) => void (enrolled = p.enrolled),
  });
  let summary: SimulationSummary | undefined;
  try {
    const enrolledBy = Date.now() + 30_000;
    for (;;) {
      const { devices } = await query<{ devices: { id: string; targetsVersion: number }[] }>(["fleet", "devices", ...remote, "--json"]);
      if (enrolled === SIMULATED && devices.length === DEVICES) break;
      if (Date.now() > enrolledBy) throw new Error(`only ${devices.length} of ${DEVICES} devices enrolled in 30 s`);
      await sleep(100);
    }
    await runJson<{ devices: { targetsVersion: number }[] }>("the fleet as the rollout service knows it", ["fleet", "devices", ...remote, "--json"], (d) => `${d.devices.length} devices, ${d.devices.filter((x) => x.targetsVersion === 0).length} on the factory image`, false);
    await run("put the bench board in the bench group: it takes every release first", ["fleet", "devices", "groups", BENCH, "--set", "bench", ...remote]);

    const created = await runJson<RolloutView>(
      `roll the internal release out: the bench board, then up to 20%, 50% and 100% of the fleet, each wave soaking ${SOAK}; it pauses itself if more than 5% of a wave fail`,
      ["fleet", "rollout", "create", ...remote, "--channel", "internal", "--product", demo.product, "--hardware", demo.hardwareId, "--waves", WAVES, "--soak", SOAK, "--name", `v${demo.targetsVersion} to the fleet`, "--json"],
      describeRollout,
      false,
    );
    announce("watch it go out", ["fleet", "rollout", "show", String(created.rollout.id), ...remote]);
    const deadline = Date.now() + ROLLOUT_DEADLINE_MS;
    let last = "";
    for (;;) {
      const view = await query<RolloutView>(["fleet", "rollout", "show", String(created.rollout.id), ...remote, "--json"]);
      const line = describeRollout(view);
      if (line !== last) console.log(`   ${line}`);
      last = line;
      if (view.rollout.state === "completed" && view.totals.installed === DEVICES) break;
      if (view.rollout.state !== "running" && view.rollout.state !== "completed") throw new Error(`the rollout is ${view.rollout.state}: ${view.rollout.stateReason}`);
      if (Date.now() > deadline) throw new Error(`the rollout has not finished in ${ROLLOUT_DEADLINE_MS / 1000} s: ${line}`);
      await sleep(250);
    }
    await run("the finished rollout", ["fleet", "rollout", "show", String(created.rollout.id), ...remote]);
  } finally {
    simulation.stop();
    summary = await simulation.done;
    await stopService(gateway);
  }
  const benchInfo = await runJson<{ slot: string; trial: boolean; targetsVersion: number }>(
    "ask the bench board itself what it runs",
    ["device", "info", "--tcp", `127.0.0.1:${bench.port}`, "--json"],
    (i) => `slot ${i.slot.toUpperCase()}, targets v${i.targetsVersion}${i.trial ? " on trial" : ", confirmed"}`,
    false,
  );
  await stopService(bench);
  if (benchInfo.targetsVersion !== demo.targetsVersion || benchInfo.trial) throw new Error(`the bench board runs targets v${benchInfo.targetsVersion}${benchInfo.trial ? " on trial" : ""}, not v${demo.targetsVersion} confirmed`);
  const versions = Object.entries(summary.versions).map(([v, n]) => `${n} on targets v${v}`).join(", ");
  console.log(`-> the devices' own agents: ${versions}${summary.onTrial ? `, ${summary.onTrial} still on trial` : ", every one confirmed"}`);
  if (summary.versions[String(demo.targetsVersion)] !== SIMULATED || summary.onTrial) throw new Error(`not every thermostat runs targets v${demo.targetsVersion}, confirmed: ${versions}`);
  return summary;
}
