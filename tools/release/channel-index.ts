// The signed channel index (DESIGN.md "Services and trust": the release key plays TUF's timestamp
// role): per channel one small JSON document naming the current release of each product and
// hardware ID, wrapped in a DSSE envelope signed by a release key. Its `version` rises with every
// publish and it carries an expiry, so a client that remembers the last version it saw refuses a
// replayed or rolled-back index, and one that checks the clock refuses an index frozen in time
// (TUF's rollback and freeze attacks). The device itself still trusts only its root: the index
// only decides what to download, never whether a bundle installs.
import { Ajv, type ErrorObject } from "ajv";
import { MAX_HARDWARE_ID } from "../../assembly/limits.js";
import { InputError, RejectedError, type PublicKey, type SigningKey } from "../format/index.js";
import { PRODUCT_NAME, parseEnvelope, signEnvelope, verifyEnvelope, type DsseEnvelope } from "../build/index.js";

export const CHANNEL_INDEX_PAYLOAD_TYPE = "application/vnd.airlock.channel-index+json";

/** The channels every repository knows; others may be named (CHANNEL_NAME). */
export const STANDARD_CHANNELS = ["dev", "internal", "rc", "prod", "emergency"] as const;

/** A channel name is a file name and a URL path segment: lower case, digits and dashes. */
const CHANNEL_NAME_PATTERN = "[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?";
/** A channel name, as a JSON-Schema pattern (config files) and a RegExp. */
export const CHANNEL_NAME = `^${CHANNEL_NAME_PATTERN}$`;
const CHANNEL_NAME_RE = new RegExp(CHANNEL_NAME);

/** A channel index's path under the repository root (match[1]: the channel). */
export const CHANNEL_INDEX_FILE = new RegExp(`^channels/(${CHANNEL_NAME_PATTERN})\\.json$`);

/** Largest channel index a client reads: a few hundred products fit in far less. */
export const MAX_CHANNEL_INDEX_BYTES = 1 << 20;

/** Where a channel's index lives under the repository root, as a URL path too. */
export function channelIndexPath(channel: string): string {
  return `channels/${requireChannelName(channel)}.json`;
}

export function requireChannelName(channel: string): string {
  if (!CHANNEL_NAME_RE.test(channel)) {
    throw new InputError(
      `channel name ${JSON.stringify(channel)} is not usable: 1-32 lower-case letters, digits and inner dashes (e.g. ${STANDARD_CHANNELS.join(", ")}, or beta-2)`,
    );
  }
  return channel;
}

export interface ChannelRelease {
  product: string;
  /** The hardware the bundle is for (its targets metadata's hardware ID); null: any hardware. */
  hardwareId: string | null;
  targetsVersion: number;
  bundle: { sha256: string; size: number };
  notesUrl?: string;
  publishedAt: string;
}

export interface ChannelIndex {
  channel: string;
  version: number;
  issuedAt: string;
  expires: string;
  releases: ChannelRelease[];
}

const TIMESTAMP = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$" } as const;
const UINT32 = { type: "integer", minimum: 0, maximum: 0xffff_ffff } as const;

// Checked whole, unknown fields refused: a client and a publisher must never read one index two ways.
const schema = {
  type: "object",
  additionalProperties: false,
  required: ["channel", "version", "issuedAt", "expires", "releases"],
  properties: {
    channel: { type: "string" },
    version: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    issuedAt: TIMESTAMP,
    expires: TIMESTAMP,
    releases: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["product", "hardwareId", "targetsVersion", "bundle", "publishedAt"],
        properties: {
          product: { type: "string", pattern: PRODUCT_NAME },
          hardwareId: { anyOf: [{ type: "null" }, { type: "string", minLength: 1, maxLength: MAX_HARDWARE_ID }] },
          targetsVersion: UINT32,
          bundle: {
            type: "object",
            additionalProperties: false,
            required: ["sha256", "size"],
            properties: { sha256: { type: "string", pattern: "^[0-9a-f]{64}$" }, size: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
          },
          notesUrl: { type: "string", pattern: "^https?://" },
          publishedAt: TIMESTAMP,
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true }).compile(schema);

function describe(e: ErrorObject): string {
  const at = e.instancePath || "(top level)";
  if (e.keyword === "additionalProperties") return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  return `${at}: ${e.message}`;
}

/** Checks an index's shape and its internal rules (one entry per product and hardware, expiry after issue). */
export function checkChannelIndex(value: unknown, what: string): ChannelIndex {
  if (!validate(value)) throw new RejectedError(`${what} is not a channel index: ${(validate.errors ?? []).map(describe).join("; ")}`);
  const index = value as ChannelIndex;
  const seen = new Set<string>();
  for (const r of index.releases) {
    const key = releaseKey(r.product, r.hardwareId);
    if (seen.has(key)) throw new RejectedError(`${what} lists product ${r.product} for hardware ${r.hardwareId ?? "any"} twice`);
    seen.add(key);
  }
  if (Date.parse(index.expires) <= Date.parse(index.issuedAt)) throw new RejectedError(`${what} expires (${index.expires}) before it was issued (${index.issuedAt})`);
  return index;
}

export function releaseKey(product: string, hardwareId: string | null): string {
  return `${product}\u0000${hardwareId ?? ""}`;
}

/** The envelope's JSON text for `index`, signed by the release key. */
export function signChannelIndex(index: ChannelIndex, releaseKey: SigningKey): string {
  checkChannelIndex(index, "the new channel index");
  return `${JSON.stringify(signEnvelope(CHANNEL_INDEX_PAYLOAD_TYPE, Buffer.from(JSON.stringify(index), "utf8"), [releaseKey]), null, 2)}\n`;
}

/** The payload of an envelope as it is, unverified: for the publisher reading its own repository and for `release show`. */
export function readChannelIndex(text: string, what: string): { envelope: DsseEnvelope; index: ChannelIndex } {
  const envelope = parseEnvelope(text, what);
  if (envelope.payloadType !== CHANNEL_INDEX_PAYLOAD_TYPE) throw new RejectedError(`${what} has payloadType "${envelope.payloadType}", not "${CHANNEL_INDEX_PAYLOAD_TYPE}"`);
  return { envelope, index: checkChannelIndex(parsePayload(Buffer.from(envelope.payload, "base64"), what), what) };
}

export interface IndexExpectations {
  channel: string;
  trustedKeys: PublicKey[];
  /** The highest index version this client has accepted before (0: none yet). */
  lastSeenVersion: number;
  now: Date;
}

/**
 * What a client accepts, in TUF's order: the signature by a trusted release key first (nothing
 * unsigned is even parsed as an index), then the channel it claims, then rollback, then expiry.
 */
export function verifyChannelIndex(text: string, expect: IndexExpectations, what: string): ChannelIndex {
  let envelope: DsseEnvelope;
  try {
    envelope = parseEnvelope(text, what);
  } catch (err) {
    // A client treats a malformed index as a refused one: the server's bytes, not the user's input.
    throw new RejectedError((err as Error).message);
  }
  let payload: Uint8Array;
  try {
    payload = verifyEnvelope(envelope, CHANNEL_INDEX_PAYLOAD_TYPE, expect.trustedKeys).payload;
  } catch {
    // DSSE's own message speaks of builders; here the one question is whose key signed the index.
    throw new RejectedError(
      `${what} is not signed by a trusted release key (${envelope.signatures.length} signature(s), none valid by the ${expect.trustedKeys.length} key(s) trusted): signed by an unknown key or changed after signing; check --release-key`,
    );
  }
  const index = checkChannelIndex(parsePayload(payload, what), what);
  if (index.channel !== expect.channel) {
    throw new RejectedError(`${what} is the index of channel "${index.channel}", not "${expect.channel}": the server answers with another channel's index`);
  }
  if (index.version < expect.lastSeenVersion) {
    throw new RejectedError(
      `${what} has version ${index.version}, older than version ${expect.lastSeenVersion} this device already saw (rollback or replay refused)`,
    );
  }
  if (Date.parse(index.expires) <= expect.now.getTime()) {
    throw new RejectedError(`${what} (version ${index.version}) expired at ${index.expires} (frozen index refused): the publisher must publish or re-sign it`);
  }
  return index;
}

function parsePayload(payload: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch (err) {
    throw new RejectedError(`${what}'s payload is not JSON (${(err as Error).message})`);
  }
}
