// The build a release is made of, found in the artifact store by its build record's digest (or
// read from a .build.json, which is then stored): the record, the unsigned bundle and the
// provenance, each checked against the digest the record names as it is read.
import { existsSync } from "node:fs";
import { InputError, RejectedError, readInput } from "../format/index.js";
import { parseBuildRecord, parseEnvelope, readStoredBuildRecord, type BuildRecord, type DsseEnvelope } from "../build/index.js";
import { ArtifactStore, SHA256_HEX } from "../store/index.js";

export interface ReleaseBuild {
  /** SHA-256 of the build record: the release's identity. */
  digest: string;
  record: BuildRecord;
  unsignedBundle: Uint8Array;
  provenance: DsseEnvelope;
  provenanceSha256: string;
}

/** `build` is a build record's SHA-256 in the store (optionally `sha256:`-prefixed) or a .build.json path. */
export function loadReleaseBuild(store: ArtifactStore, build: string, product: string): ReleaseBuild {
  const hex = build.replace(/^sha256:/, "");
  let digest: string;
  let bytes: Uint8Array;
  if (SHA256_HEX.test(hex) && !existsSync(build)) {
    digest = hex;
    bytes = getOrExplain(store, digest, "build record");
  } else {
    bytes = readInput(build, "build record");
    digest = store.put(bytes).sha256;
  }
  const parsed = parseBuildRecord(bytes, `build record ${digest}`);
  if (parsed.product !== product) throw new InputError(`build ${digest} is of product ${JSON.stringify(parsed.product)}, the release config is for "${product}"`);
  const unsignedBundle = getOrExplain(store, parsed.files.unsignedBundle!.sha256, "unsigned bundle");
  // The same read the dependency gate and the signer's endorsement use: the record's targets
  // metadata digest must be its bundle's, so an edited record is refused before any stage runs.
  const record = readStoredBuildRecord(store, digest);
  const provenanceSha256 = record.files.provenance!.sha256;
  return {
    digest,
    record,
    unsignedBundle,
    provenance: parseEnvelope(Buffer.from(getOrExplain(store, provenanceSha256, "provenance")).toString("utf8"), `provenance ${provenanceSha256}`),
    provenanceSha256,
  };
}

function getOrExplain(store: ArtifactStore, sha256: string, what: string): Uint8Array {
  if (!store.has(sha256)) throw new RejectedError(`the artifact store ${store.root} has no ${what} sha256:${sha256}: the build was uploaded to another store, or the store lost it`);
  return store.get(sha256);
}
