// A qualify stage: a sign stage's (test-signed) bundle installed on the simulator for each board
// of the product, updating from the release the baseline channel serves now, through the suites
// of tools/release/qualify/. The signed records, pass and fail, go to the artifact store; the
// stage passes only when no suite failed. A production sign stage later sends every record of
// passed qualify stages to the signing service, which checks them against its policy.
import { loadSigningKey, readInput } from "../../format/index.js";
import type { QualifyStage } from "../config.js";
import type { StageContext, StageOutcome } from "../pipeline.js";
import { qualifyRelease, type SuiteName } from "../qualify/index.js";
import { currentReleaseFor, signedBundleOf } from "./publish.js";

/** The bundle a channel serves now for the product and this bundle's hardware, if any. */
function baselineOf(context: StageContext, channel: string, bundle: Uint8Array): { sha256: string; bytes: Uint8Array } | undefined {
  const current = currentReleaseFor(context, channel, bundle);
  return current && { sha256: current.bundle.sha256, bytes: context.repository.objects.get(current.bundle.sha256) };
}

export async function qualifyBundle(context: StageContext, bundle: { sha256: string; bytes: Uint8Array }, options: { suites?: string[]; powerCuts: number; qemu: QualifyStage["qemu"]; baseline?: string }): Promise<StageOutcome> {
  const { config } = context;
  const baseline = options.baseline === undefined ? undefined : baselineOf(context, options.baseline, bundle.bytes);
  const result = await qualifyRelease({
    bundle: bundle.bytes,
    product: config.product,
    root: readInput(config.qualificationRoot!, "qualification root"),
    baseline: baseline?.bytes,
    boards: config.boards,
    qualifierKey: loadSigningKey(config.qualifierKey!),
    powerCuts: options.powerCuts,
    qemu: options.qemu,
    suites: options.suites as SuiteName[] | undefined,
    onProgress: (event) => context.progress(`    ${event.suite}${event.board ? ` on ${event.board}` : ""}: ${event.message}`),
  });
  const records = context.store.put(Buffer.from(`${JSON.stringify(result.envelopes, null, 2)}\n`));
  const details = [
    baseline ? `updating from ${options.baseline}'s current release (bundle sha256:${baseline.sha256})` : "updating from generated factory images (no baseline release)",
    ...result.suites.map((s) => `${s.suite}: ${s.result}${s.reason ? ` (${s.reason})` : ""} in ${s.durationMs} ms on ${s.runs.map((r) => r.machine ?? r.board).join(", ") || "nothing"}`),
  ];
  return {
    result: result.ok ? "passed" : "failed",
    inputs: { bundle: bundle.sha256, ...(baseline ? { baseline: baseline.sha256 } : {}) },
    outputs: { qualification: records.sha256 },
    details: result.ok ? details : [...details, `qualification failed: ${result.suites.filter((s) => s.result === "fail").map((s) => s.suite).join(", ")}`],
  };
}

export function runQualifyStage(stage: QualifyStage, context: StageContext): Promise<StageOutcome> {
  return qualifyBundle(context, signedBundleOf(context, stage.bundle), { suites: stage.suites, powerCuts: stage.powerCuts, qemu: stage.qemu, baseline: stage.baseline });
}
