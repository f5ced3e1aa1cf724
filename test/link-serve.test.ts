// Issue 11 end to end, as a user runs it: `airlock sim serve` in one process, `airlock send` and
// `airlock device` in others, over real TCP on loopback. A power cut inside the device's flash
// work mid-transfer is resumed; a device busy with another bundle, nothing listening at the
// address and a wrong argument are each said clearly with their exit code.
import { afterAll, describe, expect, it } from "vitest";
import { once } from "node:events";
import { join } from "node:path";
import { simServe, stopAllSimServes } from "./helpers/sim-serve.js";
import { airlockBin, airlockBinAsync, scratchDirs } from "./helpers/cli-run.js";
import { firmware, ok, sha256 } from "./helpers/e2e-world.js";
import { writeFileSync } from "node:fs";

const dirs = scratchDirs("serve");
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
  writeFileSync(at("v1.bin"), firmware("v1", 30_000));
  writeFileSync(at("v2.bin"), firmware("v2", 90_000));
  await ok("sim", "init", "--flash", at("dev.flash"), "--root", at("root.bin"), `app=${at("v1.bin")}`);
  for (const [name, version] of [["v2", "2"], ["other", "3"]] as const) {
    await ok("bundle", "create", "-o", at(`${name}.bundle`), "--targets-version", version, `app=${at("v2.bin")}`);
    await ok("bundle", "sign", "--key", at("targets"), at(`${name}.bundle`));
  }
  return { dir, at };
}

describe("sim serve and send over TCP", () => {
  it("sends a bundle through a power cut, reports it, and the device file keeps the new image", async () => {
    const { at } = await world();
    // The 40th flash operation after start falls inside the transfer's staging writes.
    const { port, child, events } = await simServe(at("dev.flash"), "--power-cut-at", "40", "--auto-confirm");
    const sent = airlockBinAsync(["send", at("v2.bundle"), "--tcp", `127.0.0.1:${port}`, "--json"]);
    const run = await sent;
    expect(run.stderr, `sim serve said:\n${events.map((e) => e.message).join("\n")}`).toBe("");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { result: string; resumes: number; bytesSent: number; bundleBytes: number };
    expect(report.result).toBe("SUCCESS");
    expect(report.resumes).toBeGreaterThanOrEqual(1);
    expect(report.bytesSent).toBeLessThan(2 * report.bundleBytes);
    const status = await airlockBinAsync(["device", "status", "--tcp", `127.0.0.1:${port}`, "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ stateName: "FINISHED", resultName: "SUCCESS", bundleFilename: "v2.bundle" });
    // Busy: another bundle while this one is... finished is not busy; start one and leave it.
    child.kill("SIGTERM");
    await once(child, "exit");
    expect(events.map((e) => e.event)).toContain("stopped");
    expect(events.some((e) => /off; it powers on again/.test(e.message))).toBe(true);
    // Exactly three power-ons: at start, after the cut, into the update. A slow boot on a busy
    // machine must not be answered with another power-on (which would reset the device again).
    expect(events.filter((e) => /^(booted|reset, booted|rebooted into the update):/.test(e.message)).map((e) => e.message.split(":")[0]))
      .toEqual(["booted", "booted", "rebooted into the update"]);
    const boot = airlockBin(["sim", "boot", "--flash", at("dev.flash"), "--json"]);
    expect(JSON.parse(boot.stdout)).toMatchObject({ slot: "b", targetsVersion: 2, images: { app: sha256(firmware("v2", 90_000)) } });
  }, 120_000);

  it("refuses to disturb a device busy with another bundle, and says when nothing listens", async () => {
    const { at } = await world();
    const { port, child } = await simServe(at("dev.flash"));
    // Leave an update of other.bundle half done: Start through the wire, no transfer.
    const started = await airlockBinAsync(["device", "status", "--tcp", `127.0.0.1:${port}`]);
    expect(started.stdout).toMatch(/^INACTIVE/);
    const { connectTcp, RpcClient, BundledUpdateClient } = await import("../tools/link/index.js");
    const link = await connectTcp("127.0.0.1", port);
    await new BundledUpdateClient(new RpcClient(link)).start("other.bundle");
    link.close();
    const busy = await airlockBinAsync(["send", at("v2.bundle"), "--tcp", `127.0.0.1:${port}`]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/busy with another update: TRANSFERRING with bundle "other.bundle".*device abort.*device reset/);
    const abort = await airlockBinAsync(["device", "abort", "--tcp", `127.0.0.1:${port}`]);
    expect(abort.stdout).toMatch(/^FINISHED, result ABORTED/);
    child.kill("SIGTERM");
    await once(child, "exit");
    const nobody = await airlockBinAsync(["send", at("v2.bundle"), "--tcp", `127.0.0.1:${port}`]);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain(`no device at 127.0.0.1:${port}`);
    const wrong = await airlockBinAsync(["send", at("v2.bundle"), "--tcp", "localhost"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/expected HOST:PORT/);
    const notBundle = await airlockBinAsync(["send", at("v1.bin"), "--tcp", `127.0.0.1:${port}`]);
    expect(notBundle.code).toBe(2);
    expect(notBundle.stderr).toMatch(/v1\.bin is not a valid UpdateBundle/);
    const neither = await airlockBinAsync(["send", at("v2.bundle")]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--tcp HOST:PORT or --serial PATH/);
  }, 120_000);
});
