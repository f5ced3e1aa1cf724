// The build record: what one `airlock build` made and read, each file by SHA-256 in the artifact
// store. It is itself stored there, so a build is named by one digest: the release pipeline
// starts from it (`airlock release run BUILD`) and finds everything else in the store.
import { InputError, RejectedError } from "../format/index.js";

export interface BuildRecord {
  product: string;
  targetsVersion: number;
  buildType: string;
  builderId: string;
  /** The build's outputs: unsignedBundle, devSignedBundle (eng builds with a dev key), provenance. */
  files: Record<string, { path: string; sha256: string; size: number }>;
  /** The build's inputs: description:NAME, elf:TARGET or binary:TARGET. */
  inputs: Record<string, { sha256: string }>;
}

/** The record's bytes as written to the out dir and the store (one form, so one digest). */
export function serializeBuildRecord(record: BuildRecord): Uint8Array {
  return Buffer.from(`${JSON.stringify(record, null, 2)}\n`, "utf8");
}

/** A build record read back; refuses what is not one, naming `what`. */
export function parseBuildRecord(bytes: Uint8Array, what: string): BuildRecord {
  let value: Partial<BuildRecord>;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<BuildRecord>;
  } catch {
    throw new InputError(`${what} is not JSON: a build record is the .build.json that \`airlock build\` writes`);
  }
  const digestOf = (files: unknown, name: string) => (files as Record<string, { sha256?: unknown }> | undefined)?.[name]?.sha256;
  if (typeof value?.product !== "string" || typeof value.targetsVersion !== "number" || typeof value.buildType !== "string"
    || typeof digestOf(value.files, "unsignedBundle") !== "string" || typeof digestOf(value.files, "provenance") !== "string") {
    throw new RejectedError(`${what} is not a build record: it lacks product, targetsVersion, buildType or the unsignedBundle and provenance files`);
  }
  return value as BuildRecord;
}
