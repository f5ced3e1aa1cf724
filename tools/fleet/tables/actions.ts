// Actions: one device's part in one rollout, from assignment to its result.
import type { SqlTx } from "../db/driver.js";
import { FAILED_ACTION_STATES, OPEN_ACTION_STATES, type ActionState } from "../model.js";
import { nextId } from "./counters.js";

export interface Action {
  id: number;
  rolloutId: number;
  wave: number;
  deviceId: string;
  state: ActionState;
  errorCode: string | null;
  details: string | null;
  assignedAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

interface ActionRow {
  id: number;
  rollout_id: number;
  wave: number;
  device_id: string;
  state: ActionState;
  error_code: string | null;
  details: string | null;
  assigned_at: number;
  updated_at: number;
  finished_at: number | null;
}

function toAction(r: ActionRow): Action {
  return {
    id: Number(r.id),
    rolloutId: Number(r.rollout_id),
    wave: Number(r.wave),
    deviceId: r.device_id,
    state: r.state,
    errorCode: r.error_code,
    details: r.details,
    assignedAt: Number(r.assigned_at),
    updatedAt: Number(r.updated_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}

const list = (states: readonly string[]) => states.map((s) => `'${s}'`).join(", ");
const OPEN = list(OPEN_ACTION_STATES);

export async function insertAction(tx: SqlTx, rolloutId: number, wave: number, deviceId: string, at: number): Promise<Action> {
  const id = await nextId(tx, "action");
  await tx.run(`INSERT INTO actions (id, rollout_id, wave, device_id, state, error_code, details, assigned_at, updated_at, finished_at) VALUES (?, ?, ?, ?, 'assigned', NULL, NULL, ?, ?, NULL)`, [
    id, rolloutId, wave, deviceId, at, at,
  ]);
  return { id, rolloutId, wave, deviceId, state: "assigned", errorCode: null, details: null, assignedAt: at, updatedAt: at, finishedAt: null };
}

/** The device's unfinished action, if any (a device has at most one). */
export async function openActionOf(tx: SqlTx, deviceId: string): Promise<Action | undefined> {
  const rows = await tx.query<ActionRow>(`SELECT * FROM actions WHERE device_id = ? AND state IN (${OPEN}) ORDER BY id DESC`, [deviceId]);
  return rows[0] && toAction(rows[0]);
}

export async function actionOf(tx: SqlTx, id: number, deviceId: string): Promise<Action | undefined> {
  const rows = await tx.query<ActionRow>(`SELECT * FROM actions WHERE id = ? AND device_id = ?`, [id, deviceId]);
  return rows[0] && toAction(rows[0]);
}

/** Rollouts this device already has an action in (whatever its result): none is offered twice. */
export async function rolloutsTriedBy(tx: SqlTx, deviceId: string): Promise<Set<number>> {
  return new Set((await tx.query<{ rollout_id: number }>(`SELECT rollout_id FROM actions WHERE device_id = ?`, [deviceId])).map((r) => Number(r.rollout_id)));
}

export async function updateAction(tx: SqlTx, id: number, state: ActionState, at: number, result: { errorCode?: string | null; details?: string | null } = {}): Promise<void> {
  const finished = !OPEN_ACTION_STATES.includes(state);
  await tx.run(`UPDATE actions SET state = ?, error_code = ?, details = ?, updated_at = ?, finished_at = ? WHERE id = ?`, [
    state, result.errorCode ?? null, result.details ?? null, at, finished ? at : null, id,
  ]);
}

export async function countInWave(tx: SqlTx, rolloutId: number, wave: number): Promise<number> {
  const rows = await tx.query<{ n: number }>(`SELECT COUNT(*) AS n FROM actions WHERE rollout_id = ? AND wave = ?`, [rolloutId, wave]);
  return Number(rows[0]!.n);
}

export type StateCounts = Record<ActionState, number>;

export function emptyCounts(): StateCounts {
  return { assigned: 0, downloading: 0, installing: 0, installed: 0, refused: 0, reverted: 0, timed_out: 0, cancelled: 0 };
}

/** Per wave, how many actions are in each state. */
export async function countsByWave(tx: SqlTx, rolloutId: number): Promise<Map<number, StateCounts>> {
  const rows = await tx.query<{ wave: number; state: ActionState; n: number }>(`SELECT wave, state, COUNT(*) AS n FROM actions WHERE rollout_id = ? GROUP BY wave, state`, [rolloutId]);
  const map = new Map<number, StateCounts>();
  for (const r of rows) {
    const counts = map.get(Number(r.wave)) ?? emptyCounts();
    counts[r.state] = Number(r.n);
    map.set(Number(r.wave), counts);
  }
  return map;
}

export function failuresIn(counts: StateCounts): number {
  return FAILED_ACTION_STATES.reduce((sum, s) => sum + counts[s], 0);
}

/** Open actions given out more than `timeoutMs` ago become timed_out (a failure). */
export async function timeOutActions(tx: SqlTx, rolloutId: number, now: number, timeoutMs: number): Promise<number> {
  return tx.run(`UPDATE actions SET state = 'timed_out', details = ?, updated_at = ?, finished_at = ? WHERE rollout_id = ? AND state IN (${OPEN}) AND assigned_at <= ?`, [
    `no result within ${Math.round(timeoutMs / 1000)} s of assignment`, now, now, rolloutId, now - timeoutMs,
  ]);
}

/** Withdraws the rollout's actions in `states` (cancel or emergency stop). */
export async function cancelActions(tx: SqlTx, rolloutId: number, states: readonly ActionState[], now: number, why: string): Promise<number> {
  return tx.run(`UPDATE actions SET state = 'cancelled', details = ?, updated_at = ?, finished_at = ? WHERE rollout_id = ? AND state IN (${list(states)})`, [why, now, now, rolloutId]);
}

/** The devices that failed, with their error, newest first. */
export async function failedActions(tx: SqlTx, rolloutId: number, limit: number): Promise<Action[]> {
  const rows = await tx.query<ActionRow>(`SELECT * FROM actions WHERE rollout_id = ? AND state IN (${list(FAILED_ACTION_STATES)}) ORDER BY updated_at DESC, id DESC LIMIT ?`, [rolloutId, limit]);
  return rows.map(toAction);
}
