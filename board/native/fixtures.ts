// The inputs of the update demo, made with the project's own tools library (tools/root.ts,
// tools/bundle.ts), exactly as `airlock root create/sign` and `airlock bundle create/sign` make
// them: a trusted root, a factory image, an update bundle and a bundle whose signature is bad.
// Deterministic (fixed key seeds, fixed image bytes), so firmware and simulator see the same
// bytes in every build and the figures they print can be compared.
import { createECDH, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { keyIdOf, type SigningKey, createRoot, signRoot, createBundle, encodeBundle, parseBundle, signBundle } from "../../tools/format/index.js";
import { APP_TARGET } from "../../host-sim/index.js";

export interface DemoFixtures {
  /** Signed root metadata provisioned at the factory. */
  root: Uint8Array;
  /** The image in slot A when the device leaves the factory. */
  factoryImage: Uint8Array;
  /** Targets version 2: a new app image, signed by the targets key. */
  updateBundle: Uint8Array;
  updateImage: Uint8Array;
  /** Targets version 3, its one signature with a bit flipped: must be rejected. */
  badSignatureBundle: Uint8Array;
  /**
   * Targets version 3 signed with ECDSA P-256, as Pigweed's tools sign: it carries root version 2
   * (signed by the root key), which hands the targets role to a P-256 key.
   */
  p256Bundle: Uint8Array;
  p256Image: Uint8Array;
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function demoKey(label: string): SigningKey {
  const seed = createHash("sha256").update(`airlock board demo key: ${label}`).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  const raw = new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
  return { type: "ed25519", privateKey, raw, keyId: keyIdOf(raw) };
}

/** A deterministic P-256 private scalar: a label's SHA-256 (below n for every label used). */
export function demoP256Scalar(label: string): Uint8Array {
  return createHash("sha256").update(`airlock board demo P-256 key: ${label}`).digest();
}

/** The P-256 key of demoP256Scalar(label). */
export function demoP256Key(label: string): SigningKey {
  const d = demoP256Scalar(label);
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(d);
  const raw = new Uint8Array(ecdh.getPublicKey(undefined, "uncompressed"));
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
  const privateKey = createPrivateKey({
    key: { kty: "EC", crv: "P-256", d: b64(d), x: b64(raw.subarray(1, 33)), y: b64(raw.subarray(33)) },
    format: "jwk",
  });
  return { type: "p256", privateKey, raw, keyId: keyIdOf(raw, "p256") };
}

/** Firmware-like bytes: a SHA-256 counter stream. Lengths are deliberately not word multiples. */
export function demoImage(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block++) {
    const digest = createHash("sha256").update(`${label}/${block}`).digest();
    out.set(digest.subarray(0, Math.min(32, length - block * 32)), block * 32);
  }
  return out;
}

export function demoFixtures(hardwareId: string): DemoFixtures {
  const rootKey = demoKey("root");
  const targetsKey = demoKey("targets");
  const root = signRoot(createRoot({ rootKeys: [rootKey], targetsKeys: [targetsKey], version: 1 }), rootKey);

  const factoryImage = demoImage("factory app", 6001);
  const updateImage = demoImage("app v2", 9003);
  const updateBundle = signBundle(
    createBundle({ targetsVersion: 2, payloads: [{ name: APP_TARGET, data: updateImage }], hardwareId }),
    targetsKey,
  );

  const signedV3 = parseBundle(
    signBundle(
      createBundle({ targetsVersion: 3, payloads: [{ name: APP_TARGET, data: demoImage("app v3", 7005) }], hardwareId }),
      targetsKey,
    ),
  );
  const signatures = (signedV3.targetsSigned.signatures ?? []).map((s) => {
    const sig = Uint8Array.from(s.sig ?? []);
    sig[0]! ^= 0x01; // a bit of R: well-formed, but the group equation no longer holds
    return { keyId: s.keyId, sig };
  });
  const badSignatureBundle = encodeBundle(undefined, { ...signedV3.targetsSigned, signatures }, signedV3.payloads);

  const p256Key = demoP256Key("targets");
  const rootV2 = signRoot(createRoot({ rootKeys: [rootKey], targetsKeys: [p256Key], version: 2 }), rootKey);
  // Small, so the third image still fits lm3s6965evb's 58-page flash emulation beside the others.
  const p256Image = demoImage("app v3 p256", 2001);
  const p256Bundle = signBundle(
    createBundle({ targetsVersion: 3, root: rootV2, payloads: [{ name: APP_TARGET, data: p256Image }], hardwareId }),
    p256Key,
  );

  return { root, factoryImage, updateBundle, updateImage, badSignatureBundle, p256Bundle, p256Image };
}
