// A publish stage: a sign stage's bundle made the channel's current release (the release
// repository stores it, then replaces the channel's signed index). The repository refuses a
// targets version not above the channel's current one; a bundle that is already the channel's
// current release (a run that crashed after publishing) passes without a new index.
import { AirlockError, loadSigningKey, parseBundle } from "../../format/index.js";
import type { ChannelRelease } from "../channel-index.js";
import type { PublishStage } from "../config.js";
import { lastRecordOf } from "../history.js";
import type { StageContext, StageOutcome } from "../pipeline.js";

/** The signed bundle a sign stage of this release made. */
export function signedBundleOf(context: StageContext, signStage: string): { sha256: string; bytes: Uint8Array } {
  const sha256 = lastRecordOf(context.history, signStage)?.outputs.bundle;
  if (!sha256) throw new Error(`sign stage ${signStage} has no bundle although it passed`);
  return { sha256, bytes: context.store.get(sha256) };
}

/** The release a channel serves now for the config's product and this bundle's hardware, if any. */
export function currentReleaseFor(context: StageContext, channel: string, bundle: Uint8Array): ChannelRelease | undefined {
  const hardwareId = parseBundle(bundle).targets.hardwareId ?? null;
  return context.repository.readIndex(channel)?.index.releases.find((r) => r.product === context.config.product && (r.hardwareId ?? null) === hardwareId);
}

export function publishTo(context: StageContext, channel: string, bundle: { sha256: string; bytes: Uint8Array }, notes?: string): StageOutcome {
  const inputs = { bundle: bundle.sha256 };
  const current = currentReleaseFor(context, channel, bundle.bytes);
  if (current?.bundle.sha256 === bundle.sha256) {
    return { result: "passed", inputs, outputs: { bundle: bundle.sha256 }, details: [`already the current release on channel ${channel} (index version unchanged)`] };
  }
  try {
    const published = context.repository.publish({
      channel,
      releaseKey: loadSigningKey(context.config.releaseKey),
      product: context.config.product,
      bundle: bundle.bytes,
      notesUrl: notes,
      expiresInDays: context.config.indexExpiryDays,
      now: context.now(),
    });
    return {
      result: "passed", inputs, outputs: { bundle: bundle.sha256 },
      details: [`published targets v${published.release.targetsVersion} on channel ${channel}: index version ${published.indexVersion}, expires ${published.expires}`],
    };
  } catch (err) {
    if (!(err instanceof AirlockError)) throw err;
    return { result: "failed", inputs, outputs: {}, details: [`channel ${channel}: ${err.message}`] };
  }
}

export function runPublishStage(stage: PublishStage, context: StageContext): StageOutcome {
  return publishTo(context, stage.channel, signedBundleOf(context, stage.bundle), stage.notes);
}
