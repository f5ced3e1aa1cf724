// The release repository on disk: static files only, so any web server, object store or CDN can
// serve it (DESIGN.md "Services and trust"):
//   objects/sha256/<hex>      bundles, content-addressed and immutable (tools/store's ArtifactStore)
//   channels/<channel>.json   each channel's signed index (channel-index.ts)
// Publishing stores the bundle object first (write, fsync, rename, fsync of the directory) and
// only then replaces the index (the same steps), so an index never names a missing object and a
// crash at any point leaves the previous index served. Publishes to one channel take turns under
// the index's lock file, and each re-reads the index it replaces under that lock, so two at once
// can never both write the same index version.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { InputError, OutputFile, RejectedError, parseBundle, withFileLock, type SigningKey } from "../format/index.js";
import { PRODUCT_NAME } from "../build/index.js";
import { ArtifactStore, syncDirectory } from "../store/index.js";
import { CHANNEL_INDEX_FILE, channelIndexPath, readChannelIndex, releaseKey, requireChannelName, signChannelIndex, type ChannelIndex, type ChannelRelease } from "./channel-index.js";

/** How long an index stays valid when the publisher does not say (TUF's timestamp role is short-lived). */
export const DEFAULT_INDEX_EXPIRY_DAYS = 7;
const DAY_MS = 86_400_000;

/** The points between a publish's durable steps, where a test plays a crash. */
export type PublishStep = "locked" | "object-stored" | "index-written";

export interface PublishOptions {
  channel: string;
  releaseKey: SigningKey;
  product: string;
  bundle: Uint8Array;
  notesUrl?: string;
  expiresInDays?: number;
  now?: Date;
  /** How long to wait for another publish to the same channel to finish. */
  lockWaitMs?: number;
  /** Called after each step; a throw there is a crash at that point (tests). */
  afterStep?: (step: PublishStep) => void;
}

export interface PublishResult {
  channel: string;
  indexVersion: number;
  /** The index version this publish replaced (0: the channel was new). */
  previousIndexVersion: number;
  release: ChannelRelease;
  /** False when the repository already held the bundle's bytes. */
  objectWritten: boolean;
  expires: string;
}

export class ReleaseRepository {
  readonly objects: ArtifactStore;

  constructor(readonly root: string) {
    this.objects = new ArtifactStore(root);
  }

  indexFile(channel: string): string {
    return join(this.root, channelIndexPath(channel));
  }

  /** The channels that have an index, by name. */
  channels(): string[] {
    const dir = join(this.root, "channels");
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((name) => CHANNEL_INDEX_FILE.exec(`channels/${name}`)?.[1] ?? []).sort();
  }

  /** A channel's index as stored (not verified: this is the publisher's own disk), or undefined. */
  readIndex(channel: string): { text: string; index: ChannelIndex } | undefined {
    const path = this.indexFile(channel);
    if (!existsSync(path)) return undefined;
    const text = readFileSync(path, "utf8");
    return { text, index: readChannelIndex(text, path).index };
  }

  publish(options: PublishOptions): PublishResult {
    requireChannelName(options.channel);
    if (!new RegExp(PRODUCT_NAME).test(options.product)) {
      throw new InputError(`product name ${JSON.stringify(options.product)} must be 1-32 of a-z 0-9 . _ - starting with a letter or digit (as in the build description)`);
    }
    const expiresInDays = options.expiresInDays ?? DEFAULT_INDEX_EXPIRY_DAYS;
    if (!(expiresInDays > 0 && expiresInDays <= 366)) throw new InputError(`--expires-in takes 1 to 366 days, got ${expiresInDays}`);
    if (options.notesUrl !== undefined && !/^https?:\/\/\S+$/.test(options.notesUrl)) {
      throw new InputError(`--notes ${JSON.stringify(options.notesUrl)} is not an http(s) URL`);
    }
    const { targets } = parseBundle(options.bundle, "the bundle to publish");
    const targetsVersion = targets.commonMetadata?.version ?? 0;
    const hardwareId = targets.hardwareId ? targets.hardwareId : null;
    const path = this.indexFile(options.channel);
    mkdirSync(dirname(path), { recursive: true });

    return withFileLock(path, () => {
      const previous = this.readIndex(options.channel);
      const current = previous?.index.releases.find((r) => releaseKey(r.product, r.hardwareId) === releaseKey(options.product, hardwareId));
      if (current && targetsVersion <= current.targetsVersion) {
        throw new RejectedError(
          `bundle targets version ${targetsVersion} is not above version ${current.targetsVersion}, the current ${options.product} release (hardware ${hardwareId ?? "any"}) on channel ${options.channel}: devices would refuse it; publish a build with a higher targets version`,
        );
      }
      options.afterStep?.("locked");

      const stored = this.objects.put(options.bundle);
      options.afterStep?.("object-stored");

      const now = options.now ?? new Date();
      const release: ChannelRelease = {
        product: options.product,
        hardwareId,
        targetsVersion,
        bundle: { sha256: stored.sha256, size: stored.size },
        ...(options.notesUrl ? { notesUrl: options.notesUrl } : {}),
        publishedAt: now.toISOString(),
      };
      const others = (previous?.index.releases ?? []).filter((r) => r !== current);
      const index: ChannelIndex = {
        channel: options.channel,
        version: (previous?.index.version ?? 0) + 1,
        issuedAt: now.toISOString(),
        expires: new Date(now.getTime() + expiresInDays * DAY_MS).toISOString(),
        releases: [...others, release].sort((a, b) => releaseKey(a.product, a.hardwareId).localeCompare(releaseKey(b.product, b.hardwareId))),
      };
      replaceIndex(path, previous?.text, signChannelIndex(index, options.releaseKey), () => options.afterStep?.("index-written"));
      return {
        channel: options.channel,
        indexVersion: index.version,
        previousIndexVersion: previous?.index.version ?? 0,
        release,
        objectWritten: stored.written,
        expires: index.expires,
      };
    }, { waitMs: options.lockWaitMs });
  }

  /**
   * Re-signs a channel's index with the same releases, a new version and a new expiry, so devices
   * keep accepting it (an index that expires unrefreshed stops every update on the channel, which
   * is the point of the expiry: a frozen index is detected). Returns undefined when the index
   * expires later than `within` from now and so needs nothing yet.
   */
  refresh(channel: string, options: { releaseKey: SigningKey; expiresInDays?: number; withinMs?: number; now?: Date; lockWaitMs?: number }): RefreshResult | undefined {
    requireChannelName(channel);
    const path = this.indexFile(channel);
    return withFileLock(path, () => {
      const previous = this.readIndex(channel);
      if (!previous) throw new InputError(`${this.root} has no index for channel ${channel}: nothing to refresh`);
      const now = options.now ?? new Date();
      if (options.withinMs !== undefined && Date.parse(previous.index.expires) - now.getTime() > options.withinMs) return undefined;
      const index: ChannelIndex = {
        ...previous.index,
        version: previous.index.version + 1,
        issuedAt: now.toISOString(),
        expires: new Date(now.getTime() + (options.expiresInDays ?? DEFAULT_INDEX_EXPIRY_DAYS) * DAY_MS).toISOString(),
      };
      replaceIndex(path, previous.text, signChannelIndex(index, options.releaseKey));
      return { channel, indexVersion: index.version, previousExpires: previous.index.expires, expires: index.expires };
    }, { waitMs: options.lockWaitMs });
  }
}

export interface RefreshResult {
  channel: string;
  indexVersion: number;
  previousExpires: string;
  expires: string;
}

/**
 * Replaces an index file with `signed`, exactly over the bytes read under the lock (`previous`):
 * a writer that ignored the lock is detected at the rename instead of being overwritten.
 */
function replaceIndex(path: string, previous: string | undefined, signed: string, beforeCommit?: () => void): void {
  const output = OutputFile.open(path, previous !== undefined ? { replacing: Buffer.from(previous, "utf8") } : {});
  try {
    output.write(Buffer.from(signed, "utf8"));
    beforeCommit?.();
    output.commit();
  } finally {
    output.abort();
  }
  syncDirectory(dirname(path));
}
