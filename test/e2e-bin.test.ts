// The real `airlock` bin as a child process: exit codes, the exact JSON keys scripts rely on, and
// progress bars drawn only on a terminal. (`npm start` is test/e2e-demo.test.ts.)
import { writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../tools/cli/index.js";
import { airlockBin, scratchDirs } from "./helpers/cli-run.js";
import { firmware, World } from "./helpers/e2e-world.js";

const dirs = scratchDirs("e2e-bin");
afterAll(() => dirs.cleanup());
let w: World;
let bundle = "";
beforeAll(async () => {
  w = await new World(dirs.make()).build();
  writeFileSync(w.at("big.bin"), firmware("big", 150_000));
  bundle = await w.bundle("big.bundle", { version: 1, images: { app: "big.bin" }, signers: ["dev-targets"] });
});

describe("bin/airlock.js sim", () => {
  it("init, update, confirm, boot: exit 0 and the contract's JSON keys", () => {
    const device = w.at("bin.flash");
    expect(airlockBin(["sim", "init", "--flash", device, "--root", w.at("dev-root.bin"), `app=${w.at("v1.bin")}`]).code).toBe(0);
    const update = airlockBin(["sim", "update", "--flash", device, bundle, "--json"]);
    expect(update.code).toBe(0);
    expect(update.stderr).toBe("");
    const json = JSON.parse(update.stdout) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(["error", "flashOps", "images", "message", "result", "rootVersion", "slot", "targetsVersion", "trial"]);
    expect(json).toMatchObject({ result: "SUCCESS", error: null, slot: "b", trial: true });
    expect(json.flashOps).toEqual(expect.any(Number));
    expect(airlockBin(["sim", "confirm", "--flash", device]).code).toBe(0);
    const boot = airlockBin(["sim", "boot", "--flash", device, "--json"]);
    expect(boot.code).toBe(0);
    const info = JSON.parse(boot.stdout) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(["images", "rootVersion", "slot", "targetsVersion", "trial"]);
    expect(info).toEqual({ slot: "b", images: { app: w.image("big.bin") }, rootVersion: 1, targetsVersion: 1, trial: false });
  });

  it("exits 3 on a simulated power cut and 1 on a refused bundle", () => {
    const device = w.at("bin-cut.flash");
    airlockBin(["sim", "init", "--flash", device, "--root", w.at("dev-root.bin"), `app=${w.at("v1.bin")}`]);
    const cut = airlockBin(["sim", "update", "--flash", device, bundle, "--power-cut-at", "5", "--tear"]);
    expect(cut.code).toBe(3);
    expect(cut.stderr.trimEnd().split("\n")).toHaveLength(1);
    const refused = airlockBin(["sim", "update", "--flash", device, w.corruptTargetsSignature(bundle, "corrupt.bundle")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^airlock: bundle rejected: ERR_TARGETS_NOT_SIGNED/);
  });
});

describe("progress", () => {
  it("draws transfer, verify and apply bars on a terminal", async () => {
    const device = w.at("tty.flash");
    const drawn: string[] = [];
    const terminal = Object.assign(
      new Writable({ write: (chunk, _encoding, done) => void (drawn.push(String(chunk)), done()) }),
      { isTTY: true, columns: 100, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true },
    );
    let out = "";
    const io = { out: (t: string) => void (out += t), err: () => {}, isTTY: true, progressStream: terminal as unknown as NodeJS.WritableStream };
    expect(await main(["sim", "init", "--flash", device, "--root", w.at("dev-root.bin"), `app=${w.at("v1.bin")}`], io)).toBe(0);
    expect(await main(["sim", "update", "--flash", device, bundle], io)).toBe(0);
    const screen = drawn.join("");
    for (const phase of ["transfer", "verify", "apply"]) expect(screen).toMatch(new RegExp(`${phase}\\s*\\[[^\\]]*\\] 100%`));
    expect(out).toMatch(/update installed/);
  });
});
