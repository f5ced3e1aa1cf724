// Keys as PEM files (PKCS#8 private, SPKI public): Ed25519, the same files `openssl genpkey
// -algorithm ed25519` writes, and ECDSA P-256, the keys Pigweed's tools use (`openssl genpkey
// -algorithm EC -pkeyopt ec_paramgen_curve:P-256`; SEC 1 "EC PRIVATE KEY" PEM reads too). Their
// Pigweed key IDs, and signatures as devices read them (Ed25519's 64 bytes; P-256's raw r || s).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as signMessage,
  verify as verifyMessage,
  type KeyObject,
} from "node:crypto";
import { InputError } from "./errors.js";
import { readInput } from "./files.js";
import { schema } from "./proto.js";

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** A public key as the metadata records it. */
export type KeyType = "ed25519" | "p256";

export const P256_PUBLIC_KEY_BYTES = 65;

export interface PublicKey {
  type: KeyType;
  /** The key's `keyval`: 32 bytes (Ed25519) or the 65-byte uncompressed point 04 || X || Y (P-256). */
  raw: Uint8Array;
  /** Pigweed's key ID: SHA-256(key type || scheme || keyval). */
  keyId: Uint8Array;
}

export interface SigningKey extends PublicKey {
  privateKey: KeyObject;
}

/** The type of a raw keyval by its form: 32 bytes Ed25519, 65 bytes starting 04 P-256. */
export function keyTypeOfRaw(raw: Uint8Array): KeyType | undefined {
  if (raw.length === ED25519_PUBLIC_KEY_BYTES) return "ed25519";
  if (raw.length === P256_PUBLIC_KEY_BYTES && raw[0] === 4) return "p256";
  return undefined;
}

/** The KeyType and KeyScheme numbers of tuf.proto for a key type. */
export function keyEnumsOf(type: KeyType): { keyType: number; scheme: number } {
  const e = schema().enums;
  return type === "p256" ? { keyType: e.keyTypeP256, scheme: e.keySchemeP256 } : { keyType: e.keyTypeEd25519, scheme: e.keySchemeEd25519 };
}

/** Key ID of a raw public key: SHA-256(KeyType || KeyScheme || keyval), as Pigweed's keys.py. */
export function keyIdOf(rawPublicKey: Uint8Array, type: KeyType = keyTypeOfRaw(rawPublicKey) ?? "ed25519"): Uint8Array {
  const { keyType, scheme } = keyEnumsOf(type);
  return new Uint8Array(
    createHash("sha256").update(Uint8Array.of(keyType, scheme)).update(rawPublicKey).digest(),
  );
}

/** A fresh key pair as PEM text: PKCS#8 private key and SPKI public key. */
export function generateKeyPair(type: KeyType = "ed25519"): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = type === "p256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

/** Loads a private key (PKCS#8 PEM) for signing; any other key type is refused by name. */
export function loadSigningKey(path: string): SigningKey {
  const pem = readInput(path, "private key");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(pem), format: "pem" });
  } catch {
    if (Buffer.from(pem).includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
      throw new InputError(`${path} is an encrypted private key; airlock reads unencrypted PKCS#8 PEM (decrypt a copy with \`openssl pkey -in ${path} -out PLAIN.pem\`)`);
    }
    throw new InputError(
      `${path} is not a PEM private key; make one with \`airlock keygen PATH\` (Ed25519) or \`airlock keygen --type p256 PATH\``,
    );
  }
  const type = requireSupported(privateKey, path);
  return { privateKey, ...publicKeyOf(createPublicKey(privateKey), type) };
}

/**
 * Loads a public key (SPKI PEM). A private key file is accepted too and its public half used,
 * since it names the same key.
 */
export function loadPublicKey(path: string): PublicKey {
  const pem = Buffer.from(readInput(path, "public key"));
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: "pem" });
  } catch {
    throw new InputError(
      `${path} is not a PEM public key; use the .pub file \`airlock keygen\` wrote, or \`openssl pkey -pubout\``,
    );
  }
  return publicKeyOf(publicKey, requireSupported(publicKey, path));
}

/**
 * Signs `message` (the exact serialized metadata bytes): Ed25519, or ECDSA P-256 over its SHA-256
 * as raw r || s (IEEE P1363), the 64 bytes Pigweed's device code reads.
 */
export function signBytes(key: SigningKey, message: Uint8Array): Uint8Array {
  if (key.type === "p256") return new Uint8Array(signMessage("sha256", message, { key: key.privateKey, dsaEncoding: "ieee-p1363" }));
  return new Uint8Array(signMessage(null, message, key.privateKey));
}

/** Checks a signature made by the raw public key (of either type, by its form) over `message`. */
export function verifyBytes(rawPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const type = keyTypeOfRaw(rawPublicKey);
  if (!type || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    if (type === "p256") return verifyMessage("sha256", message, { key: publicKeyFromRaw(rawPublicKey), dsaEncoding: "ieee-p1363" }, signature);
    return verifyMessage(null, message, publicKeyFromRaw(rawPublicKey), signature);
  } catch {
    return false; // a keyval that does not decode to a curve point verifies nothing
  }
}

/** A node:crypto public key for a raw keyval (through JWK, no DER by hand). */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (keyTypeOfRaw(raw) === "p256") {
    const x = Buffer.from(raw.subarray(1, 33)).toString("base64url");
    const y = Buffer.from(raw.subarray(33, 65)).toString("base64url");
    return createPublicKey({ key: { kty: "EC", crv: "P-256", x, y }, format: "jwk" });
  }
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function publicKeyOf(publicKey: KeyObject, type: KeyType): PublicKey {
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("internal: a JWK without x");
  let raw = new Uint8Array(Buffer.from(jwk.x, "base64url"));
  if (type === "p256") {
    if (typeof jwk.y !== "string") throw new Error("internal: an EC JWK without y");
    raw = Uint8Array.from([4, ...Buffer.from(jwk.x, "base64url"), ...Buffer.from(jwk.y, "base64url")]);
  }
  return { type, raw, keyId: keyIdOf(raw, type) };
}

/** Ed25519, or EC on P-256; anything else is refused by name. */
function requireSupported(key: KeyObject, path: string): KeyType {
  const type = key.asymmetricKeyType ?? "unknown";
  if (type === "ed25519") return "ed25519";
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "p256";
    throw new InputError(`${path} holds an EC key on ${curve ?? "an unknown curve"}, but airlock's EC keys are P-256; make one with \`airlock keygen --type p256 PATH\``);
  }
  throw new InputError(
    `${path} holds a key of type ${type}, but airlock keys are Ed25519 or ECDSA P-256; make one with \`airlock keygen PATH\` or \`airlock keygen --type p256 PATH\``,
  );
}
