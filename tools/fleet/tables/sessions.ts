// The web console's sessions: the SHA-256 of the session cookie, the operator token it was opened
// with (as its hash: the operator and role are looked up on every request, so a replaced token or
// a changed role takes effect at once), the session's CSRF token, and when it ends.
import type { SqlTx } from "../db/driver.js";
import type { Operator, Role } from "../model.js";

export interface SessionRecord {
  operator: Operator;
  csrfToken: string;
  expiresAt: number;
}

export async function insertSession(tx: SqlTx, idSha256: string, tokenSha256: string, csrfToken: string, at: number, expiresAt: number): Promise<void> {
  await tx.run(`INSERT INTO console_sessions (id_sha256, token_sha256, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`, [idSha256, tokenSha256, csrfToken, at, expiresAt]);
}

/** The live session with this ID hash, with its operator (undefined: unknown, expired, or its token replaced). */
export async function sessionByIdHash(tx: SqlTx, idSha256: string, now: number): Promise<SessionRecord | undefined> {
  const rows = await tx.query<{ name: string; role: Role; csrf_token: string; expires_at: number }>(
    `SELECT o.name, o.role, s.csrf_token, s.expires_at FROM console_sessions s JOIN operator_tokens o ON o.token_sha256 = s.token_sha256 WHERE s.id_sha256 = ? AND s.expires_at > ?`,
    [idSha256, now],
  );
  const row = rows[0];
  return row && { operator: { name: row.name, role: row.role }, csrfToken: row.csrf_token, expiresAt: Number(row.expires_at) };
}

export async function deleteSession(tx: SqlTx, idSha256: string): Promise<number> {
  return tx.run(`DELETE FROM console_sessions WHERE id_sha256 = ?`, [idSha256]);
}

export async function deleteExpiredSessions(tx: SqlTx, now: number): Promise<number> {
  return tx.run(`DELETE FROM console_sessions WHERE expires_at <= ?`, [now]);
}
