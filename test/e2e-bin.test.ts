// The real `airlock` bin and `npm start`'s demo, as child processes: exit codes, the exact JSON
// keys scripts rely on, and progress bars drawn only on a terminal.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../tools/cli/index.js";
import { airlockBin, scratchDirs } from "./helpers/cli-run.js";
import { firmware, sha256, World } from "./helpers/e2e-world.js";

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

describe("npm start", () => {
  it("runs the demo: v1 provisioned, v2 installed, confirmed, and still running after a power cycle", () => {
    const cwd = dirs.make();
    const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
    const demo = fileURLToPath(new URL("../tools/cli/demo.ts", import.meta.url));
    const run = spawnSync(tsx, [demo], { cwd, encoding: "utf8", timeout: 120_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const v1 = sha256(firmwareOf("airlock demo firmware v1", 64 * 1024));
    const v2 = sha256(firmwareOf("airlock demo firmware v2 with a fix", 80 * 1024));
    expect(run.stdout).toContain(`before: slot A, app ${v1} (v1: yes)`);
    expect(run.stdout).toContain(`after:  slot B, app ${v2} (v2: yes), confirmed: yes`);
    expect(run.stdout).toMatch(/\$ airlock sim update --flash demo-out\/device\.flash demo-out\/update-v2\.bundle/);
    expect(statSync(join(cwd, "demo-out")).isDirectory()).toBe(true);
    expect(readdirSync(join(cwd, "demo-out"))).toEqual(expect.arrayContaining(["device.flash", "update-v2.bundle"]));
  });
});

/** The demo's firmware: its label repeated to fill the image (tools/cli/demo.ts). */
function firmwareOf(label: string, bytes: number): Buffer {
  const image = Buffer.alloc(bytes);
  const text = Buffer.from(`${label}\n`);
  for (let at = 0; at < bytes; at += text.length) text.copy(image, at);
  return image;
}
