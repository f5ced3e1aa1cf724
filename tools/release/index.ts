// The release system (DESIGN.md: tools/release/): the release repository (static files: objects
// and signed channel indexes), publishing to it, serving it for development, and the networked
// device's update client.
export {
  CHANNEL_INDEX_PAYLOAD_TYPE, MAX_CHANNEL_INDEX_BYTES, STANDARD_CHANNELS, channelIndexPath, readChannelIndex, requireChannelName, signChannelIndex, verifyChannelIndex,
  type ChannelIndex, type ChannelRelease, type IndexExpectations,
} from "./channel-index.js";
export { DEFAULT_INDEX_EXPIRY_DAYS, ReleaseRepository, type PublishOptions, type PublishResult, type PublishStep, type RefreshResult } from "./repository.js";
export { serveRelease } from "./serve.js";
export { checkForUpdate, downloadRelease, fetchChannelIndex, selectRelease, urlIn, type CheckOptions, type DeviceRunning, type DownloadedRelease, type IndexFetch, type UpdateCheck } from "./client.js";
export { downloadExact, fetchDocument, type RetryOptions, type Transfer } from "./http-fetch.js";
export { clientStatePath, lastSeenPayloadSha256, lastSeenVersion, loadClientState, recordIndexVersion, type ClientState } from "./client-state.js";
export { ConfigError, loadReleaseConfig, type DependenciesStage, type EmergencyConfig, type Gate, type PublishStage, type QualifyStage, type ReleaseConfig, type SignStage, type Stage, type StageKind } from "./config.js";
export { lastRecordOf, ReleaseHistoryStore, type ReleaseHistory, type StageRecord, type StageResult } from "./history.js";
export { loadReleaseBuild, type ReleaseBuild } from "./release-build.js";
export { defaultActor, runEmergency, runPipeline, runStages, type RunOptions, type RunResult, type StageContext, type StageOutcome } from "./pipeline.js";
export type { SignerAccess } from "./stages/sign.js";
export { qualifyRelease, QUALIFY_SUITES, SIM_SUITES, QEMU_MODES, DEFAULT_POWER_CUTS, type QualifyOptions, type QualifyResult, type SuiteResult, type SuiteName, type QemuMode } from "./qualify/index.js";
export { readVersion, shownVersion, type ReadVersion } from "./component-version.js";
export { componentSelector, DEPENDENCY_RULES_SCHEMA, dependencyRuleProblems, loadDependencyRules, type ComponentSelector, type DenyRule, type DependencyRules } from "./dependency-rules.js";
export { checkDependencies, hasDependencyRules, type DependencyFinding, type DependencyFindingKind } from "./dependencies.js";
export { buildDependencies, buildFindings, dependencyGate, type BuildDependencies, type BuildDependencyOptions, type DependencyGateResult } from "./dependency-gate.js";
