// `airlock signer watch` under the signing service's policy: requests that Pigweed's
// remote_sign.py puts in a directory queue (a Pigweed-made bundle: no hardware ID, P-256 targets
// key) are signed by the policy's test key when their builder key is a listed builder's and that
// builder's grant allows it; an unlisted builder and a key the service does not have are refused
// into failed/ with the reason, the output bucket left empty; every decision is in the service's
// audit log (the grant and production checks themselves: signer-service.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createBundle, loadPublicKey, parseBundle, verifyBytes } from "../tools/format/index.js";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { uploadSigningRequest } from "./helpers/pigweed-remote-sign.js";
import { policyYaml, SignerWorld } from "./helpers/signer-world.js";

const dirs = scratchDirs("signer-watch");
afterAll(() => dirs.cleanup());
let world: SignerWorld;
let builder: { privateKey: KeyObject; publicPem: string };

beforeAll(async () => {
  world = new SignerWorld(dirs.make());
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  builder = { privateKey: rsa.privateKey, publicPem: rsa.publicKey.export({ format: "pem", type: "spki" }).toString() };
  // The Pigweed project's builder, listed by its key, and its grant: the test key for "pwdemo"
  // (no hardware ID).
  const policy = policyYaml({ fileKeysOnly: true })
    .replace("builders:\n", `builders:\n  pigweed-ci:\n    id: https://ci.example.com/builders/pigweed\n    publicKey: pigweed-builder.pub\n`)
    .replace("identities:\n", "identities:\n  pigweed-ci: { roles: [requester] }\n")
    .replace("products:\n", "products:\n  pwdemo: {}\n")
    .replace("grants:\n", "grants:\n  - identities: [pigweed-ci]\n    keys: [test-targets]\n    products: [pwdemo]\n    buildTypes: [eng]\n");
  await world.setUp(policy, "p256");
  writeFileSync(world.at("pigweed-builder.pub"), builder.publicPem);
  for (const dir of ["queue", "buckets/signed"]) mkdirSync(world.at(dir), { recursive: true });
});

const pigweedBundle = (label: string) => createBundle({ targetsVersion: 2, payloads: [{ name: "file1", data: Buffer.from(`${label} `.repeat(300)) }] });

function upload(name: string, key: string, builderKey = builder) {
  return uploadSigningRequest({
    queueDir: world.at("queue"), outputBucket: "signed", bundle: pigweedBundle(name), bundleFileName: `${name}.bundle`,
    signingKeyName: key, builderKey: builderKey.privateKey, builderPublicPem: builderKey.publicPem,
  });
}

const watchOnce = () => airlock("signer", "watch", "--config", world.at("policy.yaml"), "--product", "pwdemo", "--queue", world.at("queue"), "--buckets", world.at("buckets"), "--once", "--json");

describe("airlock signer watch", () => {
  it("signs a Pigweed project's request with the granted test key and refuses the rest into failed/", async () => {
    const good = upload("good", "test-targets");
    upload("prod", "prod-targets");
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
    upload("stranger", "test-targets", { privateKey: stranger.privateKey, publicPem: stranger.publicKey.export({ format: "pem", type: "spki" }).toString() });
  
    const run = await watchOnce();
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { event: string; reason?: string; request: string });
    const byName = (part: string) => events.find((e) => e.request.includes(part) || (e.reason ?? "").includes(part));
    expect(events.filter((e) => e.event === "signed")).toHaveLength(1);
    expect(events.filter((e) => e.event === "refused")).toHaveLength(2);
    expect(events.map((e) => e.reason ?? "").join("\n")).toMatch(/is not one of the policy's builders/);
    expect(events.map((e) => e.reason ?? "").join("\n")).toMatch(/there is no key "prod-targets"/);
    expect(byName(good.requestName)?.event).toBe("signed");

    const signed = parseBundle(readFileSync(world.at(join("buckets/signed", good.signedBundleBlobName))));
    const key = loadPublicKey(world.at("test-targets.pem.pub"));
    expect(key.type).toBe("p256");
    expect(verifyBytes(key.raw, signed.targetsSerialized, signed.targetsSigned.signatures![0]!.sig!)).toBe(true);
    expect(readdirSync(world.at("buckets/signed"))).toEqual([good.signedBundleBlobName]);
    expect(readdirSync(world.at("queue/failed"))).toHaveLength(2);

    // Processed again (a second watcher, a restart): nothing new is signed.
    const again = await watchOnce();
    expect(again.stdout.trim()).toBe("");
    const audit = readFileSync(world.at("audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { identity: string; decision: string });
    expect(audit.filter((e) => e.identity === "pigweed-ci").map((e) => e.decision).sort()).toEqual(["refused", "signed"]);
    expect((await airlock("signer", "audit", "verify", world.at("audit.log"))).code).toBe(0);
  });

  it("refuses a wrong build type and a policy it cannot load before watching", async () => {
    const bad = await airlock("signer", "watch", "--config", world.at("policy.yaml"), "--product", "pwdemo", "--build-type", "release", "--queue", world.at("queue"), "--buckets", world.at("buckets"), "--once");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--build-type release: expected eng or user/);
    const missing = await airlock("signer", "watch", "--config", world.at("nope.yaml"), "--product", "pwdemo", "--queue", world.at("queue"), "--buckets", world.at("buckets"), "--once");
    expect(missing.code).toBe(2);
    expect(existsSync(world.at("queue"))).toBe(true);
  });
});
