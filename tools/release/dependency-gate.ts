// The promotion gate on dependencies: from a build record in the artifact store to the SBOM the
// build carried, trusted only as far as the builder's signed provenance vouches for it (the record
// is plain JSON anyone with write access to the store could have written; the provenance names
// the SBOM by digest, under the builder key), then checked against the rules.
import { RejectedError, type PublicKey } from "../format/index.js";
import {
  parseEnvelope, parseSbom, readStoredBuildRecord, SBOM_DEPENDENCY, TARGETS_METADATA_SUBJECT, unmatchedSubjects, verifyProvenance,
  type BuildRecord, type Sbom,
} from "../build/index.js";
import type { ArtifactStore } from "../store/index.js";
import { checkDependencies, hasDependencyRules, type DependencyFinding } from "./dependencies.js";
import type { DependencyRules } from "./dependency-rules.js";

export interface BuildDependencies {
  recordSha256: string;
  record: BuildRecord;
  sbom?: Sbom;
  /** Whether the builder's provenance was verified to name this record's bundle and SBOM. */
  provenanceVerified: boolean;
}

export interface BuildDependencyOptions {
  /** Builder keys whose provenance vouches for the SBOM; without them the record is taken at its word. */
  builderKeys?: PublicKey[];
  /** The targets metadata the build must have made (a published bundle's). */
  targetsMetadataSha256?: string;
}

/** A stored build's record and SBOM; RejectedError when the provenance does not vouch for them. */
export function buildDependencies(store: ArtifactStore, recordSha256: string, options: BuildDependencyOptions = {}): BuildDependencies {
  const record = readStoredBuildRecord(store, recordSha256, options.targetsMetadataSha256);
  if (options.builderKeys) checkProvenance(store, recordSha256, record, options.builderKeys);
  const sbom = record.sbom && parseSbom(store.get(record.sbom.sha256), `the SBOM of build sha256:${recordSha256} (sha256:${record.sbom.sha256})`);
  return { recordSha256, record, sbom, provenanceVerified: options.builderKeys !== undefined };
}

function checkProvenance(store: ArtifactStore, recordSha256: string, record: BuildRecord, builderKeys: PublicKey[]): void {
  const what = `the provenance of build sha256:${recordSha256}`;
  const envelope = parseEnvelope(Buffer.from(store.get(record.files.provenance!.sha256)).toString("utf8"), what);
  const statement = verifyProvenance(envelope, builderKeys);
  if (unmatchedSubjects(statement, [{ name: TARGETS_METADATA_SUBJECT, digest: record.targetsMetadata }]).length) {
    throw new RejectedError(`${what} does not endorse the targets metadata sha256:${record.targetsMetadata.sha256} the record names: the record is not this build's`);
  }
  const listed = (statement.predicate.buildDefinition.resolvedDependencies ?? []).filter((d) => d.name === SBOM_DEPENDENCY).map((d) => d.digest.sha256);
  if (record.sbom && !(listed.length === 1 && listed[0] === record.sbom.sha256)) {
    throw new RejectedError(`build record sha256:${recordSha256} names SBOM sha256:${record.sbom.sha256}, but ${what} lists ${listed.length ? listed.map((d) => `sha256:${d}`).join(", ") : "no SBOM"}: this SBOM did not come with the build`);
  }
  if (!record.sbom && listed.length) {
    throw new RejectedError(`${what} lists SBOM sha256:${listed[0]}, but build record sha256:${recordSha256} names none: the record was edited to drop it`);
  }
}

/** The findings of a build against the rules: a build without an SBOM cannot show it meets them. */
export function buildFindings(build: BuildDependencies, rules: DependencyRules): DependencyFinding[] {
  if (!build.sbom) {
    if (!hasDependencyRules(rules)) return [];
    return [{
      kind: "no-sbom", rule: "dependency rules",
      message: `build sha256:${build.recordSha256} (${build.record.product} targets v${build.record.targetsVersion}) carries no SBOM, so its components cannot be checked; build it with an SBOM (the description's "sbom" or airlock build --sbom)`,
    }];
  }
  return checkDependencies(build.sbom.components, rules);
}

export interface DependencyGateResult {
  ok: boolean;
  findings: DependencyFinding[];
  build: BuildDependencies;
}

/**
 * The gate a promotion passes: the build's SBOM, vouched for by provenance from one of
 * `builderKeys`, meets the rules. Throws RejectedError when the provenance does not vouch for it.
 */
export function dependencyGate(store: ArtifactStore, buildRecordSha256: string, rules: DependencyRules, options: { builderKeys: PublicKey[] }): DependencyGateResult {
  if (!options.builderKeys.length) throw new RejectedError("the dependency gate needs at least one builder key: an SBOM is trusted only when the builder's provenance names it");
  const build = buildDependencies(store, buildRecordSha256, { builderKeys: options.builderKeys });
  const findings = buildFindings(build, rules);
  return { ok: findings.length === 0, findings, build };
}
