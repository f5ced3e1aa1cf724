// Ed25519 keys: Pigweed key IDs (RFC 8032 vectors), and interop with openssl and node:crypto.
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ed from "@noble/ed25519";
import { afterAll, describe, expect, it } from "vitest";
import { InputError, hex, keyIdOf, loadPublicKey, loadSigningKey, signBytes, verifyBytes } from "../tools/format/index.js";
import { scratchDirs } from "./helpers/cli-run.js";
import vectors from "./vectors/ed25519-key-ids.json" with { type: "json" };

const dirs = scratchDirs("keys");
afterAll(() => dirs.cleanup());

const PKCS8_ED25519_PREFIX = "302e020100300506032b657004220420"; // RFC 8410 PrivateKeyInfo header

function pemFromSeed(seedHex: string): string {
  const der = Buffer.from(PKCS8_ED25519_PREFIX + seedHex, "hex");
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }).toString();
}

describe("key IDs", () => {
  for (const v of vectors.vectors) {
    it(`derives Pigweed's key ID and RFC 8032's signature for ${v.name}`, () => {
      const dir = dirs.make();
      const path = join(dir, "key.pem");
      writeFileSync(path, pemFromSeed(v.secretKey));
      const key = loadSigningKey(path);
      expect(hex(key.raw)).toBe(v.publicKey);
      expect(hex(key.keyId)).toBe(v.keyId);
      expect(hex(keyIdOf(Buffer.from(v.publicKey, "hex")))).toBe(v.keyId);
      const message = Buffer.from(v.message, "hex");
      expect(hex(signBytes(key, message))).toBe(v.signature);
      expect(verifyBytes(key.raw, message, Buffer.from(v.signature, "hex"))).toBe(true);
    });
  }

  it("rejects a signature over a different message or from a different key", () => {
    const [one, two] = vectors.vectors;
    const sig = Buffer.from(one!.signature, "hex");
    expect(verifyBytes(Buffer.from(one!.publicKey, "hex"), Buffer.from("00", "hex"), sig)).toBe(false);
    expect(verifyBytes(Buffer.from(two!.publicKey, "hex"), Buffer.alloc(0), sig)).toBe(false);
    expect(verifyBytes(Buffer.from(one!.publicKey, "hex"), Buffer.alloc(0), sig.subarray(0, 63))).toBe(false);
  });
});

describe("openssl interop", () => {
  it("uses keys from `openssl genpkey -algorithm ed25519`, and openssl verifies airlock's signatures", () => {
    const dir = dirs.make();
    const priv = join(dir, "o.pem");
    const pub = join(dir, "o.pub");
    execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", priv]);
    execFileSync("openssl", ["pkey", "-in", priv, "-pubout", "-out", pub]);
    const signing = loadSigningKey(priv);
    const verifying = loadPublicKey(pub);
    expect(hex(verifying.raw)).toBe(hex(signing.raw));
    expect(hex(verifying.keyId)).toBe(hex(signing.keyId));

    const message = join(dir, "message");
    writeFileSync(message, "serialized targets metadata stand-in");
    const sigPath = join(dir, "sig");
    writeFileSync(sigPath, signBytes(signing, readFileSync(message)));
    const out = execFileSync("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", message, "-sigfile", sigPath]);
    expect(out.toString()).toMatch(/Signature Verified Successfully/);
  });

  it("accepts signatures made by openssl", () => {
    const dir = dirs.make();
    const priv = join(dir, "o.pem");
    execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", priv]);
    const message = join(dir, "message");
    writeFileSync(message, "bytes signed by openssl");
    const sig = execFileSync("openssl", ["pkeyutl", "-sign", "-inkey", priv, "-rawin", "-in", message]);
    expect(verifyBytes(loadSigningKey(priv).raw, readFileSync(message), sig)).toBe(true);
  });
});

describe("node:crypto and @noble/ed25519 interop", () => {
  it("verifies node:crypto signatures, and a second implementation verifies airlock's", async () => {
    const dir = dirs.make();
    const { privateKey } = generateKeyPairSync("ed25519");
    const path = join(dir, "n.pem");
    writeFileSync(path, privateKey.export({ format: "pem", type: "pkcs8" }));
    const key = loadSigningKey(path);
    const message = Buffer.from("metadata");
    expect(verifyBytes(key.raw, message, nodeSign(null, message, privateKey))).toBe(true);
    expect(await ed.verifyAsync(signBytes(key, message), message, key.raw)).toBe(true);
  });
});

describe("keys of other types", () => {
  const cases: Array<[string, () => string]> = [
    ["rsa", () => generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString()],
    ["ed448", () => generateKeyPairSync("ed448").privateKey.export({ format: "pem", type: "pkcs8" }).toString()],
    ["x25519", () => generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString()],
  ];
  for (const [type, make] of cases) {
    it(`refuses a ${type} key and names its type`, () => {
      const path = join(dirs.make(), `${type}.pem`);
      writeFileSync(path, make());
      expect(() => loadSigningKey(path)).toThrow(InputError);
      expect(() => loadSigningKey(path)).toThrow(`key of type ${type}`);
      expect(() => loadPublicKey(path)).toThrow(`key of type ${type}`);
    });
  }

  it("refuses an EC key on another curve, naming the curve", () => {
    const path = join(dirs.make(), "k1.pem");
    writeFileSync(path, generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    expect(() => loadSigningKey(path)).toThrow(/EC key on secp256k1, but airlock's EC keys are P-256/);
  });

  it("refuses a file that is not PEM, and a missing file, naming the file", () => {
    const dir = dirs.make();
    const path = join(dir, "junk.pem");
    writeFileSync(path, "not a key\n");
    expect(() => loadSigningKey(path)).toThrow(/junk\.pem is not a PEM private key/);
    expect(() => loadPublicKey(path)).toThrow(/junk\.pem is not a PEM public key/);
    expect(() => loadSigningKey(join(dir, "absent.pem"))).toThrow(/cannot read private key file .*absent\.pem: no such file/);
  });

  it("refuses an encrypted private key, saying how to decrypt it", () => {
    const path = join(dirs.make(), "enc.pem");
    execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:secret", "-out", path]);
    expect(() => loadSigningKey(path)).toThrow(/enc\.pem is an encrypted private key; .*openssl pkey -in/);
  });

  it("refuses a public key where a private key is needed", () => {
    const dir = dirs.make();
    const path = join(dir, "k.pub");
    writeFileSync(path, generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }));
    expect(() => loadSigningKey(path)).toThrow(/is not a PEM private key/);
  });
});

describe("ECDSA P-256 keys (Pigweed's key type)", () => {
  it("reads openssl's P-256 keys (PKCS#8 and SEC 1 PEM), computes keys.py's key ID, and signs raw r || s", () => {
    const dir = dirs.make();
    const pkcs8 = join(dir, "p256.pem");
    const sec1 = join(dir, "p256-sec1.pem");
    const pub = join(dir, "p256.pub");
    execFileSync("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", pkcs8]);
    execFileSync("openssl", ["ec", "-in", pkcs8, "-out", sec1], { stdio: "ignore" });
    execFileSync("openssl", ["pkey", "-in", pkcs8, "-pubout", "-out", pub]);
    const key = loadSigningKey(pkcs8);
    expect(key.type).toBe("p256");
    expect(key.raw.length).toBe(65);
    expect(key.raw[0]).toBe(4);
    expect(loadSigningKey(sec1).raw).toEqual(key.raw);
    const publicKey = loadPublicKey(pub);
    expect(publicKey).toMatchObject({ type: "p256", raw: key.raw });
    // keys.py: sha256(key_type (3) || scheme (3) || keyval).
    expect(Buffer.from(publicKey.keyId).toString("hex")).toBe(createHash("sha256").update(Buffer.of(3, 3)).update(key.raw).digest("hex"));
    const message = Buffer.from("serialized targets metadata");
    const sig = signBytes(key, message);
    expect(sig.length).toBe(64);
    expect(nodeVerify("sha256", message, { key: createPublicKey(readFileSync(pub)), dsaEncoding: "ieee-p1363" }, sig)).toBe(true);
    expect(verifyBytes(key.raw, message, sig)).toBe(true);
    expect(verifyBytes(key.raw, Buffer.from("other"), sig)).toBe(false);
  });
});
