// Rules shared by root and targets metadata: the spec version and roles airlock writes, versions
// that start at 1, and signatures appended to and checked over the exact signed bytes.
import { MAX_SIGNATURES } from "../../assembly/limits.js";
import { InputError } from "./errors.js";
import { hex, signBytes, verifyBytes, type SigningKey } from "./keys.js";
import type { Signature } from "./proto.js";

/** TUF spec version written into every CommonMetadata (Pigweed's tools write the same). */
export const SPEC_VERSION = "0.0.1";
export const ROLE_ROOT = "root";
export const ROLE_TARGETS = "targets";

/** Largest metadata version: CommonMetadata.version is a uint32. */
export const MAX_METADATA_VERSION = 0xffff_ffff;

/**
 * Checks a metadata version. 0 is refused: proto3 does not encode a 0, and the device treats a
 * missing version as an error, so such metadata could never install.
 */
export function requireVersion(version: number, what: string): number {
  if (!Number.isInteger(version) || version < 1 || version > MAX_METADATA_VERSION) {
    throw new InputError(`${what} must be a whole number from 1 to ${MAX_METADATA_VERSION}, got ${version} (versions start at 1)`);
  }
  return version;
}

/** Checks a signature threshold against the number of keys that could meet it. */
export function requireThreshold(threshold: number, keyCount: number, role: string): number {
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new InputError(`the ${role} threshold must be at least 1, got ${threshold} (a threshold of 0 would accept unsigned metadata)`);
  }
  if (threshold > keyCount) {
    throw new InputError(`the ${role} threshold ${threshold} exceeds the ${keyCount} ${role} key(s) given; no set of signatures could meet it (add keys or lower the threshold)`);
  }
  return threshold;
}

/**
 * A new signature list with `key`'s signature over `signedBytes` appended. A second signature by
 * the same key is refused: the device counts each key once, so it could never help a threshold.
 */
export function appendSignature(signatures: Signature[], signedBytes: Uint8Array, key: SigningKey, what: string): Signature[] {
  requireRoomFor(signatures, key.keyId, what);
  return [...signatures, { keyId: key.keyId, sig: signBytes(key, signedBytes) }];
}

/**
 * The same with a signature made elsewhere (a signing service's key in an HSM): `signature.sig`
 * must already be over the exact signed bytes.
 */
export function appendMadeSignature(signatures: Signature[], signature: { keyId: Uint8Array; sig: Uint8Array }, what: string): Signature[] {
  requireRoomFor(signatures, signature.keyId, what);
  return [...signatures, { keyId: signature.keyId, sig: signature.sig }];
}

function requireRoomFor(signatures: Signature[], keyIdBytes: Uint8Array, what: string): void {
  const keyId = hex(keyIdBytes);
  if (signatures.length >= MAX_SIGNATURES) {
    throw new InputError(`${what} already carries ${signatures.length} signatures, the most a device checks (MAX_SIGNATURES); sign a fresh copy with the keys that count`);
  }
  if (signatures.some((s) => s.keyId && hex(s.keyId) === keyId)) {
    throw new InputError(`${what} is already signed by key ${keyId}; a key counts once toward a threshold, so sign with a different key`);
  }
}

export type SignatureStatus = "valid" | "invalid" | "unknown-key" | "unsupported-key" | "no-root";

export interface SignatureCheck {
  keyId: string;
  status: SignatureStatus;
}

/**
 * Checks each signature over `signedBytes` against the key its key ID names in `keys` (hex key
 * ID -> raw public key). A key ID not in `keys` cannot be checked here: "no-root" when no root
 * was given at all (`keys` is null), "unsupported-key" when the root lists it as a key of a type
 * airlock does not verify (in `listed`, the IDs of every key the root lists), else "unknown-key".
 */
export function checkSignatures(
  signatures: Signature[],
  signedBytes: Uint8Array,
  keys: Map<string, Uint8Array> | null,
  listed: Set<string> = new Set(),
): SignatureCheck[] {
  return signatures.map((signature) => {
    const keyId = hex(signature.keyId ?? new Uint8Array());
    if (keys === null) return { keyId, status: "no-root" };
    const publicKey = keys.get(keyId);
    if (!publicKey) return { keyId, status: listed.has(keyId) ? "unsupported-key" : "unknown-key" };
    const valid = verifyBytes(publicKey, signedBytes, signature.sig ?? new Uint8Array());
    return { keyId, status: valid ? "valid" : "invalid" };
  });
}

/** Distinct keys among `allowedKeyIds` with a valid signature: what a threshold counts. */
export function countValid(checks: SignatureCheck[], allowedKeyIds: string[]): number {
  const allowed = new Set(allowedKeyIds);
  return new Set(checks.filter((c) => c.status === "valid" && allowed.has(c.keyId)).map((c) => c.keyId)).size;
}

/** Refuses metadata a device could not hold: `limitName` is the bound's name in assembly/limits.ts. */
export function requireFits(bytes: number, limit: number, limitName: string, what: string): void {
  if (bytes > limit) {
    throw new InputError(`${what} would be ${bytes} bytes; a device accepts at most ${limit} (${limitName}): use fewer keys, signatures or targets`);
  }
}
