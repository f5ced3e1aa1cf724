// What the update client remembers between polls: per channel the highest index version it has
// accepted, so a replayed or rolled-back index is refused even after a restart. Kept beside the
// device file (a real device keeps it in its own flash), written atomically.
import { existsSync, readFileSync } from "node:fs";
import { InputError, writeAtomic } from "../format/index.js";

export interface ClientState {
  /** Per channel the last accepted index version and the SHA-256 of its signed payload. */
  channels: Record<string, { indexVersion: number; payloadSha256?: string }>;
}

export function clientStatePath(flash: string): string {
  return `${flash}.release-state.json`;
}

export function loadClientState(path: string): ClientState {
  if (!existsSync(path)) return { channels: {} };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InputError(`${path} is not the client's release state (${(err as Error).message}); it records the last index versions seen, restore it rather than delete it`);
  }
  const channels = (value as Partial<ClientState> | null)?.channels;
  if (typeof channels !== "object" || channels === null || Object.values(channels).some((c) => !Number.isSafeInteger(c?.indexVersion) || (c.payloadSha256 !== undefined && !/^[0-9a-f]{64}$/.test(c.payloadSha256)))) {
    throw new InputError(`${path} is not the client's release state: expected {"channels": {NAME: {"indexVersion": N, "payloadSha256": HEX}}}`);
  }
  return { channels };
}

export function lastSeenVersion(state: ClientState, channel: string): number {
  return state.channels[channel]?.indexVersion ?? 0;
}

/** The payload digest recorded with the last accepted version, if any. */
export function lastSeenPayloadSha256(state: ClientState, channel: string): string | undefined {
  return state.channels[channel]?.payloadSha256;
}

/** Records an accepted index version and its payload digest; never lowers a version already recorded. */
export function recordIndexVersion(path: string, state: ClientState, channel: string, version: number, payloadSha256?: string): ClientState {
  const seen = state.channels[channel];
  if (version < lastSeenVersion(state, channel) || (version === seen?.indexVersion && (payloadSha256 === undefined || seen.payloadSha256 === payloadSha256))) return state;
  const next = { channels: { ...state.channels, [channel]: { indexVersion: version, ...(payloadSha256 ? { payloadSha256 } : {}) } } };
  writeAtomic(path, `${JSON.stringify(next, null, 2)}\n`, { force: true });
  return next;
}
