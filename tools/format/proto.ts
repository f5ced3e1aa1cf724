// The bundle format's schemas, loaded once from proto/*.proto with protobufjs: the .proto files
// are the single definition of the format; nothing on the host encodes protobuf by hand.
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { InputError } from "./errors.js";

const PROTO_DIR = fileURLToPath(new URL("../../proto/", import.meta.url));
const PACKAGE = "pw.software_update";

// ---- decoded message shapes (protobufjs objects with camelCase field names) ----

export interface CommonMetadata {
  specVersion?: string;
  version?: number;
  role?: string;
}
export interface KeyMessage {
  keyType?: number;
  scheme?: number;
  keyval?: Uint8Array;
}
export interface KeyMapping {
  keyId?: Uint8Array;
  key?: KeyMessage;
}
export interface SignatureRequirement {
  keyIds?: Uint8Array[];
  threshold?: number;
}
export interface Signature {
  keyId?: Uint8Array;
  sig?: Uint8Array;
}
export interface RootMetadata {
  commonMetadata?: CommonMetadata;
  consistentSnapshot?: boolean;
  keys?: KeyMapping[];
  rootSignatureRequirement?: SignatureRequirement;
  targetsSignatureRequirement?: SignatureRequirement;
}
export interface SignedRootMetadata {
  serializedRootMetadata?: Uint8Array;
  signatures?: Signature[];
}
export interface Hash {
  function?: number;
  hash?: Uint8Array;
}
export interface TargetFile {
  fileName?: string;
  length?: number;
  hashes?: Hash[];
}
export interface TargetsMetadata {
  commonMetadata?: CommonMetadata;
  targetFiles?: TargetFile[];
  hardwareId?: string;
}
export interface SignedTargetsMetadata {
  serializedTargetsMetadata?: Uint8Array;
  signatures?: Signature[];
}
export interface UpdateBundle {
  targetsMetadata?: Record<string, SignedTargetsMetadata>;
  targetPayloads?: Record<string, Uint8Array>;
  rootMetadata?: SignedRootMetadata;
}
export interface Manifest {
  targetsMetadata?: Record<string, TargetsMetadata>;
  userManifest?: Uint8Array;
}

/** The message types airlock reads and writes. */
export interface Schema {
  SignedRootMetadata: protobuf.Type;
  RootMetadata: protobuf.Type;
  SignedTargetsMetadata: protobuf.Type;
  TargetsMetadata: protobuf.Type;
  UpdateBundle: protobuf.Type;
  Manifest: protobuf.Type;
  /** Enum values looked up by name from the schema (KeyType, KeyScheme, HashFunction). */
  enums: { keyTypeEd25519: number; keySchemeEd25519: number; keyTypeP256: number; keySchemeP256: number; hashSha256: number };
}

let loaded: Schema | undefined;

/** Parses the .proto files on first use and returns the message types. */
export function schema(): Schema {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  root.loadSync(`${PROTO_DIR}update_bundle.proto`);
  root.resolveAll();
  const type = (name: string) => root.lookupType(`${PACKAGE}.${name}`);
  const enumValue = (enumName: string, valueName: string) => {
    const value = root.lookupEnum(`${PACKAGE}.${enumName}`).values[valueName];
    if (value === undefined) throw new Error(`schema has no ${enumName}.${valueName}`);
    return value;
  };
  loaded = {
    SignedRootMetadata: type("SignedRootMetadata"),
    RootMetadata: type("RootMetadata"),
    SignedTargetsMetadata: type("SignedTargetsMetadata"),
    TargetsMetadata: type("TargetsMetadata"),
    UpdateBundle: type("UpdateBundle"),
    Manifest: type("Manifest"),
    enums: {
      keyTypeEd25519: enumValue("KeyType", "ED25519"),
      keySchemeEd25519: enumValue("KeyScheme", "ED25519_SCHEME"),
      keyTypeP256: enumValue("KeyType", "ECDSA_SHA2_NISTP256"),
      keySchemeP256: enumValue("KeyScheme", "ECDSA_SHA2_NISTP256_SCHEME"),
      hashSha256: enumValue("HashFunction", "SHA256"),
    },
  };
  return loaded;
}

/** Encodes a plain object as `type`, after protobufjs's own check of field types. */
export function encode(type: protobuf.Type, value: object): Uint8Array {
  const problem = type.verify(value);
  if (problem) throw new Error(`internal: ${type.name} does not fit its schema: ${problem}`);
  return type.encode(type.fromObject(value)).finish();
}

/**
 * Decodes `bytes` as `type` into a plain object (64-bit integers as numbers, enums as numbers).
 * A malformed or truncated encoding becomes an InputError naming `what`.
 */
export function decode<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InputError(`${what} is not a valid ${type.name} protobuf (${reason}); is it the right file, and complete?`);
  }
  return type.toObject(message, { longs: Number, enums: Number, arrays: true, objects: true }) as T;
}
