// airlock release run|history: the release pipeline (tools/release/pipeline.ts) from the command
// line. Progress goes to stderr, one line per stage; the result to stdout. A run that waits (a
// soak gate, approvals) exits 0 saying what it waits for, as `bundle sign --remote` does; --json
// carries {status: passed|waiting|failed}. A failed stage exits 1.
import type { Command } from "commander";
import { RejectedError } from "../../format/index.js";
import { loadReleaseConfig, ReleaseHistoryStore, runEmergency, runPipeline, type ReleaseConfig, type ReleaseHistory, type RunResult, type SignerAccess } from "../../release/index.js";
import { readClientToken, SignerClient } from "../../signer/index.js";
import type { CliIo } from "../io.js";
import { integer } from "./options.js";

export const CONFIG_OPTION = ["--config <file>", "the product's release config (YAML): stages, gates, store, repository, keys, signer"] as const;

/** The signing service the config names; the token is read only when a stage signs. */
export function signerAccess(config: ReleaseConfig): SignerAccess {
  return { url: config.signer.url, client: () => new SignerClient(config.signer.url, readClientToken(config.signer.tokenFile)) };
}

/** Prints a run's result: one line, or its JSON; a failed stage becomes the command's failure. */
export function reportRun(io: CliIo, result: RunResult, json: boolean | undefined): void {
  const summary = { status: result.status, stoppedAt: result.stoppedAt, reason: result.reason, history: result.historyFile, product: result.history.product, targetsVersion: result.history.targetsVersion, build: result.history.build };
  if (json) io.out(`${JSON.stringify(summary)}\n`);
  if (result.status === "failed") throw new RejectedError(`stage ${result.stoppedAt} failed: ${result.reason} (history: ${result.historyFile})`);
  if (json) return;
  io.out(result.status === "passed"
    ? `release ${summary.product} v${summary.targetsVersion}: every stage passed (history: ${result.historyFile})\n`
    : `release ${summary.product} v${summary.targetsVersion}: waiting at stage ${result.stoppedAt}: ${result.reason}; run the same command again to go on\n`);
}

export function printHistory(io: CliIo, history: ReleaseHistory): void {
  io.out(`${history.product} v${history.targetsVersion} (build record sha256:${history.build}, ${history.path} path)\n`);
  for (const r of history.records) {
    io.out(`  ${r.at}  ${r.stage.padEnd(12)} ${r.kind.padEnd(8)} ${r.result.padEnd(7)} by ${r.by}${r.requestId ? `  request ${r.requestId}` : ""}\n`);
    for (const [name, sha] of Object.entries(r.outputs)) io.out(`      made ${name} sha256:${sha}\n`);
    for (const line of r.details) io.out(`      ${line}\n`);
  }
}

export function registerReleasePipeline(release: Command, io: CliIo): void {
  release
    .command("run")
    .description("run the release config's stages on a build (qualify, sign, publish, with their gates); stages that passed before are not run again")
    .requiredOption(...CONFIG_OPTION)
    .argument("<build>", "the build: its record's sha256 in the artifact store, or the .build.json `airlock build` wrote")
    .option("--until <stage>", "stop after this stage")
    .option("--actor <name>", "who runs it, for the release history (default user@host)")
    .option("--json", "print {status, stoppedAt, reason, history, product, targetsVersion, build}")
    .action(async (build: string, options: { config: string; until?: string; actor?: string; json?: boolean }) => {
      const config = loadReleaseConfig(options.config);
      const result = await runPipeline({ config, build, until: options.until, actor: options.actor, signer: signerAccess(config), progress: (line) => io.err(`${line}\n`) });
      reportRun(io, result, options.json);
    });

  release
    .command("emergency")
    .description("the short path for a fix: test-sign, qualify on the simulator, production-sign under the signer's emergency rule, publish to the emergency channels at once")
    .requiredOption(...CONFIG_OPTION)
    .argument("<build>", "the fix's build: its record's sha256 in the artifact store, or its .build.json")
    .option("--actor <name>", "who runs it, for the release history (default user@host)")
    .option("--json", "print {status, stoppedAt, reason, history, product, targetsVersion, build}")
    .action(async (build: string, options: { config: string; actor?: string; json?: boolean }) => {
      const config = loadReleaseConfig(options.config);
      const result = await runEmergency({ config, build, actor: options.actor, signer: signerAccess(config), progress: (line) => io.err(`${line}\n`) });
      reportRun(io, result, options.json);
    });

  release
    .command("history")
    .description("every release of the product with each stage's record: who, when, inputs and outputs by sha256, result and why")
    .requiredOption(...CONFIG_OPTION)
    .option("--version <n>", "only releases of this targets version", integer)
    .option("--json", "print {releases: [history...]}")
    .action((options: { config: string; version?: number; json?: boolean }) => {
      const config = loadReleaseConfig(options.config);
      const releases = new ReleaseHistoryStore(config.history).list(config.product).filter((h) => options.version === undefined || h.targetsVersion === options.version);
      if (options.json) return io.out(`${JSON.stringify({ releases })}\n`);
      if (releases.length === 0) return io.out(`${config.product}: no release has a history in ${config.history} yet: start one with \`airlock release run --config ${options.config} BUILD\`\n`);
      for (const history of releases) printHistory(io, history);
    });
}
