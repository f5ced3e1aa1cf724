// One build: a product's description and its inputs in, an unsigned bundle, a dev-signed bundle
// (eng builds with a dev key) and builder-signed provenance out. Every validation rule runs on
// every target before anything is produced, and all failures are reported at once, so one run
// says everything that must change. Nothing here writes files: the caller (the CLI, the signer
// re-checking a build) decides where the bytes go.
import { createHash, randomUUID } from "node:crypto";
import { dirname, isAbsolute, resolve } from "node:path";
import { createBundle, readInput, RejectedError, signBundle, parseBundle, InputError, type SigningKey } from "../format/index.js";
import { parseDescription, type BuildDescription } from "./description.js";
import type { DsseEnvelope } from "./dsse.js";
import { parseElf, slotImage } from "./elf.js";
import { provenanceStatement, SBOM_DEPENDENCY, signProvenance, TARGETS_METADATA_SUBJECT, type Statement, type Subject } from "./provenance.js";
import { parseSbom, SBOM_MEDIA_TYPES, type Sbom } from "./sbom.js";
import { validateTarget, type RuleFailure, type TargetArtifact } from "./rules.js";

/** The user manifest is bytes for the device's manifest, not a slot image: it has no slot. */
const USER_MANIFEST = "user_manifest";
const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export interface BuildInputs {
  /** The description file's path: target files are resolved against its directory. */
  descriptionPath: string;
  /** The description as already read from that path (the caller needed its board first). */
  description?: { description: BuildDescription; bytes: Uint8Array };
  /** Files that replace the description's for some targets (a CMake build passes the ELF it linked). */
  inputOverrides?: Record<string, string>;
  /** The firmware build's SBOM file, which replaces the description's `sbom` (a CMake build passes its own). */
  sbomPath?: string;
  /** The board's slot size per target name. */
  slots: Record<string, number>;
  /** Signed root metadata to carry in the bundle. */
  root?: Uint8Array;
  /** The targets version last released for this product; the build must be above it. */
  lastReleasedVersion?: number;
  builderKey: SigningKey;
  builderId: string;
  /** Local dev targets key: eng builds get a dev-signed bundle too. */
  devKey?: SigningKey;
  sourceRevision?: { uri: string; commit: string };
  now?: () => Date;
}

export interface BuiltTarget {
  name: string;
  /** The file the image came from, and what it was. */
  input: { path: string; kind: "elf" | "binary"; sha256: string; bytes: Uint8Array };
  image: Uint8Array;
  sha256: string;
  loadAddress?: number;
}

export interface BuildResult {
  description: BuildDescription;
  descriptionBytes: Uint8Array;
  targets: BuiltTarget[];
  unsignedBundle: Uint8Array;
  devSignedBundle?: Uint8Array;
  /** The SBOM the build carried, checked and listed in the provenance. */
  sbom?: BuiltSbom;
  statement: Statement;
  provenance: DsseEnvelope;
}

export interface BuiltSbom {
  path: string;
  bytes: Uint8Array;
  sha256: string;
  document: Sbom;
}

/** Every rule failure of a build, each naming the rule, the target and the evidence. */
export class BuildRefused extends RejectedError {
  constructor(readonly failures: RuleFailure[]) {
    super(`build refused by ${failures.length} rule failure(s): ${failures.map((f) => `${f.rule} [${f.target}]: ${f.evidence}`).join("; ")}`);
  }
}

/** The subject name of a target file the build read (provenance's resolvedDependencies). */
export const inputName = (target: string, kind: "elf" | "binary") => `${kind}:${target}`;

/** A target's image and what it came from: an ELF's loadable segments, or a binary as is. */
export function loadTarget(name: string, path: string, kind: "elf" | "binary"): { target: BuiltTarget; artifact: Omit<TargetArtifact, "slotSize"> } {
  return targetFromFile(name, readInput(path, `target ${name}'s ${kind === "elf" ? "ELF" : "image"}`), path, kind);
}

/** The same from the file's bytes (the signer's copy from the artifact store); `path` names it in errors. */
export function targetFromFile(name: string, file: Uint8Array, path: string, kind: "elf" | "binary"): { target: BuiltTarget; artifact: Omit<TargetArtifact, "slotSize"> } {
  const input = { path, kind, sha256: sha256Hex(file), bytes: file };
  if (kind === "binary") {
    return { target: { name, input, image: file, sha256: sha256Hex(file) }, artifact: { name, image: file } };
  }
  const elf = parseElf(file, path);
  const image = slotImage(elf, path);
  return {
    target: { name, input, image: image.bytes, sha256: sha256Hex(image.bytes), loadAddress: image.loadAddress },
    artifact: { name, image: image.bytes, elf, loadAddress: image.loadAddress },
  };
}

/** Runs the rules a product's targets must pass; the signer calls this again on what it is asked to sign. */
export function checkTargets(
  description: BuildDescription,
  artifacts: Array<Omit<TargetArtifact, "slotSize">>,
  slots: Record<string, number>,
  lastReleasedVersion?: number,
): RuleFailure[] {
  const failures: RuleFailure[] = [];
  if (lastReleasedVersion !== undefined && description.targetsVersion <= lastReleasedVersion) {
    failures.push({ rule: "version-rises", target: "*", evidence: `targets version ${description.targetsVersion} is not above ${lastReleasedVersion}, the last released one` });
  }
  for (const artifact of artifacts) {
    if (artifact.name === USER_MANIFEST) {
      failures.push(...validateTarget(description, { ...artifact, slotSize: Number.MAX_SAFE_INTEGER }));
      continue;
    }
    const slotSize = slots[artifact.name];
    if (slotSize === undefined) {
      failures.push({ rule: "board-target", target: artifact.name, evidence: `board "${description.board}" has no slot for it; its targets are ${Object.keys(slots).join(", ")}` });
      continue;
    }
    failures.push(...validateTarget(description, { ...artifact, slotSize }));
  }
  return failures;
}

/** Reads and checks a description file. */
export function readDescription(path: string): { description: BuildDescription; bytes: Uint8Array } {
  const bytes = readInput(path, "build description");
  return { description: parseDescription(Buffer.from(bytes).toString("utf8"), path), bytes };
}

function readSbom(path: string | undefined): BuiltSbom | undefined {
  if (path === undefined) return undefined;
  const bytes = readInput(path, "SBOM");
  return { path, bytes, sha256: sha256Hex(bytes), document: parseSbom(bytes, `SBOM ${path}`) };
}

export function runBuild(inputs: BuildInputs): BuildResult {
  const now = inputs.now ?? (() => new Date());
  const startedOn = now();
  const { description, bytes: descriptionBytes } = inputs.description ?? readDescription(inputs.descriptionPath);
  const base = dirname(inputs.descriptionPath);
  for (const name of Object.keys(inputs.inputOverrides ?? {})) {
    if (!(name in description.targets)) {
      throw new InputError(`--target ${name}=... names no target of ${inputs.descriptionPath}; its targets are ${Object.keys(description.targets).join(", ")}`);
    }
  }
  if (inputs.devKey && description.buildType !== "eng") {
    throw new InputError(`${inputs.descriptionPath} is a ${description.buildType} build: only eng builds are dev-signed; user builds are signed by the signing service (airlock bundle sign --remote)`);
  }

  const loaded = Object.entries(description.targets).map(([name, input]) => {
    const kind = input.elf !== undefined ? "elf" : "binary";
    const given = inputs.inputOverrides?.[name] ?? (input.elf ?? input.binary)!;
    return loadTarget(name, (isAbsolute(given) || inputs.inputOverrides?.[name] !== undefined) ? resolve(given) : resolve(base, given), kind);
  });
  const sbom = readSbom(inputs.sbomPath !== undefined ? resolve(inputs.sbomPath) : description.sbom === undefined ? undefined : resolve(base, description.sbom));
  const failures = checkTargets(description, loaded.map((l) => l.artifact), inputs.slots, inputs.lastReleasedVersion);
  if (failures.length) throw new BuildRefused(failures);

  const targets = loaded.map((l) => l.target);
  const unsignedBundle = createBundle({
    targetsVersion: description.targetsVersion,
    payloads: targets.map((t) => ({ name: t.name, data: t.image })),
    root: inputs.root,
    hardwareId: description.hardwareId,
  });
  const subjects: Subject[] = [
    ...targets.map((t) => ({ name: t.name, digest: { sha256: t.sha256 } })),
    { name: TARGETS_METADATA_SUBJECT, digest: { sha256: sha256Hex(parseBundle(unsignedBundle).targetsSerialized) } },
  ];
  const statement = provenanceStatement({
    subjects,
    builderId: inputs.builderId,
    description: { path: inputs.descriptionPath, sha256: sha256Hex(descriptionBytes) },
    product: description.product,
    buildType: description.buildType,
    sourceRevision: inputs.sourceRevision,
    inputs: [
      ...targets.map((t) => ({ name: inputName(t.name, t.input.kind), sha256: t.input.sha256 })),
      ...(sbom ? [{ name: SBOM_DEPENDENCY, sha256: sbom.sha256, mediaType: SBOM_MEDIA_TYPES[sbom.document.format] }] : []),
    ],
    startedOn,
    finishedOn: now(),
    invocationId: randomUUID(),
  });
  return {
    description,
    descriptionBytes,
    targets,
    unsignedBundle,
    devSignedBundle: inputs.devKey ? signBundle(unsignedBundle, inputs.devKey) : undefined,
    sbom,
    statement,
    provenance: signProvenance(statement, inputs.builderKey),
  };
}
