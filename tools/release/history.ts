// A release's history: one record per stage run (who, when, the inputs and outputs by SHA-256,
// the result and why), in the order they ran, so anyone can later read how a build reached prod.
// One JSON file per release, <history>/<product>/v<targets version>-<build record sha256>.json,
// rewritten whole (write, fsync, rename) under its lock for each record: a crash leaves the
// history as it was before or after a record, and two pipeline runs on one release take turns.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RejectedError, withFileLock, writeAtomic } from "../format/index.js";

export type StageResult = "passed" | "failed" | "waiting";

export interface StageRecord {
  stage: string;
  kind: string;
  result: StageResult;
  by: string;
  at: string;
  /** What the stage used, by SHA-256 (build record, bundle, records...). */
  inputs: Record<string, string>;
  /** What it made, by SHA-256 (a signed bundle, qualification records...), stored in the artifact store. */
  outputs: Record<string, string>;
  /** What was checked and what it found, in plain words. */
  details: string[];
  /** A signing request still waiting for approvals, resumed by the next run. */
  requestId?: string;
}

export interface ReleaseHistory {
  product: string;
  targetsVersion: number;
  /** SHA-256 of the build record (the release's identity). */
  build: string;
  /** "normal" or "emergency": which path the release took. */
  path: "normal" | "emergency";
  records: StageRecord[];
}

export class ReleaseHistoryStore {
  constructor(readonly root: string) {}

  fileOf(product: string, targetsVersion: number, build: string): string {
    return join(this.root, product, `v${targetsVersion}-${build}.json`);
  }

  read(product: string, targetsVersion: number, build: string): ReleaseHistory | undefined {
    const path = this.fileOf(product, targetsVersion, build);
    return existsSync(path) ? parseHistory(readFileSync(path, "utf8"), path) : undefined;
  }

  /** Every release of the product that has a history, lowest targets version first. */
  list(product: string): ReleaseHistory[] {
    const dir = join(this.root, product);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => /^v\d+-[0-9a-f]{64}\.json$/.test(name))
      .map((name) => parseHistory(readFileSync(join(dir, name), "utf8"), join(dir, name)))
      .sort((a, b) => a.targetsVersion - b.targetsVersion || a.records[0]!.at.localeCompare(b.records[0]!.at));
  }

  /** Adds a record to the release's history (creating it), atomically; returns the history after. */
  append(release: Omit<ReleaseHistory, "records">, record: StageRecord): ReleaseHistory {
    const path = this.fileOf(release.product, release.targetsVersion, release.build);
    mkdirSync(join(this.root, release.product), { recursive: true });
    return withFileLock(path, () => {
      const before = existsSync(path) ? parseHistory(readFileSync(path, "utf8"), path) : { ...release, records: [] };
      const after = { ...before, records: [...before.records, record] };
      writeAtomic(path, `${JSON.stringify(after, null, 2)}\n`, { force: true });
      return after;
    });
  }
}

function parseHistory(text: string, path: string): ReleaseHistory {
  let value: ReleaseHistory;
  try {
    value = JSON.parse(text) as ReleaseHistory;
  } catch {
    throw new RejectedError(`${path} is not a release history (not JSON): it was damaged; restore it from backup`);
  }
  if (typeof value?.product !== "string" || !Array.isArray(value.records)) throw new RejectedError(`${path} is not a release history (no product or records)`);
  return value;
}

/** The last record of a stage in a history, if the stage ran. */
export function lastRecordOf(history: ReleaseHistory | undefined, stage: string): StageRecord | undefined {
  return history?.records.filter((r) => r.stage === stage).at(-1);
}
