// airlock release revert-to: how a release is rolled back. Devices refuse a lower targets
// version (anti-rollback), and the repository refuses to publish one, so going back to an older
// build means a new build of the same images at a higher version. This rebuilds the old build's
// inputs, taken from the artifact store by the digests its record names, with the new version,
// through the same `airlock build` step (rules, provenance, store), so the result goes through
// the whole pipeline (qualify, sign, publish) like any other build.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { InputError, RejectedError } from "../../format/index.js";
import { parseDescription } from "../../build/index.js";
import { loadReleaseBuild, loadReleaseConfig, ReleaseHistoryStore, ReleaseRepository } from "../../release/index.js";
import { ArtifactStore } from "../../store/index.js";
import type { CliIo } from "../io.js";
import { buildCommand } from "./build.js";
import { integer } from "./options.js";
import { CONFIG_OPTION } from "./release-pipeline.js";

/** The highest targets version of the product anywhere in the release system: on a channel or with a history. */
function highestVersion(repository: ReleaseRepository, histories: ReleaseHistoryStore, product: string): number {
  const published = repository.channels().flatMap((c) => repository.readIndex(c)?.index.releases.filter((r) => r.product === product).map((r) => r.targetsVersion) ?? []);
  const tracked = histories.list(product).map((h) => h.targetsVersion);
  return Math.max(0, ...published, ...tracked);
}

export function registerReleaseRevert(release: Command, io: CliIo): void {
  release
    .command("revert-to")
    .description("make a new build of an older build's images at a higher targets version (devices never install a lower one); release it with `release run`")
    .requiredOption(...CONFIG_OPTION)
    .argument("<build>", "the older build: its record's sha256 in the artifact store, or its .build.json")
    .requiredOption("--builder-key <priv>", "the builder's private key: signs the new build's provenance")
    .option("--builder-id <uri>", "the builder's identity in the provenance (default: local:USER@HOST)")
    .option("--version <n>", "the new targets version (default: one above the highest the release system has seen)", integer)
    .option("--out-dir <dir>", "where the new build's sources and outputs are written", "airlock-out")
    .option("--json", "print the new build record")
    .action(async (build: string, options: { config: string; builderKey: string; builderId?: string; version?: number; outDir: string; json?: boolean }) => {
      const config = loadReleaseConfig(options.config);
      const store = new ArtifactStore(config.store);
      const old = loadReleaseBuild(store, build, config.product);
      const highest = highestVersion(new ReleaseRepository(config.repository), new ReleaseHistoryStore(config.history), config.product);
      const version = options.version ?? highest + 1;
      if (version <= highest) throw new InputError(`--version ${version} is not above ${highest}, the highest targets version of ${config.product} released or in the pipeline: devices would refuse it`);

      const descriptionEntry = Object.entries(old.record.inputs).find(([name]) => name.startsWith("description:"));
      if (!descriptionEntry) throw new RejectedError(`build ${old.digest} names no description input: it was not made by \`airlock build\``);
      const description = parseDescription(Buffer.from(store.get(descriptionEntry[1].sha256)).toString("utf8"), `the description of build ${old.digest}`);
      if (description.board.endsWith(".json")) {
        throw new InputError(`build ${old.digest} names its board by file (${description.board}); revert-to rebuilds only builds whose board is a board name`);
      }
      // The same input files, byte for byte, beside a description that differs only in version and paths.
      const sources = join(options.outDir, `${config.product}-${version}-revert-src`);
      mkdirSync(sources, { recursive: true });
      for (const [name, target] of Object.entries(description.targets)) {
        const kind = target.elf !== undefined ? "elf" : "binary";
        const input = old.record.inputs[`${kind}:${name}`];
        if (!input) throw new RejectedError(`build ${old.digest} lists no ${kind} input for target ${name}`);
        const file = `${name}.${kind === "elf" ? "elf" : "bin"}`;
        writeFileSync(join(sources, file), store.get(input.sha256));
        description.targets[name] = { ...target, elf: kind === "elf" ? file : undefined, binary: kind === "binary" ? file : undefined };
      }
      const descriptionPath = join(sources, `${config.product}.json`);
      writeFileSync(descriptionPath, `${JSON.stringify({ ...description, targetsVersion: version }, null, 2)}\n`);
      if (!options.json) io.out(`rebuilding ${config.product} v${old.record.targetsVersion} (build ${old.digest}) as v${version}:\n`);
      const made = await buildCommand(io, descriptionPath, { builderKey: options.builderKey, builderId: options.builderId, outDir: options.outDir, store: config.store, lastReleased: highest, json: options.json });
      if (!options.json) io.out(`release it: airlock release run --config ${options.config} ${made.stored.sha256}\n`);
    });
}
