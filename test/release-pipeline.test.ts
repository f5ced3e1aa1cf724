// The release pipeline: a user build from the artifact store through test-sign, internal, a soak
// gate, rc, production signing with approvals and prod, each stage one history record; a run
// resumes where it stopped; a stage that failed says why; an older build is refused; the config
// is refused with its line before anything runs; revert-to rebuilding an older build's images at
// a higher version; refreshing indexes before they expire.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadPublicKey, parseBundle } from "../tools/format/index.js";
import { ReleaseRepository, verifyChannelIndex, type ReleaseHistory } from "../tools/release/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { currentRelease, PipelineWorld, pipelineStages } from "./helpers/pipeline-world.js";
import { policyYaml } from "./helpers/signer-world.js";

const dirs = scratchDirs("pipeline");
afterAll(() => dirs.cleanup());
let world: PipelineWorld;
afterEach(async () => world?.stop());
const HOUR = 3_600_000;

const stagesOf = (history: ReleaseHistory) => history.records.map((r) => `${r.stage}:${r.result}`);

const current = (channel: string) => currentRelease(world, channel);

describe("release run: build to prod through its gates", () => {
  it("stops at the soak gate, then at the approvals, and resumes each time to prod; the history tells it all", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml({ approvals: 1 }));
    await world.build(5);
    const start = new Date();

    const first = await world.run(world.record(5), { now: start });
    expect(first.status).toBe("waiting");
    expect(first.stoppedAt).toBe("rc");
    expect(first.reason).toMatch(/^soak: 60 minute\(s\) on internal \(published .*\), ready at /);
    expect(stagesOf(first.history)).toEqual(["test-sign:passed", "internal:passed"]);
    expect(current("internal")).toMatchObject({ targetsVersion: 5, signedBy: ["test-targets"] });

    const soon = await world.run(world.record(5), { now: new Date(start.getTime() + HOUR / 2) });
    expect(soon.status).toBe("waiting");
    expect(soon.history.records).toHaveLength(2); // a gate that holds a stage back writes nothing

    const later = new Date(start.getTime() + HOUR + 1000);
    const second = await world.run(world.record(5), { now: later });
    expect(second.status).toBe("waiting");
    expect(second.stoppedAt).toBe("prod-sign");
    expect(second.reason).toMatch(/waits for approvals \(0 of 1\): approvers run `airlock signer approve release-[0-9a-f]{16}-prod-sign-1 --remote http/);
    expect(current("rc").sha256).toBe(current("internal").sha256);
    const requestId = second.history.records.at(-1)!.requestId!;

    await world.approve("bob", requestId);
    const third = await world.run(world.record(5), { now: later, actor: "release-bot" });
    expect(third.status).toBe("passed");
    expect(stagesOf(third.history)).toEqual(["test-sign:passed", "internal:passed", "rc:passed", "prod-sign:waiting", "prod-sign:passed", "prod:passed"]);
    const prodSign = third.history.records[4]!;
    expect(prodSign).toMatchObject({ requestId, by: "release-bot", inputs: { build: third.history.build } });
    expect(current("prod")).toMatchObject({ targetsVersion: 5, signedBy: ["prod-targets"], sha256: prodSign.outputs.bundle });

    // Everything passed: running again runs nothing and changes nothing.
    const again = await world.run(world.record(5), { now: later });
    expect(again.status).toBe("passed");
    expect(again.history.records).toHaveLength(6);

    // The CLI shows the same history, by the build record's digest.
    const shown = await airlock("release", "history", "--config", world.at("release.yaml"));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`thermostat v5 (build record sha256:${third.history.build}, normal path)`);
    expect(shown.stdout).toMatch(/prod-sign\s+sign\s+waiting by ci {2}request release-/);
    expect(shown.stdout).toMatch(/prod\s+publish\s+passed\s+by release-bot/);
    // `release show --config`: the channels, then the same history.
    const show = await airlock("release", "show", "--config", world.at("release.yaml"));
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^channel internal: index version 1[^]*channel prod: index version 1[^]*thermostat v5 \(build record sha256:/);
    expect(show.stdout.slice(show.stdout.indexOf("thermostat v5 ("))).toBe(shown.stdout);
    const neither = await airlock("release", "show");
    expect(neither.stderr).toMatch(/give --repo DIR \(a repository\) or --config FILE/);
  });

  it("records the signing service's refusal (an eng build for the production key) and stops there", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml(), pipelineStages({ soakMinutes: 0 }));
    await world.build(5, "eng", "debug.elf");
    const result = await world.run(world.record(5, "eng"));
    expect(result.status).toBe("failed");
    expect(result.stoppedAt).toBe("prod-sign");
    expect(result.reason).toMatch(/refused \(403 REFUSED\): identity ci may not use key "prod-targets" for eng builds of thermostat/);
    expect(new ReleaseRepository(world.at("releases")).readIndex("prod")).toBeUndefined();
    // Through the CLI: exit 1 and the reason; the retry is a new request (attempt 2).
    const run = await airlock("release", "run", "--config", world.at("release.yaml"), world.record(5, "eng"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^airlock: stage prod-sign failed: request release-[0-9a-f]{16}-prod-sign-2 .* refused \(403 REFUSED\): identity ci may not use key "prod-targets" for eng builds/m);
  });

  it("refuses to publish a build older than the channel's release, with the repository's reason", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml(), pipelineStages({ soakMinutes: 0 }));
    await world.build(6);
    await world.build(4);
    expect((await world.run(world.record(6))).status).toBe("passed");
    const older = await world.run(world.record(4));
    expect(older.status).toBe("failed");
    expect(older.stoppedAt).toBe("internal");
    expect(older.reason).toMatch(/channel internal: bundle targets version 4 is not above version 6, the current thermostat release/);
    expect(current("prod").targetsVersion).toBe(6);
  });

  it("starts from the build record's digest in the store, and refuses a digest the store lacks and another product's build", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml(), pipelineStages({ soakMinutes: 0 }));
    await world.build(5);
    const digest = createHash("sha256").update(readFileSync(world.record(5))).digest("hex");
    const run = await airlock("release", "run", "--config", world.at("release.yaml"), "--until", "internal", "--json", digest);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "passed", build: digest, targetsVersion: 5 });
    expect(new ReleaseRepository(world.at("releases")).readIndex("rc")).toBeUndefined();
    const missing = await airlock("release", "run", "--config", world.at("release.yaml"), "0".repeat(64));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no build record sha256:0{64}: the build was uploaded to another store/);
    await world.build(2, "user", "clean.elf", "doorbell");
    const other = await airlock("release", "run", "--config", world.at("release.yaml"), world.record(2, "user", "doorbell"));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/is of product "doorbell", the release config is for "thermostat"/);
    const until = await airlock("release", "run", "--config", world.at("release.yaml"), "--until", "nope", digest);
    expect(until.stderr).toMatch(/--until nope: .* has no stage of that name; its stages are test-sign, internal, rc, prod-sign, prod/);
  });

  it("refuses a build record edited to name other targets metadata than its bundle's, before any stage runs", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml(), pipelineStages({ soakMinutes: 0 }));
    await world.build(5);
    const record = JSON.parse(readFileSync(world.record(5), "utf8"));
    record.targetsMetadata.sha256 = "ab".repeat(32);
    writeFileSync(world.at("edited.build.json"), JSON.stringify(record));
    const run = await airlock("release", "run", "--config", world.at("release.yaml"), world.at("edited.build.json"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/records targets metadata sha256:(ab){32}, but its unsigned bundle carries sha256:[0-9a-f]{64}: the record was edited/);
    expect(existsSync(world.at("history"))).toBe(false);
  });
});

describe("release run: the dependencies stage refuses a promotion on the SBOM the builder vouched for", () => {
  const RULES = `dependencies:
  minimum:
    mbedtls: "2.28.8"
  deny:
    - { component: zlib, versions: "<1.2.12", reason: CVE-2018-25032 }
builderKeys: [builder.pem.pub]
`;
  const STAGES = `stages:
  - { name: test-sign, kind: sign, key: test-targets }
  - { name: internal, kind: publish, bundle: test-sign, channel: internal }
  - { name: deps, kind: dependencies }
  - { name: rc, kind: publish, bundle: test-sign, channel: rc }
`;
  /** A CycloneDX 1.5 SBOM with these components. */
  const cyclonedx = (components: Record<string, string>) => JSON.stringify({
    bomFormat: "CycloneDX", specVersion: "1.5", version: 1,
    components: Object.entries(components).map(([name, version]) => ({ type: "library", name, version })),
  });

  it("stops an outdated build before rc with each finding, and promotes an up-to-date one", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml());
    world.writeConfig(RULES + STAGES);
    writeFileSync(world.at("old.cdx.json"), cyclonedx({ mbedtls: "2.28.0", zlib: "1.2.11" }));
    writeFileSync(world.at("new.cdx.json"), cyclonedx({ mbedtls: "2.28.8", zlib: "1.3.1" }));
    await world.build(5, "user", "clean.elf", "thermostat", { sbom: world.at("old.cdx.json") });
    const refused = await world.run(world.record(5));
    expect(refused.status).toBe("failed");
    expect(refused.stoppedAt).toBe("deps");
    const deps = refused.history.records.at(-1)!;
    expect(deps.details.join("\n")).toMatch(/below-minimum: .*mbedtls/);
    expect(deps.details.join("\n")).toMatch(/denied: .*zlib.*CVE-2018-25032/);
    expect(deps.details.at(-1)).toBe("2 dependency finding(s) refuse the promotion");
    expect(deps.inputs.sbom).toMatch(/^[0-9a-f]{64}$/);
    expect(new ReleaseRepository(world.at("releases")).readIndex("rc")).toBeUndefined();

    await world.build(6, "user", "clean.elf", "thermostat", { sbom: world.at("new.cdx.json") });
    const promoted = await world.run(world.record(6));
    expect(promoted.status, promoted.reason).toBe("passed");
    expect(promoted.history.records.find((r) => r.stage === "deps")!.details[0]).toMatch(/CycloneDX 1\.5|cyclonedx 1\.5/);
    expect(current("rc").targetsVersion).toBe(6);

    // A build without an SBOM is refused too: nothing vouches for its components.
    await world.build(7);
    const bare = await world.run(world.record(7));
    expect(bare.status).toBe("failed");
    expect(bare.history.records.at(-1)!.details.join("\n")).toMatch(/no-sbom/);
  });

  it("refuses a config whose dependencies stage has no rules, with its line", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml());
    world.writeConfig(STAGES);
    await world.build(5);
    const run = await airlock("release", "run", "--config", world.at("release.yaml"), world.record(5));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/line 14: dependencies stage "deps" needs dependencies \(the rules\) and builderKeys/);
  });
});

describe("release config: refused with its line before anything runs", () => {
  it.each([
    ["an unknown field", "  - { name: test-sign, kind: sign, key: test-targets, colour: red }\n", /line 12: unknown field "colour" in \/stages\/0; nothing was run/],
    ["a publish of a stage that comes later", "  - { name: internal, kind: publish, bundle: test-sign, channel: internal }\n  - { name: test-sign, kind: sign, key: test-targets }\n", /line 12: stage "internal" names "test-sign", which is not a stage before it/],
    ["a soak on a sign stage", "  - { name: test-sign, kind: sign, key: test-targets }\n  - { name: internal, kind: publish, bundle: test-sign, channel: internal, gates: [{ soak: { stage: test-sign, minutes: 5 } }] }\n", /line 13: stage "internal" soaks on "test-sign", which publishes nothing/],
    ["a bad channel name", "  - { name: test-sign, kind: sign, key: test-targets }\n  - { name: internal, kind: publish, bundle: test-sign, channel: Internal }\n", /line 13: \/stages\/1\/channel: must match pattern/],
  ])("%s", async (_what, stages, message) => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml());
    world.writeConfig(`stages:\n${stages}`);
    await world.build(5);
    const run = await airlock("release", "run", "--config", world.at("release.yaml"), world.record(5));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe("release refresh: indexes re-signed before they expire", () => {
  it("re-signs an index that expires within the window (same releases, version + 1) and leaves the others", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml());
    await world.build(5);
    const bundle = world.at("out-thermostat-5-user/thermostat-5.bundle");
    const publish = (channel: string, days: string) => airlock("release", "publish", "--repo", world.at("releases"), "--channel", channel, "--key", world.at("release"), "--product", "thermostat", "--expires-in", days, bundle);
    expect((await publish("internal", "1")).code).toBe(0);
    expect((await publish("rc", "30")).code).toBe(0);
    const before = readFileSync(world.at("releases/channels/rc.json"), "utf8");
    const run = await airlock("release", "refresh", "--repo", world.at("releases"), "--key", world.at("release"), "--within", "48", "--json");
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { refreshed: Array<{ channel: string; indexVersion: number; expires: string }>; unchanged: string[] };
    expect(result.refreshed.map((r) => [r.channel, r.indexVersion])).toEqual([["internal", 2]]);
    expect(Date.parse(result.refreshed[0]!.expires) - Date.now()).toBeGreaterThan(6.9 * 24 * HOUR);
    expect(result.unchanged).toEqual(["rc"]);
    expect(readFileSync(world.at("releases/channels/rc.json"), "utf8")).toBe(before);
    const index = verifyChannelIndex(readFileSync(world.at("releases/channels/internal.json"), "utf8"), { channel: "internal", trustedKeys: [loadPublicKey(world.at("release.pub"))], lastSeenVersion: 0, now: new Date() }, "internal");
    expect(index.releases.map((r) => r.targetsVersion)).toEqual([5]);
    const nowhere = await airlock("release", "refresh", "--repo", world.at("nowhere"), "--key", world.at("release"));
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/has no channel index to refresh: publish first/);
  });
});

describe("release revert-to: back to an older build's images at a higher version", () => {
  it("rebuilds v5's inputs as v7 (identical images, new provenance), which the pipeline then releases", async () => {
    world = await new PipelineWorld(dirs.make()).open(policyYaml(), pipelineStages({ soakMinutes: 0 }));
    await world.build(5);
    await world.build(6);
    expect((await world.run(world.record(5))).status).toBe("passed");
    expect((await world.run(world.record(6))).status).toBe("passed");
    const builder = ["--builder-key", world.at("builder.pem"), "--builder-id", "https://ci.example.com/builders/firmware"];

    const lower = await airlock("release", "revert-to", "--config", world.at("release.yaml"), ...builder, "--version", "6", world.record(5));
    expect(lower.code).toBe(2);
    expect(lower.stderr).toMatch(/--version 6 is not above 6, the highest targets version of thermostat released or in the pipeline/);

    const made = await airlock("release", "revert-to", "--config", world.at("release.yaml"), ...builder, "--out-dir", world.at("revert"), "--json", world.record(5));
    expect(made.code, made.stderr).toBe(0);
    const record = JSON.parse(made.stdout) as { targetsVersion: number; buildRecord: { sha256: string }; inputs: Record<string, { sha256: string }> };
    expect(record.targetsVersion).toBe(7);
    const old = JSON.parse(readFileSync(world.record(5), "utf8")) as { inputs: Record<string, { sha256: string }> };
    expect(record.inputs["elf:app"]).toEqual(old.inputs["elf:app"]);
    const released = await world.run(record.buildRecord.sha256);
    expect(released.status, released.reason).toBe("passed");
    const hashes = (bundle: ReturnType<typeof parseBundle>) => bundle.targets.targetFiles!.map((t) => [t.fileName, Buffer.from(t.hashes![0]!.hash!).toString("hex")]);
    const v5 = parseBundle(readFileSync(world.at("out-thermostat-5-user/thermostat-5.bundle")));
    const v7 = parseBundle(new ReleaseRepository(world.at("releases")).objects.get(current("prod").sha256));
    expect(current("prod").targetsVersion).toBe(7);
    expect(hashes(v7)).toEqual(hashes(v5));
  });
});
