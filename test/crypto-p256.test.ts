// ECDSA P-256 verification (assembly/crypto/p256.ts) against references nobody here wrote:
// node:crypto (OpenSSL) on 10,000 generated cases, with signatures valid, corrupted, under the
// wrong key, over the wrong message, and with high s; @noble/curves for digests OpenSSL cannot
// be asked about directly (at and above the group order n); crafted edge cases (r or s = 0, = n,
// > n, off-curve and malformed keys, wrong lengths); and the published vectors of RFC 6979
// appendix A.2.5 (P-256 with SHA-256). AIRLOCK_P256_CASES scales the generated cases.
import { describe, expect, it, beforeAll } from "vitest";
import crypto from "node:crypto";
import { p256 } from "@noble/curves/p256";
import { instantiateAgent, refusingFlashPort, type AgentInstance } from "../host-sim/index.js";
import { OK } from "../assembly/status.js";
import { seededRandom as mulberry32 } from "../host-sim/flash.js";

const CASES = Number(process.env.AIRLOCK_P256_CASES ?? 10_000);
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P = BigInt("0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

const hex32 = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex");
const sha256 = (m: Uint8Array) => crypto.createHash("sha256").update(m).digest();

let agent: AgentInstance;
beforeAll(async () => {
  agent = await instantiateAgent(refusingFlashPort);
});

/** The agent's verdict: key 65 bytes, sig 64 bytes, digest 32 bytes (any lengths: padded/cut as the ABI takes them). */
function agentVerifies(key: Uint8Array, sig: Uint8Array, digest: Uint8Array): boolean {
  const io = agent.io();
  io.fill(0, 0, 161);
  io.set(key.subarray(0, 65), 0);
  io.set(sig.subarray(0, 64), 65);
  io.set(digest.subarray(0, 32), 129);
  const rc = agent.exports.p256_verify_digest();
  return rc === OK;
}

function rawPublicKey(key: crypto.KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  return Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
}

function opensslVerifies(key: Uint8Array, sig: Uint8Array, message: Uint8Array): boolean {
  try {
    const publicKey = crypto.createPublicKey({
      key: { kty: "EC", crv: "P-256", x: Buffer.from(key.subarray(1, 33)).toString("base64url"), y: Buffer.from(key.subarray(33, 65)).toString("base64url") },
      format: "jwk",
    });
    return crypto.verify("sha256", message, { key: publicKey, dsaEncoding: "ieee-p1363" }, sig);
  } catch {
    return false; // a key OpenSSL will not even load (off the curve) verifies nothing
  }
}


describe("ECDSA P-256 verification", () => {
  it(`agrees with OpenSSL on ${CASES} generated cases`, () => {
    const r = mulberry32(256);
    const keys = Array.from({ length: 20 }, () => crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }));
    const counts = { valid: 0, invalid: 0 };
    for (let i = 0; i < CASES; i++) {
      const { privateKey, publicKey } = keys[i % keys.length]!;
      const message = crypto.randomBytes(Math.floor(r() * 200));
      let sig: Uint8Array = crypto.sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
      let key = rawPublicKey(publicKey);
      let signed = message;
      const kind = Math.floor(r() * 8);
      if (kind === 1) {
        sig = Uint8Array.from(sig);
        sig[Math.floor(r() * 64)] ^= 1 << Math.floor(r() * 8);
      } else if (kind === 2) key = rawPublicKey(keys[(i + 1) % keys.length]!.publicKey);
      else if (kind === 3) signed = Buffer.concat([message, Buffer.of(1)]);
      else if (kind === 4) {
        // High s: (r, n - s) is as valid as (r, s) for ECDSA, and OpenSSL accepts it.
        const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString("hex")}`);
        sig = Buffer.concat([sig.subarray(0, 32), hex32(N - s)]);
      } else if (kind === 5) {
        key = Uint8Array.from(key);
        key[1 + Math.floor(r() * 64)] ^= 1 << Math.floor(r() * 8); // almost surely off the curve
      }
      const expected = opensslVerifies(key, sig, signed);
      expect(agentVerifies(key, sig, sha256(signed)), `case ${i} (kind ${kind})`).toBe(expected);
      counts[expected ? "valid" : "invalid"]++;
    }
    console.log(`p256 oracle: ${CASES} cases, ${counts.valid} valid, ${counts.invalid} invalid`);
    expect(counts.valid).toBeGreaterThan(CASES / 3);
    expect(counts.invalid).toBeGreaterThan(CASES / 3);
  }, 300_000);

  it("agrees with @noble/curves on digests at and above n (no message can be found for them)", () => {
    const priv = p256.utils.randomPrivateKey();
    const key = p256.getPublicKey(priv, false);
    for (const e of [N, N + 1n, N + 12345n, 2n ** 256n - 1n, N - 1n, 0n, 1n]) {
      const digest = hex32(e);
      const sig = p256.sign(digest, priv, { prehash: false, lowS: false }).toCompactRawBytes();
      expect(p256.verify(sig, digest, key, { prehash: false, lowS: false }), `noble on e = ${e}`).toBe(true);
      expect(agentVerifies(key, sig, digest), `e = ${e.toString(16)}`).toBe(true);
      // The same signature for e mod n: the same number, so it verifies too; e + 1 does not.
      expect(agentVerifies(key, sig, hex32((e + 1n) % 2n ** 256n))).toBe(false);
    }
  });

  it("refuses r or s of 0, n or above, malformed and off-curve keys, and the identity", () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const key = rawPublicKey(publicKey);
    const message = Buffer.from("edge cases");
    const sig = crypto.sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
    const digest = sha256(message);
    expect(agentVerifies(key, sig, digest)).toBe(true);
    const rOf = sig.subarray(0, 32), sOf = sig.subarray(32);
    for (const [label, r, s] of [
      ["r = 0", hex32(0n), sOf], ["s = 0", rOf, hex32(0n)], ["r = n", hex32(N), sOf], ["s = n", rOf, hex32(N)],
      ["r = n + r", hex32(N + BigInt(`0x${Buffer.from(rOf).toString("hex")}`) % (2n ** 256n - N)), sOf],
      ["s = 2^256 - 1", rOf, hex32(2n ** 256n - 1n)], ["r = 2^256 - 1", hex32(2n ** 256n - 1n), sOf],
    ] as const) {
      const forged = Buffer.concat([r, s]);
      expect(agentVerifies(key, forged, digest), label).toBe(false);
      expect(opensslVerifies(key, forged, message), `${label} (OpenSSL)`).toBe(false);
    }
    const compressed = Uint8Array.from(key);
    compressed[0] = 0x02;
    expect(agentVerifies(compressed, sig, digest), "a prefix other than 04").toBe(false);
    expect(agentVerifies(new Uint8Array(65), sig, digest), "all zero: the identity is not encodable").toBe(false);
    const xp = Buffer.concat([Buffer.of(4), hex32(P), key.subarray(33)]);
    expect(agentVerifies(xp, sig, digest), "x = p").toBe(false);
    const offCurve = Uint8Array.from(key);
    offCurve[64] ^= 1;
    expect(agentVerifies(offCurve, sig, digest), "off the curve").toBe(false);
    // The generator's x with y = 0: on no curve point (b != 0 makes y = 0 impossible here).
    expect(agentVerifies(Buffer.concat([Buffer.of(4), hex32(BigInt("0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")), hex32(0n)]), sig, digest)).toBe(false);
  });

  it("verifies RFC 6979 appendix A.2.5 (P-256, SHA-256) and refuses it altered", () => {
    // RFC 6979 A.2.5: private key x, public key (Ux, Uy); message "sample" and "test" with SHA-256.
    const key = Buffer.concat([
      Buffer.of(4),
      Buffer.from("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6", "hex"),
      Buffer.from("7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299", "hex"),
    ]);
    const vectors = [
      ["sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716", "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"],
      ["test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367", "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"],
    ] as const;
    for (const [message, r, s] of vectors) {
      const sig = Buffer.from(r + s, "hex");
      const digest = sha256(Buffer.from(message));
      expect(agentVerifies(key, sig, digest), message).toBe(true);
      expect(opensslVerifies(key, sig, Buffer.from(message)), `${message} (OpenSSL)`).toBe(true);
      expect(agentVerifies(key, sig, sha256(Buffer.from(`${message}!`)))).toBe(false);
    }
  });
});
