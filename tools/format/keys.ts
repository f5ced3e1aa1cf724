// Ed25519 keys as PEM files (PKCS#8 private, SPKI public), the same files `openssl genpkey
// -algorithm ed25519` writes, and Pigweed's key IDs.
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
export interface PublicKey {
  /** The raw 32-byte Ed25519 public key (the `keyval` of a Key message). */
  raw: Uint8Array;
  /** SHA-256(key_type byte || scheme byte || keyval), as Pigweed computes it. */
  keyId: Uint8Array;
}

/** A private key able to sign metadata, with its public half. */
export interface SigningKey extends PublicKey {
  privateKey: KeyObject;
}

/** Key ID of a raw Ed25519 public key: SHA-256(KeyType.ED25519 || KeyScheme.ED25519_SCHEME || keyval). */
export function keyIdOf(rawPublicKey: Uint8Array): Uint8Array {
  const { keyTypeEd25519, keySchemeEd25519 } = schema().enums;
  return new Uint8Array(
    createHash("sha256").update(Uint8Array.of(keyTypeEd25519, keySchemeEd25519)).update(rawPublicKey).digest(),
  );
}

/** A fresh key pair as PEM text: PKCS#8 private key and SPKI public key. */
export function generateKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
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
      `${path} is not a PEM private key; make one with \`airlock keygen PATH\` or \`openssl genpkey -algorithm ed25519\``,
    );
  }
  requireEd25519(privateKey, path);
  return { privateKey, ...publicKeyOf(createPublicKey(privateKey)) };
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
  requireEd25519(publicKey, path);
  return publicKeyOf(publicKey);
}

/** Signs `message` (the exact serialized metadata bytes) with Ed25519. */
export function signBytes(key: SigningKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(signMessage(null, message, key.privateKey));
}

/** Checks an Ed25519 signature made by the raw public key over `message`. */
export function verifyBytes(rawPublicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (rawPublicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return verifyMessage(null, message, publicKeyFromRaw(rawPublicKey), signature);
  } catch {
    return false; // a keyval that does not decode to a curve point verifies nothing
  }
}

/** A node:crypto public key for a raw 32-byte Ed25519 key (through JWK, no DER by hand). */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

function publicKeyOf(publicKey: KeyObject): PublicKey {
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("internal: Ed25519 JWK without x");
  const raw = new Uint8Array(Buffer.from(jwk.x, "base64url"));
  return { raw, keyId: keyIdOf(raw) };
}

function requireEd25519(key: KeyObject, path: string): void {
  const type = key.asymmetricKeyType ?? "unknown";
  if (type !== "ed25519") {
    throw new InputError(
      `${path} holds a key of type ${type}, but airlock keys are Ed25519; make one with \`airlock keygen PATH\` or \`openssl genpkey -algorithm ed25519\``,
    );
  }
}
