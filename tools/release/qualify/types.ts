// What `qualifyRelease` takes and gives back: the suites by their stable names (the ones a
// signing policy lists under production.qualification), the options of a run, and per suite and
// per board what was checked, the figures, and the signed record.
import type { DsseEnvelope } from "../../build/index.js";
import type { SigningKey } from "../../format/index.js";
import type { QualificationRecord } from "../../signer/index.js";

/** The simulator suites, in the order they run. */
export const SIM_SUITES = ["sim-update", "sim-revert", "sim-power-cut", "sim-wire"] as const;
/** Every suite; "qemu" is the board firmware under QEMU. */
export const QUALIFY_SUITES = [...SIM_SUITES, "qemu"] as const;
export type SuiteName = (typeof QUALIFY_SUITES)[number];

/** auto: run on the QEMU machines that can run it, skip the rest loudly; require: a skip is a failure; skip: do not run. */
export type QemuMode = "auto" | "require" | "skip";
export const QEMU_MODES: readonly QemuMode[] = ["auto", "require", "skip"];

/** Power-cut points sampled per board when the caller names no count. */
export const DEFAULT_POWER_CUTS = 24;

export interface QualifyProgress {
  suite: SuiteName;
  board?: string;
  message: string;
}

export interface QualifyOptions {
  /** The bundle under qualification (signed by test keys: qualification comes before the production signature). */
  bundle: Uint8Array;
  product: string;
  /** The root metadata the simulated devices trust (the one the bundle's signing keys belong to). */
  root: Uint8Array;
  /**
   * The release currently out: its images are written at the factory as slot A with its targets
   * version, so the suites update from it. Without it each target starts from a generated
   * factory image at targets version 0.
   */
  baseline?: Uint8Array;
  /** Simulator boards (board/*.json names or board-file paths); default: the default board. */
  boards?: string[];
  /** The qualifier key that signs the records. */
  qualifierKey: SigningKey;
  /** Power-cut points per board (seeded sample over the whole install); default DEFAULT_POWER_CUTS. */
  powerCuts?: number;
  qemu?: QemuMode;
  /** Run only these suites (default: all). */
  suites?: SuiteName[];
  onProgress?(event: QualifyProgress): void;
}

export type Verdict = "pass" | "fail" | "skipped";

/** One suite on one board (for qemu: one QEMU machine, named with the board its layout follows). */
export interface BoardRun {
  board: string;
  machine?: string;
  result: Verdict;
  /** What was checked and held, in order. */
  checked: string[];
  figures: Record<string, number>;
  /** Why it failed or was skipped. */
  reason?: string;
  durationMs: number;
}

export interface SuiteResult {
  suite: SuiteName;
  /** pass: every board passed; fail: one failed (or, with --qemu require, could not run); skipped: nothing ran. */
  result: Verdict;
  runs: BoardRun[];
  reason?: string;
  durationMs: number;
  /** The signed record (absent when skipped: nothing ran, nothing to state). */
  record?: QualificationRecord;
  envelope?: DsseEnvelope;
}

export interface QualifyResult {
  /** True when no suite failed (skipped suites are listed; a policy that lists them still refuses). */
  ok: boolean;
  product: string;
  targetsMetadataSha256: string;
  bundleSha256: string;
  targetsVersion: number;
  suites: SuiteResult[];
  /** The records' envelopes, pass and fail: what `bundle sign --remote --qualification` sends. */
  envelopes: DsseEnvelope[];
}
