// airlock build DESCRIPTION: the build system's step (tools/build/): a product's description and
// its linked firmware in; an unsigned bundle, a dev-signed bundle (eng builds given --dev-key)
// and builder-signed provenance out, written to --out-dir and uploaded to the artifact store
// together with the description, the target files and the SBOM, so the signer can re-check the
// build from the store by digest alone; the build record goes to the store too, filed under the
// targets metadata's digest, so the release system finds the build behind a published bundle.
import { mkdirSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { Command } from "commander";
import { InputError, loadSigningKey, parseBundle, readInput, writeAtomic } from "../../format/index.js";
import { readDescription, runBuild, sourceRevisionOf, storeBuildRecord, type BuildRecord, type BuildResult } from "../../build/index.js";
import { ArtifactStore, sha256Hex } from "../../store/index.js";
import type { CliIo } from "../io.js";
import { collect, integer } from "./options.js";

// The simulator's board files load only for this verb.
const simulator = () => import("../../../host-sim/index.js");

export interface BuildFlags {
  builderKey: string;
  builderId?: string;
  devKey?: string;
  root?: string;
  target?: string[];
  sbom?: string;
  outDir: string;
  store: string;
  lastReleased?: number;
  releaseRecord?: string;
  json?: boolean;
}

/** NAME=FILE pairs of --target into a map. */
function overrides(pairs: string[] = []): Record<string, string> {
  const map: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0 || at === pair.length - 1) throw new InputError(`--target ${pair}: expected NAME=FILE, e.g. --target app=build/app.elf`);
    map[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return map;
}

/**
 * The last released targets version of the product: --last-released N, or a release record
 * (JSON {"product", "targetsVersion"}) for this product.
 */
function lastReleased(flags: BuildFlags, product: () => string): number | undefined {
  if (flags.releaseRecord === undefined) return flags.lastReleased;
  if (flags.lastReleased !== undefined) throw new InputError("give --last-released or --release-record, not both");
  let record: { product?: unknown; targetsVersion?: unknown };
  try {
    record = JSON.parse(Buffer.from(readInput(flags.releaseRecord, "release record")).toString("utf8")) as typeof record;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${flags.releaseRecord} is not JSON: a release record is {"product": NAME, "targetsVersion": N}`);
  }
  if (typeof record.targetsVersion !== "number" || !Number.isInteger(record.targetsVersion) || record.targetsVersion < 0) {
    throw new InputError(`${flags.releaseRecord}: "targetsVersion" must be a whole number`);
  }
  if (record.product !== product()) throw new InputError(`${flags.releaseRecord} records product ${JSON.stringify(record.product)}, the description builds "${product()}"`);
  return record.targetsVersion;
}

export function registerBuild(program: Command, io: CliIo): void {
  program
    .command("build")
    .description("build a product's update bundle from its description: validation rules, unsigned and dev-signed bundles, signed provenance, uploaded to the artifact store")
    .argument("<description>", "the product's build description (JSON)")
    .requiredOption("--builder-key <priv>", "the builder's private key: signs the provenance (PKCS#8 PEM)")
    .option("--builder-id <uri>", "the builder's identity in the provenance (default: local:USER@HOST)")
    .option("--dev-key <priv>", "eng builds: also write a bundle signed with this local dev targets key")
    .option("--root <root>", "signed root metadata to carry in the bundle")
    .option("--target <name=file>", "use FILE for target NAME instead of the description's path (repeatable; CMake passes the linked ELF)", collect)
    .option("--sbom <file>", "the firmware build's SBOM (CycloneDX 1.4-1.6 or SPDX 2.3 JSON), instead of the description's \"sbom\"")
    .option("--out-dir <dir>", "where the bundles and the provenance are written (replaced on every build)", "airlock-out")
    .option("--store <dir>", "the artifact store the build uploads to", "airlock-store")
    .option("--last-released <n>", "the product's last released targets version: the build must be above it", integer)
    .option("--release-record <file>", "read the last released version from a release record ({product, targetsVersion})")
    .option("--json", "print the build record as one JSON object, with buildRecord: {path, sha256} (its digest in the store)")
    .action(async (descriptionPath: string, flags: BuildFlags) => {
      await buildCommand(io, descriptionPath, flags);
    });
}

/** Writes the outputs to --out-dir and uploads outputs, inputs and the record to the artifact store. */
function publish(result: BuildResult, flags: BuildFlags, descriptionPath: string): { record: BuildRecord; stored: { path: string; sha256: string } } {
  const { product, targetsVersion } = result.description;
  const stem = `${product}-${targetsVersion}`;
  const store = new ArtifactStore(flags.store);
  mkdirSync(flags.outDir, { recursive: true });
  const outputs: Array<[string, string, Uint8Array]> = [
    ["unsignedBundle", `${stem}.bundle`, result.unsignedBundle],
    ...(result.devSignedBundle ? [["devSignedBundle", `${stem}.dev.bundle`, result.devSignedBundle] as [string, string, Uint8Array]] : []),
    ["provenance", `${stem}.provenance.json`, Buffer.from(`${JSON.stringify(result.provenance, null, 2)}\n`)],
  ];
  const files: BuildRecord["files"] = {};
  for (const [what, name, bytes] of outputs) {
    const path = join(flags.outDir, name);
    writeAtomic(path, bytes, { force: true });
    files[what] = { path, sha256: store.put(bytes).sha256, size: bytes.length };
  }
  // The inputs too: the signer re-runs the rules on the ELFs, fetched by the digests the provenance lists.
  const inputs: BuildRecord["inputs"] = { [`description:${basename(descriptionPath)}`]: { sha256: store.put(result.descriptionBytes).sha256 } };
  for (const t of result.targets) inputs[`${t.input.kind}:${t.name}`] = { sha256: store.put(t.input.bytes).sha256 };
  const targetsMetadata = { sha256: sha256Hex(parseBundle(result.unsignedBundle).targetsSerialized) };
  const sbom = result.sbom && {
    sha256: store.put(result.sbom.bytes).sha256,
    size: result.sbom.bytes.length,
    format: result.sbom.document.format,
    specVersion: result.sbom.document.specVersion,
    components: result.sbom.document.components.length,
  };
  const record: BuildRecord = {
    product, targetsVersion, buildType: result.description.buildType, builderId: result.statement.predicate.runDetails.builder.id, targetsMetadata, files, inputs,
    ...(sbom ? { sbom } : {}),
  };
  const recordBytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
  const path = join(flags.outDir, `${stem}.build.json`);
  writeAtomic(path, recordBytes, { force: true });
  return { record, stored: { path, sha256: storeBuildRecord(store, recordBytes, targetsMetadata.sha256) } };
}

/** One build as `airlock build` runs it (also `release revert-to`): outputs written and stored, then reported. */
export async function buildCommand(io: CliIo, descriptionPath: string, flags: BuildFlags): Promise<{ record: BuildRecord; stored: { path: string; sha256: string } }> {
  const sim = await simulator();
  const builderKey = loadSigningKey(flags.builderKey);
  const devKey = flags.devKey === undefined ? undefined : loadSigningKey(flags.devKey);
  const root = flags.root === undefined ? undefined : readInput(flags.root, "root metadata");
  const read = readDescription(descriptionPath);
  const { description } = read;
  // A board named by path is relative to the description, like its target files.
  const boardName = description.board.endsWith(".json") && !isAbsolute(description.board) ? resolve(dirname(descriptionPath), description.board) : description.board;
  const board = sim.boardNamed(boardName);
  const source = sourceRevisionOf(descriptionPath);
  const result = runBuild({
    descriptionPath,
    description: read,
    inputOverrides: overrides(flags.target),
    sbomPath: flags.sbom,
    slots: Object.fromEntries(board.partitions.targets.map((t) => [t.name, t.slotSize])),
    root,
    lastReleasedVersion: lastReleased(flags, () => description.product),
    builderKey,
    builderId: flags.builderId ?? `local:${userInfo().username}@${hostname()}`,
    devKey,
    sourceRevision: source && { uri: source.uri, commit: source.commit },
  });
  const { record, stored } = publish(result, flags, descriptionPath);
  if (source?.dirty) io.err(`warning: ${dirname(resolve(descriptionPath))} has uncommitted changes: the provenance names commit ${source.commit.slice(0, 12)}, which is not what was built\n`);
  if (!devKey && description.buildType === "eng") io.err("note: no --dev-key: no dev-signed bundle was written (sign the unsigned one with airlock bundle sign)\n");
  if (flags.json) {
    io.out(`${JSON.stringify({ ...record, buildRecord: stored })}\n`);
    return { record, stored };
  }
  io.out(`built ${description.product} targets version ${description.targetsVersion} (${description.buildType}), ${result.targets.length} target(s):\n`);
  for (const t of result.targets) io.out(`  ${t.name}  ${t.image.length} bytes  sha256:${t.sha256}  from ${t.input.kind} ${t.input.path}\n`);
  for (const [what, file] of Object.entries(record.files)) io.out(`  ${what.padEnd(16)} ${file.path}  (store sha256:${file.sha256})\n`);
  if (record.sbom) io.out(`  ${"sbom".padEnd(16)} ${result.sbom!.path}  (${record.sbom.format} ${record.sbom.specVersion}, ${record.sbom.components} component(s), store sha256:${record.sbom.sha256})\n`);
  io.out(`  ${"build record".padEnd(16)} ${stored.path}  (store sha256:${stored.sha256}; \`airlock release run\` starts from it)\n`);
  return { record, stored };
}
