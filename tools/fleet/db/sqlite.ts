// SQLite through better-sqlite3: one file, zero set-up. better-sqlite3 is synchronous, so the
// async transaction bodies of concurrent requests take turns on one queue (two bodies must never
// interleave on one connection); BEGIN IMMEDIATE takes the write lock at the start, so another
// process on the same file waits (busy_timeout) instead of failing halfway through.
import Database from "better-sqlite3";
import { InputError } from "../../format/index.js";
import type { SqlDriver, SqlTx, SqlValue } from "./driver.js";

const BUSY_TIMEOUT_MS = 10_000;

export class SqliteDriver implements SqlDriver {
  readonly kind = "sqlite";
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly where: string) {
    try {
      this.db = new Database(where);
    } catch (err) {
      throw new InputError(`cannot open the SQLite database ${where} (${(err as Error).message}): check the path and its directory's permissions`);
    }
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.db.pragma("foreign_keys = ON");
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private readonly tx: SqlTx = {
    forUpdate: "",
    query: async <Row>(sql: string, params: SqlValue[] = []) => this.statement(sql).all(...params) as Row[],
    run: async (sql: string, params: SqlValue[] = []) => this.statement(sql).run(...params).changes,
  };

  transaction<T>(body: (tx: SqlTx) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const result = await body(this.tx);
        this.db.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  exclusive<T>(body: (tx: SqlTx) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE already excludes every other writer of the file.
    return this.transaction(body);
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}
