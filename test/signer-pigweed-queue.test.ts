// The signer's directory queue for Pigweed's remote_sign.py (tools/signer/pigweed-queue.ts):
// requests uploaded exactly as RemoteSignClient.sign() uploads them are signed once, only when
// both builder signatures verify, and every refusal lands in failed/ with its reason and leaves
// no output behind. Builder keys are RSA-2048 (as Pigweed's own test) and Ed25519, the two
// remote_sign.py signs with; the targets key is ECDSA P-256, as Pigweed's keys.py makes.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import {
  createBundle,
  generateKeyPair,
  hex,
  loadSigningKey,
  parseBundle,
  RejectedError,
  signBundle,
  verifyBytes,
} from "../tools/format/index.js";
import { processQueueOnce, watchQueue, type JobResult, type PigweedSigningRequest } from "../tools/signer/index.js";
import { registerSignerWatch } from "../tools/cli/commands/signer-watch.js";
import { captureIo } from "../tools/cli/index.js";
import { builderSignature, pythonJsonDumps, uploadObject, uploadSigningRequest, type RemoteSignUpload } from "./helpers/pigweed-remote-sign.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const PIGWEED = "/work/.mirror/google+pigweed/repo";
const base = mkdtempSync(join(tmpdir(), "airlock-pigweed-queue-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function pemPair(type: "rsa" | "ed25519"): { privateKey: KeyObject; publicPem: string; privatePem: string; fingerprint: string } {
  const { privateKey, publicKey } = type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ed25519");
  return {
    privateKey,
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    fingerprint: createHash("sha256").update(publicKey.export({ format: "der", type: "spki" })).digest("hex"),
  };
}

const rsaBuilder = pemPair("rsa");
const ed25519Builder = pemPair("ed25519");
const otherBuilder = pemPair("ed25519");
const targetsKeyFile = join(base, "targets-p256.pem");
writeFileSync(targetsKeyFile, generateKeyPair("p256").privatePem, { mode: 0o600 });
const targetsKey = loadSigningKey(targetsKeyFile);
const firmware = new Uint8Array(Buffer.from("thermostat firmware 1.4.2\n".repeat(40)));
const unsignedBundle = createBundle({ targetsVersion: 7, payloads: [{ name: "app", data: firmware }] });

let queueDir: string;
let bucketRoot: string;
let seen: PigweedSigningRequest[];
let n = 0;

beforeEach(() => {
  const dir = join(base, `case-${n++}`);
  queueDir = join(dir, "queue");
  bucketRoot = join(dir, "buckets");
  mkdirSync(queueDir, { recursive: true });
  mkdirSync(join(bucketRoot, "signed-bundles"), { recursive: true });
  seen = [];
});

/** The service under test: signs with the P-256 targets key file, as `airlock bundle sign` does. */
async function fileKeySigner(request: PigweedSigningRequest): Promise<Uint8Array> {
  seen.push(request);
  return signBundle(request.bundle, loadSigningKey(targetsKeyFile), request.bundlePath);
}

function upload(overrides: Partial<RemoteSignUpload> = {}) {
  return uploadSigningRequest({
    queueDir,
    outputBucket: "signed-bundles",
    bundle: unsignedBundle,
    bundleFileName: "thermostat.bundle",
    signingKeyName: "targets-test",
    builderKey: rsaBuilder.privateKey,
    builderPublicPem: rsaBuilder.publicPem,
    ...overrides,
  });
}

const run = (signBundleFn = fileKeySigner) => processQueueOnce({ queueDir, bucketRoot, signBundle: signBundleFn });

function jobDir(result: JobResult): string {
  return join(queueDir, result.outcome === "signed" ? "processed" : "failed", result.job);
}

function resultFile(result: JobResult): Record<string, unknown> {
  return JSON.parse(readFileSync(join(jobDir(result), "result.json"), "utf8")) as Record<string, unknown>;
}

/** The queue as the build sees it: only what it uploaded and the signer has not taken. */
function queueObjects(): string[] {
  return readdirSync(queueDir).filter((name) => !["processing", "processed", "failed"].includes(name)).sort();
}

function expectTargetsSignature(bundle: Uint8Array): void {
  const parsed = parseBundle(bundle);
  const signatures = parsed.targetsSigned.signatures ?? [];
  expect(signatures).toHaveLength(1);
  expect(hex(signatures[0]!.keyId!)).toBe(hex(targetsKey.keyId));
  expect(verifyBytes(targetsKey.raw, parsed.targetsSerialized, signatures[0]!.sig!)).toBe(true);
}

/** Refused before the service was asked: no output, the job in failed/ with the reason. */
function expectRefusedUnsigned(results: JobResult[], outcome: JobResult["outcome"], reason: RegExp): JobResult {
  expect(results).toHaveLength(1);
  const result = results[0]!;
  expect(result).toMatchObject({ outcome, reason: expect.stringMatching(reason) });
  expect(seen).toEqual([]);
  expect(readdirSync(join(bucketRoot, "signed-bundles"))).toEqual([]);
  expect(resultFile(result)).toMatchObject({ outcome, reason: result.reason });
  expect(existsSync(join(queueDir, "processed"))).toBe(false);
  return result;
}

describe("pigweed remote_sign queue: signing", () => {
  it("signs a request from an RSA builder key: the output verifies with the targets key and the queue is emptied", async () => {
    const uploaded = upload();
    const results = await run();
    expect(results).toEqual([
      { request: uploaded.requestName, job: expect.any(String), outcome: "signed", output: { bucket: "signed-bundles", path: "thermostat.bundle.signed" } },
    ]);
    const output = new Uint8Array(readFileSync(join(bucketRoot, "signed-bundles", "thermostat.bundle.signed")));
    expectTargetsSignature(output);
    expect(parseBundle(output).payloads.app).toEqual(firmware);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      requestPath: uploaded.requestName,
      keyNames: ["targets-test"],
      bundlePath: "thermostat.bundle",
      builderPublicKeyPath: uploaded.publicKeyBlobName,
      output: { bucket: "signed-bundles", path: "thermostat.bundle.signed" },
      builderPublicKey: { type: "rsa", rsaBits: 2048, fingerprint: rsaBuilder.fingerprint },
    });
    expect(seen[0]!.bundle).toEqual(unsignedBundle);
    expect(seen[0]!.requestBytes).toEqual(uploaded.requestBytes);

    // Everything the build uploaded moved into the job, so its next build may reuse the names
    // (remote_sign.py refuses to upload over an existing object).
    expect(queueObjects()).toEqual([]);
    expect(readdirSync(jobDir(results[0]!)).sort()).toEqual([
      "builder.publickey.pem", "bundle", "bundle.metadata.json", "job.json", "result.json", "signing_request.json", "signing_request.json.metadata.json",
    ]);
    expect(resultFile(results[0]!)).toMatchObject({ outcome: "signed", request: uploaded.requestName });
    expect(readdirSync(join(queueDir, "processing"))).toEqual([]);
    expect(() => upload()).not.toThrow();
  });

  it("signs a request from an Ed25519 builder key, with the request and bundle in bucket subfolders", async () => {
    upload({
      builderKey: ed25519Builder.privateKey,
      builderPublicPem: ed25519Builder.publicPem,
      requestBlobName: "builds/1234/thermostat_signing_request.json",
      bundleBlobName: "builds/1234/thermostat.bundle",
      signedBundleBlobName: "builds/1234/thermostat.bundle.signed",
    });
    const results = await run();
    expect(results.map((r) => r.outcome)).toEqual(["signed"]);
    expect(seen[0]!.builderPublicKey).toMatchObject({ type: "ed25519", fingerprint: ed25519Builder.fingerprint });
    expectTargetsSignature(new Uint8Array(readFileSync(join(bucketRoot, "signed-bundles", "builds/1234/thermostat.bundle.signed"))));
    expect(readdirSync(join(queueDir, "builds", "1234"))).toEqual([]);
  });

  it("writes the output whole: no temporary file is left beside it", async () => {
    upload({ signedBundleBlobName: "nested/dir/out.signed" });
    expect((await run()).map((r) => r.outcome)).toEqual(["signed"]);
    expect(readdirSync(join(bucketRoot, "signed-bundles", "nested", "dir"))).toEqual(["out.signed"]);
  });
});

describe("pigweed remote_sign queue: builder signatures", () => {
  it("refuses a bundle changed after the builder signed it", async () => {
    const uploaded = upload();
    const tampered = Buffer.from(unsignedBundle);
    tampered[tampered.length - 1] ^= 1;
    writeFileSync(join(queueDir, uploaded.bundleBlobName), tampered);
    expectRefusedUnsigned(await run(), "refused", /builder signature over bundle thermostat\.bundle does not verify/);
    expect(queueObjects()).toEqual([]); // the build may upload under the same names again
  });

  it("refuses a request JSON changed after the builder signed it (output redirected)", async () => {
    const uploaded = upload();
    const path = join(queueDir, uploaded.requestName);
    writeFileSync(path, readFileSync(path, "utf8").replace("thermostat.bundle.signed", "other.signed"));
    expectRefusedUnsigned(await run(), "refused", /builder signature over request .* does not verify/);
  });

  it("refuses a request without its builder signature", async () => {
    const uploaded = upload();
    unlinkSync(join(queueDir, `${uploaded.requestName}.metadata.json`));
    expectRefusedUnsigned(await run(), "refused", /builder signature over request .* is missing/);
  });

  it("refuses a bundle without its builder signature", async () => {
    const uploaded = upload();
    unlinkSync(join(queueDir, `${uploaded.bundleBlobName}.metadata.json`));
    expectRefusedUnsigned(await run(), "refused", /builder signature over bundle thermostat\.bundle .* is missing/);
  });

  it("refuses signatures made by another key than the one beside the request", async () => {
    upload({ builderKey: otherBuilder.privateKey, builderPublicPem: ed25519Builder.publicPem });
    expectRefusedUnsigned(await run(), "refused", /builder signature over request .* does not verify/);
  });

  it("refuses a request whose builder public key is missing or not an SPKI key", async () => {
    const first = upload();
    unlinkSync(join(queueDir, first.publicKeyBlobName));
    expectRefusedUnsigned(await run(), "refused", /bundle_public_key_path ".*\.publickey\.pem" is not in the queue/);
    expect(queueObjects()).toEqual([]);

    const second = upload({ builderPublicPem: ed25519Builder.privatePem });
    void second;
    const results = await run();
    expect(results).toMatchObject([{ outcome: "refused", reason: expect.stringMatching(/not one SPKI PEM public key/) }]);
    expect(seen).toEqual([]);
  });

  it("refuses RSA-PSS signatures with another salt length than remote_sign.py's largest one", async () => {
    const uploaded = upload();
    const shortSalt = sign("sha256", uploaded.requestBytes, { key: rsaBuilder.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    writeFileSync(join(queueDir, `${uploaded.requestName}.metadata.json`), JSON.stringify({ signature: shortSalt.toString("base64") }));
    expectRefusedUnsigned(await run(), "refused", /builder signature over request .* does not verify/);
  });

  it("refuses a signature that is not canonical base64", async () => {
    const uploaded = upload();
    const sig = builderSignature(rsaBuilder.privateKey, uploaded.requestBytes);
    writeFileSync(join(queueDir, `${uploaded.requestName}.metadata.json`), JSON.stringify({ signature: `${sig.slice(0, 10)}!${sig.slice(10)}` }));
    expectRefusedUnsigned(await run(), "refused", /not canonical base64/);
  });
});

describe("pigweed remote_sign queue: request paths and fields", () => {
  // Overrides go through remote_sign.py's own request_overrides, so the builder signed them:
  // the refusal is the signer's reading of the paths, not a signature check.
  for (const [field, value, reason] of [
    ["output_path", "../../outside.signed", /output_path .* climbs out of its bucket/],
    ["output_path", "/tmp/outside.signed", /output_path .* is an absolute path/],
    ["output_path", "a//b", /empty or "\." path segment/],
    ["bundle_path", "../outside.bundle", /bundle_path .* climbs out of its bucket/],
    ["bundle_path", "/etc/passwd", /bundle_path .* is an absolute path/],
    ["bundle_public_key_path", "../builder.pem", /bundle_public_key_path .* climbs out/],
    ["output_bucket", "..", /output_bucket "\.\." is not a bucket name/],
    ["output_bucket", "signed-bundles/../x", /is not a bucket name/],
    ["bundle_path", "processed/x", /names the signer's own files/],
  ] as const) {
    it(`refuses ${field} ${JSON.stringify(value)}`, async () => {
      writeFileSync(join(dirname(queueDir), "outside.bundle"), unsignedBundle);
      upload({ requestOverrides: { [field]: value } });
      expectRefusedUnsigned(await run(), "refused", reason);
      expect(existsSync(join(dirname(queueDir), "outside.signed"))).toBe(false);
      expect(existsSync("/tmp/outside.signed")).toBe(false);
      expect(existsSync(join(dirname(queueDir), "outside.bundle"))).toBe(true);
    });
  }

  it("refuses a bundle_path that is a symbolic link out of the queue, and a directory symlink on the way", async () => {
    const outside = join(dirname(queueDir), "secret.bundle");
    writeFileSync(outside, unsignedBundle);
    // The bundle's bytes and builder signature are right; only its being a link is wrong.
    upload({ bundleBlobName: "linked.bundle" });
    unlinkSync(join(queueDir, "linked.bundle"));
    symlinkSync(outside, join(queueDir, "linked.bundle"));
    expectRefusedUnsigned(await run(), "refused", /bundle linked\.bundle is not a regular file/);

    seen = [];
    symlinkSync(dirname(queueDir), join(queueDir, "up"));
    upload({ requestOverrides: { bundle_path: "up/secret.bundle" } });
    const results = await run();
    expect(results).toMatchObject([{ outcome: "refused", reason: expect.stringMatching(/leads out of the bucket through a symbolic link/) }]);
    expect(existsSync(outside)).toBe(true);
  });

  it("refuses an output bucket that does not exist, and an output that would land in the queue", async () => {
    upload({ outputBucket: "no-such-bucket" });
    expectRefusedUnsigned(await run(), "refused", /output_bucket "no-such-bucket" does not exist/);

    symlinkSync(queueDir, join(bucketRoot, "queue-bucket"));
    upload({ outputBucket: "queue-bucket", signedBundleBlobName: "x_signing_request.json" });
    const results = await run();
    expect(results).toMatchObject([{ outcome: "refused", reason: expect.stringMatching(/written into the signing queue itself/) }]);
    expect(existsSync(join(queueDir, "x_signing_request.json"))).toBe(false);
  });

  it("sets aside malformed JSON as malformed, and clears its builder key from the queue", async () => {
    const name = "t1_signing_request.json";
    const bytes = Buffer.from('{"remote_signing_key_names": ["targets-test"], "bundle_path": ');
    uploadObject(queueDir, "t1_signing_request.publickey.pem", rsaBuilder.publicPem);
    uploadObject(queueDir, name, bytes, { signature: builderSignature(rsaBuilder.privateKey, bytes) });
    const result = expectRefusedUnsigned(await run(), "malformed", /is not UTF-8 JSON/);
    expect(result.request).toBe(name);
    expect(queueObjects()).toEqual([]);
  });

  for (const [what, overrides, reason] of [
    ["an unknown field (a request_overrides addition)", { priority: "high" }, /fields the signer does not know: priority/],
    ["a key name list that is a string", { remote_signing_key_names: "targets-test" }, /remote_signing_key_names must be a list/],
    ["an empty key name list", { remote_signing_key_names: [] }, /remote_signing_key_names must be a list of 1 to/],
  ] as Array<[string, Record<string, string | string[]>, RegExp]>) {
    it(`sets aside a request with ${what} as malformed`, async () => {
      upload({ requestOverrides: overrides });
      expectRefusedUnsigned(await run(), "malformed", reason);
    });
  }

  it("sets aside a request with a missing field or a field of the wrong type as malformed", async () => {
    for (const [request, reason] of [
      [{ remote_signing_key_names: ["k"], bundle_path: "b", bundle_public_key_path: "k.pem", output_bucket: "signed-bundles" }, /lacks output_path/],
      [{ remote_signing_key_names: ["k"], bundle_path: 3, bundle_public_key_path: "k.pem", output_bucket: "signed-bundles", output_path: "o" }, /bundle_path must be a string/],
      [["not", "an", "object"], /is not a JSON object/],
    ] as const) {
      const bytes = Buffer.from(JSON.stringify(request));
      uploadObject(queueDir, `case_signing_request.json`, bytes, { signature: builderSignature(rsaBuilder.privateKey, bytes) });
      const results = await run();
      expect(results).toMatchObject([{ outcome: "malformed", reason: expect.stringMatching(reason) }]);
    }
    expect(seen).toEqual([]);
  });

  it("writes what a remote_sign.py request looks like: json.dumps's spacing, the five fields in order", () => {
    const uploaded = upload();
    expect(Buffer.from(uploaded.requestBytes).toString()).toBe(
      `{"remote_signing_key_names": ["targets-test"], "bundle_path": "thermostat.bundle", "bundle_public_key_path": "${uploaded.publicKeyBlobName}", "output_bucket": "signed-bundles", "output_path": "thermostat.bundle.signed"}`,
    );
    expect(pythonJsonDumps({ a: "é" })).toBe('{"a": "\\u00e9"}');
  });
});

describe("pigweed remote_sign queue: exactly once", () => {
  it("does nothing for a request already processed: the second pass finds an empty queue", async () => {
    upload();
    expect((await run()).map((r) => r.outcome)).toEqual(["signed"]);
    const output = readFileSync(join(bucketRoot, "signed-bundles", "thermostat.bundle.signed"));
    expect(await run()).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(readFileSync(join(bucketRoot, "signed-bundles", "thermostat.bundle.signed"))).toEqual(output);
    expect(readdirSync(join(queueDir, "processed"))).toHaveLength(1);
  });

  it("signs once when two passes race for the same request", async () => {
    upload();
    const [a, b] = await Promise.all([run(), run()]);
    expect([...a, ...b].map((r) => r.outcome)).toEqual(["signed"]);
    expect(seen).toHaveLength(1);
  });

  it("never replaces an existing output: the same output path asked again is refused before signing", async () => {
    upload();
    expect((await run()).map((r) => r.outcome)).toEqual(["signed"]);
    const first = readFileSync(join(bucketRoot, "signed-bundles", "thermostat.bundle.signed"));
    upload();
    const results = await run();
    expect(results).toMatchObject([{ outcome: "refused", reason: expect.stringMatching(/already exists; the signer never replaces an output/) }]);
    expect(seen).toHaveLength(1);
    expect(readFileSync(join(bucketRoot, "signed-bundles", "thermostat.bundle.signed"))).toEqual(first);
  });

  it("refuses an output that appears while the service signs, keeping the one that appeared", async () => {
    upload();
    const intruder = Buffer.from("someone else's bundle");
    const results = await run(async (request) => {
      writeFileSync(join(bucketRoot, "signed-bundles", "thermostat.bundle.signed"), intruder);
      return fileKeySigner(request);
    });
    expect(results).toMatchObject([{ outcome: "refused", reason: expect.stringMatching(/appeared while the bundle was being signed/) }]);
    expect(readFileSync(join(bucketRoot, "signed-bundles", "thermostat.bundle.signed"))).toEqual(intruder);
  });

  it("does not sign again a request a stopped signer had claimed: it goes to failed/ as interrupted", async () => {
    const uploaded = upload();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const job = join(queueDir, "processing", "20260101T000000Z-deadbeef");
    mkdirSync(job, { recursive: true });
    writeFileSync(join(job, "job.json"), JSON.stringify({ request: uploaded.requestName, claimedAt: "2026-01-01T00:00:00.000Z", pid: dead, host: hostname() }));
    writeFileSync(join(job, "signing_request.json"), readFileSync(join(queueDir, uploaded.requestName)));
    unlinkSync(join(queueDir, uploaded.requestName));
    const results = await run();
    expect(results).toMatchObject([{ job: "20260101T000000Z-deadbeef", outcome: "interrupted", request: uploaded.requestName }]);
    expect(seen).toEqual([]);
    expect(existsSync(join(queueDir, "failed", "20260101T000000Z-deadbeef", "result.json"))).toBe(true);
    expect(readdirSync(join(queueDir, "processing"))).toEqual([]);
  });

  it("leaves alone a job claimed by a signer that still runs", async () => {
    const job = join(queueDir, "processing", "20260101T000000Z-0000aaaa");
    mkdirSync(job, { recursive: true });
    writeFileSync(join(job, "job.json"), JSON.stringify({ request: "x_signing_request.json", claimedAt: "2026-01-01T00:00:00.000Z", pid: process.ppid, host: hostname() }));
    writeFileSync(join(job, "signing_request.json"), "{}");
    expect(await run()).toEqual([]);
    expect(existsSync(join(job, "signing_request.json"))).toBe(true);
  });
});

describe("pigweed remote_sign queue: the service's decision", () => {
  it("puts a request the service refuses in failed/ with the service's reason", async () => {
    upload();
    const results = await run(async (request) => {
      seen.push(request);
      throw new RejectedError(`builder key sha256:${request.builderPublicKey.fingerprint} is not on the allow-list`);
    });
    expect(results).toMatchObject([{ outcome: "refused", reason: `builder key sha256:${rsaBuilder.fingerprint} is not on the allow-list` }]);
    expect(resultFile(results[0]!)).toMatchObject({ outcome: "refused", reason: results[0]!.reason });
    expect(readdirSync(join(bucketRoot, "signed-bundles"))).toEqual([]);
    expect(seen).toHaveLength(1);
  });

  it("reports a service that breaks as failed, and does not retry it", async () => {
    upload();
    const results = await run(async () => {
      throw new Error("HSM session closed");
    });
    expect(results).toMatchObject([{ outcome: "failed", reason: "HSM session closed" }]);
    expect(await run()).toEqual([]);
  });
});

describe("pigweed remote_sign queue: watching", () => {
  it("signs requests as they arrive and stops cleanly", async () => {
    const events: JobResult[] = [];
    const watcher = watchQueue({ queueDir, bucketRoot, signBundle: fileKeySigner, intervalMs: 20, log: (e) => events.push(e) });
    upload();
    const deadline = Date.now() + 10_000;
    while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await watcher.stop();
    expect(events.map((e) => e.outcome)).toEqual(["signed"]);
  });

  it("ends the watch with the error when the queue cannot be read", async () => {
    const watcher = watchQueue({ queueDir: join(queueDir, "missing"), bucketRoot, signBundle: fileKeySigner, intervalMs: 20 });
    await expect(watcher.done).rejects.toThrow(/queue directory .* is not a directory/);
    await expect(watcher.stop()).rejects.toThrow(/is not a directory/);
  });

  it("runs as `signer watch --once` with the callback the service provides", async () => {
    upload();
    const io = captureIo();
    const program = new Command("airlock").exitOverride();
    const signer = program.command("signer");
    let asked: unknown;
    registerSignerWatch(signer, io, (options) => ((asked = options), fileKeySigner));
    await program.parseAsync(["signer", "watch", "--queue", queueDir, "--buckets", bucketRoot, "--once", "--json"], { from: "user" });
    expect(asked).toMatchObject({ queue: queueDir, buckets: bucketRoot });
    const lines = io.stdout().trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toMatchObject([{ event: "signed", outcome: "signed", output: { bucket: "signed-bundles", path: "thermostat.bundle.signed" } }]);
  });
});

// Pigweed's own client, unchanged, with only its GCS bucket swapped for directories.
const remoteSignPy = spawnSync("git", ["-C", PIGWEED, "show", "HEAD:pw_software_update/py/pw_software_update/remote_sign.py"], { encoding: "utf8" });
const python = spawnSync("python3", ["-c", "import cryptography"], { encoding: "utf8" });
const havePigweed = remoteSignPy.status === 0 && python.status === 0;

describe.skipIf(!havePigweed)("pigweed remote_sign queue: Pigweed's remote_sign.py itself", () => {
  it("gets its bundle signed through the queue and downloads it", async () => {
    const work = join(dirname(queueDir), "pigweed");
    mkdirSync(work);
    writeFileSync(join(work, "remote_sign.py"), remoteSignPy.stdout);
    writeFileSync(join(work, "builder.pem"), rsaBuilder.privatePem);
    writeFileSync(join(work, "builder.pub.pem"), rsaBuilder.publicPem);
    writeFileSync(join(work, "thermostat.bundle"), unsignedBundle);
    const client = spawn("python3", [
      resolve(HERE, "helpers", "pigweed-remote-sign-local.py"),
      join(work, "remote_sign.py"), queueDir, join(bucketRoot, "signed-bundles"), join(work, "thermostat.bundle"),
      join(work, "downloaded.bundle"), "targets-test", join(work, "builder.pem"), join(work, "builder.pub.pem"), "30",
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    client.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => client.on("exit", resolveExit));
    const watcher = watchQueue({ queueDir, bucketRoot, signBundle: fileKeySigner, intervalMs: 50 });
    const code = await exited;
    await watcher.stop();
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ keyNames: ["targets-test"], bundlePath: "thermostat.bundle", builderPublicKey: { type: "rsa" } });
    expectTargetsSignature(new Uint8Array(readFileSync(join(work, "downloaded.bundle"))));
  });
});
