// Publishing to the release repository: rising versions, refusals, a publish interrupted at each
// step (the previous release stays served), and publishes at once (never the same index version).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSigningKey, readInput } from "../tools/format/index.js";
import { ReleaseRepository, serveRelease, type PublishStep } from "../tools/release/index.js";
import { airlock, airlockBinAsync, BIN, scratchDirs } from "./helpers/cli-run.js";
import { simBoot } from "./helpers/e2e-world.js";
import { PRODUCT, ReleaseWorld } from "./helpers/release-world.js";

const dirs = scratchDirs("release-publish");
afterAll(() => dirs.cleanup());

let world: ReleaseWorld;
beforeAll(async () => {
  world = await new ReleaseWorld(dirs.make()).build();
});

function repoWithV2(): Promise<ReleaseRepository> {
  const repository = new ReleaseRepository(join(dirs.make(), "repo"));
  return airlock("release", "publish", "--repo", repository.root, "--channel", "internal", "--key", world.at("release"), "--product", PRODUCT, world.at("v2.bundle")).then((run) => {
    expect(run.code, run.stderr).toBe(0);
    return repository;
  });
}

/** Only the index and nothing half-written (temporary files, locks) in channels/. */
function channelFiles(repository: ReleaseRepository): string[] {
  return readdirSync(join(repository.root, "channels")).sort();
}

describe("release publish", () => {
  it("raises the index version with every publish and keeps each product's entry", async () => {
    const repository = await repoWithV2();
    const run = await airlock("release", "publish", "--repo", repository.root, "--channel", "internal", "--key", world.at("release"), "--product", "hygrometer", world.at("v2.bundle"), "--notes", "https://example.com/notes/2", "--expires-in", "2", "--json");
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ indexVersion: 2, previousIndexVersion: 1, objectWritten: false, release: { product: "hygrometer", notesUrl: "https://example.com/notes/2", targetsVersion: 2 } });
    const index = repository.readIndex("internal")!.index;
    expect(index.releases.map((r) => r.product)).toEqual(["hygrometer", PRODUCT]);
    expect(Date.parse(index.expires) - Date.parse(index.issuedAt)).toBe(2 * 86_400_000);
  });

  it("refuses a bundle whose targets version is not above the channel's current one, and changes nothing", async () => {
    const repository = await repoWithV2();
    const before = readFileSync(repository.indexFile("internal"));
    const run = await airlock("release", "publish", "--repo", repository.root, "--channel", "internal", "--key", world.at("release"), "--product", PRODUCT, world.at("v2.bundle"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^airlock: bundle targets version 2 is not above version 2, the current thermostat release \(hardware nordic,nrf52840\) on channel internal: devices would refuse it[^\n]*\n$/);
    expect(readFileSync(repository.indexFile("internal"))).toEqual(before);
  });

  it("takes custom channel names and refuses names that are not one path segment", async () => {
    const repository = await repoWithV2();
    expect((await airlock("release", "publish", "--repo", repository.root, "--channel", "beta-2", "--key", world.at("release"), "--product", PRODUCT, world.at("v2.bundle"))).code).toBe(0);
    for (const channel of ["Prod", "../prod", "a b", "-x", ""]) {
      const run = await airlock("release", "publish", "--repo", repository.root, "--channel", channel, "--key", world.at("release"), "--product", PRODUCT, world.at("v3.bundle"));
      expect(run.code, channel).toBe(2);
      expect(run.stderr).toMatch(/channel name .* is not usable: 1-32 lower-case letters, digits and inner dashes/);
    }
    expect(repository.channels()).toEqual(["beta-2", "internal"]);
  });
});

describe("a publish interrupted at each step", () => {
  const steps: PublishStep[] = ["locked", "object-stored", "index-written"];
  for (const step of steps) {
    it(`after "${step}" leaves the previous index served, whole and signed, and the next publish goes on`, async () => {
      const repository = await repoWithV2();
      const before = readFileSync(repository.indexFile("internal"));
      const options = { channel: "internal", releaseKey: loadSigningKey(world.at("release")), product: PRODUCT, bundle: readInput(world.at("v3.bundle"), "bundle") };
      expect(() => repository.publish({ ...options, afterStep: (at) => { if (at === step) throw new Error(`crash after ${step}`); } })).toThrow(`crash after ${step}`);

      expect(readFileSync(repository.indexFile("internal"))).toEqual(before);
      expect(channelFiles(repository)).toEqual(["internal.json"]);
      const index = repository.readIndex("internal")!.index;
      expect(repository.objects.has(index.releases[0]!.bundle.sha256)).toBe(true);

      // What a device sees: the previous release, installed from the server.
      const server = await serveRelease(repository, { host: "127.0.0.1", port: 0 });
      try {
        const device = await world.device(`crash-${step}`);
        const run = await world.fetch(device, server.url);
        expect(run.json).toMatchObject({ result: "SUCCESS", indexVersion: 1, targetsVersion: 2 });
      } finally {
        await server.close();
      }
      expect(repository.publish(options)).toMatchObject({ indexVersion: 2, release: { targetsVersion: 3 } });
    });
  }

  it("by a killed process: its lock is taken over", async () => {
    const repository = await repoWithV2();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    writeFileSync(join(repository.root, "channels/.internal.json.lock"), `${dead}\n`);
    const run = await airlock("release", "publish", "--repo", repository.root, "--channel", "internal", "--key", world.at("release"), "--product", PRODUCT, world.at("v3.bundle"));
    expect(run.code, run.stderr).toBe(0);
    expect(channelFiles(repository)).toEqual(["internal.json"]);
  });
});

describe("publishes at once", () => {
  it("a second publish waits for the first's lock instead of writing the same index version", async () => {
    const repository = await repoWithV2();
    let second: ReturnType<typeof spawnSync> | undefined;
    const result = repository.publish({
      channel: "internal", releaseKey: loadSigningKey(world.at("release")), product: "hygrometer", bundle: readInput(world.at("v2.bundle"), "bundle"),
      afterStep: (step) => {
        if (step !== "index-written") return;
        // While this publish holds the lock, with its new index written but not renamed: another
        // process's publish must block, not read the old index and write version 2 too.
        second = spawnSync(process.execPath, [BIN, "release", "publish", "--repo", repository.root, "--channel", "internal", "--key", world.at("release"), "--product", "barometer", world.at("v2.bundle")], { timeout: 4000, killSignal: "SIGKILL" });
      },
    });
    // Still waiting when stopped (SIGKILL: a process blocked on the lock handles no JS signal handler).
    expect(second?.signal).toBe("SIGKILL");
    expect(result.indexVersion).toBe(2);
    expect(repository.readIndex("internal")!.index.releases.map((r) => r.product)).toEqual(["hygrometer", PRODUCT]);
    expect(existsSync(join(repository.root, "channels/.internal.json.lock"))).toBe(false);
  });

  it("four processes publishing to one channel at once each get their own index version", async () => {
    const repository = await repoWithV2();
    const products = ["alpha", "bravo", "charlie", "delta"];
    const runs = await Promise.all(products.map((product) =>
      airlockBinAsync(["release", "publish", "--repo", repository.root, "--channel", "internal", "--key", world.at("release"), "--product", product, world.at("v2.bundle"), "--json"])));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const versions = runs.map((run) => JSON.parse(run.stdout).indexVersion as number).sort();
    expect(versions).toEqual([2, 3, 4, 5]);
    const index = repository.readIndex("internal")!.index;
    expect(index.version).toBe(5);
    expect(index.releases.map((r) => r.product)).toEqual([...products, PRODUCT]);
  });

  it("two processes publishing the same product's next version: one wins, the other is refused", async () => {
    const repository = await repoWithV2();
    const runs = await Promise.all([0, 1].map(() =>
      airlockBinAsync(["release", "publish", "--repo", repository.root, "--channel", "internal", "--key", world.at("release"), "--product", PRODUCT, world.at("v3.bundle")])));
    expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(runs.find((r) => r.code === 1)!.stderr).toMatch(/bundle targets version 3 is not above version 3/);
    expect(repository.readIndex("internal")!.index.version).toBe(2);
  });
});

// The device a publish never reached still runs its factory image.
it("a device that fetched nothing still boots its factory image", async () => {
  const device = await world.device("untouched");
  expect(await simBoot(device)).toMatchObject({ slot: "a", targetsVersion: 0 });
});
