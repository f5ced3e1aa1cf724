// Deterministic keys, roots, bundles and firmware images for the reliability, attack and fuzz
// suites, built with the real host tooling (tools/root.ts, tools/bundle.ts): a failing case
// replays exactly from its seed.
import { createCipheriv, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { keyIdOf, type SigningKey, createRoot, signRoot, createBundle, signBundle } from "../../tools/format/index.js";

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): SEQUENCE { version 0, AlgorithmIdentifier
// id-Ed25519, OCTET STRING { OCTET STRING seed } }.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** An Ed25519 signing key derived from a label (same label, same key, every run). */
export function keyFromLabel(label: string): SigningKey {
  const seed = createHash("sha256").update(`airlock test key: ${label}`).digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const jwk = createPublicKey(privateKey).export({ format: "jwk" });
  const raw = new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
  return { type: "ed25519", privateKey, raw, keyId: keyIdOf(raw) };
}

/**
 * Firmware-like bytes: an AES-256-CTR keystream keyed by the label's SHA-256, so no two labels
 * share a window and 16 MiB take milliseconds.
 */
export function image(label: string, length: number): Uint8Array {
  const key = createHash("sha256").update(`airlock test image: ${label}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return new Uint8Array(Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]));
}

export interface RootSpec {
  rootKeys: SigningKey[];
  targetsKeys: SigningKey[];
  rootThreshold?: number;
  targetsThreshold?: number;
  version: number;
  /** Keys that sign it (defaults to rootKeys). */
  signers?: SigningKey[];
}

export function makeRoot(spec: RootSpec): Uint8Array {
  let root = createRoot({
    rootKeys: spec.rootKeys,
    targetsKeys: spec.targetsKeys,
    rootThreshold: spec.rootThreshold,
    targetsThreshold: spec.targetsThreshold,
    version: spec.version,
  });
  for (const key of spec.signers ?? spec.rootKeys) root = signRoot(root, key);
  return root;
}

export interface BundleSpec {
  targetsVersion: number;
  payloads: Record<string, Uint8Array>;
  signers: SigningKey[];
  root?: Uint8Array;
  hardwareId?: string;
}

export function makeBundle(spec: BundleSpec): Uint8Array {
  let bundle = createBundle({
    targetsVersion: spec.targetsVersion,
    payloads: Object.entries(spec.payloads).map(([name, data]) => ({ name, data })),
    root: spec.root,
    hardwareId: spec.hardwareId,
  });
  for (const key of spec.signers) bundle = signBundle(bundle, key);
  return bundle;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The standard cast: a development root (v1) and a production root (v2) that rotates to. */
export function cast() {
  const devRoot = keyFromLabel("dev root");
  const devTargets = keyFromLabel("dev targets");
  const prodRoot = keyFromLabel("prod root");
  const prodTargets = keyFromLabel("prod targets");
  const rootV1 = makeRoot({ rootKeys: [devRoot], targetsKeys: [devTargets], version: 1 });
  const rootV2 = makeRoot({
    rootKeys: [prodRoot],
    targetsKeys: [prodTargets],
    version: 2,
    signers: [devRoot, prodRoot],
  });
  return { devRoot, devTargets, prodRoot, prodTargets, rootV1, rootV2 };
}

/** A fresh ECDSA P-256 signing key (Pigweed's key type). */
export function p256Key(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const raw = Uint8Array.from([4, ...Buffer.from(jwk.x!, "base64url"), ...Buffer.from(jwk.y!, "base64url")]);
  return { type: "p256", privateKey, raw, keyId: keyIdOf(raw, "p256") };
}
