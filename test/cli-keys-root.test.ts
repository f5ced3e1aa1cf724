// `airlock keygen` and `airlock root create|sign|inspect` through the CLI's main function.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RootReport } from "../tools/format/index.js";
import { airlock, scratchDirs, type CliRun } from "./helpers/cli-run.js";

const dirs = scratchDirs("cli-root");
afterAll(() => dirs.cleanup());
let dir = "";
const at = (name: string) => join(dir, name);

/** A failed run: the exit code, and exactly one line on stderr matching `reason`. */
function expectFailure(run: CliRun, code: number, reason: RegExp) {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe("");
  expect(run.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  expect(run.stderr).toMatch(reason);
}

async function inspectJson(path: string): Promise<RootReport> {
  const run = await airlock("root", "inspect", path, "--json");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as RootReport;
}

beforeAll(async () => {
  dir = dirs.make();
  for (const name of ["dev", "prod", "targets"]) expect((await airlock("keygen", at(name))).code).toBe(0);
  writeFileSync(at("rsa.pem"), generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }));
  writeFileSync(at("rsa.pub"), generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "pem", type: "spki" }));
});

describe("airlock keygen", () => {
  it("writes a PKCS#8 private key (owner-only) and an SPKI public key that openssl reads", async () => {
    const run = await airlock("keygen", at("fresh"));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/key ID [0-9a-f]{64}/);
    expect(readFileSync(at("fresh"), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(at("fresh.pub"), "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(statSync(at("fresh")).mode & 0o777).toBe(0o600);
    expect(execFileSync("openssl", ["pkey", "-in", at("fresh"), "-noout", "-text"]).toString()).toMatch(/ED25519 Private-Key/);
    const pubFromOpenssl = execFileSync("openssl", ["pkey", "-in", at("fresh"), "-pubout"]).toString();
    expect(pubFromOpenssl).toBe(readFileSync(at("fresh.pub"), "utf8"));
  });

  it("refuses to overwrite an existing key unless --force", async () => {
    const before = readFileSync(at("dev"), "utf8");
    expectFailure(await airlock("keygen", at("dev")), 2, /already exists; refusing to overwrite a key/);
    expect(readFileSync(at("dev"), "utf8")).toBe(before);
    const forced = dirs.make();
    writeFileSync(join(forced, "k"), "old");
    expect((await airlock("keygen", join(forced, "k"), "--force")).code).toBe(0);
    expect(readFileSync(join(forced, "k"), "utf8")).toMatch(/BEGIN PRIVATE KEY/);
  });

  it("prints the key ID as JSON with --json, matching root inspect's", async () => {
    const run = await airlock("keygen", at("json-key"), "--json");
    const { keyId } = JSON.parse(run.stdout) as { keyId: string };
    await airlock("root", "create", "--root-key", at("json-key.pub"), "--targets-key", at("json-key.pub"), "--version", "1", "-o", at("json-root.bin"));
    expect((await inspectJson(at("json-root.bin"))).keys.map((k) => k.keyId)).toEqual([keyId]);
  });
});

describe("airlock root create", () => {
  it("writes a root whose inspection shows version, roles, thresholds and no signature", async () => {
    const run = await airlock("root", "create", "--root-key", at("dev.pub"), at("prod.pub"), "--targets-key", at("targets.pub"), "--root-threshold", "2", "--version", "4", "-o", at("r.bin"));
    expect(run.code).toBe(0);
    const report = await inspectJson(at("r.bin"));
    expect(report).toMatchObject({ role: "root", specVersion: "0.0.1", version: 4, signatures: [], rootThresholdMet: false });
    expect(report.root.threshold).toBe(2);
    expect(report.root.keyIds).toHaveLength(2);
    expect(report.targets.threshold).toBe(1);
    expect(report.keys.map((k) => k.roles)).toEqual([["root"], ["root"], ["targets"]]);
  });

  it("accepts keys made by openssl genpkey", async () => {
    execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", at("ossl.pem")]);
    execFileSync("openssl", ["pkey", "-in", at("ossl.pem"), "-pubout", "-out", at("ossl.pub")]);
    expect((await airlock("root", "create", "--root-key", at("ossl.pub"), "--targets-key", at("ossl.pub"), "--version", "1", "-o", at("ossl-root.bin"))).code).toBe(0);
    expect((await airlock("root", "sign", "--key", at("ossl.pem"), at("ossl-root.bin"))).code).toBe(0);
    expect((await inspectJson(at("ossl-root.bin"))).rootThresholdMet).toBe(true);
  });

  const base = () => ["root", "create", "--root-key", at("dev.pub"), "--targets-key", at("targets.pub")];
  const cases: Array<[string, () => string[], RegExp]> = [
    ["version 0", () => [...base(), "--version", "0"], /versions start at 1/],
    ["a version that is not a number", () => [...base(), "--version", "two"], /expected a whole number/],
    ["no version", () => base(), /required option '--version <n>' not specified/],
    ["a root threshold of 0", () => [...base(), "--version", "1", "--root-threshold", "0"], /root threshold must be at least 1/],
    ["a threshold above the key count", () => [...base(), "--version", "1", "--targets-threshold", "3"], /exceeds the 1 targets key/],
    ["the same key twice in a role", () => ["root", "create", "--root-key", at("dev.pub"), at("dev.pub"), "--targets-key", at("targets.pub"), "--version", "1"], /given twice/],
    ["a missing key file", () => ["root", "create", "--root-key", at("nope.pub"), "--targets-key", at("targets.pub"), "--version", "1"], /cannot read public key file .*nope\.pub: no such file/],
    ["an RSA key", () => ["root", "create", "--root-key", at("rsa.pub"), "--targets-key", at("targets.pub"), "--version", "1"], /rsa\.pub holds a key of type rsa, but airlock keys are Ed25519/],
    ["an unknown option", () => [...base(), "--version", "1", "--frobnicate"], /unknown option '--frobnicate'/],
  ];
  for (const [what, args, reason] of cases) {
    it(`refuses ${what} with exit 2, one line, and no output file`, async () => {
      const out = at(`never-${what.replace(/\W+/g, "-")}.bin`);
      expectFailure(await airlock(...args(), "-o", out), 2, reason);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("leaves an existing output file untouched when it refuses", async () => {
    writeFileSync(at("keep.bin"), "previous content");
    expectFailure(await airlock(...base(), "--version", "0", "-o", at("keep.bin")), 2, /versions start at 1/);
    expect(readFileSync(at("keep.bin"), "utf8")).toBe("previous content");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("airlock root sign", () => {
  beforeAll(async () => {
    await airlock("root", "create", "--root-key", at("dev.pub"), at("prod.pub"), "--targets-key", at("targets.pub"), "--root-threshold", "2", "--version", "2", "-o", at("s.bin"));
  });

  it("appends signatures in place, or to -o OUT leaving the input as it was", async () => {
    const unsigned = readFileSync(at("s.bin"));
    expect((await airlock("root", "sign", "--key", at("dev"), at("s.bin"), "-o", at("s1.bin"))).code).toBe(0);
    expect(readFileSync(at("s.bin")).equals(unsigned)).toBe(true);
    expect((await airlock("root", "sign", "--key", at("prod"), at("s1.bin"))).code).toBe(0);
    const report = await inspectJson(at("s1.bin"));
    expect(report.signatures.map((s) => s.status)).toEqual(["valid", "valid"]);
    expect(report.validRootSignatures).toBe(2);
    expect(report.rootThresholdMet).toBe(true);
  });

  it("inspect --trusted-root exits 1 with the reasons when a device would refuse the rotation, 0 when it would rotate", async () => {
    const create = (version: string, key: string, out: string) =>
      airlock("root", "create", "--root-key", at(`${key}.pub`), "--targets-key", at("targets.pub"), "--version", version, "-o", at(out));
    expect((await create("1", "dev", "r1.bin")).code).toBe(0);
    expect((await airlock("root", "sign", "--key", at("dev"), at("r1.bin"))).code).toBe(0);
    expect((await create("2", "prod", "r2.bin")).code).toBe(0);
    expect((await airlock("root", "sign", "--key", at("prod"), at("r2.bin"))).code).toBe(0);
    const refused = await airlock("root", "inspect", at("r2.bin"), "--trusted-root", at("r1.bin"));
    expect(refused.code).toBe(1);
    expect(refused.stdout).not.toBe("");
    expect(refused.stderr).toMatch(/r2\.bin is not a rotation a device trusting .*r1\.bin accepts: 0 of the 1 signature\(s\) the trusted root's keys must make\n$/);
    const stale = await airlock("root", "inspect", at("r1.bin"), "--trusted-root", at("r2.bin"));
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/version 1 is neither newer than the trusted root's 2 nor the same bytes/);
    expect((await airlock("root", "sign", "--key", at("dev"), at("r2.bin"))).code).toBe(0);
    const rotates = await airlock("root", "inspect", at("r2.bin"), "--trusted-root", at("r1.bin"));
    expect(rotates.stderr).toBe("");
    expect(rotates.code).toBe(0);
  });

  it("refuses a second signature by the same key and leaves the file unchanged", async () => {
    await airlock("root", "sign", "--key", at("dev"), at("s.bin"), "-o", at("twice.bin"));
    const once = readFileSync(at("twice.bin"));
    expectFailure(await airlock("root", "sign", "--key", at("dev"), at("twice.bin")), 2, /already signed by key [0-9a-f]{64}; a key counts once/);
    expect(readFileSync(at("twice.bin")).equals(once)).toBe(true);
  });

  it("refuses a non-Ed25519 key, a public key, a missing root and a file that is not root metadata", async () => {
    expectFailure(await airlock("root", "sign", "--key", at("rsa.pem"), at("s.bin"), "-o", at("x.bin")), 2, /key of type rsa/);
    expectFailure(await airlock("root", "sign", "--key", at("dev.pub"), at("s.bin"), "-o", at("x.bin")), 2, /is not a PEM private key/);
    expectFailure(await airlock("root", "sign", "--key", at("dev"), at("missing.bin"), "-o", at("x.bin")), 2, /cannot read root metadata file/);
    expectFailure(await airlock("root", "sign", "--key", at("dev"), at("dev.pub"), "-o", at("x.bin")), 2, /not a valid SignedRootMetadata|holds no serialized root metadata/);
    expect(existsSync(at("x.bin"))).toBe(false);
  });
});

describe("airlock root inspect", () => {
  it("prints a readable summary naming each key's roles and each signature's status", async () => {
    await airlock("root", "create", "--root-key", at("dev.pub"), "--targets-key", at("targets.pub"), "--version", "6", "-o", at("i.bin"));
    await airlock("root", "sign", "--key", at("dev"), at("i.bin"));
    await airlock("root", "sign", "--key", at("prod"), at("i.bin"));
    const run = await airlock("root", "inspect", at("i.bin"));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/role root, version 6, spec 0\.0\.1/);
    expect(run.stdout).toMatch(/[0-9a-f]{64} {2}ed25519 {2}root\n/);
    expect(run.stdout).toMatch(/[0-9a-f]{64} {2}ed25519 {2}targets\n/);
    expect(run.stdout).toMatch(/[0-9a-f]{64} {2}valid\n/);
    expect(run.stdout).toMatch(/not checked \(key not listed in the root used\)/);
    expect(run.stdout).toMatch(/root threshold: met \(1 valid of 1 needed\)/);
  });

  it("refuses a truncated file and a non-protobuf file with exit 2", async () => {
    const whole = readFileSync(at("i.bin"));
    writeFileSync(at("cut.bin"), whole.subarray(0, whole.length - 20));
    expectFailure(await airlock("root", "inspect", at("cut.bin")), 2, /not a valid SignedRootMetadata protobuf .*complete\?/);
    writeFileSync(at("text.bin"), "this is a text file\n");
    expectFailure(await airlock("root", "inspect", at("text.bin")), 2, /text\.bin/);
  });
});

describe("--help", () => {
  for (const verb of [[], ["keygen"], ["root"], ["root", "create"], ["root", "sign"], ["root", "inspect"], ["bundle"], ["bundle", "create"], ["bundle", "sign"], ["bundle", "inspect"], ["bundle", "personalize"], ["manifest", "create"], ["manifest", "inspect"]]) {
    it(`airlock ${verb.join(" ")} --help prints usage and exits 0`, async () => {
      const run = await airlock(...verb, "--help");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: airlock ${verb.join(" ")}`));
    });
  }
});
