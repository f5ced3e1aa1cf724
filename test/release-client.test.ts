// The networked device's update client against indexes and servers that lie or break: each
// refusal exits 1 with one line saying why, and the device keeps running its current image.
import { appendFileSync, cpSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSigningKey } from "../tools/format/index.js";
import { readChannelIndex, signChannelIndex, type ChannelIndex } from "../tools/release/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import { flipByte, ok, simBoot, simConfirm } from "./helpers/e2e-world.js";
import { faultyServer, type Fault } from "./helpers/release-servers.js";
import { PRODUCT, ReleaseWorld } from "./helpers/release-world.js";

const dirs = scratchDirs("release-client");
afterAll(() => dirs.cleanup());

let world: ReleaseWorld;
beforeAll(async () => {
  world = await new ReleaseWorld(dirs.make()).build();
  expect((await world.publish("v2.bundle")).code).toBe(0);
});

const DAY = 86_400_000;

/** A copy of the repository with v2 published, which a test may then damage. */
function repoCopy(): { dir: string; index: ChannelIndex; objectFile: string } {
  const dir = join(dirs.make(), "repo");
  cpSync(world.repo, dir, { recursive: true });
  const { index } = readChannelIndex(readFileSync(join(dir, "channels/internal.json"), "utf8"), "the index");
  return { dir, index, objectFile: join(dir, "objects/sha256", index.releases[0]!.bundle.sha256) };
}

function writeIndex(dir: string, index: ChannelIndex, key = "release", channel = "internal"): void {
  writeFileSync(join(dir, `channels/${channel}.json`), signChannelIndex(index, loadSigningKey(world.at(key))));
}

/** The device is fresh (targets v0 in slot A); fetching from `dir` served with `fault` must be refused for `why`. */
async function refused(name: string, dir: string, why: RegExp, fault: Fault = {}, ...extra: string[]): Promise<string[]> {
  const device = await world.device(name);
  const before = await simBoot(device);
  const server = await faultyServer(dir, fault);
  try {
    await world.expectFetchRefused(device, server.url, why, before, ...extra);
  } finally {
    await server.close();
  }
  return server.requests;
}

describe("sim fetch refuses a bad index", () => {
  it("signed by an unknown key", async () => {
    const { dir, index } = repoCopy();
    writeIndex(dir, index, "stranger");
    await refused("unknown-key", dir, /is not signed by a trusted release key \(1 signature\(s\), none valid by the 1 key\(s\) trusted\)/);
  });

  it("changed after signing", async () => {
    const { dir } = repoCopy();
    const path = join(dir, "channels/internal.json");
    const envelope = JSON.parse(readFileSync(path, "utf8"));
    const payload = JSON.parse(Buffer.from(envelope.payload, "base64").toString());
    payload.releases[0].targetsVersion = 9;
    envelope.payload = Buffer.from(JSON.stringify(payload)).toString("base64");
    writeFileSync(path, JSON.stringify(envelope));
    await refused("tampered", dir, /is not signed by a trusted release key/);
  });

  it("expired (a frozen index)", async () => {
    const { dir, index } = repoCopy();
    const now = Date.now();
    writeIndex(dir, { ...index, issuedAt: new Date(now - 10 * DAY).toISOString(), expires: new Date(now - DAY).toISOString() });
    await refused("expired", dir, /\(version 1\) expired at \S+ \(frozen index refused\)/);
  });

  it("of another channel served under this channel's name", async () => {
    const { dir, index } = repoCopy();
    writeIndex(dir, { ...index, channel: "dev" });
    await refused("channel", dir, /is the index of channel "dev", not "internal"/);
  });

  it("rolled back to an older version after the device saw a newer one", async () => {
    const { dir } = repoCopy();
    const older = readFileSync(join(dir, "channels/internal.json"));
    await ok("release", "publish", "--repo", dir, "--channel", "internal", "--key", world.at("release"), "--product", PRODUCT, world.at("v3.bundle"));
    const device = await world.device("rollback");
    const server = await faultyServer(dir);
    try {
      expect((await world.fetch(device, server.url)).json).toMatchObject({ result: "SUCCESS", indexVersion: 2, targetsVersion: 3 });
      await simConfirm(device);
      const before = await simBoot(device);
      writeFileSync(join(dir, "channels/internal.json"), older); // a replay of the genuine, signed version 1
      await world.expectFetchRefused(device, server.url, /has version 1, older than version 2 this device already saw \(rollback or replay refused\)/, before);
      // The last seen version lives beside the device file, so it holds across runs.
      expect(JSON.parse(readFileSync(`${device}.release-state.json`, "utf8"))).toEqual({ channels: { internal: { indexVersion: 2, payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    } finally {
      await server.close();
    }
  });

  it("signed again with the version the device saw but other contents (a mix-and-match index)", async () => {
    const { dir, index } = repoCopy();
    const device = await world.device("same-version");
    const server = await faultyServer(dir);
    try {
      // Seen once (nothing newer than what it runs is not needed: it installs v2 and records index 1).
      expect((await world.fetch(device, server.url)).json).toMatchObject({ result: "SUCCESS", indexVersion: 1 });
      await simConfirm(device);
      const before = await simBoot(device);
      writeIndex(dir, { ...index, releases: [{ ...index.releases[0]!, notesUrl: "https://example.com/other-notes" }] });
      await world.expectFetchRefused(device, server.url, /has version 1, which this client already saw with other contents: two different indexes signed with one version/, before);
      // The index it saw is still accepted.
      writeIndex(dir, index);
      const again = await world.fetch(device, server.url);
      expect({ code: again.code, json: again.json }).toMatchObject({ code: 0, json: { result: "UP_TO_DATE" } });
    } finally {
      await server.close();
    }
  });

  it("with no release for the device's hardware", async () => {
    const { dir, index } = repoCopy();
    writeIndex(dir, { ...index, releases: index.releases.map((r) => ({ ...r, hardwareId: "other,board" })) });
    await refused("hardware", dir, /has no release for hardware nordic,nrf52840/);
  });
});

describe("sim fetch refuses an object that is not the one the index names", () => {
  it("of the wrong size", async () => {
    const { dir, index } = repoCopy();
    const release = index.releases[0]!;
    writeIndex(dir, { ...index, releases: [{ ...release, bundle: { ...release.bundle, size: release.bundle.size + 1 } }] });
    await refused("size", dir, new RegExp(`is ${release.bundle.size} bytes, the signed index says ${release.bundle.size + 1}`));
  });

  it("with the wrong digest (same size, other bytes)", async () => {
    const { dir, objectFile } = repoCopy();
    writeFileSync(objectFile, flipByte(readFileSync(objectFile), 500));
    await refused("digest", dir, /holds other bytes than the signed index names \(sha256 [0-9a-f]{64}, index [0-9a-f]{64}\): refused before installing/);
  });

  it("truncated on the server", async () => {
    const { dir, index, objectFile } = repoCopy();
    truncateSync(objectFile, index.releases[0]!.bundle.size - 100);
    await refused("truncated", dir, /is \d+ bytes, the signed index says \d+/);
  });

  it("truncated, sent without a Content-Length: the resumed range shows the short file", async () => {
    const { dir, index, objectFile } = repoCopy();
    truncateSync(objectFile, index.releases[0]!.bundle.size - 100);
    const requests = await refused("truncated-chunked", dir, /is \d+ bytes, the signed index says \d+/, { chunked: true });
    expect(requests.filter((r) => r.startsWith("bytes="))).toHaveLength(1);
  });

  it("with extra bytes", async () => {
    const { dir, objectFile } = repoCopy();
    appendFileSync(objectFile, Buffer.from("trailing"));
    await refused("extra", dir, /is \d+ bytes, the signed index says \d+/);
  });

  it("with extra bytes and no Content-Length: refused the moment they arrive", async () => {
    const { dir, objectFile } = repoCopy();
    appendFileSync(objectFile, Buffer.from("trailing"));
    await refused("extra-chunked", dir, /sent more than the \d+ bytes the signed index names \(extra bytes refused/, { chunked: true });
  });

  it("missing from the server", async () => {
    const { dir, index } = repoCopy();
    const release = index.releases[0]!;
    writeIndex(dir, { ...index, releases: [{ ...release, bundle: { ...release.bundle, sha256: "ab".repeat(32) } }] });
    await refused("missing", dir, /the server has no such object \(404\), though the signed index names it/);
  });
});

describe("sim fetch through a failing server", () => {
  it("resumes with a Range request when the server closes mid-download", async () => {
    const { dir } = repoCopy();
    const device = await world.device("resume");
    const server = await faultyServer(dir, { cutAfter: (path, n) => (path.startsWith("/objects/") && n === 1 ? 5000 : undefined) });
    try {
      const run = await world.fetch(device, server.url);
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toMatchObject({ result: "SUCCESS", targetsVersion: 2, download: { requests: 2 } });
      expect(server.requests.filter((r) => r.includes("/objects/"))).toEqual([expect.stringMatching(/^GET /), expect.stringMatching(/^bytes=5000- /)]);
    } finally {
      await server.close();
    }
  });

  it("gives up when every try breaks before a byte arrives", async () => {
    const { dir } = repoCopy();
    await refused("no-progress", dir, /download of \S+ failed: 0 of \d+ bytes after 4 requests; last: /, { cutAfter: (path) => (path.startsWith("/objects/") ? 0 : undefined) });
  });

  it("drops a stalled response after --stall-timeout, resumes, and gives up saying the server stalled when it never recovers", async () => {
    const { dir } = repoCopy();
    const device = await world.device("stall-once");
    const once = await faultyServer(dir, { stallAfter: (path, n) => (path.startsWith("/objects/") && n === 1 ? 3000 : undefined) });
    try {
      const run = await world.fetch(device, once.url, "--stall-timeout", "1");
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toMatchObject({ result: "SUCCESS", targetsVersion: 2, download: { requests: 2 } });
      expect(once.requests.filter((r) => r.includes("/objects/"))).toEqual([expect.stringMatching(/^GET /), expect.stringMatching(/^bytes=3000- /)]);
    } finally {
      await once.close();
    }
    await refused("stall-always", dir, /download of \S+ failed: 0 of \d+ bytes after 4 requests; last: nothing arrived for 1000 ms \(the server stalled\)/, { stallAfter: (path) => (path.startsWith("/objects/") ? 0 : undefined) }, "--stall-timeout", "1");
  }, 30_000);

  it("retries 500s and succeeds when the server recovers", async () => {
    const { dir } = repoCopy();
    const device = await world.device("recovers");
    const server = await faultyServer(dir, { fail500: (_path, n) => n <= 2 });
    try {
      const run = await world.fetch(device, server.url);
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toMatchObject({ result: "SUCCESS", targetsVersion: 2, download: { requests: 3 } });
    } finally {
      await server.close();
    }
  });

  it("says the server answered 500 when it never recovers", async () => {
    const { dir } = repoCopy();
    await refused("index-500", dir, /cannot fetch \S+channels\/internal.json after 4 tries: the server answered 500/, { fail500: (path) => path.startsWith("/channels/") });
    await refused("object-500", dir, /download of \S+ failed: 0 of \d+ bytes after 4 requests; last: the server answered 500/, { fail500: (path) => path.startsWith("/objects/") });
  });

  it("says nothing was published when the channel has no index", async () => {
    const { dir } = repoCopy();
    const device = await world.device("nochannel");
    const server = await faultyServer(dir);
    try {
      const run = await world.fetch(device, server.url, "--channel", "rc");
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/channels\/rc.json does not exist \(404\): nothing was published to channel rc there/);
    } finally {
      await server.close();
    }
  });
});
