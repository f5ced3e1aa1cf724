// The CLI's answers where users trip: --json on failure, exit codes that never turn a bug into a
// refusal, and messages that name the file, the target and the board.
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureIo, main } from "../tools/cli/index.js";
import { manifestFromInstalled } from "../tools/format/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { ok, World } from "./helpers/e2e-world.js";

const dirs = scratchDirs("cli-messages");
afterAll(() => dirs.cleanup());
let w: World;
const at = (name: string) => w.at(name);

beforeAll(async () => {
  w = await new World(dirs.make()).build();
  await w.bundle("b.bin", { version: 2, images: { app: "v2.bin" }, signers: ["dev-targets"] });
});

describe("--json on failure", () => {
  it("prints one error object for an input error and for a usage error", async () => {
    const input = await airlock("bundle", "inspect", "--json", at("missing.bin"));
    expect(input.code).toBe(2);
    expect(JSON.parse(input.stdout)).toEqual({ error: { code: "INPUT", message: expect.stringMatching(/cannot read bundle file .*missing\.bin/) } });
    const usage = await airlock("bundle", "create", "--json", `app=${at("v2.bin")}`);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({ error: { code: "USAGE", message: expect.stringMatching(/required option '-o, --output <bundle>' not specified/) } });
  });

  it("prints only the verb's own object when it refuses after reporting", async () => {
    const run = await airlock("bundle", "verify", "--json", "--trusted-root", at("prod-root.bin"), at("b.bin"));
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ verified: false, error: "ERR_TARGETS_NOT_SIGNED" });
  });

  it("create and sign verbs report what they wrote as JSON", async () => {
    const created = await ok("bundle", "create", "--json", "-o", at("j.bin"), "--targets-version", "3", `app=${at("v3.bin")}`);
    expect(JSON.parse(created.stdout)).toEqual({ wrote: at("j.bin"), targets: 1, targetsVersion: 3, warnings: [] });
    const signed = await ok("bundle", "sign", "--json", "--key", at("dev-targets"), "--root", at("dev-root.bin"), at("j.bin"));
    expect(JSON.parse(signed.stdout)).toMatchObject({ wrote: at("j.bin"), keyId: expect.stringMatching(/^[0-9a-f]{64}$/), warnings: [] });
  });
});

describe("exit codes", () => {
  it("an internal error exits 4, not 1 (a bug is never a refusal)", async () => {
    const io = captureIo();
    const failing = { ...io, out: () => void JSON.parse("{") };
    const code = await main(["bundle", "inspect", at("b.bin")], failing);
    expect(code).toBe(4);
    expect(io.stderr()).toMatch(/^airlock: internal error \(please report\): SyntaxError/);
  });
});

describe("messages name the cause", () => {
  it("bundle verify --manifest naming a target the board lacks: exit 2 naming target and board", async () => {
    const manifest = manifestFromInstalled({ targetsVersion: 1, images: { file1: "ab".repeat(32) }, lengths: { file1: 10 } });
    writeFileSync(at("foreign.manifest"), manifest);
    const run = await airlock("bundle", "verify", "--trusted-root", at("dev-root.bin"), "--manifest", at("foreign.manifest"), at("b.bin"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/the manifest lists target "file1", which board "nrf52840" does not have \(its targets: app\)/);
  });

  it("a number out of range says so", async () => {
    const run = await airlock("bundle", "create", "-o", at("x.bin"), "--targets-version", "4294967296", `app=${at("v2.bin")}`);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/out of range: at most 4294967295/);
  });

  it("a file name that is not UTF-8 is named as such", async () => {
    const run = await airlock("bundle", "inspect", at("\ufffd.bin"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/the file name is not valid UTF-8/);
  });

  it("bundle inspect of a root metadata file names the file and the verb to use", async () => {
    const run = await airlock("bundle", "inspect", at("dev-root.bin"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/dev-root\.bin is root metadata, not a bundle \(inspect it with `airlock root inspect`/);
  });
});

describe("sim boot and sim update around a trial", () => {
  it("the very bundle on trial counts as installed (exit 0, nothing written); boot then says it reverted", async () => {
    const device = await w.device("trial");
    await ok("sim", "update", "--flash", device, at("b.bin"));
    const again = await ok("sim", "update", "--json", "--flash", device, at("b.bin"));
    expect(JSON.parse(again.stdout)).toMatchObject({ result: "SUCCESS", error: null, flashOps: 0, trial: true, alreadyOnTrial: true, targetsVersion: 2 });
    const human = await ok("sim", "update", "--flash", device, at("b.bin"));
    expect(human.stdout).toMatch(/^already installed, nothing sent: slot B on trial/);
    const boot = await ok("sim", "boot", "--flash", device);
    expect(boot.stdout).toMatch(/^reverted: the image on trial in slot B was never confirmed; now slot A, root v1, targets v0, app sha256 /);
  });

  it("another bundle while on trial is still refused", async () => {
    const device = await w.device("trial2");
    await ok("sim", "update", "--flash", device, at("b.bin"));
    const other = await w.bundle("b3.bin", { version: 3, images: { app: "v3.bin" }, signers: ["dev-targets"] });
    const run = await airlock("sim", "update", "--flash", device, other);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ERR_TRIAL_PENDING/);
  });
});
