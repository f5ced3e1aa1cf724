// `airlock send --from URL --channel C`: a developer's tool takes a channel's current release from
// the release repository (index signature, channel, expiry and, with --state, rollback checked;
// the bundle's size and SHA-256 checked against the index) and sends it to a device on the wire
// (`sim serve`). A stranger's index and a bundle file given beside --from are refused before any
// device is touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { airlock, airlockBinAsync, scratchDirs } from "./helpers/cli-run.js";
import { simBoot } from "./helpers/e2e-world.js";
import { startReleaseServe, type RunningServer } from "./helpers/release-servers.js";
import { ReleaseWorld } from "./helpers/release-world.js";
import { simServe, stopAllSimServes } from "./helpers/sim-serve.js";

const dirs = scratchDirs("release-send");
let world: ReleaseWorld;
let server: RunningServer;
beforeAll(async () => {
  world = await new ReleaseWorld(dirs.make()).build();
  expect((await world.publish("v2.bundle")).code).toBe(0);
  server = await startReleaseServe(world.repo);
});
afterAll(async () => {
  stopAllSimServes();
  await server?.close();
  dirs.cleanup();
});

describe("airlock send --from", () => {
  it("sends the channel's current release to a device on the wire, and the device runs it", async () => {
    const device = await world.device("wire");
    const { port, child } = await simServe(device, "--auto-confirm");
    const from = ["--from", server.url, "--channel", "internal", "--release-key", world.at("release.pub")];
    const sent = await airlockBinAsync(["send", ...from, "--state", world.at("tool-state.json"), "--tcp", `127.0.0.1:${port}`, "--json"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ state: "FINISHED", result: "SUCCESS" });

    // A second send of the same release: the device already has it.
    const again = await airlockBinAsync(["send", ...from, "--state", world.at("tool-state.json"), "--tcp", `127.0.0.1:${port}`, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyInstalled: true });
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(await simBoot(device)).toMatchObject({ targetsVersion: 2, images: { app: world.image("v2.bin") } });
  });

  it("refuses an index the release key did not sign, a rolled-back index, and a bundle given beside --from, before touching a device", async () => {
    const base = ["send", "--from", server.url, "--channel", "internal", "--tcp", "127.0.0.1:9"];
    const stranger = await airlock(...base, "--release-key", world.at("stranger.pub"));
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toMatch(/airlock: .*(not signed|signature)/i);
    expect((await airlock(...base, world.at("v2.bundle"), "--release-key", world.at("release.pub"))).stderr).toMatch(/give a BUNDLE file or --from, not both/);
    expect((await airlock(...base)).stderr).toMatch(/--from needs --channel C and --release-key PUB/);

    // The state remembers index version 2; an index of version 1 is a rollback.
    const old = world.indexText();
    expect((await world.publish("v3.bundle")).code).toBe(0);
    writeFileSync(world.at("state.json"), JSON.stringify({ channels: { internal: { indexVersion: 2 } } }));
    const state = ["--release-key", world.at("release.pub"), "--state", world.at("state.json")];
    const current = await airlock(...base, ...state);
    expect(current.stderr).toMatch(/release: thermostat targets v3 from channel internal \(index version 2\)/); // then no device at :9
    writeFileSync(world.at("repo/channels/internal.json"), old);
    const rolledBack = await airlock(...base, ...state);
    expect(rolledBack.code).toBe(1);
    expect(rolledBack.stderr).toMatch(/version 1.*(below|older|rolled back|rollback)/i);
  });
});
