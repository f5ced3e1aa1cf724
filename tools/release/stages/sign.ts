// A sign stage: the build's unsigned bundle, its provenance and every qualification record this
// release has so far, sent to the signing service for the stage's key. The service decides (its
// policy: grants, provenance, rules re-run, version ledger, qualification, approvals); the stage
// records what it decided. A request waiting for approvers is resumed by the next run with the
// same request ID; a refused one is retried under a new ID.
import { DsseEnvelope, parseEnvelope } from "../../build/index.js";
import { AirlockError } from "../../format/index.js";
import type { SignerClient } from "../../signer/index.js";
import type { SignStage } from "../config.js";
import type { StageContext, StageOutcome } from "../pipeline.js";

/** How a stage reaches the signing service (a client, made only when a stage signs). */
export interface SignerAccess {
  client(): SignerClient;
  url: string;
}

/** Every qualification record (signed envelopes) of this release's passed qualify stages. */
export function qualificationOf(context: StageContext): { envelopes: DsseEnvelope[]; digests: Record<string, string> } {
  const envelopes: DsseEnvelope[] = [];
  const digests: Record<string, string> = {};
  for (const record of context.history?.records ?? []) {
    const digest = record.outputs.qualification;
    if (record.kind !== "qualify" || record.result !== "passed" || !digest) continue;
    const list = JSON.parse(Buffer.from(context.store.get(digest)).toString("utf8")) as unknown[];
    envelopes.push(...list.map((e, i) => parseEnvelope(JSON.stringify(e), `qualification record ${i} of sha256:${digest}`)));
    digests[`qualification:${record.stage}`] = digest;
  }
  return { envelopes, digests };
}

export async function runSignStage(stage: SignStage, context: StageContext): Promise<StageOutcome> {
  const { build } = context;
  const previous = context.history?.records.filter((r) => r.stage === stage.name) ?? [];
  const waiting = previous.at(-1)?.result === "waiting" ? previous.at(-1)!.requestId : undefined;
  // Named by the build, the stage and the attempt: a crash between asking and recording resumes the same request.
  const requestId = waiting ?? `release-${build.digest.slice(0, 16)}-${stage.name}-${previous.filter((r) => r.result === "failed").length + 1}`;
  const qualification = qualificationOf(context);
  const inputs = { build: build.digest, unsignedBundle: build.record.files.unsignedBundle!.sha256, provenance: build.provenanceSha256, ...qualification.digests };
  let outcome;
  try {
    outcome = await context.signer.client().signTargets({
      key: stage.key,
      product: context.config.product,
      bundle: build.unsignedBundle,
      provenance: build.provenance,
      qualification: qualification.envelopes,
      requestId,
      emergency: context.emergency || undefined,
    });
  } catch (err) {
    if (!(err instanceof AirlockError)) throw err;
    return { result: "failed", inputs, outputs: {}, details: [`request ${requestId} to ${context.signer.url}: ${err.message}`], requestId };
  }
  const said = `request ${outcome.requestId} for key "${outcome.key}" (targets metadata sha256:${outcome.digest})`;
  if (outcome.status === "refused") return { result: "failed", inputs, outputs: {}, details: [`${said} refused: ${outcome.reason}`], requestId };
  if (outcome.status !== "signed" || !outcome.file) {
    return {
      result: "waiting", inputs, outputs: {}, requestId,
      details: [...outcome.summary, `${said} waits for approvals (${outcome.approvals.length} of ${outcome.needed}): approvers run \`airlock signer approve ${outcome.requestId} --remote ${context.signer.url}\`, then run this again`],
    };
  }
  const signed = context.store.put(outcome.file);
  return { result: "passed", inputs, outputs: { bundle: signed.sha256 }, details: [`${said} signed; the signed bundle is sha256:${signed.sha256} in the store`], requestId };
}
