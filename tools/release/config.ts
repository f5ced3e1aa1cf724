// A product's release config (YAML, one file per product): where its builds, releases and
// release history live, the keys the release system holds (the release key that signs channel
// indexes, the qualifier key that signs qualification records), the signing service it asks,
// and the pipeline: stages run in order, each with its gates. Checked whole before anything runs,
// by schema and then by meaning (a stage naming a stage that does not come before it, a publish
// of a bundle no sign stage makes), each problem with its line.
import { Ajv } from "ajv";
import { ConfigError, loadYamlConfig } from "../format/index.js";
import { PRODUCT_NAME } from "../build/index.js";
import { CHANNEL_NAME } from "./channel-index.js";
import type { QemuMode } from "./qualify/index.js";
import { DEPENDENCY_RULES_SCHEMA, dependencyRuleProblems, type DependencyRules } from "./dependency-rules.js";

export type StageKind = "qualify" | "sign" | "publish" | "dependencies";

/** A condition a stage waits for before it runs. */
export type Gate =
  /** The release must have been out on an earlier publish stage's channel this long. */
  | { soak: { stage: string; minutes: number } };

export interface QualifyStage {
  name: string;
  kind: "qualify";
  /** The sign stage whose bundle is installed (a test-signed one: the simulated devices trust the qualification root). */
  bundle: string;
  suites?: string[];
  powerCuts: number;
  qemu: QemuMode;
  /** The channel whose current release the devices update from (default prod; none: factory images). */
  baseline?: string;
  gates: Gate[];
}

export interface SignStage {
  name: string;
  kind: "sign";
  /** The signing service's key name (test or production class: the service's policy decides). */
  key: string;
  gates: Gate[];
}

export interface PublishStage {
  name: string;
  kind: "publish";
  /** The sign stage whose bundle is published. */
  bundle: string;
  channel: string;
  notes?: string;
  gates: Gate[];
}

/** The build's SBOM (vouched for by a listed builder's provenance) against the config's dependency rules. */
export interface DependenciesStage {
  name: string;
  kind: "dependencies";
  gates: Gate[];
}

export type Stage = QualifyStage | SignStage | PublishStage | DependenciesStage;

export interface EmergencyConfig {
  /** The production key, signed under the service's emergency rule. */
  key: string;
  /** The test key that signs the bundle the simulator qualifies. */
  testKey: string;
  suites?: string[];
  powerCuts: number;
  /** Published at once, in this order. */
  channels: string[];
}

export interface ReleaseConfig {
  path: string;
  product: string;
  /** The simulator boards qualification installs on. */
  boards: string[];
  store: string;
  repository: string;
  history: string;
  releaseKey: string;
  qualifierKey?: string;
  /** The root the qualification devices trust (the one the test key belongs to). */
  qualificationRoot?: string;
  signer: { url: string; tokenFile?: string };
  indexExpiryDays?: number;
  stages: Stage[];
  emergency?: EmergencyConfig;
  /** Minimum versions and a deny-list for the components of a build's SBOM. */
  dependencies?: DependencyRules;
  /** Public keys of the builders whose provenance vouches for an SBOM. */
  builderKeys?: string[];
}

const NAME = { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,31}$" } as const;
const GATES = {
  type: "array",
  default: [],
  items: {
    type: "object",
    additionalProperties: false,
    required: ["soak"],
    properties: {
      soak: {
        type: "object",
        additionalProperties: false,
        required: ["stage", "minutes"],
        properties: { stage: NAME, minutes: { type: "integer", minimum: 0, maximum: 525600 } },
      },
    },
  },
} as const;
const SUITES = { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", minLength: 1 } } as const;
const stageSchema = {
  type: "object",
  required: ["name", "kind"],
  properties: { kind: { enum: ["qualify", "sign", "publish", "dependencies"] } },
  allOf: [
    { if: { properties: { kind: { const: "qualify" } } }, then: {
      additionalProperties: false,
      required: ["bundle"],
      properties: {
        name: NAME, kind: {}, bundle: NAME, suites: SUITES,
        powerCuts: { type: "integer", minimum: 1, maximum: 100000, default: 16 },
        qemu: { enum: ["auto", "require", "skip"], default: "auto" },
        baseline: { type: "string", pattern: CHANNEL_NAME, default: "prod" },
        gates: GATES,
      },
    } },
    { if: { properties: { kind: { const: "sign" } } }, then: {
      additionalProperties: false,
      required: ["key"],
      properties: { name: NAME, kind: {}, key: { type: "string", minLength: 1 }, gates: GATES },
    } },
    { if: { properties: { kind: { const: "dependencies" } } }, then: {
      additionalProperties: false,
      properties: { name: NAME, kind: {}, gates: GATES },
    } },
    { if: { properties: { kind: { const: "publish" } } }, then: {
      additionalProperties: false,
      required: ["bundle", "channel"],
      properties: { name: NAME, kind: {}, bundle: NAME, channel: { type: "string", pattern: CHANNEL_NAME }, notes: { type: "string", minLength: 1 }, gates: GATES },
    } },
  ],
} as const;
const schema = {
  type: "object",
  additionalProperties: false,
  required: ["product", "boards", "store", "repository", "history", "releaseKey", "signer", "stages"],
  properties: {
    product: { type: "string", pattern: PRODUCT_NAME },
    boards: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", minLength: 1 } },
    store: { type: "string", minLength: 1 },
    repository: { type: "string", minLength: 1 },
    history: { type: "string", minLength: 1 },
    releaseKey: { type: "string", minLength: 1 },
    qualifierKey: { type: "string", minLength: 1 },
    qualificationRoot: { type: "string", minLength: 1 },
    signer: {
      type: "object",
      additionalProperties: false,
      required: ["url"],
      properties: { url: { type: "string", pattern: "^https?://" }, tokenFile: { type: "string", minLength: 1 } },
    },
    indexExpiryDays: { type: "integer", minimum: 1, maximum: 366 },
    dependencies: DEPENDENCY_RULES_SCHEMA,
    builderKeys: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", minLength: 1 } },
    stages: { type: "array", minItems: 1, items: stageSchema },
    emergency: {
      type: "object",
      additionalProperties: false,
      required: ["key", "testKey", "channels"],
      properties: {
        key: { type: "string", minLength: 1 },
        testKey: { type: "string", minLength: 1 },
        suites: SUITES,
        powerCuts: { type: "integer", minimum: 1, maximum: 100000, default: 4 },
        channels: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", pattern: CHANNEL_NAME } },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, useDefaults: true }).compile(schema);

/** Parses and checks a release config; ConfigError naming the line and the reason. */
export function loadReleaseConfig(path: string): ReleaseConfig {
  const config = loadYamlConfig<Omit<ReleaseConfig, "path">>(path, "release config", validate, "nothing was run");
  const { value: raw, at, fail, file } = config;

  // Meaning: a stage names only stages before it, of the kind it needs; names are unique.
  const seen = new Map<string, Stage>();
  raw.stages.forEach((stage, i) => {
    if (seen.has(stage.name)) fail(at(`/stages/${i}`, "name"), `stage name "${stage.name}" is used twice`);
    const earlier = (name: string, kind: StageKind, field: string) => {
      const named = seen.get(name);
      if (!named) fail(at(`/stages/${i}`, field), `stage "${stage.name}" names "${name}", which is not a stage before it`);
      else if (named.kind !== kind) fail(at(`/stages/${i}`, field), `stage "${stage.name}" names "${name}", a ${named.kind} stage, where a ${kind} stage is needed`);
    };
    if (stage.kind === "qualify" || stage.kind === "publish") earlier(stage.bundle, "sign", "bundle");
    if (stage.kind === "dependencies" && (!raw.dependencies || !raw.builderKeys)) {
      fail(at(`/stages/${i}`), `dependencies stage "${stage.name}" needs dependencies (the rules) and builderKeys (whose provenance vouches for an SBOM) at the top level`);
    }
    stage.gates.forEach((gate, g) => {
      const line = at(`/stages/${i}/gates/${g}`);
      if (!seen.has(gate.soak.stage)) fail(line, `stage "${stage.name}" soaks on "${gate.soak.stage}", which is not a stage before it`);
      if (seen.get(gate.soak.stage)!.kind !== "publish") fail(line, `stage "${stage.name}" soaks on "${gate.soak.stage}", which publishes nothing (soak on a publish stage)`);
    });
    if (stage.kind === "qualify" && (!raw.qualifierKey || !raw.qualificationRoot)) {
      fail(at(`/stages/${i}`), `qualify stage "${stage.name}" needs qualifierKey (signs the records) and qualificationRoot (the root its devices trust) at the top level`);
    }
    seen.set(stage.name, stage);
  });
  for (const problem of raw.dependencies ? dependencyRuleProblems(raw.dependencies) : []) fail(at(`/dependencies${problem.pointer}`, problem.key), problem.reason);
  if (raw.emergency && (!raw.qualifierKey || !raw.qualificationRoot)) {
    fail(at("/emergency"), "the emergency path qualifies on the simulator: it needs qualifierKey and qualificationRoot at the top level");
  }
  return {
    ...raw,
    path,
    store: file(raw.store),
    repository: file(raw.repository),
    history: file(raw.history),
    releaseKey: file(raw.releaseKey),
    qualifierKey: raw.qualifierKey && file(raw.qualifierKey),
    qualificationRoot: raw.qualificationRoot && file(raw.qualificationRoot),
    builderKeys: raw.builderKeys?.map(file),
    signer: { ...raw.signer, tokenFile: raw.signer.tokenFile && file(raw.signer.tokenFile) },
  };
}

export { ConfigError };
