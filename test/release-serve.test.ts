// The internal-release loop end to end: publish to a channel, serve the repository (airlock's own
// development server as its own process, and nginx, a static server airlock did not write), and a
// simulated device updates itself from it with `sim fetch`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { airlock, airlockBinAsync, scratchDirs } from "./helpers/cli-run.js";
import { ok, simBoot, simConfirm } from "./helpers/e2e-world.js";
import { startNginx, startReleaseServe, type RunningServer } from "./helpers/release-servers.js";
import { HARDWARE, PRODUCT, ReleaseWorld } from "./helpers/release-world.js";
import { requireSystemTool } from "./helpers/system-tool.js";

const dirs = scratchDirs("release-serve");
afterAll(() => dirs.cleanup());

/** publish v2 → fetch → confirm → fetch (nothing newer) → publish v3 → fetch, against `serve`'s server. */
async function internalReleaseLoop(world: ReleaseWorld, server: RunningServer): Promise<void> {
  const device = await world.device("loop");
  expect((await world.publish("v2.bundle")).code).toBe(0);

  const first = await world.fetch(device, server.url);
  expect(first.code, first.stderr).toBe(0);
  expect(first.json).toMatchObject({ result: "SUCCESS", channel: "internal", indexVersion: 1, product: PRODUCT, slot: "b", targetsVersion: 2, trial: true });
  await simConfirm(device);
  expect(await simBoot(device)).toMatchObject({ slot: "b", targetsVersion: 2, trial: false, images: { app: world.image("v2.bin") } });

  const again = await world.fetch(device, server.url);
  expect(again.code).toBe(0);
  expect(again.json).toMatchObject({ result: "UP_TO_DATE", flashOps: 0, targetsVersion: 2, indexVersion: 1 });

  expect((await world.publish("v3.bundle")).code).toBe(0);
  const next = await world.fetch(device, server.url);
  expect(next.json).toMatchObject({ result: "SUCCESS", indexVersion: 2, targetsVersion: 3, download: { requests: 1 } });
  await simConfirm(device);
  expect(await simBoot(device)).toMatchObject({ targetsVersion: 3, trial: false, images: { app: world.image("v3.bin") } });
}

describe("airlock release serve", () => {
  let world: ReleaseWorld;
  let server: RunningServer;
  beforeAll(async () => {
    world = await new ReleaseWorld(dirs.make()).build();
    await ok("release", "publish", "--repo", world.repo, "--channel", "dev", "--key", world.at("release"), "--product", PRODUCT, world.at("v2.bundle"));
    server = await startReleaseServe(world.repo);
  });
  afterAll(() => server?.close());

  it("updates a simulated device through publish, serve and sim fetch, and skips when nothing is newer", async () => {
    await internalReleaseLoop(world, server);
  });

  it("shows every channel's current releases", async () => {
    const shown = JSON.parse((await ok("release", "show", "--repo", world.repo, "--json")).stdout) as { channels: Record<string, { version: number; releases: Array<Record<string, unknown>> }> };
    expect(Object.keys(shown.channels)).toEqual(["dev", "internal"]);
    expect(shown.channels.internal!.version).toBe(2);
    expect(shown.channels.internal!.releases).toEqual([expect.objectContaining({ product: PRODUCT, hardwareId: HARDWARE, targetsVersion: 3 })]);
  });

  it("answers only the repository's files: indexes never cached without revalidation, objects immutable", async () => {
    const index = await fetch(`${server.url}/channels/internal.json`);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    const { releases } = JSON.parse((await ok("release", "show", "--repo", world.repo, "--channel", "internal", "--json")).stdout).channels.internal;
    const object = await fetch(`${server.url}/objects/sha256/${releases[0].bundle.sha256}`, { headers: { Range: "bytes=10-19" } });
    expect(object.status).toBe(206);
    expect(object.headers.get("cache-control")).toContain("immutable");
    expect((await object.arrayBuffer()).byteLength).toBe(10);
    for (const path of ["/channels/../channels/internal.json.lock", "/channels/Internal.json", "/repo", "/objects/sha256/00"]) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${server.url}/channels/internal.json`, { method: "PUT", body: "x" })).status).toBe(405);
  });

  it("takes the device from the real bin as a user runs it, with the repository's URL and release key", async () => {
    const device = await world.device("bin");
    const run = await airlockBinAsync(["sim", "fetch", "--flash", device, "--from", server.url, "--channel", "dev", "--release-key", world.at("release.pub")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^downloaded thermostat targets v2 \(\d+ bytes, sha256 [0-9a-f]{64}, 1 request\(s\)\) from channel dev\nupdate installed/);
  });
});

const haveNginx = requireSystemTool("nginx", "apt-get install nginx");

describe.skipIf(!haveNginx)("the same repository served by nginx", () => {
  let world: ReleaseWorld;
  let server: RunningServer;
  beforeAll(async () => {
    world = await new ReleaseWorld(dirs.make()).build();
    server = await startNginx(world.repo, dirs.make());
  });
  afterAll(() => server?.close());

  it("updates a simulated device through publish, nginx and sim fetch", async () => {
    await internalReleaseLoop(world, server);
  });

  it("serves byte ranges, so a broken download resumes from nginx as well", async () => {
    const { releases } = JSON.parse((await ok("release", "show", "--repo", world.repo, "--channel", "internal", "--json")).stdout).channels.internal;
    const res = await fetch(`${server.url}/objects/sha256/${releases[0].bundle.sha256}`, { headers: { Range: "bytes=100-" } });
    expect(res.status).toBe(206);
    expect((await res.arrayBuffer()).byteLength).toBe(releases[0].bundle.size - 100);
  });

  it("refuses an index nginx serves for a repository signed by another release key", async () => {
    const device = await world.device("stranger");
    const before = await simBoot(device);
    const run = await airlock("sim", "fetch", "--flash", device, "--from", server.url, "--channel", "internal", "--release-key", world.at("stranger.pub"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^airlock: the internal index at .* is not signed by a trusted release key.*\n$/);
    expect(await simBoot(device)).toEqual(before);
  });
});
