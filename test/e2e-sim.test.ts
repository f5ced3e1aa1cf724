// `airlock sim` end to end: trial boot and revert, power cuts (exit 3) and recovery, resumed
// transfers, the JSON contract, and every usage or input error.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { firmware, ok, simBoot, simConfirm, simUpdate, World } from "./helpers/e2e-world.js";

const dirs = scratchDirs("e2e-sim");
afterAll(() => dirs.cleanup());
let w: World;
let v2Bundle = "";
beforeAll(async () => {
  w = await new World(dirs.make()).build();
  v2Bundle = await w.bundle("v2.bundle", { version: 1, images: { app: "v2.bin" }, signers: ["dev-targets"] });
});

describe("trial boot", () => {
  it("reverts to v1 when the device power-cycles before the new image confirms", async () => {
    const device = await w.device("revert");
    expect((await simUpdate(device, v2Bundle)).json).toMatchObject({ slot: "b", trial: true });
    expect(await simBoot(device)).toEqual({ slot: "a", trial: false, rootVersion: 1, targetsVersion: 0, images: { app: w.image("v1.bin") }, revertedFrom: "b" });
    // The reverted device takes the update again.
    expect((await simUpdate(device, v2Bundle)).json).toMatchObject({ result: "SUCCESS", slot: "b", images: { app: w.image("v2.bin") } });
  });

  it("stays on v2 across power cycles once it confirms", async () => {
    const device = await w.device("stay");
    await simUpdate(device, v2Bundle);
    await simConfirm(device);
    for (let cycle = 0; cycle < 2; cycle++) {
      expect(await simBoot(device)).toEqual({ slot: "b", trial: false, rootVersion: 1, targetsVersion: 1, images: { app: w.image("v2.bin") } });
    }
  });

  it("refuses another update while the new image is on trial", async () => {
    const device = await w.device("trial-busy");
    await simUpdate(device, v2Bundle);
    const v3 = await w.bundle("trial-busy-v3.bundle", { version: 2, images: { app: "v3.bin" }, signers: ["dev-targets"] });
    const { code, json } = await simUpdate(device, v3);
    expect(code).toBe(1);
    expect(json.error).toBe("ERR_TRIAL_PENDING");
    // Still the same run: the trial image can confirm, then the update goes through.
    await simConfirm(device);
    expect((await simUpdate(device, v3)).json).toMatchObject({ result: "SUCCESS", slot: "a", targetsVersion: 2, images: { app: w.image("v3.bin") } });
  });

  it("accepts confirm on an image that is already confirmed, changing nothing", async () => {
    const device = await w.device("confirm-twice");
    await simConfirm(device);
    await simConfirm(device);
    expect(await simBoot(device)).toMatchObject({ slot: "a", trial: false, images: { app: w.image("v1.bin") } });
  });
});

describe("power cuts", () => {
  it("exits 3 with JSON naming the cut, and the device boots into the old or the new image, never anything else", async () => {
    const probe = await w.device("probe");
    const total = (await simUpdate(probe, v2Bundle)).json.flashOps;
    expect(total).toBeGreaterThan(10);
    const seen = new Set<string>();
    for (const [at, tear] of [[1, false], [Math.floor(total / 3), true], [Math.floor(total / 2), false], [total - 1, true], [total, false]] as const) {
      const device = await w.device(`cut-${at}-${tear}`);
      const args = ["--power-cut-at", String(at), ...(tear ? ["--tear"] : [])];
      const run = await airlock("sim", "update", "--flash", device, v2Bundle, "--json", ...args);
      expect(run.code).toBe(3);
      // A torn operation was performed (half); a cut before one starts leaves it undone.
      expect(JSON.parse(run.stdout)).toMatchObject({ result: "POWER_CUT", flashOps: tear ? at : at - 1 });
      expect(run.stderr).toMatch(/^airlock: power cut during flash operation \d+ of this command.*airlock sim boot --flash/);
      const boot = await simBoot(device);
      expect([w.image("v1.bin"), w.image("v2.bin")]).toContain(boot.images.app);
      seen.add(boot.images.app!);
      // Whatever it runs, the device then completes the update (or already has it).
      if (boot.images.app === w.image("v1.bin")) {
        const retry = await simUpdate(device, v2Bundle);
        expect(retry.json.result).toBe("SUCCESS");
      }
    }
    expect([...seen].sort()).toEqual([w.image("v1.bin"), w.image("v2.bin")].sort());
  });

  it("counts only this command's operations, and a cut beyond them never fires", async () => {
    const device = await w.device("no-cut");
    const { code, json } = await simUpdate(device, v2Bundle, "--power-cut-at", "100000");
    expect(code).toBe(0);
    expect(json.flashOps).toBeLessThan(100000);
    expect(json.result).toBe("SUCCESS");
  });

  it("resumes a transfer interrupted by a power cut with --resume", async () => {
    const big = w.at("big.bin");
    writeFileSync(big, firmware("big firmware", 200_000));
    const bundle = await w.bundle("big.bundle", { version: 1, images: { app: "big.bin" }, signers: ["dev-targets"] });
    const fresh = await w.device("resume-probe");
    const full = (await simUpdate(fresh, bundle)).json.flashOps;
    const device = await w.device("resume");
    expect((await airlock("sim", "update", "--flash", device, bundle, "--power-cut-at", "40")).code).toBe(3);
    await simBoot(device);
    const resumed = await simUpdate(device, bundle, "--resume");
    expect(resumed.json).toMatchObject({ result: "SUCCESS", images: { app: w.image("big.bin") } });
    expect(resumed.json.flashOps).toBeLessThan(full);
  });
});

describe("usage and input errors", () => {
  it("exits 2 with one line for a missing or foreign device file, an unknown board, a bad image, a bad cut index", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["sim", "boot", "--flash", w.at("absent.flash")], /does not exist; create it with `airlock sim init/],
      [["sim", "update", "--flash", w.at("v1.bin"), v2Bundle], /is not an airlock device file/],
      [["sim", "init", "--flash", w.at("x.flash"), "--board", "nosuchboard", "--root", w.at("dev-root.bin"), `app=${w.at("v1.bin")}`], /unknown board "nosuchboard"/],
      [["sim", "init", "--flash", w.at("x.flash"), "--root", w.at("dev-root.bin"), `radio=${w.at("v1.bin")}`], /has no target "radio"/],
      [["sim", "init", "--flash", w.at("x.flash"), "--root", w.at("v1.bin"), `app=${w.at("v1.bin")}`], /root metadata/],
      [["sim", "init", "--flash", w.at("x.flash"), "--root", w.at("dev-root.bin"), `app=${w.at("nothing.bin")}`], /cannot read image "app" file/],
      [["sim", "update", "--flash", w.at("x.flash"), v2Bundle, "--power-cut-at", "0"], /--power-cut-at takes the 1-based index/],
      [["sim", "update", "--flash", w.at("x.flash"), v2Bundle, "--power-cut-at", "-3"], /error/],
      [["sim", "update", "--flash", w.at("x.flash"), v2Bundle, "--tear"], /--tear only applies with --power-cut-at/],
      [["sim", "confirm"], /required option '--flash <dev>' not specified/],
      [["sim", "init", "--flash", w.at("no-such-dir/x.flash"), "--root", w.at("dev-root.bin"), `app=${w.at("v1.bin")}`], /cannot write output file .*no-such-dir\/x\.flash: directory .*no-such-dir does not exist/],
    ];
    for (const [args, reason] of cases) {
      const run = await airlock(...args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr.trimEnd().split("\n"), args.join(" ")).toHaveLength(1);
      expect(run.stderr, args.join(" ")).toMatch(reason);
    }
    expect(existsSync(w.at("x.flash"))).toBe(false);
  });

  it("exits 1 when the agent refuses to provision a root that is not self-signed", async () => {
    const run = await airlock("sim", "init", "--flash", w.at("unsigned.flash"), "--root", w.at("prod-root-old-only.bin"), `app=${w.at("v1.bin")}`);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ERR_ROOT_NOT_SELF_SIGNED/);
  });

  it("exits 2 for a device file altered on disk", async () => {
    const device = await w.device("altered");
    const bytes = readFileSync(device);
    bytes[100] = bytes[100]! ^ 0xff;
    const copy = w.at("altered-copy.flash");
    writeFileSync(copy, bytes);
    const run = await airlock("sim", "boot", "--flash", copy);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/corrupt airlock device file/);
    copyFileSync(device, copy);
    expect((await airlock("sim", "boot", "--flash", copy)).code).toBe(0);
  });

  it("prints --help for every sim verb and bundle verify", async () => {
    for (const verb of [["sim"], ["sim", "init"], ["sim", "update"], ["sim", "boot"], ["sim", "confirm"], ["sim", "manifest"], ["bundle", "verify"]]) {
      const run = await airlock(...verb, "--help");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: airlock ${verb.join(" ")}`));
    }
  });

  it("prints the human summary without --json", async () => {
    const device = await w.device("human");
    const run = await ok("sim", "update", "--flash", device, v2Bundle);
    expect(run.stdout).toMatch(/^update installed \(\d+ flash operations\): slot B on trial, root v1, targets v1, app sha256 [0-9a-f]{64}\nconfirm it with `airlock sim confirm/);
    expect(run.stderr).toBe(""); // not a terminal: no progress bars
  });
});
