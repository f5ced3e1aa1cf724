// Console sessions: an operator signs in with their operator token and gets a random session ID
// (the cookie) and a random CSRF token (in every form). The database keeps the session ID's
// SHA-256 and the token's hash, so each request resolves to the operator and role the token has
// now. Sessions end after SESSION_MS, at sign-out, or when the operator's token is replaced.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { tokenSha256 } from "../../signer/index.js";
import type { Clock } from "../clock.js";
import type { SqlDriver } from "../db/driver.js";
import type { Operator } from "../model.js";
import { addAudit } from "../tables/audit.js";
import { operatorByTokenHash } from "../tables/credentials.js";
import { deleteExpiredSessions, deleteSession, insertSession, sessionByIdHash } from "../tables/sessions.js";

export const SESSION_MS = 8 * 3_600_000;

export interface ConsoleSession {
  operator: Operator;
  csrfToken: string;
}

export class ConsoleSessions {
  constructor(
    private readonly db: SqlDriver,
    private readonly clock: Clock,
  ) {}

  /** A new session for the operator whose token this is (audited), or undefined for an unknown token. */
  async open(operatorToken: string): Promise<{ id: string; session: ConsoleSession } | undefined> {
    const tokenHash = tokenSha256(operatorToken);
    const id = randomBytes(32).toString("base64url");
    const csrfToken = randomBytes(32).toString("base64url");
    return this.db.transaction(async (tx) => {
      const now = this.clock.now();
      const operator = await operatorByTokenHash(tx, tokenHash);
      if (!operator) return undefined;
      await deleteExpiredSessions(tx, now);
      await insertSession(tx, tokenSha256(id), tokenHash, csrfToken, now, now + SESSION_MS);
      await addAudit(tx, now, operator.name, "console.login", `operator/${operator.name}`, { role: operator.role });
      return { id, session: { operator, csrfToken } };
    });
  }

  async find(id: string | undefined): Promise<ConsoleSession | undefined> {
    if (!id) return undefined;
    const record = await this.db.transaction((tx) => sessionByIdHash(tx, tokenSha256(id), this.clock.now()));
    return record && { operator: record.operator, csrfToken: record.csrfToken };
  }

  async close(id: string): Promise<void> {
    await this.db.transaction((tx) => deleteSession(tx, tokenSha256(id)));
  }
}

/** The form's CSRF token is the session's (compared in constant time). */
export function csrfMatches(session: ConsoleSession, presented: unknown): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
