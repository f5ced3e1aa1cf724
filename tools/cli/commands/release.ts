// airlock release publish|show|serve: the release repository (tools/release/) from the command
// line; the pipeline's verbs and `release deps` are registered from their own files.
import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { InputError, loadSigningKey, readInput } from "../../format/index.js";
import { DEFAULT_INDEX_EXPIRY_DAYS, loadReleaseConfig, ReleaseHistoryStore, ReleaseRepository, STANDARD_CHANNELS, requireChannelName, serveRelease, type ChannelIndex, type RefreshResult } from "../../release/index.js";
import type { CliIo } from "../io.js";
import { collect, integer, tcpAddress } from "./options.js";
import { eventPrinter, listenOrExplain, untilStopped } from "./service.js";
import { printHistory, registerReleasePipeline } from "./release-pipeline.js";
import { registerReleaseRevert } from "./release-revert.js";
import { registerReleaseQualify } from "./release-qualify.js";
import { registerReleaseDeps } from "./release-deps.js";

const REPO_OPTION = ["--repo <dir>", "the release repository's directory (created on first publish)"] as const;

export function registerRelease(program: Command, io: CliIo): void {
  const release = program
    .command("release")
    .description("the release repository: bundles by SHA-256 and a signed index per channel, static files any web server can serve");
  registerReleaseQualify(release, io);

  release
    .command("publish")
    .description("make BUNDLE the current release of PRODUCT on a channel: store it, then replace the channel's signed index (version + 1)")
    .requiredOption(...REPO_OPTION)
    .requiredOption("--channel <channel>", `${STANDARD_CHANNELS.join(", ")}, or a custom name`)
    .requiredOption("--key <release-key>", "the release key (PKCS#8 PEM, Ed25519 or P-256) that signs the index")
    .requiredOption("--product <product>", "the product the bundle is a build of")
    .option("--notes <url>", "the release notes' URL")
    .option("--expires-in <days>", `days until the index expires (devices refuse it after; default ${DEFAULT_INDEX_EXPIRY_DAYS})`, integer)
    .option("--json", "print {channel, indexVersion, previousIndexVersion, release, objectWritten, expires}")
    .argument("<bundle>", "the signed bundle")
    .action((bundlePath: string, options: { repo: string; channel: string; key: string; product: string; notes?: string; expiresIn?: number; json?: boolean }) => {
      requireChannelName(options.channel);
      const result = new ReleaseRepository(options.repo).publish({
        channel: options.channel,
        releaseKey: loadSigningKey(options.key),
        product: options.product,
        bundle: readInput(bundlePath, "bundle"),
        notesUrl: options.notes,
        expiresInDays: options.expiresIn,
      });
      const r = result.release;
      io.out(options.json
        ? `${JSON.stringify(result)}\n`
        : `published ${r.product} targets v${r.targetsVersion} (hardware ${r.hardwareId ?? "any"}, ${r.bundle.size} bytes, sha256 ${r.bundle.sha256}) on channel ${result.channel}: index version ${result.indexVersion}, expires ${result.expires}\n`);
    });

  release
    .command("refresh")
    .description("re-sign channel indexes that expire soon (same releases, index version + 1, new expiry): run it from cron so no channel freezes")
    .requiredOption(...REPO_OPTION)
    .requiredOption("--key <release-key>", "the release key that signs the indexes")
    .option("--channel <channel>", "only this channel (repeatable; default: every channel)", collect)
    .option("--within <hours>", "refresh indexes that expire within this many hours (default 48; 0: only expired ones)", integer, 48)
    .option("--expires-in <days>", `days until the new index expires (default ${DEFAULT_INDEX_EXPIRY_DAYS})`, integer)
    .option("--json", "print {refreshed: [{channel, indexVersion, previousExpires, expires}], unchanged: [channel]}")
    .action((options: { repo: string; key: string; channel?: string[]; within: number; expiresIn?: number; json?: boolean }) => {
      const repository = new ReleaseRepository(options.repo);
      const names = options.channel?.map(requireChannelName) ?? repository.channels();
      if (names.length === 0) throw new InputError(`${options.repo} has no channel index to refresh: publish first`);
      const releaseKey = loadSigningKey(options.key);
      const refreshed: RefreshResult[] = [];
      const unchanged: string[] = [];
      for (const channel of names) {
        const result = repository.refresh(channel, { releaseKey, expiresInDays: options.expiresIn, withinMs: options.within * 3_600_000 });
        if (result) refreshed.push(result);
        else unchanged.push(channel);
      }
      if (options.json) return io.out(`${JSON.stringify({ refreshed, unchanged })}\n`);
      for (const r of refreshed) io.out(`refreshed channel ${r.channel}: index version ${r.indexVersion}, expired ${r.previousExpires}, now expires ${r.expires}\n`);
      for (const c of unchanged) io.out(`channel ${c}: expires later than ${options.within} hours from now, left as it is\n`);
    });

  release
    .command("show")
    .description("the current release of every product on each channel, as the repository holds it; with --config also each release's stage history")
    .option("--repo <dir>", "the release repository's directory")
    .option("--config <file>", "a product's release config: its repository, and its releases' histories")
    .option("--channel <channel>", "only this channel")
    .option("--json", "print {channels: {NAME: index}} (with --config also releases: [history...])")
    .action((options: { repo?: string; config?: string; channel?: string; json?: boolean }) => {
      if ((options.repo === undefined) === (options.config === undefined)) throw new InputError("give --repo DIR (a repository) or --config FILE (a product's release config), one of them");
      const config = options.config === undefined ? undefined : loadReleaseConfig(options.config);
      const dir = config?.repository ?? options.repo!;
      const repository = new ReleaseRepository(dir);
      const names = options.channel ? [requireChannelName(options.channel)] : repository.channels();
      const channels: Record<string, ChannelIndex> = {};
      for (const name of names) {
        const stored = repository.readIndex(name);
        if (!stored) throw new InputError(`${dir} has no index for channel ${name}: publish to it with \`airlock release publish --channel ${name}\``);
        channels[name] = stored.index;
      }
      const releases = config ? new ReleaseHistoryStore(config.history).list(config.product) : undefined;
      if (options.json) return io.out(`${JSON.stringify({ channels, ...(releases ? { releases } : {}) })}\n`);
      if (names.length === 0) io.out(`${dir}: nothing published yet\n`);
      for (const [name, index] of Object.entries(channels)) {
        io.out(`channel ${name}: index version ${index.version}, issued ${index.issuedAt}, expires ${index.expires}\n`);
        for (const r of index.releases) {
          io.out(`  ${r.product} (hardware ${r.hardwareId ?? "any"}): targets v${r.targetsVersion}, ${r.bundle.size} bytes, sha256 ${r.bundle.sha256}${r.notesUrl ? `, notes ${r.notesUrl}` : ""}\n`);
        }
      }
      for (const history of releases ?? []) printHistory(io, history);
    });

  release
    .command("serve")
    .description("serve the repository read-only over HTTP for development (any static web server serves it as well; Ctrl-C stops it)")
    .argument("<dir>", "the release repository's directory")
    .option("--listen <host:port>", "where to listen (port 0 picks a free one)", tcpAddress, { host: "127.0.0.1", port: 8480 })
    .option("--json", "print one JSON line per event ({event, ...}) instead of text")
    .action(async (dir: string, options: { listen: { host: string; port: number }; json?: boolean }) => {
      const say = eventPrinter(io, options.json);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new InputError(`there is no release repository at ${dir}: make one with \`airlock release publish --repo ${dir} ...\``);
      }
      const handle = await listenOrExplain(options.listen, () => serveRelease(new ReleaseRepository(dir), { ...options.listen, log: (line) => say("request", line) }));
      say("listening", `serving ${dir} at ${handle.url}/ (pid ${process.pid}); devices fetch with \`airlock sim fetch --from ${handle.url} ...\``, { url: handle.url, pid: process.pid });
      await untilStopped(() => handle.close());
      say("stopped", "stopped");
    });

  registerReleasePipeline(release, io);
  registerReleaseRevert(release, io);
  registerReleaseDeps(release, io);
}
