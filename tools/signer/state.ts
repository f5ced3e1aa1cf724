// The signing service's state in SQLite (better-sqlite3, WAL, synchronous FULL): requests and
// their outcome (idempotency per request ID), the nonces seen (replay), approvals (one row per
// approver, so one person is counted once), and the ledger of production signatures (the
// targets version must rise per product). Every decision that reserves something (a nonce, a
// ledger version, a request's "signing" state) is one transaction, so a crash mid-request leaves
// either nothing or a reservation the retry of the same request completes: never two signatures
// for two requests of one version, never a signature without its ledger entry.
import Database from "better-sqlite3";

export type RequestStatus = "pending" | "signing" | "signed" | "refused";
export type RequestKind = "targets" | "root";

export interface RequestRow {
  id: string;
  kind: RequestKind;
  identity: string;
  key: string;
  product: string;
  /** SHA-256 of the bytes to sign (targets metadata or root metadata). */
  digest: string;
  /** SHA-256 of the request body: a retry must carry the same request. */
  body_sha256: string;
  status: RequestStatus;
  needed: number;
  /** JSON: what approvers are shown. */
  summary: string;
  reason: string | null;
  /** The file to sign (a pending request waits for approvals with it). */
  payload: Buffer | null;
  /** The signed file. */
  result: Buffer | null;
  targets_version: number | null;
  created: string;
  expires: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, identity TEXT NOT NULL, key TEXT NOT NULL, product TEXT NOT NULL,
  digest TEXT NOT NULL, body_sha256 TEXT NOT NULL, status TEXT NOT NULL, needed INTEGER NOT NULL DEFAULT 0,
  summary TEXT NOT NULL, reason TEXT, payload BLOB, result BLOB, targets_version INTEGER,
  created TEXT NOT NULL, expires TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, request_id TEXT NOT NULL, expires TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (request_id TEXT NOT NULL, approver TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (request_id, approver));
CREATE TABLE IF NOT EXISTS ledger (product TEXT NOT NULL, targets_version INTEGER NOT NULL, key TEXT NOT NULL, digest TEXT NOT NULL,
  request_id TEXT NOT NULL UNIQUE, at TEXT NOT NULL, PRIMARY KEY (product, targets_version));
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export class SignerState {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Runs `work` as one transaction (BEGIN IMMEDIATE: no other writer in between). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  request(id: string): RequestRow | undefined {
    return this.db.prepare("SELECT * FROM requests WHERE id = ?").get(id) as RequestRow | undefined;
  }

  insertRequest(row: RequestRow): void {
    this.db
      .prepare(
        `INSERT INTO requests (id, kind, identity, key, product, digest, body_sha256, status, needed, summary, reason, payload, result, targets_version, created, expires)
         VALUES (@id, @kind, @identity, @key, @product, @digest, @body_sha256, @status, @needed, @summary, @reason, @payload, @result, @targets_version, @created, @expires)`,
      )
      .run(row);
  }

  setStatus(id: string, status: RequestStatus, fields: { reason?: string; result?: Buffer } = {}): void {
    this.db.prepare("UPDATE requests SET status = ?, reason = COALESCE(?, reason), result = COALESCE(?, result), payload = CASE WHEN ? IN ('signed', 'refused') THEN NULL ELSE payload END WHERE id = ?")
      .run(status, fields.reason ?? null, fields.result ?? null, status, id);
  }

  /** Records a nonce; false if it was seen before (a replay). Expired nonces are forgotten. */
  useNonce(nonce: string, requestId: string, expires: string, now: string): boolean {
    this.db.prepare("DELETE FROM nonces WHERE expires < ?").run(now);
    return this.db.prepare("INSERT OR IGNORE INTO nonces (nonce, request_id, expires) VALUES (?, ?, ?)").run(nonce, requestId, expires).changes === 1;
  }

  /** Adds an approval; false if this approver had already approved. */
  approve(requestId: string, approver: string, at: string): boolean {
    return this.db.prepare("INSERT OR IGNORE INTO approvals (request_id, approver, at) VALUES (?, ?, ?)").run(requestId, approver, at).changes === 1;
  }

  approvers(requestId: string): string[] {
    return (this.db.prepare("SELECT approver FROM approvals WHERE request_id = ? ORDER BY at, approver").all(requestId) as Array<{ approver: string }>).map((r) => r.approver);
  }

  /** The highest targets version production-signed for a product (0: none). */
  lastProductionVersion(product: string): number {
    const row = this.db.prepare("SELECT MAX(targets_version) AS v FROM ledger WHERE product = ?").get(product) as { v: number | null };
    return row.v ?? 0;
  }

  /** The ledger entry of a request, if it reserved one. */
  ledgerOf(requestId: string): { product: string; targets_version: number } | undefined {
    return this.db.prepare("SELECT product, targets_version FROM ledger WHERE request_id = ?").get(requestId) as { product: string; targets_version: number } | undefined;
  }

  addLedger(entry: { product: string; targetsVersion: number; key: string; digest: string; requestId: string; at: string }): void {
    this.db.prepare("INSERT INTO ledger (product, targets_version, key, digest, request_id, at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(entry.product, entry.targetsVersion, entry.key, entry.digest, entry.requestId, entry.at);
  }

  removeLedger(requestId: string): void {
    this.db.prepare("DELETE FROM ledger WHERE request_id = ?").run(requestId);
  }

  ledger(product?: string): Array<{ product: string; targets_version: number; key: string; digest: string; request_id: string; at: string }> {
    const sql = `SELECT * FROM ledger ${product ? "WHERE product = ?" : ""} ORDER BY product, targets_version`;
    return (product ? this.db.prepare(sql).all(product) : this.db.prepare(sql).all()) as ReturnType<SignerState["ledger"]>;
  }

  getMeta(name: string): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE name = ?").get(name) as { value: string } | undefined)?.value;
  }

  setMeta(name: string, value: string): void {
    this.db.prepare("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value").run(name, value);
  }
}
