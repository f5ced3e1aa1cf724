// airlock release deps: what is out of date or denied, per build or per current release. Builds
// are named by their build record (the .build.json file, or its digest in the artifact store); a
// release repository's current releases are traced to their builds through the store's index of
// build records by targets metadata (a signed bundle carries its build's targets metadata bytes).
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { InputError, loadPublicKey, parseBundle, readInput, RejectedError, type PublicKey } from "../../format/index.js";
import { buildsOfTargetsMetadata } from "../../build/index.js";
import {
  buildDependencies, buildFindings, loadDependencyRules, ReleaseRepository, requireChannelName,
  type ChannelRelease, type DependencyFinding, type DependencyRules,
} from "../../release/index.js";
import { ArtifactStore, SHA256_HEX, sha256Hex } from "../../store/index.js";
import type { CliIo } from "../io.js";
import { collect } from "./options.js";

interface DepsFlags {
  rules: string;
  store: string;
  repo?: string;
  channel?: string;
  builderKey?: string[];
  json?: boolean;
}

interface BuildReport {
  build: string | null;
  product?: string;
  targetsVersion?: number;
  sbom: { sha256: string; format: string; components: number } | null;
  findings: DependencyFinding[];
}

interface ReleaseReport {
  channel: string;
  release: Pick<ChannelRelease, "product" | "hardwareId" | "targetsVersion" | "bundle">;
  builds: BuildReport[];
}

/** A build record given as a file (its bytes' digest) or as a store digest. */
function recordDigest(argument: string, store: ArtifactStore): string {
  const sha256 = SHA256_HEX.test(argument) && !existsSync(argument) ? argument : sha256Hex(readInput(argument, "build record"));
  if (!store.has(sha256)) {
    throw new InputError(`build record ${argument} (sha256:${sha256}) is not in the artifact store ${store.root}: give the --store the build uploaded to`);
  }
  return sha256;
}

function reportBuild(store: ArtifactStore, sha256: string, rules: DependencyRules, builderKeys: PublicKey[] | undefined, targetsMetadataSha256?: string): BuildReport {
  const build = buildDependencies(store, sha256, { builderKeys, targetsMetadataSha256 });
  return {
    build: sha256,
    product: build.record.product,
    targetsVersion: build.record.targetsVersion,
    sbom: build.record.sbom ? { sha256: build.record.sbom.sha256, format: build.record.sbom.format, components: build.sbom!.components.length } : null,
    findings: buildFindings(build, rules),
  };
}

function reportReleases(flags: DepsFlags, store: ArtifactStore, rules: DependencyRules, builderKeys: PublicKey[] | undefined): ReleaseReport[] {
  if (!existsSync(flags.repo!)) throw new InputError(`there is no release repository at ${flags.repo}: give the directory airlock release publish wrote`);
  const repository = new ReleaseRepository(flags.repo!);
  const channels = flags.channel ? [requireChannelName(flags.channel)] : repository.channels();
  return channels.flatMap((channel) => {
    const stored = repository.readIndex(channel);
    if (!stored) throw new InputError(`${flags.repo} has no index for channel ${channel}`);
    return stored.index.releases.map((release) => {
      const bundle = parseBundle(repository.objects.get(release.bundle.sha256), `the ${release.product} bundle on channel ${channel}`);
      const targetsMetadata = sha256Hex(bundle.targetsSerialized);
      const records = buildsOfTargetsMetadata(store, targetsMetadata);
      const builds = records.length
        ? records.map((sha256) => reportBuild(store, sha256, rules, builderKeys, targetsMetadata))
        : [{
          build: null, sbom: null,
          findings: [{
            kind: "no-build" as const, rule: "dependency rules",
            message: `no build in ${store.root} made this bundle (targets metadata sha256:${targetsMetadata}), so its components cannot be checked; give the --store its build uploaded to`,
          }],
        }];
      return { channel, release: { product: release.product, hardwareId: release.hardwareId, targetsVersion: release.targetsVersion, bundle: release.bundle }, builds };
    });
  });
}

function printBuild(io: CliIo, report: BuildReport, indent: string): void {
  if (report.build !== null) {
    const sbom = report.sbom ? `${report.sbom.format} SBOM with ${report.sbom.components} component(s)` : "no SBOM";
    io.out(`${indent}build sha256:${report.build} (${report.product} targets v${report.targetsVersion}), ${sbom}: ${report.findings.length ? `${report.findings.length} refused` : "up to date"}\n`);
  }
  for (const f of report.findings) io.out(`${indent}  ${f.kind.padEnd(15)} ${f.message}${f.at ? ` [${f.at}]` : ""}\n`);
}

export function registerReleaseDeps(release: Command, io: CliIo): void {
  release
    .command("deps")
    .description("check builds' SBOM components against dependency rules (minimum versions, deny-list): given build records, or each channel's current releases; exit 1 when any is refused")
    .argument("[build-records...]", "build records: .build.json files, or their SHA-256 in the store")
    .requiredOption("--rules <file>", "the dependency rules (YAML: minimum and deny, at the top level or under dependencies:, as in the release config)")
    .requiredOption("--store <dir>", "the artifact store the builds uploaded to")
    .option("--repo <dir>", "check the current release of every product on each channel of this release repository")
    .option("--channel <channel>", "with --repo: only this channel")
    .option("--builder-key <pub>", "a builder's public key: the SBOM is trusted only if that builder's provenance names it (repeatable)", collect)
    .option("--json", "print {ok, builds: [...]} or {ok, releases: [...]}, each build with its findings")
    .action((records: string[], flags: DepsFlags) => {
      if ((records.length > 0) === (flags.repo !== undefined)) {
        throw new InputError("give build records or --repo DIR, not both and not neither: e.g. airlock release deps --rules deps.yaml --store airlock-store out/thermostat-5.build.json");
      }
      if (flags.channel !== undefined && flags.repo === undefined) throw new InputError("--channel needs --repo");
      if (!existsSync(flags.store)) throw new InputError(`there is no artifact store at ${flags.store}: give the --store airlock build uploaded to`);
      const rules = loadDependencyRules(flags.rules);
      const store = new ArtifactStore(flags.store);
      const builderKeys = flags.builderKey?.map((path) => loadPublicKey(path));
      if (!builderKeys) io.err("note: no --builder-key: each SBOM is taken from its build record without checking that the builder's provenance names it\n");

      let refused: number;
      if (flags.repo === undefined) {
        const builds = records.map((r) => reportBuild(store, recordDigest(r, store), rules, builderKeys));
        refused = builds.reduce((n, b) => n + b.findings.length, 0);
        if (flags.json) io.out(`${JSON.stringify({ ok: refused === 0, builds })}\n`);
        else for (const b of builds) printBuild(io, b, "");
      } else {
        const releases = reportReleases(flags, store, rules, builderKeys);
        refused = releases.reduce((n, r) => n + r.builds.reduce((m, b) => m + b.findings.length, 0), 0);
        if (flags.json) io.out(`${JSON.stringify({ ok: refused === 0, releases })}\n`);
        else {
          if (!releases.length) io.out(`${flags.repo}: nothing published yet\n`);
          for (const r of releases) {
            io.out(`channel ${r.channel}: ${r.release.product} (hardware ${r.release.hardwareId ?? "any"}) targets v${r.release.targetsVersion}, bundle sha256:${r.release.bundle.sha256}\n`);
            for (const b of r.builds) printBuild(io, b, "  ");
          }
        }
      }
      if (refused) throw new RejectedError(`${refused} dependency finding(s) refuse promotion: update or remove the components listed above`);
    });
}
