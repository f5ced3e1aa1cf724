// Hand-made protobuf for the agent's verification tests: metadata and bundles that the host
// tooling would refuse to build (duplicate fields, wrong roles, mismatched lengths, bad key IDs),
// signed for real so only the rule under test can reject them. Field numbers are Pigweed's.
import { createHash } from "node:crypto";
import { signBytes, type SigningKey } from "../../tools/format/index.js";

export function varint(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Uint8Array.from(out);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** A length-delimited field. */
export function field(num: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string" ? new Uint8Array(Buffer.from(payload, "utf8")) : payload;
  return concat(varint((num << 3) | 2), varint(bytes.length), bytes);
}

export function uintField(num: number, value: number | bigint): Uint8Array {
  return concat(varint(num << 3), varint(value));
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

export function common(version: number | undefined, role: string | undefined): Uint8Array {
  return concat(
    field(1, "1.0.0"),
    version === undefined ? new Uint8Array() : uintField(2, version),
    role === undefined ? new Uint8Array() : field(4, role),
  );
}

export interface FileSpec {
  name: string;
  length: number | bigint;
  /** Omit for "missing hash". */
  hash?: Uint8Array;
}

export function targetFile(f: FileSpec): Uint8Array {
  return concat(
    field(1, f.name),
    uintField(2, f.length),
    f.hash ? field(3, concat(uintField(1, 1), field(2, f.hash))) : new Uint8Array(),
  );
}

export function targetsMetadata(spec: {
  version?: number;
  role?: string;
  files: FileSpec[];
  hardwareId?: string;
  extra?: Uint8Array;
}): Uint8Array {
  return concat(
    field(1, common(spec.version, spec.role ?? "targets")),
    ...spec.files.map((f) => field(2, targetFile(f))),
    spec.hardwareId === undefined ? new Uint8Array() : field(65, spec.hardwareId),
    spec.extra ?? new Uint8Array(),
  );
}

/** Signed{Root,Targets}Metadata: field 1 the exact bytes, field 2 one Signature per signer. */
export function signed(serialized: Uint8Array, signers: SigningKey[]): Uint8Array {
  return concat(
    field(1, serialized),
    ...signers.map((k) => field(2, concat(field(1, k.keyId), field(2, signBytes(k, serialized))))),
  );
}

export function bundle(spec: {
  root?: Uint8Array;
  targets?: Uint8Array;
  payloads?: Array<[string, Uint8Array]>;
  extra?: Uint8Array;
}): Uint8Array {
  return concat(
    spec.root ? field(5, spec.root) : new Uint8Array(),
    spec.targets ? field(3, concat(field(1, "targets"), field(2, spec.targets))) : new Uint8Array(),
    ...(spec.payloads ?? []).map(([name, data]) => field(4, concat(field(1, name), field(2, data)))),
    spec.extra ?? new Uint8Array(),
  );
}

/** A signed bundle of real targets metadata for the payloads (the valid baseline). */
export function goodBundle(version: number, payloads: Record<string, Uint8Array>, signers: SigningKey[]): Uint8Array {
  const files = Object.entries(payloads).map(([name, data]) => ({ name, length: data.length, hash: sha256(data) }));
  return bundle({
    targets: signed(targetsMetadata({ version, files }), signers),
    payloads: Object.entries(payloads),
  });
}

export interface KeySpec {
  key: SigningKey;
  /** Override the listed key ID (default: the correct one). */
  keyId?: Uint8Array;
  keyType?: number;
  scheme?: number;
}

export function rootMetadata(spec: {
  version?: number;
  role?: string;
  keys: KeySpec[];
  rootKeys: SigningKey[];
  targetsKeys: SigningKey[];
  rootThreshold?: number;
  targetsThreshold?: number;
}): Uint8Array {
  const keyMapping = (k: KeySpec) =>
    field(3, concat(
      field(1, k.keyId ?? k.key.keyId),
      field(2, concat(uintField(1, k.keyType ?? 2), uintField(2, k.scheme ?? 2), field(3, k.key.raw))),
    ));
  const requirement = (num: number, keys: SigningKey[], threshold: number) =>
    field(num, concat(...keys.map((k) => field(1, k.keyId)), threshold === 0 ? new Uint8Array() : uintField(2, threshold)));
  return concat(
    field(1, common(spec.version, spec.role ?? "root")),
    ...spec.keys.map(keyMapping),
    requirement(4, spec.rootKeys, spec.rootThreshold ?? 1),
    requirement(7, spec.targetsKeys, spec.targetsThreshold ?? 1),
  );
}
