// The networked device's update client, in the shape a firmware client would have (board/README.md
// describes it for firmware authors): three steps a main loop can run one after another, each
// with everything it needs passed in, nothing global:
//   1. checkForUpdate: fetch the channel index, verify it (release key, channel, rollback against
//      the last version this client accepted, expiry), pick this device's entry, compare its
//      targets version with the one the device runs;
//   2. the caller stores index.version as its new last-seen version (persistently, before it
//      acts on the index: TUF's client updates its timestamp the same way);
//   3. downloadRelease: stream the bundle, resuming on breaks, and check its size and SHA-256
//      against the index before a single byte goes to the device's installer.
import { createHash } from "node:crypto";
import { RejectedError, type PublicKey } from "../format/index.js";
import { OBJECTS_DIR } from "../store/index.js";
import { MAX_CHANNEL_INDEX_BYTES, channelIndexPath, verifyChannelIndex, type ChannelIndex, type ChannelRelease } from "./channel-index.js";
import { downloadExact, fetchDocument, type RetryOptions, type Transfer } from "./http-fetch.js";

export interface DeviceRunning {
  /** Absent: a tool that cannot ask the device (send --from) takes the product's only release. */
  hardwareId?: string;
  targetsVersion: number;
}

export interface CheckOptions {
  /** The repository's base URL (where channels/ and objects/ are). */
  baseUrl: string;
  channel: string;
  trustedKeys: PublicKey[];
  lastSeenVersion: number;
  /**
   * SHA-256 of the signed payload of the index at lastSeenVersion: another index with the same
   * version is two different states signed as one (a compromised repository or key) and refused.
   */
  lastSeenPayloadSha256?: string;
  device: DeviceRunning;
  /** Which product's release to follow; default: the only one for the device's hardware. */
  product?: string;
  now?: Date;
  retry?: RetryOptions;
}

export interface UpdateCheck {
  index: ChannelIndex;
  /** SHA-256 of the index's signed payload, for the client to remember with its version. */
  payloadSha256: string;
  release: ChannelRelease;
  /** The release's targets version is above what the device runs. */
  newer: boolean;
}

export function urlIn(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path}`;
}

export type IndexFetch = Omit<CheckOptions, "device" | "product">;

/** The channel's index, fetched and verified (key, channel, rollback, expiry); undefined: never published (404). */
export async function fetchChannelIndex(options: IndexFetch): Promise<{ index: ChannelIndex; payloadSha256: string; url: string } | undefined> {
  const url = urlIn(options.baseUrl, channelIndexPath(options.channel));
  const text = await fetchDocument(url, MAX_CHANNEL_INDEX_BYTES, options.retry);
  if (text === undefined) return undefined;
  const index = verifyChannelIndex(text, {
    channel: options.channel,
    trustedKeys: options.trustedKeys,
    lastSeenVersion: options.lastSeenVersion,
    now: options.now ?? new Date(),
  }, `the ${options.channel} index at ${url}`);
  const payloadSha256 = createHash("sha256").update(Buffer.from((JSON.parse(text) as { payload: string }).payload, "base64")).digest("hex");
  if (index.version === options.lastSeenVersion && options.lastSeenPayloadSha256 !== undefined && payloadSha256 !== options.lastSeenPayloadSha256) {
    throw new RejectedError(
      `the ${options.channel} index at ${url} has version ${index.version}, which this client already saw with other contents: two different indexes signed with one version (a compromised repository or release key); refused`,
    );
  }
  return { index, payloadSha256, url };
}

export async function checkForUpdate(options: CheckOptions): Promise<UpdateCheck> {
  const fetched = await fetchChannelIndex(options);
  if (fetched === undefined) {
    throw new RejectedError(`${urlIn(options.baseUrl, channelIndexPath(options.channel))} does not exist (404): nothing was published to channel ${options.channel} there`);
  }
  const { index, payloadSha256 } = fetched;
  const release = selectRelease(index, options.device.hardwareId, options.product);
  return { index, payloadSha256, release, newer: release.targetsVersion > options.device.targetsVersion };
}

/** This device's entry: its product's, for its hardware ID (an exact match before "any hardware"). */
export function selectRelease(index: ChannelIndex, hardwareId: string | undefined, product?: string): ChannelRelease {
  const fits = index.releases.filter((r) => (hardwareId === undefined || r.hardwareId === null || r.hardwareId === hardwareId) && (product === undefined || r.product === product));
  const exact = hardwareId === undefined ? fits : fits.filter((r) => r.hardwareId === hardwareId);
  const candidates = exact.length > 0 ? exact : fits;
  if (candidates.length === 1) return candidates[0]!;
  const where = `channel ${index.channel} (index version ${index.version})`;
  if (candidates.length === 0) {
    throw new RejectedError(`${where} has no release ${product ? `of product ${product} ` : ""}for ${hardwareId === undefined ? "any hardware" : `hardware ${hardwareId}`}`);
  }
  const which = candidates.map((r) => `${r.product} (${r.hardwareId ?? "any hardware"})`).join(", ");
  throw new RejectedError(`${where} has releases of ${which}${hardwareId === undefined ? "" : ` for hardware ${hardwareId}`}: pass --product${hardwareId === undefined ? " and --hardware" : ""}`);
}

export interface DownloadedRelease extends Transfer {
  url: string;
}

/** The release's bundle, its size and SHA-256 checked against the signed index. */
export async function downloadRelease(
  baseUrl: string,
  release: ChannelRelease,
  options: RetryOptions & { onProgress?: (held: number, total: number) => void } = {},
): Promise<DownloadedRelease> {
  const url = urlIn(baseUrl, `${OBJECTS_DIR}/${release.bundle.sha256}`);
  const transfer = await downloadExact(url, release.bundle.size, options);
  const digest = createHash("sha256").update(transfer.bytes).digest("hex");
  if (digest !== release.bundle.sha256) {
    throw new RejectedError(`${url} holds other bytes than the signed index names (sha256 ${digest}, index ${release.bundle.sha256}): refused before installing`);
  }
  return { ...transfer, url };
}
