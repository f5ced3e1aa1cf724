// Cross-check: every kind of file the CLI writes, decoded by protoc (an independent protobuf
// implementation) and compared field by field with what went in.
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { airlock, scratchDirs } from "./helpers/cli-run.js";
import { bytes, messages, msg, protocDecode, token, type TextMessage } from "./helpers/protoc.js";

const dirs = scratchDirs("protoc");
afterAll(() => dirs.cleanup());
let dir = "";
const at = (name: string) => join(dir, name);

/** Raw Ed25519 public key and Pigweed key ID of a PEM file, computed here independently. */
function keyOf(pubPath: string): { raw: Buffer; keyId: Buffer } {
  const jwk = createPublicKey(readFileSync(pubPath)).export({ format: "jwk" });
  const raw = Buffer.from(jwk.x as string, "base64url");
  return { raw, keyId: createHash("sha256").update(Buffer.from([2, 2])).update(raw).digest() };
}
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();

async function ok(...args: string[]) {
  const run = await airlock(...args);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
}

beforeAll(async () => {
  dir = dirs.make();
  for (const name of ["root1", "root2", "targets"]) await ok("keygen", at(name));
  writeFileSync(at("app.bin"), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)));
  writeFileSync(at("net.bin"), "radio firmware\n");
  writeFileSync(at("manifest.json"), '{"build":"42"}');
  await ok("root", "create", "--root-key", at("root1.pub"), at("root2.pub"), "--targets-key", at("targets.pub"), "--root-threshold", "2", "--version", "3", "-o", at("root.bin"));
  await ok("root", "sign", "--key", at("root1"), at("root.bin"));
  await ok("root", "sign", "--key", at("root2"), at("root.bin"));
  await ok("bundle", "create", "-o", at("bundle.bin"), "--targets-version", "9", "--root", at("root.bin"), "--hardware", "rp2040-pico", `app=${at("app.bin")}`, `net=${at("net.bin")}`, `user_manifest=${at("manifest.json")}`);
  await ok("bundle", "sign", "--key", at("targets"), at("bundle.bin"));
  await ok("bundle", "personalize", "--remove", "net", "-o", at("personalized.bin"), at("bundle.bin"));
  await ok("manifest", "create", "--bundle", at("bundle.bin"), "-o", at("manifest.bin"));
});

function expectRootMetadata(serialized: Buffer, version: number) {
  const root = protocDecode("RootMetadata", serialized);
  const common = msg(root, "common_metadata");
  expect(bytes(common, "spec_version").toString()).toBe("0.0.1");
  expect(token(common, "version")).toBe(String(version));
  expect(bytes(common, "role").toString()).toBe("root");
  const [r1, r2, t] = ["root1", "root2", "targets"].map((n) => keyOf(at(`${n}.pub`)));
  const keys = messages(root, "keys");
  expect(keys.map((k) => bytes(k, "key_id").toString("hex"))).toEqual([r1!, r2!, t!].map((k) => k.keyId.toString("hex")));
  for (const [mapping, expected] of keys.map((k, i) => [k, [r1, r2, t][i]!] as const)) {
    const key = msg(mapping, "key");
    expect(token(key, "key_type")).toBe("ED25519");
    expect(token(key, "scheme")).toBe("ED25519_SCHEME");
    expect(bytes(key, "keyval").equals(expected.raw)).toBe(true);
  }
  const rootReq = msg(root, "root_signature_requirement");
  expect((rootReq.key_ids ?? []).map((b) => (b as Buffer).toString("hex"))).toEqual([r1!.keyId.toString("hex"), r2!.keyId.toString("hex")]);
  expect(token(rootReq, "threshold")).toBe("2");
  const targetsReq = msg(root, "targets_signature_requirement");
  expect((targetsReq.key_ids ?? []).map((b) => (b as Buffer).toString("hex"))).toEqual([t!.keyId.toString("hex")]);
  expect(token(targetsReq, "threshold")).toBe("1");
  expect(Object.keys(root).sort()).toEqual(["common_metadata", "keys", "root_signature_requirement", "targets_signature_requirement"]);
}

function expectSignatures(signed: TextMessage, signers: string[], signedBytes: Buffer) {
  const signatures = messages(signed, "signatures");
  expect(signatures.map((s) => bytes(s, "key_id").toString("hex"))).toEqual(signers.map((n) => keyOf(at(`${n}.pub`)).keyId.toString("hex")));
  for (const [i, s] of signatures.entries()) {
    const pub = createPublicKey(readFileSync(at(`${signers[i]}.pub`)));
    expect(bytes(s, "sig")).toHaveLength(64);
    expect(verify(null, signedBytes, pub, bytes(s, "sig"))).toBe(true);
  }
}

describe("protoc decodes what the CLI writes", () => {
  it("root metadata: every field as created, signatures by each root key over the exact bytes", () => {
    const signed = protocDecode("SignedRootMetadata", readFileSync(at("root.bin")));
    const serialized = bytes(signed, "serialized_root_metadata");
    expectRootMetadata(serialized, 3);
    expectSignatures(signed, ["root1", "root2"], serialized);
  });

  for (const [file, payloadNames] of [["bundle.bin", ["app", "net", "user_manifest"]], ["personalized.bin", ["app", "user_manifest"]]] as const) {
    it(`${file}: root, targets metadata with hashes and hardware ID, signatures and payloads`, () => {
      const bundle = protocDecode("UpdateBundle", readFileSync(at(file)));
      expect(Object.keys(bundle).sort()).toEqual(["root_metadata", "target_payloads", "targets_metadata"]);

      const root = msg(bundle, "root_metadata");
      expect(bytes(root, "serialized_root_metadata").equals(bytes(protocDecode("SignedRootMetadata", readFileSync(at("root.bin"))), "serialized_root_metadata"))).toBe(true);
      expectRootMetadata(bytes(root, "serialized_root_metadata"), 3);

      const entry = msg(bundle, "targets_metadata");
      expect(bytes(entry, "key").toString()).toBe("targets");
      const signedTargets = msg(entry, "value");
      const serialized = bytes(signedTargets, "serialized_targets_metadata");
      expectSignatures(signedTargets, ["targets"], serialized);

      const targets = protocDecode("TargetsMetadata", serialized);
      const common = msg(targets, "common_metadata");
      expect(bytes(common, "spec_version").toString()).toBe("0.0.1");
      expect(token(common, "version")).toBe("9");
      expect(bytes(common, "role").toString()).toBe("targets");
      expect(bytes(targets, "hardware_id").toString()).toBe("rp2040-pico");
      const inputs = { app: readFileSync(at("app.bin")), net: readFileSync(at("net.bin")), user_manifest: readFileSync(at("manifest.json")) };
      const files = messages(targets, "target_files");
      expect(files.map((f) => bytes(f, "file_name").toString())).toEqual(["app", "net", "user_manifest"]);
      for (const f of files) {
        const input = inputs[bytes(f, "file_name").toString() as keyof typeof inputs];
        expect(token(f, "length")).toBe(String(input.length));
        const hash = msg(f, "hashes");
        expect(token(hash, "function")).toBe("SHA256");
        expect(bytes(hash, "hash").equals(sha256(input))).toBe(true);
      }

      const payloads = messages(bundle, "target_payloads");
      expect(payloads.map((p) => bytes(p, "key").toString())).toEqual(payloadNames);
      for (const p of payloads) {
        expect(bytes(p, "value").equals(inputs[bytes(p, "key").toString() as keyof typeof inputs])).toBe(true);
      }
    });
  }

  it("manifest: the installed targets metadata field by field, and the user manifest bytes", () => {
    const manifest = protocDecode("Manifest", readFileSync(at("manifest.bin")));
    expect(Object.keys(manifest).sort()).toEqual(["targets_metadata", "user_manifest"]);
    const entry = msg(manifest, "targets_metadata");
    expect(bytes(entry, "key").toString()).toBe("targets");
    const targets = msg(entry, "value");
    expect(token(msg(targets, "common_metadata"), "version")).toBe("9");
    expect(bytes(targets, "hardware_id").toString()).toBe("rp2040-pico");
    const app = messages(targets, "target_files")[0]!;
    expect(bytes(app, "file_name").toString()).toBe("app");
    expect(bytes(msg(app, "hashes"), "hash").equals(sha256(readFileSync(at("app.bin"))))).toBe(true);
    expect(bytes(manifest, "user_manifest").equals(readFileSync(at("manifest.json")))).toBe(true);
  });
});
