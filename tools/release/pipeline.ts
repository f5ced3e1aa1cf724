// The release pipeline (`airlock release run`): a product's release config's stages, run in order
// on one build from the artifact store. A stage that passed for this build before is not run
// again, so a run that stopped (a gate not yet met, approvals still missing, a crash) is resumed
// by running it again. Each stage run appends one record to the release's history; a stage runs
// only when every stage before it passed and its own gates hold.
import { hostname, userInfo } from "node:os";
import { InputError, RejectedError } from "../format/index.js";
import { ArtifactStore } from "../store/index.js";
import type { ReleaseConfig, Stage } from "./config.js";
import { lastRecordOf, ReleaseHistoryStore, type ReleaseHistory, type StageRecord, type StageResult } from "./history.js";
import { loadReleaseBuild, type ReleaseBuild } from "./release-build.js";
import { ReleaseRepository } from "./repository.js";
import { runDependenciesStage } from "./stages/dependencies.js";
import { runPublishStage } from "./stages/publish.js";
import { runQualifyStage } from "./stages/qualify.js";
import { runSignStage, type SignerAccess } from "./stages/sign.js";

/** What a stage made of its run, before it becomes a history record. */
export interface StageOutcome {
  result: StageResult;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  details: string[];
  requestId?: string;
}

export interface StageContext {
  config: ReleaseConfig;
  store: ArtifactStore;
  repository: ReleaseRepository;
  build: ReleaseBuild;
  /** The history so far (undefined: nothing ran yet). */
  history: ReleaseHistory | undefined;
  signer: SignerAccess;
  /** Whether signing requests go under the signing service's emergency rule. */
  emergency: boolean;
  now: () => Date;
  progress: (line: string) => void;
}

export interface RunOptions {
  config: ReleaseConfig;
  /** A build record's SHA-256 in the store, or a .build.json path. */
  build: string;
  /** Stop after this stage (it included). */
  until?: string;
  /** Who runs it, for the history (default user@host). */
  actor?: string;
  signer: SignerAccess;
  now?: () => Date;
  progress?: (line: string) => void;
}

export interface RunResult {
  /** passed: every stage (or up to --until) passed; waiting: a gate or approvals; failed: a stage failed. */
  status: "passed" | "waiting" | "failed";
  /** The stage the run stopped at (waiting or failed). */
  stoppedAt?: string;
  reason?: string;
  history: ReleaseHistory;
  /** The history file. */
  historyFile: string;
}

export const defaultActor = () => `${userInfo().username}@${hostname()}`;

/** Runs `stages` of the config on the build, as `path` ("normal" or "emergency"). */
export async function runStages(options: RunOptions, stages: Stage[], path: ReleaseHistory["path"]): Promise<RunResult> {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const progress = options.progress ?? (() => {});
  const store = new ArtifactStore(config.store);
  const repository = new ReleaseRepository(config.repository);
  const build = loadReleaseBuild(store, options.build, config.product);
  const histories = new ReleaseHistoryStore(config.history);
  const release = { product: config.product, targetsVersion: build.record.targetsVersion, build: build.digest, path };
  const historyFile = histories.fileOf(release.product, release.targetsVersion, release.build);
  let history = histories.read(release.product, release.targetsVersion, release.build);
  if (history && history.path !== path) {
    throw new RejectedError(`build ${build.digest} is already on the ${history.path} path (${historyFile}); one build takes one path`);
  }
  progress(`release ${config.product} v${build.record.targetsVersion} (${build.record.buildType} build, record sha256:${build.digest})`);
  const finish = (status: RunResult["status"], stoppedAt?: string, reason?: string): RunResult => ({
    status, stoppedAt, reason, history: history ?? { ...release, records: [] }, historyFile,
  });

  for (const stage of stages) {
    const last = lastRecordOf(history, stage.name);
    if (last?.result === "passed") {
      progress(`  ${stage.name}: passed ${last.at} by ${last.by} (not run again)`);
    } else {
      const waitingFor = unmetGate(stage, history, now());
      if (waitingFor) {
        progress(`  ${stage.name}: waiting: ${waitingFor}`);
        return finish("waiting", stage.name, waitingFor);
      }
      progress(`  ${stage.name}: running (${stage.kind})`);
      const context: StageContext = { config, store, repository, build, history, signer: options.signer, emergency: path === "emergency", now, progress };
      const outcome = await runStage(stage, context);
      const record: StageRecord = { stage: stage.name, kind: stage.kind, ...outcome, by: options.actor ?? defaultActor(), at: now().toISOString() };
      history = histories.append(release, record);
      for (const line of outcome.details) progress(`    ${line}`);
      progress(`  ${stage.name}: ${outcome.result}`);
      if (outcome.result !== "passed") return finish(outcome.result, stage.name, outcome.details.at(-1));
    }
    if (stage.name === options.until) break;
  }
  return finish("passed");
}

/** `airlock release run`: the config's stages. */
export function runPipeline(options: RunOptions): Promise<RunResult> {
  if (options.until !== undefined && !options.config.stages.some((s) => s.name === options.until)) {
    throw new InputError(`--until ${options.until}: ${options.config.path} has no stage of that name; its stages are ${options.config.stages.map((s) => s.name).join(", ")}`);
  }
  return runStages(options, options.config.stages, "normal");
}

/**
 * `airlock release emergency`: the short path for a fix. Test-sign, qualify on the simulator
 * only (the emergency suites, few power cuts, no QEMU), production-sign under the signing
 * service's emergency rule (which may demand more approvers; signing is never skipped), then
 * publish to every emergency channel in order (the object is stored once, each index replaced).
 */
export function runEmergency(options: Omit<RunOptions, "until">): Promise<RunResult> {
  const emergency = options.config.emergency;
  if (!emergency) throw new InputError(`${options.config.path} has no emergency section: add emergency: {key, testKey, channels} to release a fix on the short path`);
  const stages: Stage[] = [
    { name: "emergency-test-sign", kind: "sign", key: emergency.testKey, gates: [] },
    { name: "emergency-qualify", kind: "qualify", bundle: "emergency-test-sign", suites: emergency.suites, powerCuts: emergency.powerCuts, qemu: "skip", baseline: emergency.channels.at(-1), gates: [] },
    { name: "emergency-sign", kind: "sign", key: emergency.key, gates: [] },
    ...emergency.channels.map((channel): Stage => ({ name: `publish-${channel}`, kind: "publish", bundle: "emergency-sign", channel, gates: [] })),
  ];
  return runStages(options, stages, "emergency");
}

function runStage(stage: Stage, context: StageContext): Promise<StageOutcome> {
  switch (stage.kind) {
    case "sign":
      return runSignStage(stage, context);
    case "publish":
      return Promise.resolve(runPublishStage(stage, context));
    case "qualify":
      return runQualifyStage(stage, context);
    case "dependencies":
      return Promise.resolve(runDependenciesStage(stage, context));
  }
}

/** Why the stage cannot run yet, or undefined when its gates hold. */
function unmetGate(stage: Stage, history: ReleaseHistory | undefined, now: Date): string | undefined {
  for (const gate of stage.gates) {
    const published = lastRecordOf(history, gate.soak.stage);
    if (published?.result !== "passed") return `soak on ${gate.soak.stage}: it has not passed`;
    const ready = new Date(Date.parse(published.at) + gate.soak.minutes * 60_000);
    if (ready > now) return `soak: ${gate.soak.minutes} minute(s) on ${gate.soak.stage} (published ${published.at}), ready at ${ready.toISOString()}`;
  }
  return undefined;
}
