// Where a rollout's release comes from: the release repository's signed channel index, read with
// tools/release's client, so an index not signed by a trusted release key, of another channel,
// expired, or older than one a rollout already used is refused before any rollout exists. The
// rollout records the bundle's SHA-256 and size from the verified index; devices get those and
// check the bundle against them (and the bundle's own signatures against their root) as always.
import { RejectedError, type PublicKey } from "../format/index.js";
import { OBJECTS_DIR } from "../store/index.js";
import { checkForUpdate, fetchChannelIndex, urlIn, type ChannelIndex, type ChannelRelease } from "../release/index.js";
import type { Clock } from "./clock.js";

export interface ResolvedRelease {
  channel: string;
  indexVersion: number;
  release: ChannelRelease;
  /** Where devices download the bundle. */
  bundleUrl: string;
}

export interface ReleaseLookup {
  channel: string;
  product: string;
  /** The release for this hardware (an exact entry before one for any hardware). */
  hardwareId?: string;
  /** The highest index version of this channel already used: an older index is a rollback. */
  lastSeenIndexVersion: number;
}

export interface ReleaseSource {
  resolve(lookup: ReleaseLookup): Promise<ResolvedRelease>;
  /** A channel's whole index, verified the same way (undefined: nothing published to it). */
  channel(channel: string, lastSeenIndexVersion: number): Promise<ChannelIndex | undefined>;
}

/** Releases from a repository served over HTTP (release serve, nginx, a CDN). */
export class RepositoryReleases implements ReleaseSource {
  constructor(
    readonly baseUrl: string,
    private readonly trustedKeys: PublicKey[],
    private readonly clock: Clock,
  ) {
    if (trustedKeys.length === 0) throw new RejectedError("no trusted release key: give --release-key-pub (the public key that signs the channel indexes)");
  }

  private readonly retry = { attempts: 2, retryDelayMs: 50, idleTimeoutMs: 10_000 };

  async channel(channel: string, lastSeenIndexVersion: number): Promise<ChannelIndex | undefined> {
    const fetched = await fetchChannelIndex({ baseUrl: this.baseUrl, channel, trustedKeys: this.trustedKeys, lastSeenVersion: lastSeenIndexVersion, now: new Date(this.clock.now()), retry: this.retry });
    return fetched?.index;
  }

  async resolve(lookup: ReleaseLookup): Promise<ResolvedRelease> {
    const check = await checkForUpdate({
      baseUrl: this.baseUrl,
      channel: lookup.channel,
      trustedKeys: this.trustedKeys,
      lastSeenVersion: lookup.lastSeenIndexVersion,
      device: { hardwareId: lookup.hardwareId, targetsVersion: 0 },
      product: lookup.product,
      now: new Date(this.clock.now()),
      retry: this.retry,
    });
    return {
      channel: lookup.channel,
      indexVersion: check.index.version,
      release: check.release,
      bundleUrl: urlIn(this.baseUrl, `${OBJECTS_DIR}/${check.release.bundle.sha256}`),
    };
  }
}
