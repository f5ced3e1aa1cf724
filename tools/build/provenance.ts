// Build provenance: an in-toto Statement v1 (https://in-toto.io/Statement/v1) whose predicate is
// SLSA Provenance v1 (https://slsa.dev/provenance/v1), in a DSSE envelope signed by the builder
// key. Its subjects are what the signer will later be asked to sign, by SHA-256: each target
// image and the bundle's serialized targets metadata (the exact bytes a targets signature
// covers), so provenance for one build can never endorse other bytes.
import { RejectedError, type PublicKey, type SigningKey } from "../format/index.js";
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from "./dsse.js";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** What airlock's build does, as SLSA's buildType: a URI naming the build's semantics. */
export const AIRLOCK_BUILD_TYPE = "https://github.com/airlock-update/airlock/build/v1";
/** The resolved dependency naming the SBOM the build carried (its mediaType says which format). */
export const SBOM_DEPENDENCY = "sbom";
/** The subject name of the bundle's serialized targets metadata. */
export const TARGETS_METADATA_SUBJECT = "targets_metadata";

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface ProvenanceInput {
  subjects: Subject[];
  builderId: string;
  /** The build description's path (as given) and SHA-256. */
  description: { path: string; sha256: string };
  product: string;
  buildType: "eng" | "user";
  /** git commit of the source checkout, when the build ran in one. */
  sourceRevision?: { uri: string; commit: string };
  /** The files the build read (each target's ELF or binary, the SBOM), by SHA-256: what the signer re-checks. */
  inputs?: Array<{ name: string; sha256: string; mediaType?: string }>;
  startedOn: Date;
  finishedOn: Date;
  invocationId: string;
}

/** SLSA's ResourceDescriptor: a source by URI, or a file the build read by name, with digests. */
export interface ResourceDescriptor {
  uri?: string;
  name?: string;
  digest: Record<string, string>;
  mediaType?: string;
}

export interface Statement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown>;
      resolvedDependencies?: ResourceDescriptor[];
    };
    runDetails: {
      builder: { id: string };
      metadata: { invocationId: string; startedOn: string; finishedOn: string };
    };
  };
}

export function provenanceStatement(input: ProvenanceInput): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: input.subjects,
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: AIRLOCK_BUILD_TYPE,
        externalParameters: {
          description: { path: input.description.path, digest: { sha256: input.description.sha256 } },
          product: input.product,
          buildType: input.buildType,
        },
        ...resolvedDependencies(input),
      },
      runDetails: {
        builder: { id: input.builderId },
        metadata: { invocationId: input.invocationId, startedOn: input.startedOn.toISOString(), finishedOn: input.finishedOn.toISOString() },
      },
    },
  };
}

function resolvedDependencies(input: ProvenanceInput): { resolvedDependencies?: ResourceDescriptor[] } {
  const dependencies: ResourceDescriptor[] = [
    ...(input.sourceRevision ? [{ uri: input.sourceRevision.uri, digest: { gitCommit: input.sourceRevision.commit } }] : []),
    ...(input.inputs ?? []).map((i) => ({ name: i.name, digest: { sha256: i.sha256 }, ...(i.mediaType ? { mediaType: i.mediaType } : {}) })),
  ];
  return dependencies.length ? { resolvedDependencies: dependencies } : {};
}

export function signProvenance(statement: Statement, builderKey: SigningKey): DsseEnvelope {
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), [builderKey]);
}

/**
 * The statement of an envelope signed by one of the allowed builder keys, checked to be SLSA v1
 * provenance; RejectedError otherwise.
 */
export function verifyProvenance(envelope: DsseEnvelope, builderKeys: PublicKey[]): Statement {
  return verifyProvenanceSigners(envelope, builderKeys).statement;
}

/** The same, with the key IDs (hex) of the builder keys whose signatures verified. */
export function verifyProvenanceSigners(envelope: DsseEnvelope, builderKeys: PublicKey[]): { statement: Statement; signedBy: string[] } {
  const { payload, signedBy } = verifyEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, builderKeys);
  let statement: Statement;
  try {
    statement = JSON.parse(Buffer.from(payload).toString("utf8")) as Statement;
  } catch {
    throw new RejectedError("the provenance payload is signed but is not JSON: not an in-toto statement");
  }
  if (statement._type !== STATEMENT_TYPE || statement.predicateType !== SLSA_PROVENANCE_V1 || !Array.isArray(statement.subject)) {
    throw new RejectedError(`the provenance is not an in-toto Statement v1 with a SLSA Provenance v1 predicate (_type ${statement._type}, predicateType ${statement.predicateType})`);
  }
  return { statement, signedBy };
}

/**
 * Whether the statement endorses exactly these bytes: each named subject must be listed with
 * this digest. Returns the names that do not match (empty: all match).
 */
export function unmatchedSubjects(statement: Statement, expected: Subject[]): string[] {
  const listed = new Map(statement.subject.map((s) => [s.name, s.digest?.sha256]));
  return expected.filter((e) => listed.get(e.name) !== e.digest.sha256).map((e) => e.name);
}
