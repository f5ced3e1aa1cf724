// The signing service's key backends (tools/signer/backends/): a PKCS#8 file and a SoftHSM 2
// token behind one Signer, each signing exactly as tools/format's signBytes and node:crypto
// (OpenSSL) do. SoftHSM's Ed25519 signatures are byte-identical to OpenSSL's for the same key;
// its P-256 signatures (randomized) verify with node:crypto and tools/format; key IDs come from
// the token's public key; a generated private key's value cannot be read; every setup mistake
// is an error naming the file, token or label and the fix. Needs SoftHSM (skips loudly outside CI).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CKM_EDDSA,
  FileSigner,
  Pkcs11Signer,
  TokenSession,
  findKeyPair,
  generateTokenKey,
  listKeyPairs,
  pkcs11js,
  signatureBy,
  type PinSource,
  type Signer,
} from "../tools/signer/index.js";
import { InputError, checkSignatures, generateKeyPair, hex, keyIdOf, loadPublicKey, loadSigningKey, signBytes, verifyBytes } from "../tools/format/index.js";
import { createSoftHsm, importEd25519KeyPair, softHsmAvailable, type SoftHsm } from "./helpers/softhsm.js";

interface RfcVector { name: string; secretKey: string; publicKey: string; message: string; signature: string }
const rfc = JSON.parse(readFileSync(new URL("./vectors/ed25519-rfc8032.json", import.meta.url), "utf8")) as { vectors: RfcVector[] };
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

/** node:crypto's private key for an RFC 8032 seed: PKCS#8 is a fixed 16-byte prefix and the seed (RFC 8410). */
function nodeEd25519Key(seed: Uint8Array) {
  return createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
}

const messages = [new Uint8Array(0), Uint8Array.of(0x72), new TextEncoder().encode("serialized targets metadata"), new Uint8Array(randomBytes(4096))];
const dir = mkdtempSync(join(tmpdir(), "airlock-signer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("FileSigner (PKCS#8 files)", () => {
  it("signs Ed25519 byte-identically to tools/format and node:crypto, with the file's key ID", async () => {
    const { privatePem, publicPem } = generateKeyPair("ed25519");
    writeFileSync(join(dir, "ed.pem"), privatePem, { mode: 0o600 });
    writeFileSync(join(dir, "ed.pem.pub"), publicPem);
    const signer = new FileSigner(join(dir, "ed.pem"), "targets-dev");
    expect(signer.name).toBe("targets-dev");
    expect(signer.type).toBe("ed25519");
    expect(hex(signer.publicKey.keyId)).toBe(hex(loadPublicKey(join(dir, "ed.pem.pub")).keyId));
    for (const message of messages) {
      const signature = await signer.sign(message);
      expect(hex(signature)).toBe(hex(signBytes(loadSigningKey(join(dir, "ed.pem")), message)));
      expect(hex(signature)).toBe(hex(nodeSign(null, message, createPrivateKey(privatePem))));
    }
  });

  it("signs P-256 as raw r || s over SHA-256 that node:crypto and tools/format verify", async () => {
    const { privatePem, publicPem } = generateKeyPair("p256");
    writeFileSync(join(dir, "p.pem"), privatePem, { mode: 0o600 });
    const signer = new FileSigner(join(dir, "p.pem"));
    expect(signer.type).toBe("p256");
    for (const message of messages) {
      const signature = await signer.sign(message);
      expect(signature.length).toBe(64);
      expect(nodeVerify("sha256", message, { key: createPublicKey(publicPem), dsaEncoding: "ieee-p1363" }, signature)).toBe(true);
      expect(verifyBytes(signer.publicKey.raw, message, signature)).toBe(true);
    }
  });

  it("refuses to sign once closed", async () => {
    const signer = new FileSigner(join(dir, "ed.pem"));
    signer.close();
    await expect(signer.sign(messages[1]!)).rejects.toThrow(/closed/);
  });
});

const available = softHsmAvailable();

describe.skipIf(!available)("Pkcs11Signer on SoftHSM 2", () => {
  const USER_PIN = "4711-user";
  let hsm: SoftHsm;
  let pin: PinSource;
  const TOKEN = "airlock-test";

  beforeAll(() => {
    hsm = createSoftHsm();
    // Every token before the first session: the module lists its tokens at C_Initialize.
    hsm.initToken(TOKEN, USER_PIN);
    hsm.initToken("other-token", "other-pin");
    pin = { file: hsm.pinFile("user.pin", USER_PIN) };
  });
  afterAll(() => hsm?.remove());

  const config = (label: string) => ({ module: hsm.module, token: TOKEN, pin, label });

  async function withSigner<T>(label: string, use: (signer: Signer) => Promise<T>): Promise<T> {
    const signer = await Pkcs11Signer.open(config(label));
    try {
      return await use(signer);
    } finally {
      signer.close();
    }
  }

  it("signs Ed25519 byte-identically to OpenSSL (node:crypto) and RFC 8032 for the same key", async () => {
    for (const [i, v] of rfc.vectors.entries()) {
      importEd25519KeyPair(config(""), `rfc-${i}`, bytes(v.secretKey), bytes(v.publicKey));
      await withSigner(`rfc-${i}`, async (signer) => {
        expect(hex(signer.publicKey.raw)).toBe(v.publicKey);
        expect(hex(signer.publicKey.keyId)).toBe(hex(keyIdOf(bytes(v.publicKey), "ed25519")));
        expect(hex(await signer.sign(bytes(v.message)))).toBe(v.signature);
        for (const message of messages) {
          expect(hex(await signer.sign(message)), v.name).toBe(hex(nodeSign(null, message, nodeEd25519Key(bytes(v.secretKey)))));
        }
      });
    }
  });

  it("generates an Ed25519 key on the token whose PEM, key ID and signatures agree with node:crypto", async () => {
    const generated = generateTokenKey({ ...config("targets-ed"), type: "ed25519" });
    writeFileSync(join(dir, "targets-ed.pub"), generated.publicPem);
    const fromPem = loadPublicKey(join(dir, "targets-ed.pub"));
    expect(hex(fromPem.raw)).toBe(hex(generated.publicKey.raw));
    await withSigner("targets-ed", async (signer) => {
      expect(signer.type).toBe("ed25519");
      expect(hex(signer.publicKey.keyId)).toBe(hex(fromPem.keyId));
      expect(hex(signer.publicKey.keyId)).toBe(hex(keyIdOf(signer.publicKey.raw, "ed25519")));
      for (const message of messages) {
        const signature = await signer.sign(message);
        expect(signature.length).toBe(64);
        expect(nodeVerify(null, message, createPublicKey(generated.publicPem), signature)).toBe(true);
        expect(verifyBytes(fromPem.raw, message, signature)).toBe(true);
      }
    });
  });

  it("generates a P-256 key whose raw r || s signatures node:crypto and tools/format verify", async () => {
    const generated = generateTokenKey({ ...config("targets-p256"), type: "p256" });
    await withSigner("targets-p256", async (signer) => {
      expect(signer.type).toBe("p256");
      expect(signer.publicKey.raw.length).toBe(65);
      expect(hex(signer.publicKey.keyId)).toBe(hex(keyIdOf(signer.publicKey.raw, "p256")));
      expect(hex(signer.publicKey.raw)).toBe(hex(generated.publicKey.raw));
      const signatures: string[] = [];
      for (const message of messages) {
        const signature = await signer.sign(message);
        expect(signature.length).toBe(64);
        expect(nodeVerify("sha256", message, { key: createPublicKey(generated.publicPem), dsaEncoding: "ieee-p1363" }, signature)).toBe(true);
        expect(verifyBytes(signer.publicKey.raw, message, signature)).toBe(true);
        signatures.push(hex(signature));
      }
      // ECDSA is randomized: the same message signs differently, and both verify.
      const again = await signer.sign(messages[2]!);
      expect(hex(again)).not.toBe(signatures[2]);
      expect(verifyBytes(signer.publicKey.raw, messages[2]!, again)).toBe(true);
      expect(verifyBytes(signer.publicKey.raw, Uint8Array.of(1), again)).toBe(false);
    });
  });

  it("keeps generated private keys on the token: sensitive, not extractable, value unreadable", () => {
    const js = pkcs11js();
    const token = new TokenSession(config(""));
    try {
      for (const label of ["targets-ed", "targets-p256"]) {
        const { privateKey } = findKeyPair(token, label);
        const flags = token.pkcs11.C_GetAttributeValue(token.session, privateKey, [
          { type: js.CKA_TOKEN }, { type: js.CKA_PRIVATE }, { type: js.CKA_SENSITIVE }, { type: js.CKA_EXTRACTABLE },
          { type: js.CKA_ALWAYS_SENSITIVE }, { type: js.CKA_NEVER_EXTRACTABLE },
        ]);
        expect(flags.map((a) => a.value[0])).toEqual([1, 1, 1, 0, 1, 1]);
        expect(() => token.pkcs11.C_GetAttributeValue(token.session, privateKey, [{ type: js.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
      }
    } finally {
      token.close();
    }
  });

  it("signs metadata bytes that tools/format's signature check accepts, and queues concurrent requests", async () => {
    await withSigner("targets-ed", async (signer) => {
      const metadata = new Uint8Array(randomBytes(300));
      const keys = new Map([[hex(signer.publicKey.keyId), signer.publicKey.raw]]);
      expect(checkSignatures([await signatureBy(signer, metadata)], metadata, keys)).toEqual([{ keyId: hex(signer.publicKey.keyId), status: "valid" }]);
      const many = messages.flatMap((m) => [m, m, m, m]);
      const signatures = await Promise.all(many.map((m) => signer.sign(m)));
      signatures.forEach((signature, i) => expect(verifyBytes(signer.publicKey.raw, many[i]!, signature)).toBe(true));
    });
  });

  it("lists the token's key pairs with their key IDs", () => {
    const token = new TokenSession(config(""));
    const listing = listKeyPairs(token);
    token.close();
    expect(listing.find((k) => k.label === "targets-p256")).toMatchObject({ type: "p256" });
    expect(listing.find((k) => k.label === "rfc-0")).toEqual({ label: "rfc-0", id: "01", type: "ed25519", keyId: hex(keyIdOf(bytes(rfc.vectors[0]!.publicKey), "ed25519")) });
  });

  it("refuses to generate a second key pair under a label already used", () => {
    expect(() => generateTokenKey({ ...config("targets-ed"), type: "p256" })).toThrow(/already holds 2 object\(s\) labelled "targets-ed"/);
  });

  it("refuses a private key that the public key beside it does not belong to", async () => {
    importEd25519KeyPair(config(""), "mismatched", bytes(rfc.vectors[0]!.secretKey), bytes(rfc.vectors[1]!.publicKey), Uint8Array.of(9));
    await expect(Pkcs11Signer.open(config("mismatched"))).rejects.toThrow(/are not one key pair/);
  });

  it("names the label, token and the keygen command when no key has that label", async () => {
    const err = await Pkcs11Signer.open(config("no-such-key")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/no private key labelled "no-such-key" on token "airlock-test" \(module .*libsofthsm2\.so\)/);
    expect((err as Error).message).toContain("airlock signer hsm keygen");
  });

  it("names the missing token and the tokens there are", async () => {
    const err = await Pkcs11Signer.open({ ...config("targets-ed"), token: "prod-hsm" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/no token labelled "prod-hsm" .*tokens present: "airlock-test", "other-token"|no token labelled "prod-hsm" .*tokens present: "other-token", "airlock-test"/);
    expect((err as Error).message).toContain("softhsm2-util --init-token");
  });

  it("refuses a wrong PIN without printing either PIN", async () => {
    const wrong = "9999-wrong";
    const err = await Pkcs11Signer.open({ ...config("targets-ed"), pin: { file: hsm.pinFile("wrong.pin", wrong) } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/token "airlock-test" .* refused the PIN from the PIN file .*wrong\.pin \(wrong PIN\)/);
    expect((err as Error).message).not.toContain(wrong);
    expect((err as Error).message).not.toContain(USER_PIN);
    // and the right PIN still works afterwards
    await withSigner("targets-ed", async (signer) => expect((await signer.sign(messages[1]!)).length).toBe(64));
  });

  it("refuses a wrong PIN while another session of the process has the token logged in", async () => {
    await withSigner("targets-ed", async () => {
      await expect(Pkcs11Signer.open({ ...config("targets-p256"), pin: { file: hsm.pinFile("wrong.pin", "9999-wrong") } })).rejects.toThrow(/refused the PIN .* \(wrong PIN\)/);
      const second = await Pkcs11Signer.open(config("targets-p256")); // the right PIN shares the login
      expect(verifyBytes(second.publicKey.raw, messages[2]!, await second.sign(messages[2]!))).toBe(true);
      second.close();
    });
  });

  it("recovers from a failed signature with a fresh session (SoftHSM leaves the operation active)", async () => {
    await withSigner("targets-ed", async (signer) => {
      // What a failed C_Sign leaves behind: an operation still active on the signer's session.
      const token = (signer as unknown as { token: TokenSession; privateKey: Buffer });
      token.token.pkcs11.C_SignInit(token.token.session, { mechanism: CKM_EDDSA }, token.privateKey);
      await expect(signer.sign(messages[1]!)).rejects.toThrow(/CKR_OPERATION_ACTIVE/);
      expect(verifyBytes(signer.publicKey.raw, messages[1]!, await signer.sign(messages[1]!))).toBe(true);
    });
  });

  it("refuses a PIN file that group or others can read, naming the file and chmod 600", async () => {
    const loose = hsm.pinFile("loose.pin", USER_PIN, 0o644);
    await expect(Pkcs11Signer.open({ ...config("targets-ed"), pin: { file: loose } })).rejects.toThrow(`the PIN file ${loose} is accessible by group or others (mode 644); restrict it with \`chmod 600 ${loose}\``);
  });

  it("takes the PIN from the environment variable the config names", async () => {
    process.env.AIRLOCK_TEST_TOKEN_PIN = USER_PIN;
    const signer = await Pkcs11Signer.open({ ...config("targets-p256"), pin: { env: "AIRLOCK_TEST_TOKEN_PIN" } });
    signer.close();
    delete process.env.AIRLOCK_TEST_TOKEN_PIN;
    await expect(Pkcs11Signer.open({ ...config("targets-p256"), pin: { env: "AIRLOCK_TEST_TOKEN_PIN" } })).rejects.toThrow(/AIRLOCK_TEST_TOKEN_PIN .* is not set/);
  });

  it("names a module that cannot be loaded", async () => {
    await expect(Pkcs11Signer.open({ ...config("targets-ed"), module: join(dir, "no-such-module.so") })).rejects.toThrow(/cannot load the PKCS#11 module .*no-such-module\.so .*apt-get install softhsm2/);
  });

  it("refuses to sign once closed", async () => {
    const signer = await Pkcs11Signer.open(config("targets-ed"));
    signer.close();
    await expect(signer.sign(messages[1]!)).rejects.toThrow(/closed/);
  });
});
