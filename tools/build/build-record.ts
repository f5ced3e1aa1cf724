// The build record (`<product>-<version>.build.json`): what one `airlock build` produced and read,
// each by its SHA-256 in the artifact store. The build uploads the record itself too, and names it
// in a small index keyed by the digest of the bundle's serialized targets metadata:
//   builds/targets-metadata/<targets sha256>/<record sha256>   (empty files)
// A signed bundle carries those same targets bytes, whichever key signed it, so the release system
// finds the build behind a published bundle from the bundle alone. The index is only a pointer:
// readers check that the record it names really built those targets metadata.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { InputError, parseBundle, RejectedError } from "../format/index.js";
import { SHA256_HEX, sha256Hex, syncDirectory, type ArtifactStore } from "../store/index.js";

export const BUILDS_BY_TARGETS_METADATA = "builds/targets-metadata";

export interface StoredFile {
  path: string;
  sha256: string;
  size: number;
}

export interface BuildRecord {
  product: string;
  targetsVersion: number;
  buildType: string;
  builderId: string;
  /** SHA-256 of the unsigned bundle's serialized targets metadata (what every signature covers). */
  targetsMetadata: { sha256: string };
  files: Record<string, StoredFile>;
  inputs: Record<string, { sha256: string }>;
  /** The SBOM the build carried (also listed in the provenance as the "sbom" dependency). */
  sbom?: { sha256: string; size: number; format: string; specVersion: string; components: number };
}

const DIGEST = { type: "string", pattern: SHA256_HEX.source } as const;
const FILE = { type: "object", required: ["sha256"], properties: { sha256: DIGEST, path: { type: "string" }, size: { type: "integer", minimum: 0 } } } as const;
const validateRecord = new Ajv({ allErrors: true }).compile({
  type: "object",
  required: ["product", "targetsVersion", "buildType", "builderId", "targetsMetadata", "files", "inputs"],
  properties: {
    product: { type: "string" },
    targetsVersion: { type: "integer", minimum: 0 },
    buildType: { type: "string" },
    builderId: { type: "string" },
    targetsMetadata: { type: "object", required: ["sha256"], properties: { sha256: DIGEST } },
    files: { type: "object", required: ["unsignedBundle", "provenance"], additionalProperties: FILE },
    inputs: { type: "object", additionalProperties: { type: "object", required: ["sha256"], properties: { sha256: DIGEST } } },
    sbom: { type: "object", required: ["sha256", "format"], properties: { sha256: DIGEST, format: { enum: ["cyclonedx", "spdx"] } } },
  },
});

/** A build record's bytes, checked for the fields the release system reads. */
export function parseBuildRecord(bytes: Uint8Array, what: string): BuildRecord {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new InputError(`${what} is not JSON (${(err as Error).message}): a build record is the .build.json that airlock build writes`);
  }
  if (!validateRecord(value)) {
    const problems = (validateRecord.errors ?? []).map((e) => `${e.instancePath || "(top level)"}: ${e.message}`);
    throw new InputError(`${what} is not a build record: ${[...new Set(problems)].join("; ")}`);
  }
  return value as unknown as BuildRecord;
}

/** Stores the record and names it under its targets metadata's digest; returns the record's digest. */
export function storeBuildRecord(store: ArtifactStore, recordBytes: Uint8Array, targetsMetadataSha256: string): string {
  const { sha256 } = store.put(recordBytes);
  const dir = join(store.root, BUILDS_BY_TARGETS_METADATA, requireSha256(targetsMetadataSha256));
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, sha256);
  // An empty file exists whole or not at all; the same build stored twice leaves one.
  if (!existsSync(marker)) writeFileSync(marker, "", { flag: "w", mode: 0o444 });
  syncDirectory(dir);
  return sha256;
}

/** The digests of the stored build records whose build made these targets metadata. */
export function buildsOfTargetsMetadata(store: ArtifactStore, targetsMetadataSha256: string): string[] {
  const dir = join(store.root, BUILDS_BY_TARGETS_METADATA, requireSha256(targetsMetadataSha256));
  return existsSync(dir) ? readdirSync(dir).filter((name) => SHA256_HEX.test(name)).sort() : [];
}

/**
 * A stored build record by digest, whose unsigned bundle (fetched from the store, not the record's
 * word) carries the targets metadata it records, and `targetsMetadataSha256` when given.
 */
export function readStoredBuildRecord(store: ArtifactStore, recordSha256: string, targetsMetadataSha256?: string): BuildRecord {
  const record = parseBuildRecord(store.get(recordSha256), `build record sha256:${recordSha256}`);
  const built = sha256Hex(parseBundle(store.get(record.files.unsignedBundle!.sha256), "the build's unsigned bundle").targetsSerialized);
  if (built !== record.targetsMetadata.sha256) {
    throw new RejectedError(`build record sha256:${recordSha256} records targets metadata sha256:${record.targetsMetadata.sha256}, but its unsigned bundle carries sha256:${built}: the record was edited`);
  }
  if (targetsMetadataSha256 !== undefined && built !== targetsMetadataSha256) {
    throw new RejectedError(
      `build record sha256:${recordSha256} is filed under targets metadata sha256:${targetsMetadataSha256} but its unsigned bundle carries sha256:${built}: the store's build index is damaged; remove ${BUILDS_BY_TARGETS_METADATA}/${targetsMetadataSha256}/${recordSha256}`,
    );
  }
  return record;
}

function requireSha256(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new InputError(`"${sha256}" is not a SHA-256 digest: 64 lower-case hex digits`);
  return sha256;
}
