// Rollouts on both databases, in simulated time (a ManualClock and the service's tick): waves
// that start on success plus soak, the error threshold pausing by itself, per-device timeouts
// counted as failures, pause/resume/cancel/emergency stop, emergency releases skipping waves, and
// releases only from an index signed by a trusted key.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scratchDirs } from "./helpers/cli-run.js";
import { FleetWorld, HARDWARE, databaseKinds, release, type TestDevice } from "./helpers/fleet-world.js";

const dirs = scratchDirs("fleet-rollouts");
const HOUR = 3_600_000;

/** Check-ins of every device; the action IDs of those given one. */
async function checkInAll(devices: TestDevice[]): Promise<Map<TestDevice, number>> {
  const given = new Map<TestDevice, number>();
  for (const d of devices) {
    const id = await d.checkIn();
    if (id !== undefined) given.set(d, id);
  }
  return given;
}

describe.each(databaseKinds())("rollouts on %s", (kind) => {
  let world: FleetWorld;
  beforeEach(async () => {
    world = new FleetWorld(dirs.make());
    world.publishIndex("prod", [release(5)]);
    await world.start(kind);
  });
  afterEach(async () => {
    await world.stop();
    dirs.cleanup();
  });

  it("starts each wave only when the previous one met its success threshold and soaked", async () => {
    const devices = await world.devices(20);
    const { rollout, waves } = await world.rollout({ waves: [{ percent: 10 }, { percent: 50 }, { percent: 100 }], policy: { successPercent: 100, soakMs: HOUR } });
    expect(waves.map((w: { size: number }) => w.size)).toEqual([2, 8, 10]);

    const first = await checkInAll(devices);
    expect(first.size).toBe(2); // wave 1 is full: the others get nothing yet
    for (const [d, id] of first) await d.install(id);
    // Threshold met, but not soaked: still nothing for the rest.
    expect((await checkInAll(devices)).size).toBe(0);
    world.clock.advance(HOUR - 1);
    await world.fleet.operators.tick();
    expect((await world.show(rollout.id)).rollout.currentWave).toBe(0);
    world.clock.advance(1);
    await world.fleet.operators.tick();
    expect((await world.show(rollout.id)).rollout.currentWave).toBe(1);

    const second = await checkInAll(devices);
    expect(second.size).toBe(8);
    for (const [d, id] of second) await d.install(id);
    world.clock.advance(HOUR);
    await world.fleet.operators.tick();
    const third = await checkInAll(devices);
    expect(third.size).toBe(10);
    for (const [d, id] of third) await d.install(id);
    world.clock.advance(HOUR);
    await world.fleet.operators.tick();
    const done = await world.show(rollout.id);
    expect(done.rollout.state).toBe("completed");
    expect(done.totals.installed).toBe(20);
    expect(devices.every((d) => d.version === 5)).toBe(true);
  });

  it("pauses by itself when more than the error threshold of a wave failed or reverted, and resumes accepting those failures", async () => {
    const devices = await world.devices(40);
    const { rollout } = await world.rollout({ waves: [{ percent: 50 }, { percent: 100 }], policy: { errorPercent: 5, soakMs: 0 } });
    const given = [...(await checkInAll(devices))];
    expect(given).toHaveLength(20);
    const [[a, aId], [b, bId], [c, cId], [d, dId]] = given as [TestDevice, number][];
    await a.revert(aId); // 1 of 20: 5%, not above the threshold
    expect((await world.show(rollout.id)).rollout.state).toBe("running");
    await b.refuse(bId, "ERR_TARGETS_SIGNATURE"); // 2 of 20: 10%
    const paused = await world.show(rollout.id);
    expect(paused.rollout.state).toBe("paused");
    expect(paused.rollout.stateReason).toMatch(/wave 1: 2 of 20 .*above the 5% error threshold/);
    const audit = (await world.api("victor", "GET", `/api/v1/audit?subject=rollout/${rollout.id}`)).body.entries;
    expect(audit[0]).toMatchObject({ actor: "system", action: "rollout.pause" });

    // Paused: devices not yet given the release get nothing; those already given it go on.
    const fresh = devices.filter((x) => !given.some(([g]) => g === x));
    expect((await checkInAll(fresh)).size).toBe(0);
    expect(await c.checkIn()).toBe(cId);
    await c.install(cId);

    const resumed = await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/resume`, { reason: "the two were lab boards" });
    expect(resumed.status).toBe(200);
    expect(resumed.body.rollout.state).toBe("running");
    await d.revert(dId); // one new failure after resuming: 5%, not above
    expect((await world.show(rollout.id)).rollout.state).toBe("running");
    // Wave 1 is full and has not met its success threshold: the rest still wait.
    expect((await checkInAll(fresh)).size).toBe(0);
    await given[4]![0].revert(given[4]![1]); // a second new one: 10%
    expect((await world.show(rollout.id)).rollout.state).toBe("paused");
  });

  it("counts a device that does not finish within the per-device timeout as failed", async () => {
    const devices = await world.devices(10);
    const { rollout } = await world.rollout({ waves: [{ percent: 100 }], policy: { errorPercent: 10, deviceTimeoutMs: HOUR } });
    const given = [...(await checkInAll(devices))];
    for (const [d, id] of given.slice(2)) await d.install(id);
    await given[0]![0].feedback(given[0]![1], { execution: "download" }); // started, then went silent
    world.clock.advance(HOUR - 1);
    await world.fleet.operators.tick();
    expect((await world.show(rollout.id)).totals.timed_out).toBe(0);
    world.clock.advance(1);
    await world.fleet.operators.tick();
    const view = await world.show(rollout.id);
    expect(view.totals.timed_out).toBe(2);
    expect(view.rollout.state).toBe("paused"); // 2 of 10 = 20% > 10%
    expect(view.failing.map((a: { deviceId: string }) => a.deviceId).sort()).toEqual([given[0]![0].id, given[1]![0].id].sort());
    // A timed-out device's late success changes nothing.
    expect((await given[1]![0].feedback(given[1]![1], { execution: "closed", result: { finished: "success" } })).status).toBe(409);
  });

  it("pause stops new assignments, resume restarts them, cancel ends the rollout but lets given devices finish", async () => {
    const devices = await world.devices(6);
    const { rollout } = await world.rollout({ policy: { soakMs: 0 } });
    const [first] = [...(await checkInAll(devices.slice(0, 1)))];
    expect((await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/pause`, {})).body.rollout.state).toBe("paused");
    expect(await devices[1]!.checkIn()).toBeUndefined();
    expect((await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/pause`, {})).status).toBe(409);
    await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/resume`, {});
    const second = await devices[1]!.checkIn();
    expect(second).toBeGreaterThan(0);
    const cancelled = await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/cancel`, { reason: "superseded" });
    expect(cancelled.body.rollout.state).toBe("cancelled");
    expect(await devices[2]!.checkIn()).toBeUndefined();
    // Devices given the release before the cancel still finish it.
    expect(await devices[1]!.checkIn()).toBe(second);
    await devices[1]!.install(second!);
    await first![0].install(first![1]);
    expect((await world.show(rollout.id)).totals.installed).toBe(2);
    expect((await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/resume`, {})).status).toBe(409);
  });

  it("emergency stop: nothing more for anyone, devices not yet installing are withdrawn, installing ones finish", async () => {
    const devices = await world.devices(8);
    const { rollout } = await world.rollout({ policy: { soakMs: 0 } });
    const given = [...(await checkInAll(devices.slice(0, 4)))];
    const [[assigned, assignedId], [downloading, downloadingId], [installing, installingId], [installed, installedId]] = given as [TestDevice, number][];
    await downloading.feedback(downloadingId, { execution: "download" });
    await installing.feedback(installingId, { execution: "download" });
    await installing.feedback(installingId, { execution: "proceeding" });
    await installed.install(installedId);

    const stopped = await world.api("alice", "POST", `/api/v1/rollouts/${rollout.id}/stop`, { reason: "bricks the display" });
    expect(stopped.status).toBe(200);
    expect(stopped.body.rollout.state).toBe("stopped");
    expect(stopped.body.totals).toMatchObject({ cancelled: 2, installing: 1, installed: 1 });

    for (const d of devices.slice(4)) expect(await d.checkIn()).toBeUndefined();
    expect(await assigned.checkIn()).toBeUndefined();
    expect((await assigned.request("GET", `/deploymentBase/${assignedId}`)).status).toBe(409);
    expect((await downloading.feedback(downloadingId, { execution: "proceeding" })).body.error.code).toBe("ACTION_CLOSED");
    // The device already writing its flash keeps its action to the end.
    expect(await installing.checkIn()).toBe(installingId);
    expect((await installing.feedback(installingId, { execution: "closed", result: { finished: "success" } })).body.state).toBe("installed");
    const audit = (await world.api("alice", "GET", `/api/v1/audit?subject=rollout/${rollout.id}`)).body.entries;
    expect(audit[0]).toMatchObject({ actor: "alice", action: "rollout.stop", details: { reason: "bricks the display", withdrawn: 2 } });
  });

  it("an emergency release skips the waves: every device of the target set may take it at once", async () => {
    const devices = await world.devices(12);
    world.publishIndex("emergency", [release(6)]);
    const { rollout, waves } = await world.rollout({ channel: "emergency", emergency: true });
    expect(rollout).toMatchObject({ emergency: true, targetsVersion: 6, policy: { soakMs: 0 } });
    expect(waves).toHaveLength(1);
    const given = await checkInAll(devices);
    expect(given.size).toBe(12);
    for (const [d, id] of given) await d.install(id);
    expect((await world.show(rollout.id)).rollout.state).toBe("completed");
  });

  it("refuses a release from an index signed by an unknown key, even an emergency one", async () => {
    await world.devices(1);
    world.publishIndex("emergency", [release(9)], world.stranger);
    const res = await world.api("alice", "POST", "/api/v1/rollouts", { channel: "emergency", product: "thermostat", emergency: true });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("RELEASE_REFUSED");
    expect(res.body.error.message).toMatch(/not signed by a trusted release key/);
    expect((await world.api("alice", "GET", "/api/v1/rollouts")).body.rollouts).toHaveLength(0);
  });

  it("refuses a rollout when the index names another bundle than the operator meant", async () => {
    const res = await world.api("alice", "POST", "/api/v1/rollouts", { channel: "prod", product: "thermostat", expectSha256: "0".repeat(64) });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("NOT_THAT_RELEASE");
  });

  it("targets fixed groups and a query on reported versions", async () => {
    const canary = await world.devices(2, { prefix: "canary", groups: ["canary"], version: 3 });
    const old = await world.devices(2, { prefix: "old", version: 2 });
    const recent = await world.devices(2, { prefix: "recent", version: 4 });
    const { waves } = await world.rollout({ versions: ">=3", waves: [{ groups: ["canary"] }, { percent: 100 }], policy: { soakMs: 0 } });
    expect(waves.map((w: { size: number }) => w.size)).toEqual([2, 2]);
    // Wave 1 is the canary group only.
    expect((await checkInAll(recent)).size).toBe(0);
    const first = await checkInAll(canary);
    expect(first.size).toBe(2);
    for (const [d, id] of first) await d.install(id);
    await world.fleet.operators.tick();
    expect((await checkInAll(recent)).size).toBe(2);
    // Devices outside the version query never get it.
    expect((await checkInAll(old)).size).toBe(0);
  });

  it("never gives a release to a device of other hardware, whatever the target set says", async () => {
    const here = await world.devices(1);
    const elsewhere = world.device("other-hw", { hardwareId: "st,stm32f4", version: 1 });
    await elsewhere.enroll();
    await world.rollout({ policy: { soakMs: 0 } });
    expect(await elsewhere.checkIn()).toBeUndefined();
    expect(await here[0]!.checkIn()).toBeGreaterThan(0);
    expect(HARDWARE).not.toBe("st,stm32f4");
  });
});
