// `airlock bundle create|sign|inspect|personalize` through the CLI's main function.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_TARGET_NAME } from "../assembly/limits.js";
import { encodeBundle, parseBundle, type BundleReport, encode, schema } from "../tools/format/index.js";
import { airlock, scratchDirs, type CliRun } from "./helpers/cli-run.js";

const dirs = scratchDirs("cli-bundle");
afterAll(() => dirs.cleanup());
let dir = "";
const at = (name: string) => join(dir, name);

function expectFailure(run: CliRun, code: number, reason: RegExp) {
  expect(run.code).toBe(code);
  expect(run.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  expect(run.stderr).toMatch(reason);
}
async function ok(...args: string[]): Promise<CliRun> {
  const run = await airlock(...args);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  return run;
}
async function inspectJson(...args: string[]): Promise<BundleReport> {
  return JSON.parse((await ok("bundle", "inspect", "--json", ...args)).stdout) as BundleReport;
}
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

beforeAll(async () => {
  dir = dirs.make();
  await ok("keygen", at("root"));
  await ok("keygen", at("targets"));
  await ok("keygen", at("stranger"));
  await ok("root", "create", "--root-key", at("root.pub"), "--targets-key", at("targets.pub"), "--version", "1", "-o", at("root.bin"));
  await ok("root", "sign", "--key", at("root"), at("root.bin"));
  writeFileSync(at("app-v2.bin"), Buffer.alloc(5000, 0xa5));
  writeFileSync(at("net.bin"), "radio\n");
});

describe("airlock bundle create, sign, inspect", () => {
  it("round-trips: the inspection lists versions, hardware, targets with length and SHA-256, and a valid signature", async () => {
    await ok("bundle", "create", "-o", at("b.bin"), "--targets-version", "2", "--root", at("root.bin"), "--hardware", "nrf52840", `app=${at("app-v2.bin")}`, `net=${at("net.bin")}`);
    await ok("bundle", "sign", "--key", at("targets"), at("b.bin"));
    const report = await inspectJson(at("b.bin"));
    expect(report.root?.version).toBe(1);
    expect(report.targets).toMatchObject({ role: "targets", version: 2, hardwareId: "nrf52840", keySource: "bundle root", thresholdMet: true });
    expect(report.targets.files).toEqual([
      { name: "app", length: 5000, sha256: sha256(at("app-v2.bin")), userManifest: false, payload: "present", payloadMatches: true },
      { name: "net", length: 6, sha256: sha256(at("net.bin")), userManifest: false, payload: "present", payloadMatches: true },
    ]);
    const human = (await ok("bundle", "inspect", at("b.bin"))).stdout;
    expect(human).toMatch(/targets metadata: version 2, spec 0\.0\.1, hardware nrf52840/);
    expect(human).toMatch(new RegExp(`app  5000 bytes  sha256 ${sha256(at("app-v2.bin"))}  payload present, matches`));
    expect(human).toMatch(/targets threshold: met \(1 valid of 1 needed\)/);
  });

  it("shows 'hardware any' without --hardware, and checks signatures against --root when the bundle has none", async () => {
    await ok("bundle", "create", "-o", at("plain.bin"), "--targets-version", "3", `app=${at("app-v2.bin")}`);
    await ok("bundle", "sign", "--key", at("targets"), at("plain.bin"), "-o", at("plain-signed.bin"));
    expect((await ok("bundle", "inspect", at("plain-signed.bin"))).stdout).toMatch(/hardware any[\s\S]*no root to check them against; pass --root ROOT/);
    const report = await inspectJson(at("plain-signed.bin"), "--root", at("root.bin"));
    expect(report.targets).toMatchObject({ hardwareId: null, keySource: "given root", thresholdMet: true });
    // -o left the unsigned input as it was.
    expect(parseBundle(readFileSync(at("plain.bin"))).targetsSigned.signatures).toEqual([]);
  });

  it("with --root, exits 1 when the check fails and says why, after printing the report", async () => {
    await ok("bundle", "create", "-o", at("stranger-signed.bin"), "--targets-version", "3", `app=${at("app-v2.bin")}`);
    await ok("bundle", "sign", "--key", at("stranger"), at("stranger-signed.bin"));
    const run = await airlock("bundle", "inspect", "--json", at("stranger-signed.bin"), "--root", at("root.bin"));
    expectFailure(run, 1, /does not pass the check against .*root\.bin: targets threshold not met \(0 valid of 1 needed\)/);
    expect((JSON.parse(run.stdout) as BundleReport).targets.thresholdMet).toBe(false);
    // Without --root it is a description, not a check: exit 0.
    await ok("bundle", "inspect", at("stranger-signed.bin"));
  });

  it("refuses an empty file as a bundle, a root or a target image with exit 2 and one line naming it", async () => {
    writeFileSync(at("empty"), "");
    await ok("bundle", "create", "-o", at("e.bin"), "--targets-version", "2", `app=${at("app-v2.bin")}`);
    expectFailure(await airlock("bundle", "inspect", at("empty")), 2, /empty is an empty file \(0 bytes\), not a usable bundle/);
    expectFailure(await airlock("bundle", "verify", "--trusted-root", at("root.bin"), at("empty")), 2, /not a usable bundle/);
    expectFailure(await airlock("bundle", "inspect", at("e.bin"), "--root", at("empty")), 2, /not a usable root metadata/);
    expectFailure(await airlock("bundle", "create", "-o", at("never.bin"), "--targets-version", "2", `app=${at("empty")}`), 2, /not a usable target "app"/);
    expect(existsSync(at("never.bin"))).toBe(false);
  });

  it("flags the signature INVALID when content is changed after signing", async () => {
    await ok("bundle", "create", "-o", at("t.bin"), "--targets-version", "2", "--root", at("root.bin"), `app=${at("app-v2.bin")}`);
    await ok("bundle", "sign", "--key", at("targets"), at("t.bin"));
    const bundle = parseBundle(readFileSync(at("t.bin")));
    const grown = { ...bundle.targets, targetFiles: [...(bundle.targets.targetFiles ?? []), { fileName: "extra", length: 1, hashes: [] }] };
    writeFileSync(at("t.bin"), encodeBundle(bundle.root!.signed, { serializedTargetsMetadata: encode(schema().TargetsMetadata, grown), signatures: bundle.targetsSigned.signatures }, bundle.payloads));
    const report = await inspectJson(at("t.bin"));
    expect(report.targets.signatures.map((s) => s.status)).toEqual(["invalid"]);
    expect(report.targets.thresholdMet).toBe(false);
    expect((await ok("bundle", "inspect", at("t.bin"))).stdout).toMatch(/INVALID \(the signed bytes changed after signing[\s\S]*targets threshold: NOT met/);
  });

  it("refuses a second signature by the same key and leaves the bundle unchanged", async () => {
    const before = readFileSync(at("b.bin"));
    expectFailure(await airlock("bundle", "sign", "--key", at("targets"), at("b.bin")), 2, /already signed by key/);
    expect(readFileSync(at("b.bin")).equals(before)).toBe(true);
  });

  it("warns when the bundled root lacks its own root keys' signatures", async () => {
    await ok("root", "create", "--root-key", at("stranger.pub"), "--targets-key", at("targets.pub"), "--version", "2", "-o", at("foreign-root.bin"));
    await ok("root", "sign", "--key", at("root"), at("foreign-root.bin"));
    const run = await airlock("bundle", "create", "-o", at("foreign.bin"), "--targets-version", "2", "--root", at("foreign-root.bin"), `app=${at("app-v2.bin")}`);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: the bundled root has 0 of the 1 signature\(s\) its own root keys must make; devices will refuse it/);
  });

  it("warns when the signing key is not a targets key of the bundle's root", async () => {
    const run = await airlock("bundle", "sign", "--key", at("stranger"), at("b.bin"), "-o", at("stranger.bin"));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: key [0-9a-f]{64} is not a targets key of the bundle's root; this signature will not count\n$/);
    expect((await inspectJson(at("stranger.bin"))).targets.validSignatures).toBe(1);
  });

  it("marks user_manifest as the user manifest and personalized-out payloads as such", async () => {
    writeFileSync(at("um.json"), '{"release":"2.0"}');
    await ok("bundle", "create", "-o", at("u.bin"), "--targets-version", "2", `app=${at("app-v2.bin")}`, `user_manifest=${at("um.json")}`);
    await ok("bundle", "personalize", "--remove", "app", "-o", at("u-p.bin"), at("u.bin"));
    const report = await inspectJson(at("u-p.bin"));
    expect(report.targets.files.map((f) => [f.name, f.payload, f.userManifest])).toEqual([["app", "personalized-out", false], ["user_manifest", "present", true]]);
    expect((await ok("bundle", "inspect", at("u-p.bin"))).stdout).toMatch(/payload personalized out[\s\S]*user manifest: stored in the device manifest/);
  });

  const create = (...rest: string[]) => ["bundle", "create", "--targets-version", "1", ...rest];
  const cases: Array<[string, () => string[], RegExp]> = [
    ["version 0", () => ["bundle", "create", "--targets-version", "0", `app=${at("app-v2.bin")}`], /versions start at 1/],
    ["an unknown target file", () => create(`app=${at("missing.bin")}`), /cannot read target "app" file .*missing\.bin: no such file/],
    ["a duplicate target name", () => create(`app=${at("app-v2.bin")}`, `app=${at("net.bin")}`), /target "app" is given twice/],
    ["a target name over MAX_TARGET_NAME", () => create(`${"n".repeat(MAX_TARGET_NAME + 1)}=${at("net.bin")}`), /at most 32 \(MAX_TARGET_NAME\)/],
    ["an argument without =", () => create(at("app-v2.bin")), /is not NAME=FILE/],
    ["a hardware ID over MAX_HARDWARE_ID", () => create("--hardware", "h".repeat(33), `app=${at("app-v2.bin")}`), /MAX_HARDWARE_ID/],
    ["a root file that is not root metadata", () => create("--root", at("net.bin"), `app=${at("app-v2.bin")}`), /root metadata/],
    ["no targets", () => create(), /missing required argument 'targets'/],
  ];
  for (const [what, args, reason] of cases) {
    it(`refuses ${what} with exit 2 and writes no bundle`, async () => {
      const out = at(`never-${what.replace(/\W+/g, "-")}.bin`);
      expectFailure(await airlock(...args(), "-o", out), 2, reason);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("refuses truncated and non-protobuf bundles in sign and inspect", async () => {
    const whole = readFileSync(at("b.bin"));
    writeFileSync(at("cut.bin"), whole.subarray(0, whole.length - 1000));
    expectFailure(await airlock("bundle", "inspect", at("cut.bin")), 2, /cut\.bin|bundle is not a valid UpdateBundle/);
    expectFailure(await airlock("bundle", "sign", "--key", at("targets"), at("cut.bin"), "-o", at("cut-signed.bin")), 2, /not a valid UpdateBundle/);
    expect(existsSync(at("cut-signed.bin"))).toBe(false);
    expectFailure(await airlock("bundle", "inspect", at("root.pub")), 2, /not a valid UpdateBundle|holds no "targets" metadata/);
    expectFailure(await airlock("bundle", "inspect", at("nothing.bin")), 2, /cannot read bundle file/);
  });
});

describe("airlock manifest create, inspect", () => {
  it("records what a device holds after installing a bundle", async () => {
    await ok("manifest", "create", "--bundle", at("b.bin"), "-o", at("m.bin"));
    const report = JSON.parse((await ok("manifest", "inspect", "--json", at("m.bin"))).stdout) as { targetsVersion: number; hardwareId: string; targets: unknown[]; userManifestBytes: number | null };
    expect(report).toEqual({
      targetsVersion: 2,
      hardwareId: "nrf52840",
      targets: [
        { name: "app", length: 5000, sha256: sha256(at("app-v2.bin")) },
        { name: "net", length: 6, sha256: sha256(at("net.bin")) },
      ],
      userManifestBytes: null,
    });
    expect((await ok("manifest", "inspect", at("m.bin"))).stdout).toMatch(/^targets version 2, hardware nrf52840\n  app  5000 bytes/);
  });

  it("refuses a file that is not a manifest, and writes nothing for a bad bundle", async () => {
    expectFailure(await airlock("manifest", "inspect", at("b.bin")), 2, /holds no "targets" metadata|not a valid Manifest/);
    expectFailure(await airlock("manifest", "create", "--bundle", at("net.bin"), "-o", at("m2.bin")), 2, /net\.bin/);
    expect(existsSync(at("m2.bin"))).toBe(false);
  });
});
