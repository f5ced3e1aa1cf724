// A dependencies stage: the build's SBOM, trusted only as the builder's signed provenance names
// it, against the release config's rules (minimum versions, a deny-list). Every finding refuses
// the promotion, and the history keeps each one with its rule.
import { AirlockError, loadPublicKey } from "../../format/index.js";
import type { DependenciesStage } from "../config.js";
import { dependencyGate } from "../dependency-gate.js";
import type { StageContext, StageOutcome } from "../pipeline.js";

export function runDependenciesStage(_stage: DependenciesStage, context: StageContext): StageOutcome {
  const { config, build } = context;
  const inputs: Record<string, string> = { build: build.digest };
  try {
    const gate = dependencyGate(context.store, build.digest, config.dependencies!, { builderKeys: config.builderKeys!.map((path) => loadPublicKey(path)) });
    const sbom = gate.build.record.sbom;
    if (sbom) inputs.sbom = sbom.sha256;
    const seen = sbom ? `SBOM sha256:${sbom.sha256} (${sbom.format} ${sbom.specVersion}, ${sbom.components} component(s)), vouched for by the provenance` : "no SBOM";
    if (gate.ok) return { result: "passed", inputs, outputs: {}, details: [`${seen}: every component meets the rules`] };
    return { result: "failed", inputs, outputs: {}, details: [seen, ...gate.findings.map((f) => `${f.kind}: ${f.message}`), `${gate.findings.length} dependency finding(s) refuse the promotion`] };
  } catch (err) {
    if (!(err instanceof AirlockError)) throw err;
    return { result: "failed", inputs, outputs: {}, details: [`the build's SBOM cannot be trusted: ${err.message}`] };
  }
}
