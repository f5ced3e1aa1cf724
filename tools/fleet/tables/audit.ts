// The audit trail: who did what to which thing, when, in the same transaction as the change
// itself (an action that rolls back leaves no entry, one that commits always has one).
import type { SqlTx } from "../db/driver.js";
import { nextId } from "./counters.js";

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

/** The actor of automatic decisions (the error threshold pausing a rollout). */
export const SYSTEM_ACTOR = "system";

export async function addAudit(tx: SqlTx, at: number, actor: string, action: string, subject: string, details: Record<string, unknown> = {}): Promise<void> {
  await tx.run(`INSERT INTO audit (id, at, actor, action, subject, details_json) VALUES (?, ?, ?, ?, ?, ?)`, [await nextId(tx, "audit"), at, actor, action, subject, JSON.stringify(details)]);
}

export async function listAudit(tx: SqlTx, options: { subject?: string; limit: number }): Promise<AuditEntry[]> {
  const rows = await tx.query<{ id: number; at: number; actor: string; action: string; subject: string; details_json: string }>(
    options.subject === undefined
      ? `SELECT * FROM audit ORDER BY id DESC LIMIT ?`
      : `SELECT * FROM audit WHERE subject = ? ORDER BY id DESC LIMIT ?`,
    options.subject === undefined ? [options.limit] : [options.subject, options.limit],
  );
  return rows.map((r) => ({ id: Number(r.id), at: Number(r.at), actor: r.actor, action: r.action, subject: r.subject, details: JSON.parse(r.details_json) as Record<string, unknown> }));
}
