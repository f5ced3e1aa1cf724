// Update bundles: targets metadata listing each target's length and SHA-256, signatures over
// its exact bytes, an optional new root, and the payloads. Library functions used by the CLI,
// the tests and the other tools.
import { createHash } from "node:crypto";
import protobuf from "protobufjs";
import { MAX_TARGETS_METADATA_BYTES, MAX_USER_MANIFEST_BYTES } from "../../assembly/limits.js";
import { InputError } from "./errors.js";
import { hex, type SigningKey } from "./keys.js";
import {
  appendMadeSignature,
  appendSignature,
  checkSignatures,
  countValid,
  requireFits,
  requireVersion,
  ROLE_TARGETS,
  SPEC_VERSION,
  type SignatureCheck,
} from "./metadata.js";
import {
  decode,
  encode,
  schema,
  type Signature,
  type SignedRootMetadata,
  type SignedTargetsMetadata,
  type TargetsMetadata,
  type UpdateBundle,
} from "./proto.js";
import { describeRoot, listedKeyIdsOf, parseRoot, parseSignedRoot, publicKeysOf, type ParsedRoot, type RootReport } from "./root.js";
import { requireHardwareId, requireTargetNames, USER_MANIFEST_TARGET } from "./targets.js";

/** The key of the one targets metadata entry in UpdateBundle.targets_metadata (Pigweed's). */
export const TARGETS_METADATA_NAME = "targets";

export interface CreateBundleOptions {
  targetsVersion: number;
  /** Target name -> payload, in the order the bundle lists them. */
  payloads: Array<{ name: string; data: Uint8Array }>;
  /** A signed root metadata file to carry (root rotation); absent keeps the device's root. */
  root?: Uint8Array;
  /** The hardware this bundle is for (TargetsMetadata field 65); absent = any hardware. */
  hardwareId?: string;
}

/** A decoded bundle with the exact signed bytes of its targets metadata. */
export interface ParsedBundle {
  root?: ParsedRoot;
  targetsSigned: SignedTargetsMetadata;
  /** The exact bytes the targets signatures cover. */
  targetsSerialized: Uint8Array;
  targets: TargetsMetadata;
  payloads: Record<string, Uint8Array>;
}

/** A target as the targets metadata lists it: the payload itself may be streamed later. */
export interface PayloadDescriptor {
  name: string;
  length: number;
  sha256: Uint8Array;
}

export interface BundleMetadataOptions extends Omit<CreateBundleOptions, "payloads"> {
  payloads: PayloadDescriptor[];
}

/** Builds an unsigned bundle. Root and targets metadata come before the payloads in the bytes. */
export function createBundle(options: CreateBundleOptions): Uint8Array {
  const descriptors = options.payloads.map(({ name, data }) => ({ name, length: data.length, sha256: sha256Of(data) }));
  const parts = [bundleMetadata({ ...options, payloads: descriptors })];
  for (const { name, data } of options.payloads) parts.push(payloadFieldPrefix(name, data.length), data);
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * The start of an unsigned bundle: its root (if any), then its targets metadata listing each
 * payload's length and SHA-256. The payloads follow, each as payloadFieldPrefix + its bytes, so a
 * writer can stream them from files instead of holding them in memory.
 */
export function bundleMetadata(options: BundleMetadataOptions): Uint8Array {
  const version = requireVersion(options.targetsVersion, "the targets version");
  requireTargetNames(options.payloads.map((p) => p.name));
  for (const { name, length } of options.payloads) {
    if (length === 0) throw new InputError(`target "${name}" is empty (0 bytes); a device refuses empty targets, so give the image file`);
    if (length > MAX_PAYLOAD_BYTES) throw new InputError(`target "${name}" is ${length} bytes; a bundle field holds at most ${MAX_PAYLOAD_BYTES} (4 GiB - 1)`);
  }
  const userManifest = options.payloads.find((p) => p.name === USER_MANIFEST_TARGET);
  if (userManifest && userManifest.length > MAX_USER_MANIFEST_BYTES) {
    throw new InputError(
      `${USER_MANIFEST_TARGET} is ${userManifest.length} bytes; a device keeps at most ${MAX_USER_MANIFEST_BYTES} (MAX_USER_MANIFEST_BYTES) with its manifest, so shrink it`,
    );
  }
  const hardwareId = options.hardwareId === undefined ? undefined : requireHardwareId(options.hardwareId);
  let root: SignedRootMetadata | undefined;
  if (options.root) {
    const parsed = parseRoot(options.root, "the bundle's root metadata");
    if ((parsed.signed.signatures ?? []).length === 0) {
      throw new InputError("the root metadata to bundle carries no signature; sign it first with `airlock root sign --key PRIV ROOT`");
    }
    root = parsed.signed;
  }
  const sha256 = schema().enums.hashSha256;
  const targets: TargetsMetadata = {
    commonMetadata: { specVersion: SPEC_VERSION, version, role: ROLE_TARGETS },
    targetFiles: options.payloads.map(({ name, length, sha256: hash }) => ({
      fileName: name,
      length,
      hashes: [{ function: sha256, hash }],
    })),
    ...(hardwareId === undefined ? {} : { hardwareId }),
  };
  const targetsSerialized = encode(schema().TargetsMetadata, targets);
  requireTargetsFit({ serializedTargetsMetadata: targetsSerialized, signatures: [] }, "the bundle's targets metadata");
  return encodeBundle(root, { serializedTargetsMetadata: targetsSerialized, signatures: [] }, {});
}

/** A payload's length must fit the u32 lengths the device's bundle parser reads. */
export const MAX_PAYLOAD_BYTES = 0xffff_ffff - 64;

/**
 * The bytes of one UpdateBundle.target_payloads map entry up to its value: field 4's tag and
 * entry length, then the entry's key (field 1, the name) and its value's tag (field 2) and length. The payload's `length` bytes follow.
 * Concatenated entries are what protobuf's encoding of the whole map is.
 */
export function payloadFieldPrefix(name: string, length: number): Uint8Array {
  const entry = protobuf.Writer.create().uint32(0x0a).string(name).uint32(0x12).uint32(length).finish();
  const field = protobuf.Writer.create()
    .uint32((FIELD_TARGET_PAYLOADS << 3) | WIRE_LENGTH_DELIMITED)
    .uint32(entry.length + length)
    .finish();
  return new Uint8Array(Buffer.concat([field, entry]));
}

/**
 * Encodes a bundle as three concatenated UpdateBundle encodings: root, then targets metadata,
 * then payloads. Protobuf merges concatenated messages, so this is one valid UpdateBundle whose
 * metadata a device reads (and checks) before the first payload byte arrives.
 */
export function encodeBundle(
  root: SignedRootMetadata | undefined,
  targets: SignedTargetsMetadata,
  payloads: Record<string, Uint8Array>,
): Uint8Array {
  const type = schema().UpdateBundle;
  const parts = [
    ...(root ? [encode(type, { rootMetadata: root })] : []),
    encode(type, { targetsMetadata: { [TARGETS_METADATA_NAME]: targets } }),
    ...(Object.keys(payloads).length > 0 ? [encode(type, { targetPayloads: payloads })] : []),
  ];
  return Buffer.concat(parts);
}

/** True when `bytes` decode as signed root metadata of role "root" (the wrong file given as a bundle). */
function isRootMetadata(bytes: Uint8Array): boolean {
  try {
    return parseRoot(bytes).metadata.commonMetadata?.role === "root";
  } catch {
    return false;
  }
}

/** Decodes a bundle; anything without targets metadata of role "targets" is an InputError. */
export function parseBundle(bytes: Uint8Array, what = "bundle"): ParsedBundle {
  let bundle: UpdateBundle;
  try {
    bundle = decode<UpdateBundle>(schema().UpdateBundle, bytes, what);
  } catch (err) {
    if (err instanceof InputError && isRootMetadata(bytes)) {
      throw new InputError(`${what} is root metadata, not a bundle (inspect it with \`airlock root inspect\`, or bundle it with \`airlock bundle create --root\`)`);
    }
    throw err;
  }
  refuseRepeats(bytes, what);
  const targetsSigned = bundle.targetsMetadata?.[TARGETS_METADATA_NAME];
  const targetsSerialized = targetsSigned?.serializedTargetsMetadata;
  if (!targetsSigned || !targetsSerialized || targetsSerialized.length === 0) {
    throw new InputError(`${what} holds no "targets" metadata; is it a bundle made by \`airlock bundle create\`?`);
  }
  const targets = decode<TargetsMetadata>(schema().TargetsMetadata, targetsSerialized, `${what}'s targets metadata`);
  if (targets.commonMetadata?.role !== ROLE_TARGETS) {
    throw new InputError(`${what}'s targets metadata has role ${JSON.stringify(targets.commonMetadata?.role ?? "")} where "targets" belongs`);
  }
  const root = bundle.rootMetadata ? parseSignedRoot(bundle.rootMetadata, `${what}'s root metadata`) : undefined;
  return { root, targetsSigned, targetsSerialized, targets, payloads: bundle.targetPayloads ?? {} };
}

// UpdateBundle field numbers (proto/update_bundle.proto) whose repetition protobufjs would merge
// or let the last one win, where the device refuses the bundle: a host tool must not describe a
// bundle differently from how the device reads it.
const FIELD_TARGETS_METADATA = 3;
const FIELD_TARGET_PAYLOADS = 4;
const FIELD_ROOT_METADATA = 5;
const WIRE_LENGTH_DELIMITED = 2;

/** Refuses a bundle that carries its root twice, or repeats a targets metadata or payload name. */
function refuseRepeats(bytes: Uint8Array, what: string): void {
  const reader = protobuf.Reader.create(bytes);
  const seen = new Set<string>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== WIRE_LENGTH_DELIMITED || ![FIELD_TARGETS_METADATA, FIELD_TARGET_PAYLOADS, FIELD_ROOT_METADATA].includes(field)) {
      reader.skipType(tag & 7);
      continue;
    }
    const entry = reader.bytes();
    const name = field === FIELD_ROOT_METADATA ? "root metadata" : `${field === FIELD_TARGETS_METADATA ? "targets metadata" : "payload"} "${mapKey(entry)}"`;
    if (seen.has(name)) {
      throw new InputError(`${what} carries ${name} twice; a device refuses such a bundle (ERR_PROTO_DUPLICATE_KEY / ERR_PROTO_DUPLICATE_FIELD): rebuild it with \`airlock bundle create\``);
    }
    seen.add(name);
  }
}

/** The key (field 1, a string) of an encoded map entry. */
function mapKey(entry: Uint8Array): string {
  const reader = protobuf.Reader.create(entry);
  let key = "";
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LENGTH_DELIMITED) key = reader.string();
    else reader.skipType(tag & 7);
  }
  return key;
}

// ---- field order ----

/**
 * The top-level fields a device accepts, in the order it needs them: it checks the root and
 * targets metadata when the first payload arrives, so both must come first. Pigweed numbers
 * root_metadata 5, after target_payloads 4, so a plain protobuf encoder writes the root last.
 */
const DEVICE_FIELD_ORDER = [FIELD_ROOT_METADATA, FIELD_TARGETS_METADATA, FIELD_TARGET_PAYLOADS];

const UPDATE_BUNDLE_FIELDS: Record<number, string> = {
  1: "timestamp_metadata",
  2: "snapshot_metadata",
  [FIELD_TARGETS_METADATA]: "targets_metadata",
  [FIELD_TARGET_PAYLOADS]: "target_payloads",
  [FIELD_ROOT_METADATA]: "root_metadata",
};

/** One top-level field of a bundle: its number, wire type and exact bytes (key, length, content). */
interface TopLevelField {
  field: number;
  wire: number;
  bytes: Uint8Array;
}

function topLevelFields(bytes: Uint8Array, what: string): TopLevelField[] {
  const reader = protobuf.Reader.create(bytes);
  const fields: TopLevelField[] = [];
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      reader.skipType(tag & 7);
      fields.push({ field: tag >>> 3, wire: tag & 7, bytes: bytes.subarray(start, reader.pos) });
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InputError(`${what} is not a valid UpdateBundle protobuf (${reason}); is it the right file, and complete?`);
  }
  return fields;
}

/** The fields in device order: roots, then targets metadata, then payloads, each kind in its own order. */
function sortedForDevice(fields: TopLevelField[]): TopLevelField[] {
  return DEVICE_FIELD_ORDER.flatMap((number) => fields.filter((f) => f.field === number));
}

/**
 * True when the bundle's root, targets metadata and payloads lie in device order: root first,
 * then targets metadata, then payloads (other top-level fields are not looked at here).
 */
export function inDeviceOrder(bytes: Uint8Array, what = "bundle"): boolean {
  const known = topLevelFields(bytes, what).filter((f) => DEVICE_FIELD_ORDER.includes(f.field));
  const sorted = sortedForDevice(known);
  return known.every((f, i) => f === sorted[i]);
}

export interface DeviceOrderedBundle {
  bytes: Uint8Array;
  /** False when the input already was in device order (then `bytes` is the input itself). */
  reordered: boolean;
}

/**
 * Rewrites a bundle into the order a device needs - root, then targets metadata, then payloads -
 * moving whole top-level fields and copying each one byte for byte, so every signature (over the
 * serialized_*_metadata bytes inside them) stays valid. A field the device does not accept is an
 * InputError rather than dropped: a rewrite must not change what the bundle says.
 */
export function toDeviceOrder(bytes: Uint8Array, what = "bundle"): DeviceOrderedBundle {
  const fields = topLevelFields(bytes, what);
  for (const { field, wire } of fields) {
    const name = UPDATE_BUNDLE_FIELDS[field];
    if (!DEVICE_FIELD_ORDER.includes(field)) {
      throw new InputError(
        `${what} carries top-level field ${field}${name ? ` (${name})` : ""}, which a device does not accept and a reorder will not drop; rebuild the bundle without it (\`airlock bundle create\` writes only root, targets metadata and payloads)`,
      );
    }
    if (wire !== WIRE_LENGTH_DELIMITED) {
      throw new InputError(`${what}'s ${name} (field ${field}) has wire type ${wire} where 2 (length-delimited) belongs; the bundle is corrupt, rebuild it`);
    }
  }
  const sorted = sortedForDevice(fields);
  if (sorted.every((f, i) => f === fields[i])) return { bytes, reordered: false };
  return { bytes: new Uint8Array(Buffer.concat(sorted.map((f) => f.bytes))), reordered: true };
}

/**
 * The bundle as `sim update` and `bundle verify` send it: in device order when it can be
 * reordered, else unchanged, so the device refuses it with its own code as it would anyway.
 */
export function forDevice(bytes: Uint8Array): DeviceOrderedBundle {
  try {
    return toDeviceOrder(bytes);
  } catch (err) {
    if (err instanceof InputError) return { bytes, reordered: false };
    throw err;
  }
}

/** What `sim update` and `bundle verify` say on stderr when they reordered a bundle. */
export function reorderNote(path: string): string {
  return `note: ${path} is not in the device's field order (root, targets metadata, then payloads; plain protobuf/Pigweed encoders write the root last): sending it reordered, every field's bytes unchanged (\`airlock bundle reorder\` writes it so)\n`;
}

/** Appends `key`'s signature over the bundle's exact targets metadata bytes. */
export function signBundle(bytes: Uint8Array, key: SigningKey, what = "bundle"): Uint8Array {
  const bundle = parseBundle(bytes, what);
  const signatures = appendSignature(bundle.targetsSigned.signatures ?? [], bundle.targetsSerialized, key, `${what}'s targets metadata`);
  requireTargetsFit({ serializedTargetsMetadata: bundle.targetsSerialized, signatures }, `${what}'s signed targets metadata`);
  return reencode(bundle, signatures);
}

/** Appends a signature made elsewhere over the bundle's exact targets metadata bytes (`parseBundle(...).targetsSerialized`). */
export function attachBundleSignature(bytes: Uint8Array, signature: { keyId: Uint8Array; sig: Uint8Array }, what = "bundle"): Uint8Array {
  const bundle = parseBundle(bytes, what);
  const signatures = appendMadeSignature(bundle.targetsSigned.signatures ?? [], signature, `${what}'s targets metadata`);
  requireTargetsFit({ serializedTargetsMetadata: bundle.targetsSerialized, signatures }, `${what}'s signed targets metadata`);
  return reencode(bundle, signatures);
}

/**
 * Removes payloads the device already has ("personalized out"), as an update server does for a
 * device whose manifest records them. The signed targets metadata still lists them, so the
 * signatures stay valid and the device checks those targets against its manifest instead.
 */
export function personalizeBundle(bytes: Uint8Array, remove: string[], what = "bundle"): Uint8Array {
  const bundle = parseBundle(bytes, what);
  const payloads = { ...bundle.payloads };
  for (const name of remove) {
    if (!(name in payloads)) throw new InputError(`${what} carries no payload named "${name}" to remove (see \`airlock bundle inspect\`)`);
    delete payloads[name];
  }
  return reencode(bundle, bundle.targetsSigned.signatures ?? [], payloads);
}

/** Key IDs (hex) allowed to sign targets according to `root`. */
export function targetsKeyIdsOf(root: ParsedRoot): string[] {
  return (root.metadata.targetsSignatureRequirement?.keyIds ?? []).map(hex);
}

function requireTargetsFit(signed: SignedTargetsMetadata, what: string): void {
  const bytes = encode(schema().SignedTargetsMetadata, signed).length;
  requireFits(bytes, MAX_TARGETS_METADATA_BYTES, "MAX_TARGETS_METADATA_BYTES", what);
}

function reencode(bundle: ParsedBundle, signatures: Signature[], payloads = bundle.payloads): Uint8Array {
  return encodeBundle(
    bundle.root?.signed,
    { serializedTargetsMetadata: bundle.targetsSerialized, signatures },
    payloads,
  );
}

export function sha256Of(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

// ---- inspection ----

export type PayloadStatus = "present" | "personalized-out";

export interface TargetReport {
  name: string;
  length: number;
  sha256: string;
  /** The reserved target whose payload becomes the device manifest's user_manifest. */
  userManifest: boolean;
  payload: PayloadStatus;
  /** The carried payload's length and SHA-256 equal the signed ones (null: no payload). */
  payloadMatches: boolean | null;
}

export interface BundleReport {
  bytes: number;
  root: RootReport | null;
  targets: {
    role: string;
    specVersion: string;
    version: number;
    hardwareId: string | null;
    files: TargetReport[];
    signatures: SignatureCheck[];
    /** Where the keys to check the signatures came from: "bundle root", "given root" or null. */
    keySource: "bundle root" | "given root" | null;
    threshold: number | null;
    validSignatures: number | null;
    thresholdMet: boolean | null;
  };
  /** Payloads carried but not listed in the signed metadata (the device never writes them). */
  unlistedPayloads: string[];
  /** Root, targets metadata and payloads lie in the order a device needs (else: `bundle reorder`). */
  deviceOrder: boolean;
}

/**
 * Describes a bundle. Targets signatures are checked against the targets keys of the bundle's
 * own root, or of `trustedRoot` (a root file) when the bundle carries none; a bundle's root is
 * checked as a rotation from `trustedRoot` when both are there.
 */
export function inspectBundle(bytes: Uint8Array, options: { trustedRoot?: Uint8Array; what?: string } = {}): BundleReport {
  const bundle = parseBundle(bytes, options.what);
  const given = options.trustedRoot ? parseRoot(options.trustedRoot, "the given root metadata") : undefined;
  // After a rotation the device checks targets with the bundle's root, as here.
  const keyRoot = bundle.root ?? given;
  const keySource = bundle.root ? "bundle root" : keyRoot ? "given root" : null;
  const signatures = checkSignatures(
    bundle.targetsSigned.signatures ?? [],
    bundle.targetsSerialized,
    keyRoot ? publicKeysOf(keyRoot.metadata) : null,
    keyRoot ? listedKeyIdsOf(keyRoot.metadata) : undefined,
  );
  const threshold = keyRoot ? (keyRoot.metadata.targetsSignatureRequirement?.threshold ?? 0) : null;
  const validSignatures = keyRoot ? countValid(signatures, targetsKeyIdsOf(keyRoot)) : null;
  const listed = new Set<string>();
  const files = (bundle.targets.targetFiles ?? []).map((file): TargetReport => {
    const name = file.fileName ?? "";
    listed.add(name);
    const sha256 = hex(file.hashes?.find((h) => h.function === schema().enums.hashSha256)?.hash ?? new Uint8Array());
    const payload = bundle.payloads[name];
    const length = file.length ?? 0;
    return {
      name,
      length,
      sha256,
      userManifest: name === USER_MANIFEST_TARGET,
      payload: payload ? "present" : "personalized-out",
      payloadMatches: payload ? payload.length === length && hex(sha256Of(payload)) === sha256 : null,
    };
  });
  return {
    bytes: bytes.length,
    root: bundle.root ? describeRoot(bundle.root, given) : null,
    targets: {
      role: bundle.targets.commonMetadata?.role ?? "",
      specVersion: bundle.targets.commonMetadata?.specVersion ?? "",
      version: bundle.targets.commonMetadata?.version ?? 0,
      hardwareId: bundle.targets.hardwareId ? bundle.targets.hardwareId : null,
      files,
      signatures,
      keySource,
      threshold,
      validSignatures,
      thresholdMet: threshold === null || validSignatures === null ? null : threshold > 0 && validSignatures >= threshold,
    },
    unlistedPayloads: Object.keys(bundle.payloads).filter((name) => !listed.has(name)),
    deviceOrder: inDeviceOrder(bytes),
  };
}
