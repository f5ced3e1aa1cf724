// Root metadata: which keys may sign the root and the targets roles, and how many signatures each
// needs. Library functions used by the CLI, the tests and the other tools.
import { MAX_ROOT_KEYS, MAX_ROOT_METADATA_BYTES } from "../../assembly/limits.js";
import { InputError } from "./errors.js";
import { hex, keyEnumsOf, keyIdOf, keyTypeOfRaw, type KeyType, type PublicKey, type SigningKey } from "./keys.js";
import {
  appendMadeSignature,
  appendSignature,
  checkSignatures,
  countValid,
  requireFits,
  requireThreshold,
  requireVersion,
  ROLE_ROOT,
  ROLE_TARGETS,
  SPEC_VERSION,
  type SignatureCheck,
} from "./metadata.js";
import { decode, encode, schema, type KeyMapping, type RootMetadata, type SignedRootMetadata } from "./proto.js";

export interface CreateRootOptions {
  rootKeys: PublicKey[];
  targetsKeys: PublicKey[];
  /** Signatures a root needs (default 1). */
  rootThreshold?: number;
  /** Signatures a targets metadata needs (default 1). */
  targetsThreshold?: number;
  version: number;
}

/** A decoded SignedRootMetadata with its signed bytes and their decoding. */
export interface ParsedRoot {
  signed: SignedRootMetadata;
  /** The exact bytes the signatures cover. */
  serialized: Uint8Array;
  metadata: RootMetadata;
}

/** Builds unsigned root metadata (a SignedRootMetadata with no signatures yet). */
export function createRoot(options: CreateRootOptions): Uint8Array {
  const version = requireVersion(options.version, "the root version");
  requireDistinct(options.rootKeys, "root");
  requireDistinct(options.targetsKeys, "targets");
  const rootThreshold = requireThreshold(options.rootThreshold ?? 1, options.rootKeys.length, "root");
  const targetsThreshold = requireThreshold(options.targetsThreshold ?? 1, options.targetsKeys.length, "targets");

  // Each key is listed once, even when it serves both roles (a development key often does).
  const keys = new Map<string, PublicKey>();
  for (const key of [...options.rootKeys, ...options.targetsKeys]) keys.set(hex(key.keyId), key);
  if (keys.size > MAX_ROOT_KEYS) {
    throw new InputError(`the root would list ${keys.size} distinct keys; a device accepts at most ${MAX_ROOT_KEYS} (MAX_ROOT_KEYS)`);
  }
  const metadata = {
    commonMetadata: { specVersion: SPEC_VERSION, version, role: ROLE_ROOT },
    keys: [...keys.values()].map((key) => ({
      keyId: key.keyId,
      key: { ...keyEnumsOf(key.type), keyval: key.raw },
    })),
    rootSignatureRequirement: { keyIds: options.rootKeys.map((k) => k.keyId), threshold: rootThreshold },
    targetsSignatureRequirement: { keyIds: options.targetsKeys.map((k) => k.keyId), threshold: targetsThreshold },
  };
  const serialized = encode(schema().RootMetadata, metadata);
  return encode(schema().SignedRootMetadata, { serializedRootMetadata: serialized, signatures: [] });
}

/** Decodes root metadata; anything that is not a SignedRootMetadata of role "root" is an InputError. */
export function parseRoot(bytes: Uint8Array, what = "root metadata"): ParsedRoot {
  const signed = decode<SignedRootMetadata>(schema().SignedRootMetadata, bytes, what);
  return parseSignedRoot(signed, what);
}

/** Decodes the signed part of an already decoded SignedRootMetadata. */
export function parseSignedRoot(signed: SignedRootMetadata, what: string): ParsedRoot {
  const serialized = signed.serializedRootMetadata;
  if (!serialized || serialized.length === 0) {
    throw new InputError(`${what} holds no serialized root metadata; is it a root file made by \`airlock root create\`?`);
  }
  const metadata = decode<RootMetadata>(schema().RootMetadata, serialized, `${what}'s signed part`);
  const role = metadata.commonMetadata?.role;
  if (role !== ROLE_ROOT) {
    throw new InputError(`${what} has role ${JSON.stringify(role ?? "")} where "root" belongs; is it a root file?`);
  }
  return { signed, serialized, metadata };
}

/** Appends `key`'s signature over the root's exact signed bytes. */
export function signRoot(bytes: Uint8Array, key: SigningKey, what = "root metadata"): Uint8Array {
  const root = parseRoot(bytes, what);
  const signatures = appendSignature(root.signed.signatures ?? [], root.serialized, key, what);
  const signed = encodeSignedRoot(root.serialized, signatures);
  requireFits(signed.length, MAX_ROOT_METADATA_BYTES, "MAX_ROOT_METADATA_BYTES", `the signed ${what}`);
  return signed;
}

/** Appends a signature made elsewhere over the root's exact signed bytes (`parseRoot(...).serialized`). */
export function attachRootSignature(bytes: Uint8Array, signature: { keyId: Uint8Array; sig: Uint8Array }, what = "root metadata"): Uint8Array {
  const root = parseRoot(bytes, what);
  const signed = encodeSignedRoot(root.serialized, appendMadeSignature(root.signed.signatures ?? [], signature, what));
  requireFits(signed.length, MAX_ROOT_METADATA_BYTES, "MAX_ROOT_METADATA_BYTES", `the signed ${what}`);
  return signed;
}

/** Re-encodes a SignedRootMetadata around unchanged signed bytes. */
export function encodeSignedRoot(serialized: Uint8Array, signatures: SignedRootMetadata["signatures"]): Uint8Array {
  return encode(schema().SignedRootMetadata, { serializedRootMetadata: serialized, signatures });
}

// ---- inspection ----

export interface KeyReport {
  keyId: string;
  type: string;
  publicKey: string;
  /** The roles this root lets the key sign for. */
  roles: string[];
  /** The listed key ID does not match SHA-256 of the key: the device rejects such a root. */
  keyIdMismatch?: boolean;
}

export interface RoleReport {
  threshold: number;
  keyIds: string[];
}

export interface RootReport {
  role: string;
  specVersion: string;
  version: number;
  keys: KeyReport[];
  root: RoleReport;
  targets: RoleReport;
  /** Each signature, checked against the keys this root itself lists. */
  signatures: SignatureCheck[];
  /** Distinct root keys with a valid signature. */
  validRootSignatures: number;
  /** This root meets its own root threshold (a rotation also needs the previous root's). */
  rootThresholdMet: boolean;
  /** With a trusted (previous) root: whether a device trusting it would rotate to this one. */
  rotation?: RotationReport;
}

export interface RotationReport {
  trustedVersion: number;
  /** Distinct root keys of the trusted root with a valid signature on this root. */
  validTrustedSignatures: number;
  trustedThreshold: number;
  trustedThresholdMet: boolean;
  /** Newer than the trusted root, or the very same bytes (a device refuses anything else). */
  versionAccepted: boolean;
  /** All of the above and this root's own threshold: the device would rotate. */
  accepted: boolean;
}

/**
 * Describes root metadata: versions, keys and their roles, thresholds, and signature validity.
 * With `trustedRoot` (the root a device trusts now), also whether that device would rotate to it.
 */
export function inspectRoot(bytes: Uint8Array, what = "root metadata", trustedRoot?: Uint8Array): RootReport {
  return describeRoot(parseRoot(bytes, what), trustedRoot ? parseRoot(trustedRoot, "the trusted root") : undefined);
}

export function describeRoot(root: ParsedRoot, trusted?: ParsedRoot): RootReport {
  const { metadata } = root;
  const rootRole = roleReport(metadata.rootSignatureRequirement);
  const targetsRole = roleReport(metadata.targetsSignatureRequirement);
  const keys = (metadata.keys ?? []).map((mapping) => keyReport(mapping, rootRole, targetsRole));
  // A rotation is signed by the trusted root's keys too: check those against its key list.
  const known = new Map([...(trusted ? publicKeysOf(trusted.metadata) : []), ...publicKeysOf(metadata)]);
  const listed = new Set([...(trusted ? listedKeyIdsOf(trusted.metadata) : []), ...listedKeyIdsOf(metadata)]);
  const signatures = checkSignatures(root.signed.signatures ?? [], root.serialized, known, listed);
  const validRootSignatures = countValid(signatures, rootRole.keyIds);
  const rootThresholdMet = rootRole.threshold > 0 && validRootSignatures >= rootRole.threshold;
  const version = metadata.commonMetadata?.version ?? 0;
  let rotation: RotationReport | undefined;
  if (trusted) {
    const trustedRole = roleReport(trusted.metadata.rootSignatureRequirement);
    const trustedVersion = trusted.metadata.commonMetadata?.version ?? 0;
    const validTrustedSignatures = countValid(signatures, trustedRole.keyIds);
    const trustedThresholdMet = trustedRole.threshold > 0 && validTrustedSignatures >= trustedRole.threshold;
    const versionAccepted = version > trustedVersion || (version === trustedVersion && hex(root.serialized) === hex(trusted.serialized));
    rotation = {
      trustedVersion,
      validTrustedSignatures,
      trustedThreshold: trustedRole.threshold,
      trustedThresholdMet,
      versionAccepted,
      accepted: trustedThresholdMet && versionAccepted && rootThresholdMet,
    };
  }
  return {
    role: metadata.commonMetadata?.role ?? "",
    specVersion: metadata.commonMetadata?.specVersion ?? "",
    version,
    keys,
    root: rootRole,
    targets: targetsRole,
    signatures,
    validRootSignatures,
    rootThresholdMet,
    ...(rotation ? { rotation } : {}),
  };
}

/** Hex key ID -> raw public key, for every Ed25519 or P-256 key the root lists under its true key ID. */
export function publicKeysOf(metadata: RootMetadata): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  for (const mapping of metadata.keys ?? []) {
    const keyval = mapping.key?.keyval;
    if (!keyval || !mapping.keyId || !supportedTypeOf(mapping)) continue;
    keys.set(hex(mapping.keyId), keyval);
  }
  return keys;
}

/** The IDs (hex) of every key `metadata` lists, whatever its type. */
export function listedKeyIdsOf(metadata: RootMetadata): Set<string> {
  return new Set((metadata.keys ?? []).filter((m) => m.keyId).map((m) => hex(m.keyId!)));
}

/** "ed25519" or "p256" when the mapping is a key of that type in its right form, else undefined. */
function supportedTypeOf(mapping: KeyMapping): KeyType | undefined {
  const keyval = mapping.key?.keyval ?? new Uint8Array();
  for (const type of ["ed25519", "p256"] as const) {
    const { keyType, scheme } = keyEnumsOf(type);
    if (mapping.key?.keyType === keyType && mapping.key?.scheme === scheme && keyTypeOfRaw(keyval) === type) return type;
  }
  return undefined;
}

function keyReport(mapping: KeyMapping, rootRole: RoleReport, targetsRole: RoleReport): KeyReport {
  const keyId = hex(mapping.keyId ?? new Uint8Array());
  const keyval = mapping.key?.keyval ?? new Uint8Array();
  const roles = [
    ...(rootRole.keyIds.includes(keyId) ? [ROLE_ROOT] : []),
    ...(targetsRole.keyIds.includes(keyId) ? [ROLE_TARGETS] : []),
  ];
  const report: KeyReport = {
    keyId,
    type: supportedTypeOf(mapping) ?? `key type ${mapping.key?.keyType ?? 0} / scheme ${mapping.key?.scheme ?? 0}`,
    publicKey: hex(keyval),
    roles,
  };
  const type = supportedTypeOf(mapping);
  if (type && hex(keyIdOf(keyval, type)) !== keyId) report.keyIdMismatch = true;
  return report;
}

function roleReport(requirement: RootMetadata["rootSignatureRequirement"]): RoleReport {
  return { threshold: requirement?.threshold ?? 0, keyIds: (requirement?.keyIds ?? []).map(hex) };
}

function requireDistinct(keys: PublicKey[], role: string): void {
  if (keys.length === 0) throw new InputError(`give at least one ${role} key (--${role}-key PUB)`);
  const seen = new Set<string>();
  for (const key of keys) {
    const id = hex(key.keyId);
    if (seen.has(id)) throw new InputError(`the ${role} key ${id} is given twice; each key counts once toward a threshold`);
    seen.add(id);
  }
}
