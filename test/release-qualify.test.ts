// Issue 14, qualification: `airlock release qualify` installs a test-signed bundle on simulated
// devices of each board (update + confirm, revert without confirm, sampled power cuts, over the
// wire through `sim serve`'s server and `send`'s client) and signs one record per suite with a
// qualifier key. A good bundle's records satisfy the signing service's production check; a bad
// bundle fails with the device's reason and its fail records count for nothing; a record counts
// only signed by a listed qualifier for exactly the targets metadata being signed.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_WASM_URL } from "../host-sim/index.js";
import { QUALIFICATION_PAYLOAD_TYPE, missingQualification, parseQualificationFile, type QualificationRecord } from "../tools/signer/index.js";
import type { DsseEnvelope } from "../tools/build/index.js";
import { createBundle, createRoot, parseBundle, signBundle, signRoot, loadSigningKey } from "../tools/format/index.js";
import { SIM_SUITES, qualifyRelease, type QualifyOptions, type QualifyResult } from "../tools/release/index.js";
import { samplePoints } from "../tools/release/qualify/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { image } from "./helpers/fixtures.js";
import { makeKey, type KeyFiles } from "./helpers/key-files.js";
import { SignerWorld, policyYaml } from "./helpers/signer-world.js";

const PRODUCT = "thermostat";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const digestOf = (bundle: Uint8Array) => sha256(parseBundle(bundle).targetsSerialized);
const recordOf = (e: DsseEnvelope) => JSON.parse(Buffer.from(e.payload, "base64").toString("utf8")) as QualificationRecord;

const dirs = scratchDirs("qualify");
let dir: string;
let keys: { root: KeyFiles; targets: KeyFiles; stranger: KeyFiles; qualifier: KeyFiles; rogue: KeyFiles };
let root: Uint8Array;
const files: Record<string, string> = {};

function bundle(version: number, app: Uint8Array, options: { hardwareId?: string; key?: KeyFiles } = {}): Uint8Array {
  return signBundle(createBundle({ targetsVersion: version, payloads: [{ name: "app", data: app }], ...(options.hardwareId ? { hardwareId: options.hardwareId } : {}) }), (options.key ?? keys.targets).signing);
}

function write(name: string, data: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  files[name] = path;
  return path;
}

const qualify = (options: Partial<QualifyOptions> & { bundle: Uint8Array }) =>
  qualifyRelease({ product: PRODUCT, root, qualifierKey: keys.qualifier.signing, powerCuts: 4, qemu: "skip", ...options });

beforeAll(() => {
  dir = dirs.make();
  keys = { root: makeKey(dir, "root.pem"), targets: makeKey(dir, "targets.pem"), stranger: makeKey(dir, "stranger.pem"), qualifier: makeKey(dir, "qualifier.pem"), rogue: makeKey(dir, "rogue.pem") };
  root = signRoot(createRoot({ rootKeys: [keys.root.public], targetsKeys: [keys.targets.public], version: 1 }), keys.root.signing);
  write("root.bin", root);
  write("v1.bundle", bundle(1, image("qualify app v1", 5_001)));
  write("v2.bundle", bundle(2, image("qualify app v2", 9_003)));
  write("v2-other-hardware.bundle", bundle(2, image("qualify app v2", 9_003), { hardwareId: "other,board" }));
  write("v2-stranger.bundle", bundle(2, image("qualify app v2", 9_003), { key: keys.stranger }));
});
afterAll(() => dirs.cleanup());

describe("release qualify: the suites", () => {
  let good: QualifyResult;

  it("pass a good bundle on every sim suite and board, from the baseline release, and its records satisfy the policy's suites", async () => {
    const v2 = readFileSync(files["v2.bundle"]!);
    const events: string[] = [];
    good = await qualify({ bundle: v2, baseline: readFileSync(files["v1.bundle"]!), boards: ["nrf52840", "stm32f4"], onProgress: (e) => events.push(`${e.suite} ${e.board ?? "-"} ${e.message}`) });
    expect(good.suites.map((s) => [s.suite, s.result, s.reason])).toEqual([...SIM_SUITES.map((s) => [s, "pass", undefined]), ["qemu", "skipped", "not run (--qemu skip)"]]);
    expect(good.ok).toBe(true);
    for (const suite of good.suites.filter((s) => s.suite !== "qemu")) {
      expect(suite.runs.map((r) => [r.board, r.result])).toEqual([["nrf52840", "pass"], ["stm32f4", "pass"]]);
    }
    const cuts = good.suites.find((s) => s.suite === "sim-power-cut")!.runs[0]!.figures;
    expect(cuts.cuts).toBe(4);
    expect(cuts.cameBackOld! + cuts.cameBackNew!).toBe(4);
    expect(cuts.failed).toBe(0);
    expect(good.suites.find((s) => s.suite === "sim-revert")!.runs[0]!.checked).toContain("another power-on stays on the old images");
    expect(events.filter((e) => /^sim-update (nrf52840|stm32f4) pass \(\d+\.\d s\)$/.test(e))).toHaveLength(2);

    // One record per suite that ran, signed by the qualifier, for these exact targets metadata.
    expect(good.envelopes).toHaveLength(4);
    const records = good.envelopes.map(recordOf);
    expect(records.map((r) => [r.suite, r.result])).toEqual(SIM_SUITES.map((s) => [s, "pass"]));
    expect(records[0]).toMatchObject({ product: PRODUCT, targetsMetadataSha256: digestOf(v2), bundleSha256: sha256(v2), boards: ["nrf52840", "stm32f4"], agentSha256: sha256(readFileSync(AGENT_WASM_URL)) });
    expect(good.envelopes.every((e) => e.payloadType === QUALIFICATION_PAYLOAD_TYPE)).toBe(true);
    expect(missingQualification(good.envelopes, [keys.qualifier.public], [...SIM_SUITES], PRODUCT, digestOf(v2))).toEqual([]);
    // The skipped suite has no record: a policy listing it still refuses.
    expect(missingQualification(good.envelopes, [keys.qualifier.public], ["sim-update", "qemu"], PRODUCT, digestOf(v2))).toEqual(["qemu"]);
  });

  it("count a record only when a listed qualifier signed it, for this product and these exact bytes", () => {
    const digest = digestOf(readFileSync(files["v2.bundle"]!));
    const suites = [...SIM_SUITES];
    expect(missingQualification(good.envelopes, [keys.rogue.public], suites, PRODUCT, digest)).toEqual(suites);
    expect(missingQualification(good.envelopes, [keys.qualifier.public], suites, "doorbell", digest)).toEqual(suites);
    expect(missingQualification(good.envelopes, [keys.qualifier.public], suites, PRODUCT, digestOf(readFileSync(files["v1.bundle"]!)))).toEqual(suites);
    // A record rewritten after signing (its statement swapped, the signature kept) counts for nothing.
    const forged = good.envelopes.map((e) => ({ ...e, payload: Buffer.from(JSON.stringify({ ...recordOf(e), targetsMetadataSha256: "00".repeat(32) })).toString("base64") }));
    expect(missingQualification(forged, [keys.qualifier.public], suites, PRODUCT, "00".repeat(32))).toEqual(suites);
  });

  it("fail a bundle the device refuses (other hardware) on every sim suite with the agent's reason, in signed fail records", async () => {
    const bad = readFileSync(files["v2-other-hardware.bundle"]!);
    const result = await qualify({ bundle: bad, suites: [...SIM_SUITES] });
    expect(result.ok).toBe(false);
    for (const suite of result.suites) {
      expect(suite.result, suite.suite).toBe("fail");
      expect(suite.reason).toMatch(/ERR_WRONG_HARDWARE/);
    }
    const records = result.envelopes.map(recordOf);
    expect(records.map((r) => [r.suite, r.result])).toEqual(SIM_SUITES.map((s) => [s, "fail"]));
    expect(records[0]!.details).toMatch(/nrf52840: fail \(.*ERR_WRONG_HARDWARE/);
    expect(missingQualification(result.envelopes, [keys.qualifier.public], [...SIM_SUITES], PRODUCT, digestOf(bad))).toEqual([...SIM_SUITES]);
  });

  it("fail a bundle signed by a key the root does not list, and one not above the baseline's version", async () => {
    const stranger = await qualify({ bundle: readFileSync(files["v2-stranger.bundle"]!), suites: ["sim-update", "sim-wire"] });
    expect(stranger.suites.map((s) => s.result)).toEqual(["fail", "fail"]);
    expect(stranger.suites[0]!.reason).toMatch(/refused the bundle: ERR_/);
    expect(stranger.suites[1]!.reason).toMatch(/wire install failed \(REJECTED, ERR_/);
    const rollback = await qualify({ bundle: readFileSync(files["v1.bundle"]!), baseline: readFileSync(files["v2.bundle"]!), suites: ["sim-update", "sim-power-cut"] });
    expect(rollback.suites.map((s) => s.result)).toEqual(["fail", "fail"]);
    expect(rollback.suites[0]!.reason).toMatch(/ERR_TARGETS_ROLLBACK/);
    expect(rollback.suites[1]!.reason).toMatch(/uninterrupted install failed: .*ERR_TARGETS_ROLLBACK/);
  });

  it("sample power-cut points deterministically: distinct, the first and last operation always, every point when the count covers them", () => {
    const points = samplePoints(500, 12, "salt");
    expect(samplePoints(500, 12, "salt")).toEqual(points);
    expect(samplePoints(500, 12, "other salt")).not.toEqual(points);
    expect(points).toHaveLength(12);
    expect(new Set(points.map((p) => `${p.index}/${p.mode}`)).size).toBe(12);
    expect(points[0]!.index).toBe(1);
    expect(points.at(-1)!.index).toBe(500);
    expect(points.every((p) => p.index >= 1 && p.index <= 500)).toBe(true);
    // Spread over the install: every tenth of it holds a point.
    expect(new Set(points.map((p) => Math.floor(((p.index - 1) / 500) * 10))).size).toBeGreaterThanOrEqual(9);
    expect(samplePoints(5, 100, "salt")).toHaveLength(15);
  });
});

describe("release qualify: the signing service", () => {
  it("production-signs a build only with the passing records qualify made for it", async () => {
    const world = new SignerWorld(dirs.make());
    try {
      await world.setUp(policyYaml({ qualification: ["sim-update", "sim-revert"] }));
      await world.start();
      const build = await world.build(3);
      const other = await world.build(4);
      // Qualified as the release system does it: signed with the test key, on devices trusting its root.
      const rootKey = loadSigningKey(world.at("root-a.pem"));
      const testRoot = signRoot(createRoot({ rootKeys: [rootKey], targetsKeys: [loadSigningKey(world.at("test-targets.pem"))], version: 1 }), rootKey);
      const testSigned = (b: Uint8Array) => signBundle(b, loadSigningKey(world.at("test-targets.pem")));
      const options = { product: "thermostat", root: testRoot, qualifierKey: loadSigningKey(world.at("qualifier.pem")), qemu: "skip" as const, suites: ["sim-update" as const, "sim-revert" as const] };
      const qualified = await qualifyRelease({ ...options, bundle: testSigned(build.bundle) });
      expect(qualified.suites.map((s) => [s.suite, s.result])).toEqual([["sim-update", "pass"], ["sim-revert", "pass"]]);
      const otherRecords = (await qualifyRelease({ ...options, bundle: testSigned(other.bundle) })).envelopes;

      const ask = (qualification: unknown[]) => world.call("ci", "POST", "/v1/targets/sign", world.targetsBody(build, { qualification }));
      const refused = await ask(otherRecords);
      expect(refused.status).toBe(403);
      expect(refused.body.error?.message).toMatch(/suite\(s\) sim-update, sim-revert of this build/);
      expect((await ask(qualified.envelopes)).status).toBe(200);
    } finally {
      await world.stop();
    }
  }, 120_000);
});

describe("airlock release qualify", () => {
  it("prints its help with the suites and options", async () => {
    const run = await airlock("release", "qualify", "--help");
    expect(run.code).toBe(0);
    for (const word of ["sim-update", "sim-revert", "sim-power-cut", "sim-wire", "qemu", "--qualifier-key", "--baseline", "--power-cuts", "--board", "-o, --output"]) expect(run.stdout).toContain(word);
  });

  it("refuses wrong arguments and a corrupt bundle file, writing nothing", async () => {
    const out = join(dir, "records-bad-args.json");
    const base = ["release", "qualify", files["v2.bundle"]!, "--product", PRODUCT, "--root", files["root.bin"]!, "--qualifier-key", keys.qualifier.priv, "-o", out];
    const mode = await airlock(...base, "--qemu", "sometimes");
    expect(mode.code).toBe(2);
    expect(mode.stderr).toMatch(/--qemu.*sometimes.*auto, require, skip/);
    const cuts = await airlock(...base, "--power-cuts", "0");
    expect(cuts.code).toBe(2);
    expect(cuts.stderr).toMatch(/power-cut count must be a positive integer, got 0/);
    const suite = await airlock(...base, "--suite", "sim-everything");
    expect(suite.code).toBe(2);
    expect(suite.stderr).toMatch(/unknown suite "sim-everything"/);
    const board = await airlock(...base, "--board", "no-such-board");
    expect(board.code).toBe(2);
    expect(board.stderr).toMatch(/no-such-board/);
    const corrupt = write("corrupt.bundle", Uint8Array.from(readFileSync(files["v2.bundle"]!).subarray(0, 300)));
    const cut = await airlock("release", "qualify", corrupt, "--product", PRODUCT, "--root", files["root.bin"]!, "--qualifier-key", keys.qualifier.priv, "-o", out, "--json");
    expect(cut.code).toBe(2);
    expect(JSON.parse(cut.stdout)).toMatchObject({ error: { code: "INPUT" } });
    expect(cut.stderr).toMatch(/^airlock: .*bundle/);
    expect(existsSync(out)).toBe(false);
  });

  it("qualifies a good bundle: progress per suite, a summary, the signed records in a file `bundle sign --qualification` reads", async () => {
    const out = join(dir, "records-good.json");
    const run = await airlock("release", "qualify", files["v2.bundle"]!, "--product", PRODUCT, "--root", files["root.bin"]!, "--qualifier-key", keys.qualifier.priv, "--baseline", files["v1.bundle"]!, "--power-cuts", "3", "--qemu", "skip", "-o", out);
    expect(run.code, run.stderr).toBe(0);
    for (const suite of SIM_SUITES) {
      expect(run.stderr).toContain(`qualify: ${suite}: started`);
      expect(run.stdout).toMatch(new RegExp(`^${suite} +pass +\\d+\\.\\d s  nrf52840 pass$`, "m"));
    }
    expect(run.stdout).toMatch(/^qemu +skipped .*\n +not run \(--qemu skip\)$/m);
    expect(run.stdout).toMatch(/NOTE: skipped, no record: qemu/);
    const envelopes = parseQualificationFile(readFileSync(out, "utf8"), out);
    expect(missingQualification(envelopes, [keys.qualifier.public], [...SIM_SUITES], PRODUCT, digestOf(readFileSync(files["v2.bundle"]!)))).toEqual([]);
    // One envelope in a file is read too (the form records had before).
    expect(parseQualificationFile(JSON.stringify(envelopes[0]), "one.json")).toEqual([envelopes[0]]);
    expect(() => parseQualificationFile("[{\"payload\": 1}]", "broken.json")).toThrow(/broken.json entry 1 is not a DSSE envelope/);
  });

  it("exits 1 for a failing bundle, with the reason, and still writes its fail records", async () => {
    const out = join(dir, "records-fail.json");
    const run = await airlock("release", "qualify", files["v2-other-hardware.bundle"]!, "--product", PRODUCT, "--root", files["root.bin"]!, "--qualifier-key", keys.qualifier.priv, "--suite", "sim-update", "--qemu", "skip", "-o", out, "--json");
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; suites: Array<{ suite: string; result: string; reason: string }> };
    expect(report.ok).toBe(false);
    expect(report.suites).toEqual([expect.objectContaining({ suite: "sim-update", result: "fail", reason: expect.stringMatching(/ERR_WRONG_HARDWARE/) })]);
    expect(run.stderr).toMatch(/^airlock: qualification failed: sim-update \(.*ERR_WRONG_HARDWARE.*\); the fail records are in /);
    expect(parseQualificationFile(readFileSync(out, "utf8"), out).map(recordOf).map((r) => r.result)).toEqual(["fail"]);
  });
});
