// `airlock sim` keeps a device's real flash in its device file, and a command continues the run
// an earlier command left going by attaching to it (no replayed power-on, no flash operation).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDirs } from "./helpers/cli-run.js";
import { simBoot, simConfirm, simUpdate, World } from "./helpers/e2e-world.js";
import { loadDevice, saveDevice } from "../host-sim/device-file.js";
import { SimDevice } from "../host-sim/device.js";

const dirs = scratchDirs("e2e-sim-attach");
afterAll(() => dirs.cleanup());
let w: World;
let v2Bundle = "";
let v3Bundle = "";
beforeAll(async () => {
  w = await new World(dirs.make()).build();
  v2Bundle = await w.bundle("v2.bundle", { version: 1, images: { app: "v2.bin" }, signers: ["dev-targets"] });
  v3Bundle = await w.bundle("v3.bundle", { version: 2, images: { app: "v3.bin" }, signers: ["dev-targets"] });
});

/** Program + erase operations the device file's flash has performed since it was made. */
const fileOps = (device: string) => loadDevice(device).flash.operations;

describe("the device file across commands", () => {
  it("holds every flash operation a command reports, including the trial run's own writes", async () => {
    const device = await w.device("real-flash");
    const afterInit = fileOps(device);
    const update = await simUpdate(device, v2Bundle);
    expect(update.json).toMatchObject({ result: "SUCCESS", slot: "b", trial: true });
    expect(fileOps(device)).toBe(afterInit + update.json.flashOps);

    // Refused during the trial: clearing the finished session is a write, and the file keeps it.
    const refused = await simUpdate(device, v3Bundle);
    expect(refused.json.error).toBe("ERR_TRIAL_PENDING");
    expect(refused.json.flashOps).toBeGreaterThan(0);
    expect(fileOps(device)).toBe(afterInit + update.json.flashOps + refused.json.flashOps);

    // The flash in the file is the running trial itself: a fresh instance attaches to it.
    const image = loadDevice(device);
    const rejoined = new SimDevice(image.flash, image.board);
    expect(await rejoined.attach()).toMatchObject({ slot: "b", trial: true, targetsVersion: 1 });
  });

  it("rejoins the running trial without a flash operation, so confirm keeps it and the update then works", async () => {
    const device = await w.device("rejoin");
    await simUpdate(device, v2Bundle);
    await simUpdate(device, v3Bundle); // refused (trial), and a command of its own
    // What confirm alone costs on this flash: attach (nothing) then one boot-control record.
    const probe = loadDevice(device);
    const probeDevice = new SimDevice(probe.flash, probe.board);
    await probeDevice.attach();
    const probeBefore = probe.flash.operations;
    probeDevice.confirm();
    const confirmOnly = probe.flash.operations - probeBefore;
    expect(confirmOnly).toBeGreaterThan(0);

    const beforeConfirm = fileOps(device);
    await simConfirm(device);
    expect(fileOps(device) - beforeConfirm).toBe(confirmOnly); // no replayed power-on, no "tried" write
    expect(loadDevice(device).counters.running).toBe(1);
    expect(await simBoot(device)).toEqual({ slot: "b", trial: false, rootVersion: 1, targetsVersion: 1, images: { app: w.image("v2.bin") } });
    expect((await simUpdate(device, v3Bundle)).json).toMatchObject({ result: "SUCCESS", slot: "a", images: { app: w.image("v3.bin") } });
  });

  it("refuses to continue a run whose installed image no power-on has started", async () => {
    // A file claiming a running device while its flash holds an installed, never-booted image
    // (hand-edited or from another tool): attach() refuses, and nothing is confirmed.
    const device = await w.device("unbooted");
    const image = loadDevice(device);
    const sim = new SimDevice(image.flash, image.board);
    await sim.powerOn();
    expect(sim.update(readFileSync(v2Bundle)).ok).toBe(true);
    saveDevice(device, { ...image, counters: { ...image.counters, running: 1 } });
    const opsBefore = loadDevice(device).flash.operations;

    await expect(simConfirm(device)).rejects.toThrow(/exited 1: airlock: attach failed: ERR_BOOT_PENDING/);
    expect(loadDevice(device).flash.operations).toBe(opsBefore);
  });
});
