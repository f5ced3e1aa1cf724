// airlock.link.DeviceInfo over the wire: `airlock device info` asks a `sim serve` device (the real
// link agent) what it runs, and the answer follows the device through an update (slot B, on
// trial), a reset that reverts it (slot A, factory image) and a self-confirming update. The
// answers are compared with what `sim boot` reads from the saved flash.
import { once } from "node:events";

import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { DEVICE_INFO_SERVICE, pwRpcHash } from "../tools/link/index.js";
import { airlockBin, airlockBinAsync, scratchDirs } from "./helpers/cli-run.js";
import { firmware, ok, sha256 } from "./helpers/e2e-world.js";
import { simServe, stopAllSimServes } from "./helpers/sim-serve.js";

const dirs = scratchDirs("device-info");
afterAll(() => {
  stopAllSimServes();
  dirs.cleanup();
});

async function world() {
  const dir = dirs.make();
  const at = (name: string) => join(dir, name);
  await ok("keygen", at("root"));
  await ok("keygen", at("targets"));
  await ok("root", "create", "--root-key", at("root.pub"), "--targets-key", at("targets.pub"), "--version", "1", "-o", at("root.bin"));
  await ok("root", "sign", "--key", at("root"), at("root.bin"));
  writeFileSync(at("v1.bin"), firmware("v1", 20_000));
  writeFileSync(at("v2.bin"), firmware("v2", 30_000));
  await ok("sim", "init", "--flash", at("dev.flash"), "--root", at("root.bin"), `app=${at("v1.bin")}`);
  await ok("bundle", "create", "-o", at("v2.bundle"), "--targets-version", "2", `app=${at("v2.bin")}`);
  await ok("bundle", "sign", "--key", at("targets"), at("v2.bundle"));
  return at;
}

async function info(port: number): Promise<Record<string, unknown>> {
  const run = await airlockBinAsync(["device", "info", "--tcp", `127.0.0.1:${port}`, "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** Asks until the answer matches (a reset device boots again first). */
async function infoUntil(port: number, expected: Record<string, unknown>): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  for (let i = 0; i < 50; i++) {
    const run = await airlockBinAsync(["device", "info", "--tcp", `127.0.0.1:${port}`, "--json"]);
    if (run.code === 0) {
      last = JSON.parse(run.stdout) as Record<string, unknown>;
      if (Object.entries(expected).every(([k, v]) => JSON.stringify(last[k]) === JSON.stringify(v))) return last;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

describe("DeviceInfo's IDs", () => {
  it("are the pw_rpc hashes of the service and method names the host calls", () => {
    const ids = readFileSync(new URL("../assembly/link/ids.ts", import.meta.url), "utf8");
    const constant = (name: string) => Number(new RegExp(`export const ${name}: u32 = (0x[0-9a-f]+);`).exec(ids)![1]);
    expect(constant("SERVICE_DEVICE_INFO")).toBe(pwRpcHash(DEVICE_INFO_SERVICE));
    expect(constant("METHOD_GET_RUNNING")).toBe(pwRpcHash("GetRunning"));
  });
});

describe("device info over TCP", () => {
  it("follows the device through an update on trial, a reverting reset and a confirmed update", async () => {
    const at = await world();
    const v1 = sha256(firmware("v1", 20_000));
    const v2 = sha256(firmware("v2", 30_000));
    const { port, child } = await simServe(at("dev.flash"));
    expect(await info(port)).toEqual({ slot: "a", trial: false, rootVersion: 1, targetsVersion: 0, pending: false, images: { app: v1 }, lengths: { app: 20_000 } });
    const text = await airlockBinAsync(["device", "info", "--tcp", `127.0.0.1:${port}`]);
    expect(text.stdout).toBe(`running slot A, root v1, targets v0\n  app: 20000 bytes, sha256 ${v1}\n`);

    const sent = await airlockBinAsync(["send", at("v2.bundle"), "--tcp", `127.0.0.1:${port}`, "--json"]);
    expect(sent.code, sent.stderr).toBe(0);
    // This firmware never confirms: the device runs v2 on trial.
    expect(await infoUntil(port, { slot: "b" })).toEqual({ slot: "b", trial: true, rootVersion: 1, targetsVersion: 2, pending: false, images: { app: v2 }, lengths: { app: 30_000 } });
    // A reset before confirm() reverts: the device says so itself.
    child.kill("SIGUSR1");
    expect(await infoUntil(port, { slot: "a" })).toMatchObject({ slot: "a", trial: false, targetsVersion: 0, images: { app: v1 } });
    child.kill("SIGTERM");
    await once(child, "exit");
    expect(JSON.parse(airlockBin(["sim", "boot", "--flash", at("dev.flash"), "--json"]).stdout)).toMatchObject({ slot: "a", targetsVersion: 0, images: { app: v1 } });

    // Firmware that confirms itself: v2, confirmed, what the saved flash says too.
    const confirming = await simServe(at("dev.flash"), "--auto-confirm");
    const again = await airlockBinAsync(["send", at("v2.bundle"), "--tcp", `127.0.0.1:${confirming.port}`, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(await infoUntil(confirming.port, { slot: "b", trial: false })).toMatchObject({ slot: "b", trial: false, targetsVersion: 2, images: { app: v2 } });
    confirming.child.kill("SIGTERM");
    await once(confirming.child, "exit");
    expect(JSON.parse(airlockBin(["sim", "boot", "--flash", at("dev.flash"), "--json"]).stdout)).toMatchObject({ slot: "b", trial: false, targetsVersion: 2 });
  }, 120_000);

  it("says when nothing listens", async () => {
    const run = airlockBin(["device", "info", "--tcp", "127.0.0.1:1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no device at 127\.0\.0\.1:1: nothing listens there/);
  });
});
