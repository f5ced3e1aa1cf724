// Fleet scenarios with the real agent: devices over their own emulated flash check in with the
// rollout service (SQLite, ManualClock: soaks pass in simulated time through the service's tick),
// download real signed bundles from the release repository and install them through the agent.
// What a device runs is read from the agent's boot state, never from what it reported.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { flakyFetch, installOperations, type FleetDevice, type PollEvent } from "../tools/fleet/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { sha256 } from "./helpers/e2e-world.js";
import { FleetSimWorld } from "./helpers/fleet-sim-world.js";
import { PRODUCT } from "./helpers/fleet-world.js";

const dirs = scratchDirs("fleet-simulate");
afterAll(() => dirs.cleanup());
let world: FleetSimWorld;
afterEach(async () => world?.stop());

const HOUR = 3_600_000;

/** What each device's agent runs, after a power cycle (so nothing unconfirmed survives unnoticed). */
async function running(devices: FleetDevice[]) {
  const out = [];
  for (const d of devices) {
    const info = await d.reboot();
    out.push({ id: d.id, targetsVersion: info.targetsVersion, trial: info.trial, app: info.images.app });
  }
  return out;
}

const kinds = (events: PollEvent[]) => events.reduce<Record<string, number>>((n, e) => ({ ...n, [e.kind]: (n[e.kind] ?? 0) + 1 }), {});

describe("fleet simulation with the real agent", () => {
  it("a good release goes through three waves, with soaks in simulated time, to every device", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    const devices = await world.fleetDevices(20);
    world.publishBundle(2);
    const created = await world.rollout({ waves: [{ percent: 10 }, { percent: 50 }, { percent: 100 }], policy: { soakMs: 2 * HOUR } });
    const id = created.rollout.id;
    const perRound: Record<string, number>[] = [];
    for (let round = 0; round < 12 && (await world.show(id)).rollout.state !== "completed"; round++) {
      perRound.push(kinds(await world.round(devices)));
      await world.pass(HOUR);
    }
    const view = await world.show(id);
    expect(view.rollout.state).toBe("completed");
    expect(view.waves.map((w: any) => w.counts.installed)).toEqual([2, 8, 10]);
    // Waves went one after another: the first round installed wave 1 only.
    expect(perRound[0]).toEqual({ installed: 2, idle: 18 });
    const v2App = sha256(readFileSync(world.at("v2.bin")));
    expect(await running(devices)).toEqual(devices.map((d) => ({ id: d.id, targetsVersion: 2, trial: false, app: v2App })));
    // Up to date: the next check-ins are idle.
    expect(kinds(await world.round(devices))).toEqual({ idle: 20 });
  }, 60_000);

  it("a release whose trial boot fails on 20% of wave 1 pauses before wave 2; every device runs a working image", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    const v1App = sha256(readFileSync(world.at("v1.bin")));
    let trials = 0;
    // The release's self-test fails on every fifth device that boots it.
    const devices = await world.fleetDevices(50, () => ({ selfTest: () => ++trials % 5 !== 0 }));
    world.publishBundle(2);
    const { rollout } = await world.rollout({ waves: [{ percent: 20 }, { percent: 100 }], policy: { soakMs: HOUR, errorPercent: 5 } });
    const first = kinds(await world.round(devices));
    expect(first).toEqual({ installed: 8, reverted: 2, idle: 40 });
    let view = await world.show(rollout.id);
    expect(view.rollout.state).toBe("paused");
    expect(view.rollout.stateReason).toMatch(/^wave 1: [12] of 10 device\(s\) failed, reverted or timed out .*above the 5% error threshold/);
    expect(view.waves[0].counts).toMatchObject({ installed: 8, reverted: 2 });
    // Days pass; wave 2 never starts.
    for (let round = 0; round < 3; round++) {
      await world.pass(24 * HOUR);
      expect(kinds(await world.round(devices))).toEqual({ idle: 50 });
    }
    view = await world.show(rollout.id);
    expect(view.rollout.currentWave).toBe(0);
    expect(view.waves[1].counts.assigned + view.waves[1].counts.installed).toBe(0);
    const v2App = sha256(readFileSync(world.at("v2.bin")));
    const states = await running(devices);
    expect(states.every((s) => !s.trial)).toBe(true);
    expect(states.filter((s) => s.targetsVersion === 2 && s.app === v2App)).toHaveLength(8);
    expect(states.filter((s) => s.targetsVersion === 1 && s.app === v1App)).toHaveLength(42);
    const reverted = view.failing.map((a: any) => a.deviceId).sort();
    expect(reverted).toHaveLength(2);
    for (const id of reverted) expect(states.find((s) => s.id === id)).toMatchObject({ targetsVersion: 1, app: v1App, trial: false });
  }, 60_000);

  it("an emergency stop mid-wave: devices given the release but not started are withdrawn, the rest get nothing", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    const v1App = sha256(readFileSync(world.at("v1.bin")));
    const devices = await world.fleetDevices(30);
    world.publishBundle(2);
    const { rollout } = await world.rollout({ waves: [{ percent: 100 }], policy: { soakMs: 0 } });
    const started = devices.slice(0, 10);
    const assignedOnly = devices.slice(10, 15);
    expect(kinds(await world.round(started))).toEqual({ installed: 10 });
    // These check in and are given the release, but stop before downloading.
    for (const d of assignedOnly) expect((await d.client.checkIn(await d.manifest())).actionId).toBeGreaterThan(0);
    const stopped = await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/stop`, { reason: "display stays dark" });
    expect(stopped.status).toBe(200);
    expect(stopped.body.rollout.state).toBe("stopped");
    expect(stopped.body.totals).toMatchObject({ installed: 10, cancelled: 5 });
    for (let round = 0; round < 2; round++) {
      expect(kinds(await world.round(devices))).toEqual({ idle: 30 });
      await world.pass(HOUR);
    }
    const states = await running(devices);
    expect(states.slice(0, 10).every((s) => s.targetsVersion === 2 && !s.trial)).toBe(true);
    expect(states.slice(10)).toEqual(devices.slice(10).map((d) => ({ id: d.id, targetsVersion: 1, trial: false, app: v1App })));
  }, 60_000);

  it("an emergency release reaches every device in one round, with no waves or soak", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    const devices = await world.fleetDevices(30);
    world.publishBundle(3);
    const { rollout } = await world.rollout({ emergency: true });
    expect(kinds(await world.round(devices))).toEqual({ installed: 30 });
    await world.pass(60_000);
    expect((await world.show(rollout.id)).rollout.state).toBe("completed");
    const v3App = sha256(readFileSync(world.at("v3.bin")));
    expect(await running(devices)).toEqual(devices.map((d) => ({ id: d.id, targetsVersion: 3, trial: false, app: v3App })));
  }, 60_000);

  it("devices on a lossy network and devices that lose power mid-install still all end on the release, each cut coming back on a working image", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    world.publishBundle(2);
    const operations = await installOperations(world.factory, world.board, world.bundles[2]!);
    expect(operations).toBeGreaterThan(10);
    const networks = Array.from({ length: 10 }, (_, i) => flakyFetch(0, 1000 + i));
    const devices = await world.fleetDevices(20, (i) => (i < 10 ? { fetch: networks[i]!.fetch } : { powerCutAtOp: 1 + Math.floor(((i - 10) / 10) * operations) }));
    // Enrolled at the factory on a good network; in the field three requests in ten get no answer.
    for (const network of networks) network.lossRate = 0.3;
    const { rollout } = await world.rollout({ waves: [{ percent: 100 }], policy: { soakMs: 0, errorPercent: 0 } });
    const seen: PollEvent[] = [];
    for (let round = 0; round < 40 && (await world.show(rollout.id)).totals.installed < 20; round++) seen.push(...(await world.round(devices)));
    const view = await world.show(rollout.id);
    expect(view.totals).toMatchObject({ installed: 20, reverted: 0, refused: 0 });
    expect(view.rollout.state).not.toBe("paused");
    const cuts = seen.filter((e) => e.kind === "power-cut");
    expect(devices.slice(10).map((d) => d.counters.powerCuts)).toEqual(Array(10).fill(1));
    for (const cut of cuts) expect(cut).toMatchObject({ targetsVersion: 1 });
    expect(networks.reduce((n, f) => n + f.counters.lostOnTheWay + f.counters.lostAnswers, 0)).toBeGreaterThan(5);
    expect(seen.some((e) => e.kind === "network")).toBe(true);
    const v2App = sha256(readFileSync(world.at("v2.bin")));
    expect(await running(devices)).toEqual(devices.map((d) => ({ id: d.id, targetsVersion: 2, trial: false, app: v2App })));
  }, 60_000);
});

describe("airlock fleet simulate", () => {
  it("runs real-agent devices on worker threads with every failure model; the summary matches the service and the agents", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    writeFileSync(world.at("secret"), `${world.enrollSecret}\n`, { mode: 0o600 });
    world.publishBundle(2);
    const { rollout } = await world.rollout({ waves: [{ percent: 100 }], policy: { soakMs: 0, errorPercent: 100 } });
    const run = await airlock("fleet", "simulate", "--remote", world.url, "--product", PRODUCT, "--enroll-secret-file", world.at("secret"), "--root", world.at("root.bin"),
      "--factory-version", "1", "--devices", "16", "--workers", "2", "--prefix", "cli-", "--revert", "25%", "--power-cut", "0.25", "--flaky", "0.25", "--loss", "0.3",
      "--poll-interval", "5ms", "--settle", "3", "--json", `app=${world.at("v1.bin")}`);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ devices: 16, workers: 2, lightweight: false, faults: { revert: 4, powerCut: 4, flaky: 4 }, problems: [], onTrial: 0 });
    expect(summary.states).toEqual({ installed: 12, reverted: 4 });
    expect(summary.versions).toEqual({ 1: 4, 2: 12 });
    expect(summary.powerCuts).toBeGreaterThanOrEqual(1);
    expect(summary.powerCuts).toBeLessThanOrEqual(4);
    expect(run.stderr).toMatch(/simulating 16 devices cli-0\.\. against/);
    const view = await world.show(rollout.id);
    expect(view.totals).toMatchObject({ installed: 12, reverted: 4 });
    expect((await world.api("victor", "GET", "/api/v1/devices?search=cli-")).body.devices).toHaveLength(16);
  }, 60_000);

  it("lightweight clients check in with a real manifest and are offered the release, without installing", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    writeFileSync(world.at("secret"), `${world.enrollSecret}\n`, { mode: 0o600 });
    world.publishBundle(2);
    await world.rollout({ waves: [{ percent: 100 }], policy: { soakMs: 0 } });
    const run = await airlock("fleet", "simulate", "--remote", world.url, "--product", PRODUCT, "--enroll-secret-file", world.at("secret"), "--root", world.at("root.bin"),
      "--factory-version", "1", "--devices", "40", "--workers", "2", "--lightweight", "--rounds", "2", "--poll-interval", "0ms", "--json", `app=${world.at("v1.bin")}`);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ devices: 40, lightweight: true, rounds: 2, polls: 80, states: { offered: 40 }, versions: { 1: 40 } });
    const device = (await world.api("victor", "GET", "/api/v1/devices?search=")).body.devices[0];
    expect(device).toMatchObject({ targetsVersion: 1, images: { app: sha256(readFileSync(world.at("v1.bin"))) } });
  }, 60_000);

  it("refuses a wrong enrollment secret, an unreachable service and a run without an end, with the fix", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    writeFileSync(world.at("wrong"), "airlock_enroll_wrong\n", { mode: 0o600 });
    const endlessBase = ["fleet", "simulate", "--product", PRODUCT, "--root", world.at("root.bin"), "--devices", "2", "--workers", "1", `app=${world.at("v1.bin")}`];
    const base = [...endlessBase, "--rounds", "1"];
    const wrong = await airlock(...base, "--remote", world.url, "--enroll-secret-file", world.at("wrong"));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/BAD_ENROLLMENT_SECRET.*--enroll-secret-file/);
    const away = await airlock(...base, "--remote", "http://127.0.0.1:1", "--enroll-secret-file", world.at("wrong"));
    expect(away.code).toBe(2);
    expect(away.stderr).toMatch(/cannot reach the rollout service at http:\/\/127\.0\.0\.1:1 .*check --remote/);
    const endless = await airlock(...endlessBase, "--remote", world.url, "--enroll-secret-file", world.at("wrong"));
    expect(endless.code).toBe(2);
    expect(endless.stderr).toMatch(/needs an end: give --rounds N, --duration D or --settle N/);
    const share = await airlock(...base, "--remote", world.url, "--enroll-secret-file", world.at("wrong"), "--revert", "1.5");
    expect(share.code).toBe(2);
    expect(share.stderr).toMatch(/share of the fleet from 0 to 1/);
  }, 60_000);
});
