// Rollouts and their waves.
import type { SqlTx } from "../db/driver.js";
import type { Rollout, RolloutState, Wave } from "../model.js";
import type { PlannedWave } from "../waves.js";
import { nextId } from "./counters.js";

interface RolloutRow {
  id: number;
  name: string;
  product: string;
  channel: string;
  release_hardware_id: string | null;
  targets_version: number;
  bundle_sha256: string;
  bundle_size: number;
  bundle_url: string;
  index_version: number;
  target_json: string;
  policy_json: string;
  emergency: number;
  state: RolloutState;
  state_reason: string | null;
  current_wave: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

function toRollout(r: RolloutRow): Rollout {
  return {
    id: Number(r.id),
    name: r.name,
    product: r.product,
    channel: r.channel,
    releaseHardwareId: r.release_hardware_id,
    targetsVersion: Number(r.targets_version),
    bundle: { sha256: r.bundle_sha256, size: Number(r.bundle_size), url: r.bundle_url },
    indexVersion: Number(r.index_version),
    target: JSON.parse(r.target_json) as Rollout["target"],
    policy: JSON.parse(r.policy_json) as Rollout["policy"],
    emergency: Number(r.emergency) === 1,
    state: r.state,
    stateReason: r.state_reason,
    currentWave: Number(r.current_wave),
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

interface WaveRow {
  number: number;
  groups_json: string | null;
  percent: number | null;
  size: number;
  capped: number;
  started_at: number | null;
  succeeded_at: number | null;
  accepted_failures: number;
}

function toWave(w: WaveRow): Wave {
  return {
    number: Number(w.number),
    groups: w.groups_json === null ? null : (JSON.parse(w.groups_json) as string[]),
    percent: w.percent === null ? null : Number(w.percent),
    size: Number(w.size),
    capped: Number(w.capped) === 1,
    startedAt: w.started_at === null ? null : Number(w.started_at),
    succeededAt: w.succeeded_at === null ? null : Number(w.succeeded_at),
    acceptedFailures: Number(w.accepted_failures),
  };
}

export type NewRollout = Omit<Rollout, "id" | "state" | "stateReason" | "currentWave" | "updatedAt">;

export async function insertRollout(tx: SqlTx, rollout: NewRollout, waves: PlannedWave[]): Promise<number> {
  const id = await nextId(tx, "rollout");
  await tx.run(
    `INSERT INTO rollouts (id, name, product, channel, release_hardware_id, targets_version, bundle_sha256, bundle_size, bundle_url, index_version, target_json, policy_json, emergency, state, state_reason, current_wave, created_by, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', NULL, 0, ?, ?, ?)`,
    [
      id, rollout.name, rollout.product, rollout.channel, rollout.releaseHardwareId, rollout.targetsVersion, rollout.bundle.sha256, rollout.bundle.size, rollout.bundle.url,
      rollout.indexVersion, JSON.stringify(rollout.target), JSON.stringify(rollout.policy), rollout.emergency ? 1 : 0, rollout.createdBy, rollout.createdAt, rollout.createdAt,
    ],
  );
  for (const [number, wave] of waves.entries()) {
    await tx.run(`INSERT INTO waves (rollout_id, number, groups_json, percent, size, capped, started_at, succeeded_at, accepted_failures) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0)`, [
      id, number, wave.groups === null ? null : JSON.stringify(wave.groups), wave.percent, wave.size, wave.capped ? 1 : 0, number === 0 ? rollout.createdAt : null,
    ]);
  }
  return id;
}

export async function getRollout(tx: SqlTx, id: number): Promise<Rollout | undefined> {
  const rows = await tx.query<RolloutRow>(`SELECT * FROM rollouts WHERE id = ?`, [id]);
  return rows[0] && toRollout(rows[0]);
}

/** The rollout, locked to the end of the transaction: every decision about it takes this lock. */
export async function lockRollout(tx: SqlTx, id: number): Promise<Rollout | undefined> {
  const rows = await tx.query<RolloutRow>(`SELECT * FROM rollouts WHERE id = ?${tx.forUpdate}`, [id]);
  return rows[0] && toRollout(rows[0]);
}

export async function listRollouts(tx: SqlTx, states?: readonly RolloutState[]): Promise<Rollout[]> {
  const rows = states === undefined
    ? await tx.query<RolloutRow>(`SELECT * FROM rollouts ORDER BY id DESC`)
    : await tx.query<RolloutRow>(`SELECT * FROM rollouts WHERE state IN (${states.map(() => "?").join(", ")}) ORDER BY id`, [...states]);
  return rows.map(toRollout);
}

/** Rollouts of a product handing out a release newer than `version` for this hardware, newest first. */
export async function candidateRollouts(tx: SqlTx, product: string, hardwareId: string, version: number, states: readonly RolloutState[]): Promise<Rollout[]> {
  const rows = await tx.query<RolloutRow>(
    `SELECT * FROM rollouts WHERE product = ? AND state IN (${states.map(() => "?").join(", ")}) AND targets_version > ? AND (release_hardware_id IS NULL OR release_hardware_id = ?) ORDER BY targets_version DESC, id DESC`,
    [product, ...states, version, hardwareId],
  );
  return rows.map(toRollout);
}

export async function setRolloutState(tx: SqlTx, id: number, state: RolloutState, reason: string | null, at: number): Promise<void> {
  await tx.run(`UPDATE rollouts SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?`, [state, reason, at, id]);
}

export async function setCurrentWave(tx: SqlTx, id: number, wave: number, at: number): Promise<void> {
  await tx.run(`UPDATE rollouts SET current_wave = ?, updated_at = ? WHERE id = ?`, [wave, at, id]);
  await tx.run(`UPDATE waves SET started_at = ? WHERE rollout_id = ? AND number = ? AND started_at IS NULL`, [at, id, wave]);
}

export async function wavesOf(tx: SqlTx, id: number): Promise<Wave[]> {
  return (await tx.query<WaveRow>(`SELECT * FROM waves WHERE rollout_id = ? ORDER BY number`, [id])).map(toWave);
}

export async function markWaveSucceeded(tx: SqlTx, id: number, wave: number, at: number): Promise<void> {
  await tx.run(`UPDATE waves SET succeeded_at = ? WHERE rollout_id = ? AND number = ?`, [at, id, wave]);
}

/** On resume: failures so far are accepted, only new ones count against the threshold. */
export async function acceptFailures(tx: SqlTx, id: number, wave: number, failures: number): Promise<void> {
  await tx.run(`UPDATE waves SET accepted_failures = ? WHERE rollout_id = ? AND number = ?`, [failures, id, wave]);
}

/** The highest channel index version any rollout used: an older index is a rollback. */
export async function lastIndexVersion(tx: SqlTx, channel: string): Promise<number> {
  const rows = await tx.query<{ v: number | null }>(`SELECT MAX(index_version) AS v FROM rollouts WHERE channel = ?`, [channel]);
  return Number(rows[0]?.v ?? 0);
}
