// What the signer checks on a build before a key signs its targets metadata, on the artifacts
// themselves, never on the requester's word:
// - provenance: the DSSE envelope verifies under a listed builder key, its builder ID is that
//   builder's, and it is for this product;
// - subjects: the envelope lists the exact targets metadata bytes to be signed and each target
//   with the digest the metadata gives it, and every payload the bundle carries has that digest
//   (a payload changed after the build is refused here);
// - for production keys, the build itself: the description and each target's ELF, fetched from
//   the artifact store by the digests the provenance lists, must be a user build of this product
//   and version whose slot images are exactly the payloads, and must pass every validation rule
//   again (with the ledger's last production version as the last release).
import { createHash } from "node:crypto";
import {
  checkTargets, inputName, parseDescription, TARGETS_METADATA_SUBJECT, targetFromFile, unmatchedSubjects, verifyProvenanceSigners,
  type BuildDescription, type DsseEnvelope, type Statement,
} from "../build/index.js";
import { hex, RejectedError, type ParsedBundle, type PublicKey } from "../format/index.js";
import type { ArtifactStore } from "../store/index.js";

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The SHA-256 (hex) the targets metadata lists for a target ("" when it lists none). */
export function listedSha256(target: { hashes?: Array<{ hash?: Uint8Array | null }> | null }): string {
  return hex(target.hashes?.[0]?.hash ?? new Uint8Array());
}

export interface TrustedBuilder {
  name: string;
  id: string;
  key: PublicKey;
}

export interface Endorsement {
  statement: Statement;
  builder: TrustedBuilder;
  buildType: "eng" | "user";
}

/** Provenance by a listed builder, for this product, naming exactly this bundle's bytes. */
export function checkProvenance(envelope: DsseEnvelope, builders: TrustedBuilder[], bundle: ParsedBundle, product: string): Endorsement {
  const { statement, signedBy } = verifyProvenanceSigners(envelope, builders.map((b) => b.key));
  const builder = builders.find((b) => signedBy.includes(hex(b.key.keyId)))!;
  const claimed = statement.predicate?.runDetails?.builder?.id;
  if (claimed !== builder.id) throw new RejectedError(`the provenance names builder "${claimed}" but is signed by builder "${builder.name}" (${builder.id})`);
  const parameters = statement.predicate.buildDefinition?.externalParameters ?? {};
  if (parameters.product !== product) throw new RejectedError(`the provenance is for product ${JSON.stringify(parameters.product)}, the request for "${product}"`);
  const buildType = parameters.buildType;
  if (buildType !== "eng" && buildType !== "user") throw new RejectedError(`the provenance's build type ${JSON.stringify(buildType)} is neither eng nor user`);

  const listed = bundle.targets.targetFiles ?? [];
  const expected = [
    { name: TARGETS_METADATA_SUBJECT, digest: { sha256: sha256Hex(bundle.targetsSerialized) } },
    ...listed.map((t) => ({ name: t.fileName ?? "", digest: { sha256: listedSha256(t) } })),
  ];
  const unmatched = unmatchedSubjects(statement, expected);
  if (unmatched.length) throw new RejectedError(`the provenance does not endorse these bytes: ${unmatched.join(", ")} differ from its subjects (provenance for another build?)`);
  for (const t of listed) {
    const payload = bundle.payloads[t.fileName ?? ""];
    if (payload && sha256Hex(payload) !== listedSha256(t)) {
      throw new RejectedError(`payload ${t.fileName} does not match the digest its targets metadata and the provenance give: the bundle was changed after the build`);
    }
  }
  return { statement, builder, buildType };
}

/** Fetches a provenance-listed object from the store, checking it is there. */
function fetch(store: ArtifactStore, sha256: string | undefined, what: string): Uint8Array {
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new RejectedError(`the provenance lists no digest for ${what}: the signer cannot re-check the build`);
  if (!store.has(sha256)) throw new RejectedError(`${what} (sha256:${sha256}) is not in the artifact store: upload the build with airlock build --store`);
  return store.get(sha256);
}

/**
 * Re-runs the build's checks from the artifact store: the description and the target files the
 * provenance lists, converted again and compared with the payloads, and every rule.
 */
export function recheckBuild(
  endorsement: Endorsement,
  bundle: ParsedBundle,
  store: ArtifactStore,
  slotsOf: (board: string) => Record<string, number>,
  lastProductionVersion: number,
): BuildDescription {
  const parameters = endorsement.statement.predicate.buildDefinition.externalParameters as { product?: string; description?: { digest?: { sha256?: string } } };
  const descriptionBytes = fetch(store, parameters.description?.digest?.sha256, "the build description");
  const description = parseDescription(Buffer.from(descriptionBytes).toString("utf8"), "the stored build description");
  const targetsVersion = Number(bundle.targets.commonMetadata?.version ?? 0);
  const mismatch = (what: string, theirs: unknown, ours: unknown) => new RejectedError(`the build description's ${what} is ${JSON.stringify(theirs)}, the bundle's ${JSON.stringify(ours)}`);
  if (description.product !== parameters.product) throw mismatch("product", description.product, parameters.product);
  if (description.buildType !== endorsement.buildType) throw mismatch("build type", description.buildType, endorsement.buildType);
  if (description.targetsVersion !== targetsVersion) throw mismatch("targets version", description.targetsVersion, targetsVersion);
  if (description.hardwareId !== (bundle.targets.hardwareId ?? "")) throw mismatch("hardware ID", description.hardwareId, bundle.targets.hardwareId);

  const dependencies = new Map((endorsement.statement.predicate.buildDefinition.resolvedDependencies ?? []).filter((d) => d.name).map((d) => [d.name!, d.digest.sha256]));
  const listed = new Map((bundle.targets.targetFiles ?? []).map((t) => [t.fileName ?? "", listedSha256(t)]));
  const artifacts = Object.entries(description.targets).map(([name, input]) => {
    const kind = input.elf !== undefined ? "elf" : "binary";
    const file = fetch(store, dependencies.get(inputName(name, kind)), `target ${name}'s ${kind}`);
    const { target, artifact } = targetFromFile(name, file, `target ${name}'s ${kind} (sha256:${dependencies.get(inputName(name, kind))})`, kind);
    if (listed.get(name) !== target.sha256) throw new RejectedError(`target ${name} built again from its ${kind} is sha256:${target.sha256}, the bundle lists sha256:${listed.get(name) ?? "nothing"}`);
    return artifact;
  });
  for (const name of listed.keys()) if (!(name in description.targets)) throw new RejectedError(`the bundle carries target ${name}, which the build description does not build`);
  const failures = checkTargets(description, artifacts, slotsOf(description.board), lastProductionVersion);
  if (failures.length) throw new RejectedError(`the build fails its rules at signing time: ${failures.map((f) => `${f.rule} [${f.target}]: ${f.evidence}`).join("; ")}`);
  return description;
}
