// The rollout service's words: what a device reports, what a rollout targets and how it goes out,
// and the states of rollouts and of each device's action (DESIGN.md / README "Rollout").

/** What a device runs, as it reports it on every check-in. */
export interface DeviceManifest {
  product: string;
  hardwareId: string;
  targetsVersion: number;
  /** Image (target) name -> SHA-256 hex of what is installed. */
  images: Record<string, string>;
}

/**
 * running: waves go out; paused: no device gets anything new (by an operator, or by the error
 * threshold); completed: every wave met its success threshold and soak, late devices of the
 * target set still get the release; cancelled: no device gets anything new, devices already given
 * it finish; stopped (emergency stop): as cancelled, and devices that had not started installing
 * are withdrawn as well.
 */
export type RolloutState = "running" | "paused" | "completed" | "cancelled" | "stopped";

/** States in which a rollout hands the release to more devices. */
export const ASSIGNING_STATES: readonly RolloutState[] = ["running", "completed"];

/** One device's part in one rollout (hawkBit's action). */
export type ActionState = "assigned" | "downloading" | "installing" | "installed" | "refused" | "reverted" | "timed_out" | "cancelled";

export const OPEN_ACTION_STATES: readonly ActionState[] = ["assigned", "downloading", "installing"];
/** Failures that count against a wave's error threshold. */
export const FAILED_ACTION_STATES: readonly ActionState[] = ["refused", "reverted", "timed_out"];
/** Not yet installing: an emergency stop withdraws these. */
export const NOT_STARTED_ACTION_STATES: readonly ActionState[] = ["assigned", "downloading"];

/** Which devices a rollout is for, beyond its product and the release's hardware ID. */
export interface TargetSet {
  /** Only devices of this hardware (a release for any hardware may be narrowed). */
  hardwareId?: string;
  /** Only devices in at least one of these groups. */
  groups?: string[];
  /** Only devices whose reported targets version matches, e.g. ">=3 <5" (version-query.ts). */
  versions?: string;
}

export interface RolloutPolicy {
  /** A wave succeeds when this percentage of its size installed and confirmed. */
  successPercent: number;
  /** More than this percentage of a wave failed, reverted or timed out: the rollout pauses itself. */
  errorPercent: number;
  /** How long a wave must have met its success threshold before the next one starts. */
  soakMs: number;
  /** A device that has not finished this long after it was given the release counts as failed. */
  deviceTimeoutMs: number;
}

export const DEFAULT_POLICY: RolloutPolicy = { successPercent: 95, errorPercent: 5, soakMs: 3_600_000, deviceTimeoutMs: 7_200_000 };

/** A wave: the devices of fixed groups, or a cumulative percentage of the target set. */
export type WaveSpec = { groups: string[] } | { percent: number };

export interface Wave {
  number: number;
  groups: string[] | null;
  percent: number | null;
  /** Devices the wave is planned for (from the target set when the rollout was created). */
  size: number;
  /** False for a last wave of 100%: it takes every remaining device, however many enroll later. */
  capped: boolean;
  startedAt: number | null;
  succeededAt: number | null;
  acceptedFailures: number;
}

export interface Rollout {
  id: number;
  name: string;
  product: string;
  channel: string;
  releaseHardwareId: string | null;
  targetsVersion: number;
  bundle: { sha256: string; size: number; url: string };
  indexVersion: number;
  target: TargetSet;
  policy: RolloutPolicy;
  emergency: boolean;
  state: RolloutState;
  stateReason: string | null;
  currentWave: number;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type Role = "operator" | "viewer";
export const ROLES: readonly Role[] = ["operator", "viewer"];

export interface Operator {
  name: string;
  role: Role;
}

/** Names of products, groups, devices and operators: safe in URLs, logs and SQL LIKE patterns. */
export const NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$";
