// Dependencies kept current: a build carries an SBOM (CycloneDX or SPDX JSON, from the description
// or --sbom), stored and named in its signed provenance; `airlock release deps` and the promotion
// gate refuse a build whose components are below a minimum, on the deny-list, or of a version
// that cannot be compared, per build record and per channel release; an SBOM swapped behind the
// provenance's back is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { buildsOfTargetsMetadata, parseEnvelope, SBOM_DEPENDENCY, verifyProvenance, type SbomComponent } from "../tools/build/index.js";
import { loadPublicKey, parseBundle } from "../tools/format/index.js";
import { checkDependencies, DEPENDENCY_RULES_SCHEMA, dependencyGate, readVersion, type DependencyRules } from "../tools/release/index.js";
import { ArtifactStore } from "../tools/store/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";

const dirs = scratchDirs("release-deps");
afterAll(() => dirs.cleanup());
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let dir = "";
const at = (name: string) => join(dir, name);

// CycloneDX 1.5 as a firmware build emits it: the product in metadata, the libraries in
// components, a vendor SDK carrying its own zlib as a nested component.
function cyclonedx(versions: { mbedtls: string; freertos: string; zlib: string }): object {
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    version: 1,
    metadata: { timestamp: "2026-03-02T10:00:00Z", component: { type: "firmware", name: "thermostat", version: "5" } },
    components: [
      { type: "library", "bom-ref": "mbedtls", name: "mbedtls", version: versions.mbedtls, purl: `pkg:github/Mbed-TLS/mbedtls@v${versions.mbedtls}`, licenses: [{ license: { id: "Apache-2.0" } }] },
      { type: "operating-system", "bom-ref": "freertos", name: "FreeRTOS-Kernel", version: versions.freertos, purl: `pkg:github/FreeRTOS/FreeRTOS-Kernel@V${versions.freertos}` },
      {
        type: "library", "bom-ref": "vendor-sdk", name: "nrf-sdk", version: "17.1.0",
        components: [
          { type: "library", "bom-ref": "nanopb", name: "nanopb", version: "0.4.7", purl: "pkg:github/nanopb/nanopb@0.4.7" },
          { type: "library", "bom-ref": "zlib", name: "zlib", version: versions.zlib, purl: `pkg:generic/zlib@${versions.zlib}` },
        ],
      },
    ],
  };
}

// SPDX 2.3 JSON: the firmware package and its libraries, purls in externalRefs.
function spdx(versions: { mbedtls: string; freertos: string; zlib: string }): object {
  const pkg = (id: string, name: string, version: string, purl: string) => ({
    SPDXID: `SPDXRef-Package-${id}`, name, versionInfo: version, downloadLocation: "NOASSERTION", filesAnalyzed: false,
    externalRefs: [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: purl }],
  });
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: "thermostat-firmware",
    documentNamespace: "https://example.com/spdx/thermostat-5",
    creationInfo: { created: "2026-03-02T10:00:00Z", creators: ["Tool: example-sbom-1.0"] },
    packages: [
      { SPDXID: "SPDXRef-Package-thermostat", name: "thermostat", versionInfo: "NOASSERTION", downloadLocation: "NOASSERTION" },
      pkg("mbedtls", "mbedtls", versions.mbedtls, `pkg:github/Mbed-TLS/mbedtls@v${versions.mbedtls}`),
      pkg("freertos", "FreeRTOS-Kernel", versions.freertos, `pkg:github/FreeRTOS/FreeRTOS-Kernel@V${versions.freertos}`),
      pkg("zlib", "zlib", versions.zlib, `pkg:generic/zlib@${versions.zlib}`),
    ],
    relationships: [{ spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: "SPDXRef-Package-thermostat" }],
  };
}

const OUTDATED = { mbedtls: "2.28.0", freertos: "10.4.3", zlib: "1.2.11" };
const CURRENT = { mbedtls: "2.28.8", freertos: "10.6.2", zlib: "1.3.1" };

const RULES_YAML = `# the release config's dependency section
product: thermostat
dependencies:
  minimum:
    mbedtls: "2.28.8"
    pkg:github/freertos/freertos-kernel: "10.4.3"
  deny:
    - component: zlib
      versions: "<1.2.12"
      reason: CVE-2018-25032 (memory corruption when deflating with many distant matches)
`;
const RULES: DependencyRules = {
  minimum: { mbedtls: "2.28.8", "pkg:github/freertos/freertos-kernel": "10.4.3" },
  deny: [{ component: "zlib", versions: "<1.2.12", reason: "CVE-2018-25032" }],
};

function write(name: string, value: object | string): string {
  writeFileSync(at(name), typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return at(name);
}

function describeProduct(file: string, fields: Record<string, unknown> = {}): string {
  return write(file, { product: "thermostat", hardwareId: "nordic,nrf52840", board: "nrf52840", targetsVersion: 5, buildType: "eng", targets: { app: { binary: "app.bin" } }, ...fields });
}

interface Built {
  stdout: string;
  record: { sbom?: { sha256: string; format: string; components: number }; files: Record<string, { path: string; sha256: string }>; targetsMetadata: { sha256: string }; buildRecord: { path: string; sha256: string } };
}

async function build(description: string, store: string, ...extra: string[]): Promise<Built> {
  const run = await airlock("build", description, "--builder-key", at("builder"), "--dev-key", at("targets"), "--out-dir", join(store, "out"), "--store", store, "--json", ...extra);
  expect(run.code, run.stderr).toBe(0);
  return { stdout: run.stdout, record: JSON.parse(run.stdout) as Built["record"] };
}

beforeAll(async () => {
  dir = dirs.make();
  writeFileSync(at("app.bin"), Buffer.alloc(8192, 0x5a));
  for (const key of ["builder", "targets", "release", "other-builder"]) expect((await airlock("keygen", at(key))).code).toBe(0);
  write("outdated.cdx.json", cyclonedx(OUTDATED));
  write("current.spdx.json", spdx(CURRENT));
  write("rules.yaml", RULES_YAML);
});

describe("SBOM in the build", () => {
  it("stores the description's CycloneDX SBOM, names it in the build record and lists it in the signed provenance", async () => {
    const store = at("store-cdx");
    const { record } = await build(describeProduct("cdx.json", { sbom: "outdated.cdx.json" }), store);
    const sbomBytes = readFileSync(at("outdated.cdx.json"));
    expect(record.sbom).toMatchObject({ sha256: sha(sbomBytes), format: "cyclonedx", specVersion: "1.5", components: 5 });
    const objects = new ArtifactStore(store);
    expect(Buffer.from(objects.get(record.sbom!.sha256)).equals(sbomBytes)).toBe(true);

    const statement = verifyProvenance(parseEnvelope(readFileSync(record.files.provenance!.path, "utf8"), "provenance"), [loadPublicKey(at("builder.pub"))]);
    expect(statement.predicate.buildDefinition.resolvedDependencies).toContainEqual({ name: SBOM_DEPENDENCY, digest: { sha256: sha(sbomBytes) }, mediaType: "application/vnd.cyclonedx+json" });

    // The record is in the store, filed under the targets metadata every signed copy carries.
    const recordBytes = readFileSync(record.buildRecord.path);
    expect(record.buildRecord.sha256).toBe(sha(recordBytes));
    expect(objects.has(record.buildRecord.sha256)).toBe(true);
    const devSigned = parseBundle(readFileSync(record.files.devSignedBundle!.path));
    expect(buildsOfTargetsMetadata(objects, sha(devSigned.targetsSerialized))).toEqual([record.buildRecord.sha256]);
  });

  it("takes the firmware build's SPDX SBOM from --sbom over the description's", async () => {
    const { record } = await build(describeProduct("spdx.json", { sbom: "outdated.cdx.json" }), at("store-spdx"), "--sbom", at("current.spdx.json"));
    expect(record.sbom).toMatchObject({ sha256: sha(readFileSync(at("current.spdx.json"))), format: "spdx", specVersion: "SPDX-2.3", components: 4 });
    const statement = verifyProvenance(parseEnvelope(readFileSync(record.files.provenance!.path, "utf8"), "provenance"), [loadPublicKey(at("builder.pub"))]);
    expect(statement.predicate.buildDefinition.resolvedDependencies?.filter((d) => d.name === SBOM_DEPENDENCY)).toEqual([
      { name: SBOM_DEPENDENCY, digest: { sha256: record.sbom!.sha256 }, mediaType: "application/spdx+json" },
    ]);
  });

  it("refuses a malformed SBOM with the path of the problem and stores nothing", async () => {
    const broken = cyclonedx(OUTDATED) as { components: Array<Record<string, unknown>> };
    delete broken.components[1]!.name;
    (broken.components[2]!.components as Array<Record<string, unknown>>)[1]!.version = 1.2;
    write("broken.cdx.json", broken);
    const badSpdx = spdx(CURRENT) as { packages: Array<{ externalRefs?: Array<Record<string, unknown>> }> };
    delete badSpdx.packages[3]!.externalRefs![0]!.referenceLocator;
    write("broken.spdx.json", badSpdx);
    write("old.cdx.json", { ...cyclonedx(OUTDATED), specVersion: "1.2" });
    write("notjson.cdx.json", "{ \"bomFormat\": ");
    write("neither.json", { name: "x" });
    const cases: Array<[string, RegExp]> = [
      ["broken.cdx.json", /not a usable CycloneDX SBOM: \/components\/1: missing field "name"; \/components\/2\/components\/1\/version: must be string/],
      ["broken.spdx.json", /not a usable SPDX 2\.3 SBOM: \/packages\/3\/externalRefs\/0: missing field "referenceLocator"/],
      ["old.cdx.json", /\/specVersion: must be one of "1\.4", "1\.5", "1\.6"/],
      ["notjson.cdx.json", /notjson\.cdx\.json is not JSON/],
      ["neither.json", /neither a CycloneDX SBOM .* nor an SPDX one/],
      ["missing.json", /cannot read SBOM file .*missing\.json/],
    ];
    for (const [file, message] of cases) {
      const store = at(`store-bad-${file}`);
      const run = await airlock("build", describeProduct("bad.json"), "--sbom", at(file), "--builder-key", at("builder"), "--out-dir", join(store, "out"), "--store", store);
      expect({ file, code: run.code }).toEqual({ file, code: 2 });
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain(at(file));
      expect(new ArtifactStore(store).has(sha(readFileSync(at("app.bin"))))).toBe(false);
    }
  });
});

describe("checkDependencies", () => {
  const component = (name: string, version?: string, purl?: string): SbomComponent => ({ name, version, purl, at: `/components/${name}` });

  it("refuses below-minimum and denied components, matching names without case and purls on type, namespace and name", () => {
    const findings = checkDependencies([
      component("MbedTLS", "2.28.0"),
      component("freertos", "10.4.2", "pkg:github/FreeRTOS/FreeRTOS-Kernel@V10.4.2"),
      component("zlib", "1.2.11"),
      component("nanopb", "0.4.7"),
    ], RULES);
    expect(findings.map((f) => [f.kind, f.component])).toEqual([["below-minimum", "MbedTLS"], ["below-minimum", "freertos"], ["denied", "zlib"]]);
    expect(findings[2]!.message).toBe("zlib 1.2.11 is in the denied versions <1.2.12: CVE-2018-25032; update it past them");
  });

  it("passes components at or above their minimum and outside the denied versions", () => {
    expect(checkDependencies([component("mbedtls", "2.28.8"), component("mbedtls", "3.6.0"), component("zlib", "1.2.12"), component("FreeRTOS-Kernel", "10.4.3", "pkg:github/FreeRTOS/FreeRTOS-Kernel@V10.4.3")], RULES)).toEqual([]);
    // A purl rule does not match a component of the same name under another purl.
    expect(checkDependencies([component("FreeRTOS-Kernel", "9.0.0", "pkg:github/someone/FreeRTOS-Kernel@9.0.0")], RULES)).toEqual([]);
  });

  it("reads short and v-prefixed versions as semver and says so; rc10 sorts after rc2", () => {
    const [finding] = checkDependencies([component("mbedtls", "2.28")], RULES);
    expect(finding!.message).toBe("mbedtls 2.28 (read as 2.28.0) is below the minimum 2.28.8; update it to 2.28.8 or later");
    expect(checkDependencies([component("mbedtls", "v2.28.8-rc10")], { minimum: { mbedtls: "2.28.8-rc2" } })).toEqual([]);
    expect(checkDependencies([component("mbedtls", "v2.28.8-rc1")], { minimum: { mbedtls: "2.28.8" } }).map((f) => f.kind)).toEqual(["below-minimum"]);
  });

  it("reports versions that cannot be compared, or are absent, instead of passing them", () => {
    const findings = checkDependencies([
      component("mbedtls", "2.28.0.1"),
      component("FreeRTOS-Kernel", "V10.4.3-LTS-Patch-2", "pkg:github/FreeRTOS/FreeRTOS-Kernel@V10.4.3-LTS-Patch-2"),
      component("zlib"),
    ], RULES);
    expect(findings.map((f) => [f.kind, f.component])).toEqual([["unknown-version", "mbedtls"], ["unknown-version", "FreeRTOS-Kernel"], ["unknown-version", "zlib"]]);
    expect(findings[1]!.message).toMatch(/suffix "-LTS-Patch-2", which is not a pre-release tag/);
    expect(findings[2]!.message).toMatch(/zlib has no version in the SBOM, so it cannot be shown to be outside the denied versions <1\.2\.12/);
    expect(readVersion("1.1.1w").comparable).toBe(false);
  });

  it("denies every version of a component when the rule gives no range", () => {
    expect(checkDependencies([component("debug-shell", "1.0.0")], { deny: [{ component: "debug-shell", reason: "never in a release" }] })[0]!.message).toBe("debug-shell 1.0.0 is denied: never in a release; remove it");
  });

  it("embeds in a larger config schema", () => {
    const validate = new Ajv().compile({ type: "object", properties: { product: { type: "string" }, dependencies: DEPENDENCY_RULES_SCHEMA } });
    expect(validate({ product: "thermostat", dependencies: RULES })).toBe(true);
    expect(validate({ dependencies: { minimum: { mbedtls: 2.28 } } })).toBe(false);
  });
});

describe("airlock release deps", () => {
  let outdated: Built["record"];
  let current: Built["record"];
  const storeDir = () => at("store-deps");

  beforeAll(async () => {
    outdated = (await build(describeProduct("deps-old.json", { sbom: "outdated.cdx.json" }), storeDir())).record;
    current = (await build(describeProduct("deps-new.json", { targetsVersion: 6, sbom: "current.spdx.json" }), storeDir())).record;
  });

  it("refuses an outdated build record with each finding and exits 1; passes an up-to-date one", async () => {
    const run = await airlock("release", "deps", "--rules", at("rules.yaml"), "--store", storeDir(), "--builder-key", at("builder.pub"), outdated.buildRecord.path);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/thermostat targets v5\), cyclonedx SBOM with 5 component\(s\): 2 refused/);
    expect(run.stdout).toMatch(/below-minimum +mbedtls 2\.28\.0 is below the minimum 2\.28\.8; update it to 2\.28\.8 or later \[\/components\/0\]/);
    expect(run.stdout).toMatch(/denied +zlib 1\.2\.11 is in the denied versions <1\.2\.12: CVE-2018-25032 .* \[\/components\/2\/components\/1\]/);
    expect(run.stderr).toMatch(/2 dependency finding\(s\) refuse promotion/);

    const ok = await airlock("release", "deps", "--rules", at("rules.yaml"), "--store", storeDir(), "--builder-key", at("builder.pub"), current.buildRecord.sha256, "--json");
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, builds: [{ build: current.buildRecord.sha256, product: "thermostat", targetsVersion: 6, sbom: { sha256: current.sbom!.sha256, format: "spdx", components: 4 }, findings: [] }] });
    expect(ok.stderr).toBe("");
  });

  it("reports each channel's current release, found through the bundle's targets metadata", async () => {
    const repo = at("repo");
    const publish = (bundle: string, channel: string) => airlock("release", "publish", "--repo", repo, "--channel", channel, "--key", at("release"), "--product", "thermostat", bundle);
    expect((await publish(outdated.files.devSignedBundle!.path, "internal")).code).toBe(0);
    expect((await publish(current.files.devSignedBundle!.path, "dev")).code).toBe(0);
    const run = await airlock("release", "deps", "--rules", at("rules.yaml"), "--store", storeDir(), "--repo", repo, "--builder-key", at("builder.pub"), "--json");
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; releases: Array<{ channel: string; builds: Array<{ build: string; findings: Array<{ kind: string; component: string }> }> }> };
    expect(report.ok).toBe(false);
    expect(report.releases.map((r) => [r.channel, r.builds.map((b) => b.build), r.builds.flatMap((b) => b.findings.map((f) => `${f.kind} ${f.component}`))])).toEqual([
      ["dev", [current.buildRecord.sha256], []],
      ["internal", [outdated.buildRecord.sha256], ["below-minimum mbedtls", "denied zlib"]],
    ]);
    const dev = await airlock("release", "deps", "--rules", at("rules.yaml"), "--store", storeDir(), "--repo", repo, "--channel", "dev");
    expect(dev.code, dev.stderr).toBe(0);
    expect(dev.stdout).toMatch(/^channel dev: thermostat \(hardware nordic,nrf52840\) targets v6/);
    expect(dev.stderr).toMatch(/no --builder-key: each SBOM is taken from its build record without checking/);

    // A release whose build is not in this store cannot be checked: refused, not passed.
    const elsewhere = await airlock("release", "deps", "--rules", at("rules.yaml"), "--store", at("store-cdx"), "--repo", repo, "--channel", "dev");
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toMatch(/no-build +no build in .*store-cdx made this bundle/);
  });

  it("refuses a build without an SBOM when there are rules", async () => {
    const { record } = await build(describeProduct("no-sbom.json", { targetsVersion: 7 }), storeDir());
    const run = await airlock("release", "deps", "--rules", at("rules.yaml"), "--store", storeDir(), record.buildRecord.path, "--json");
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { builds: Array<{ findings: Array<{ kind: string }> }> }).builds[0]!.findings.map((f) => f.kind)).toEqual(["no-sbom"]);
  });

  it("answers usage and bad files with exit 2 and the fix", async () => {
    const help = await airlock("release", "deps", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--rules <file>/);
    expect(help.stdout).toMatch(/--repo <dir>/);
    write("bad-yaml.yaml", "minimum:\n  mbedtls: [\n");
    write("number.yaml", "dependencies:\n  minimum:\n    mbedtls: 2.10\n");
    write("range.yaml", "deny:\n  - component: zlib\n    versions: \"less than 1.2.12\"\n    reason: CVE-2018-25032\n");
    write("unknown.yaml", "minimum:\n  mbedtls: \"2.28.8\"\nmaximum:\n  zlib: \"2\"\n");
    write("purl.yaml", "minimum:\n  pkg:github/Mbed-TLS/mbedtls@v2.28.8: \"2.28.8\"\n");
    write("minimum.yaml", "minimum:\n  mbedtls: \"latest\"\n");
    write("corrupt.build.json", "{ not json");
    const base = ["release", "deps", "--store", storeDir()];
    const cases: Array<[string[], RegExp]> = [
      [["release", "deps", "--store", storeDir(), outdated.buildRecord.path], /required option '--rules <file>'/],
      [[...base, "--rules", at("rules.yaml")], /give build records or --repo DIR, not both and not neither/],
      [[...base, "--rules", at("rules.yaml"), "--repo", at("repo"), outdated.buildRecord.path], /not both and not neither/],
      [[...base, "--rules", at("rules.yaml"), "--channel", "dev", outdated.buildRecord.path], /--channel needs --repo/],
      [[...base, "--rules", at("bad-yaml.yaml"), outdated.buildRecord.path], /bad-yaml\.yaml line \d: not valid YAML/],
      [[...base, "--rules", at("number.yaml"), outdated.buildRecord.path], /number\.yaml line 3: \/minimum\/mbedtls: must be a string; quote versions/],
      [[...base, "--rules", at("range.yaml"), outdated.buildRecord.path], /range\.yaml line 3: deny entry 1: "less than 1\.2\.12" is not a semver range/],
      [[...base, "--rules", at("unknown.yaml"), outdated.buildRecord.path], /unknown\.yaml line 3: unknown field "maximum"/],
      [[...base, "--rules", at("purl.yaml"), outdated.buildRecord.path], /purl\.yaml line 2: minimum: purl .* carries a version/],
      [[...base, "--rules", at("minimum.yaml"), outdated.buildRecord.path], /minimum\.yaml line 2: minimum version of mbedtls: "latest" is not a version/],
      [[...base, "--rules", at("missing.yaml"), outdated.buildRecord.path], /cannot read dependency rules file/],
      [[...base, "--rules", at("rules.yaml"), at("corrupt.build.json")], /corrupt\.build\.json \(sha256:[0-9a-f]{64}\) is not in the artifact store/],
      [[...base, "--rules", at("rules.yaml"), "0".repeat(64)], /is not in the artifact store/],
      [["release", "deps", "--store", at("nowhere"), "--rules", at("rules.yaml"), outdated.buildRecord.path], /no artifact store at/],
    ];
    for (const [args, message] of cases) {
      const run = await airlock(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
    }
    // A corrupt record that is in the store: refused as not JSON.
    const stored = new ArtifactStore(storeDir()).put(readFileSync(at("corrupt.build.json")));
    const corrupt = await airlock(...base, "--rules", at("rules.yaml"), stored.sha256);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/build record sha256:[0-9a-f]{64} is not JSON/);
  });
});

describe("dependencyGate", () => {
  const store = () => new ArtifactStore(at("store-deps"));
  const builder = () => [loadPublicKey(at("builder.pub"))];
  let outdated: Built["record"];

  beforeAll(async () => {
    outdated = (await build(describeProduct("gate.json", { targetsVersion: 8, sbom: "outdated.cdx.json" }), at("store-deps"))).record;
  });

  it("refuses an outdated build and passes a current one", async () => {
    const refused = dependencyGate(store(), outdated.buildRecord.sha256, RULES, { builderKeys: builder() });
    expect(refused.ok).toBe(false);
    expect(refused.findings.map((f) => f.kind)).toEqual(["below-minimum", "denied"]);
    const { record } = await build(describeProduct("gate-ok.json", { targetsVersion: 9, sbom: "current.spdx.json" }), at("store-deps"));
    expect(dependencyGate(store(), record.buildRecord.sha256, RULES, { builderKeys: builder() })).toMatchObject({ ok: true, findings: [] });
  });

  it("refuses a record whose SBOM was swapped for a clean one: the provenance names the original", () => {
    const cleanSbom = store().put(readFileSync(at("current.spdx.json")));
    const forged = JSON.parse(readFileSync(outdated.buildRecord.path, "utf8")) as Record<string, unknown>;
    forged.sbom = { sha256: cleanSbom.sha256, size: cleanSbom.size, format: "spdx", specVersion: "SPDX-2.3", components: 4 };
    const forgedRecord = store().put(Buffer.from(JSON.stringify(forged)));
    expect(() => dependencyGate(store(), forgedRecord.sha256, RULES, { builderKeys: builder() })).toThrow(/names SBOM sha256:[0-9a-f]{64}, but the provenance .* lists sha256:[0-9a-f]{64}: this SBOM did not come with the build/);

    delete forged.sbom;
    const dropped = store().put(Buffer.from(JSON.stringify(forged)));
    expect(() => dependencyGate(store(), dropped.sha256, RULES, { builderKeys: builder() })).toThrow(/names none: the record was edited to drop it/);
  });

  it("refuses provenance from a builder it does not trust, and a gate without builder keys", () => {
    expect(() => dependencyGate(store(), outdated.buildRecord.sha256, RULES, { builderKeys: [loadPublicKey(at("other-builder.pub"))] })).toThrow(/0 valid signature\(s\) by trusted keys.*signed by an unknown builder/);
    expect(() => dependencyGate(store(), outdated.buildRecord.sha256, RULES, { builderKeys: [] })).toThrow(/needs at least one builder key/);
  });

  it("refuses a record whose targets metadata is not its unsigned bundle's", () => {
    const forged = JSON.parse(readFileSync(outdated.buildRecord.path, "utf8")) as { targetsMetadata: { sha256: string } };
    forged.targetsMetadata.sha256 = "ab".repeat(32);
    const stored = store().put(Buffer.from(JSON.stringify(forged)));
    expect(() => dependencyGate(store(), stored.sha256, RULES, { builderKeys: builder() })).toThrow(/but its unsigned bundle carries sha256:[0-9a-f]{64}: the record was edited/);
  });
});
