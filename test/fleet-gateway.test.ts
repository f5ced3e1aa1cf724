// A device on a wire in the fleet: `sim serve` (the real link agent over its flash, on TCP) and a
// gateway checking in for it with the rollout service. The gateway reports only what the device
// says over the wire (DeviceInfo): a confirmed update is "installed", an update its firmware
// never confirms and a reset reverts is "reverted", and the service's counts say the same.
import { once } from "node:events";
import { readFileSync, statSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { WireGateway } from "../tools/fleet/index.js";
import { connectTcp } from "../tools/link/index.js";
import { airlock, airlockBinAsync, scratchDirs } from "./helpers/cli-run.js";
import { ok, sha256 } from "./helpers/e2e-world.js";
import { FleetSimWorld } from "./helpers/fleet-sim-world.js";
import { HARDWARE, PRODUCT } from "./helpers/fleet-world.js";
import { simServe, stopAllSimServes } from "./helpers/sim-serve.js";

const dirs = scratchDirs("fleet-gateway");
afterAll(() => {
  stopAllSimServes();
  dirs.cleanup();
});
let world: FleetSimWorld;
afterEach(async () => world?.stop());

describe("fleet gateway: a device on a wire in a rollout", () => {
  it("installs a confirmed update, reports a reverted one, each as the device itself says", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    await ok("sim", "init", "--flash", world.at("bench.flash"), "--root", world.at("root.bin"), `app=${world.at("v1.bin")}`);
    let server = await simServe(world.at("bench.flash"), "--auto-confirm");
    const gateway = (port: number) =>
      new WireGateway({ serviceUrl: world.url, product: PRODUCT, deviceId: "bench", hardwareId: HARDWARE, enrollSecret: world.enrollSecret, connect: () => connectTcp("127.0.0.1", port), confirmTimeoutMs: 500 });
    let g = gateway(server.port);
    expect(await g.pollOnce()).toEqual({ kind: "enrolled" });
    expect(await g.pollOnce()).toEqual({ kind: "idle", targetsVersion: 0 });

    world.publishBundle(2);
    const first = await world.rollout({ waves: [{ percent: 100 }] });
    expect(await g.pollOnce()).toMatchObject({ kind: "installed", targetsVersion: 2 });
    expect((await world.show(first.rollout.id)).totals).toMatchObject({ installed: 1, reverted: 0 });
    const info = await airlockBinAsync(["device", "info", "--tcp", `127.0.0.1:${server.port}`, "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ slot: "b", trial: false, targetsVersion: 2, images: { app: sha256(readFileSync(world.at("v2.bin"))) } });
    expect(await g.pollOnce()).toEqual({ kind: "idle", targetsVersion: 2 });
    const [record] = (await world.api("victor", "GET", "/api/v1/devices?search=bench")).body.devices;
    expect(record).toMatchObject({ id: "bench", targetsVersion: 2 });

    // Firmware that never confirms: the update runs on trial until a reset reverts it.
    server.child.kill("SIGTERM");
    await once(server.child, "exit");
    server = await simServe(world.at("bench.flash"));
    const token = g.client.token;
    g = new WireGateway({ serviceUrl: world.url, product: PRODUCT, deviceId: "bench", hardwareId: HARDWARE, token, connect: () => connectTcp("127.0.0.1", server.port), confirmTimeoutMs: 500 });
    world.publishBundle(3);
    const second = await world.rollout({ waves: [{ percent: 100 }] });
    expect(await g.pollOnce()).toMatchObject({ kind: "on-trial", targetsVersion: 3 });
    expect((await world.show(second.rollout.id)).totals).toMatchObject({ installing: 1, installed: 0 });
    server.child.kill("SIGUSR1");
    let event = await g.pollOnce();
    for (let i = 0; i < 20 && event.kind !== "reverted"; i++) event = await g.pollOnce();
    expect(event).toMatchObject({ kind: "reverted", targetsVersion: 2 });
    expect((await world.show(second.rollout.id)).totals).toMatchObject({ reverted: 1, installed: 0 });
    expect(await g.pollOnce()).toEqual({ kind: "idle", targetsVersion: 2 });
  }, 120_000);

  it("as a command: enrolls once, keeps the token private, and says what is missing", async () => {
    world = await new FleetSimWorld(dirs.make()).open();
    await ok("sim", "init", "--flash", world.at("bench.flash"), "--root", world.at("root.bin"), `app=${world.at("v1.bin")}`);
    const { port } = await simServe(world.at("bench.flash"), "--auto-confirm");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(world.at("enroll.secret"), `${world.enrollSecret}\n`, { mode: 0o600 });
    const args = ["fleet", "gateway", "--remote", world.url, "--product", PRODUCT, "--device-id", "bench", "--hardware", HARDWARE, "--tcp", `127.0.0.1:${port}`, "--token-file", world.at("bench.token"), "--once", "--json"];
    const missing = await airlock(...args);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/bench\.token does not exist: give --enroll-secret-file/);
    const first = await airlock(...args, "--enroll-secret-file", world.at("enroll.secret"));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/"event":"enrolled"/);
    expect(statSync(world.at("bench.token")).mode & 0o777).toBe(0o600);
    const again = await airlock(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/"event":"idle","message":"bench runs targets v0; nothing to do"/);
    const noDevice = await airlock(...args.map((a) => (a === `127.0.0.1:${port}` ? "127.0.0.1:1" : a)));
    expect(noDevice.code).toBe(0);
    expect(noDevice.stdout).toMatch(/"event":"no-device".*does not answer on the wire/);
  }, 120_000);
});
