// PostgreSQL through node-postgres, for several `fleet serve` processes on one database.
// Transactions run at READ COMMITTED and take row locks (SELECT ... FOR UPDATE) on what they
// decide about: the device, then the rollout, then its actions, always in that order, so two
// processes answering the same device or filling the same wave take turns. A transaction that
// still loses a race (deadlock, serialization failure) is rolled back and run again.
import pg from "pg";
import { InputError } from "../../format/index.js";
import type { SqlDriver, SqlTx, SqlValue } from "./driver.js";

/** 40001 serialization_failure, 40P01 deadlock_detected: safe to run the transaction again. */
const RETRYABLE = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 8;
/** pg_advisory_lock key for migrations: any fixed 64-bit number the project owns ("airlock" in ASCII). */
const MIGRATION_LOCK = 0x6169726c6f636bn.toString();
const INT8_OID = 20;

/** `?` placeholders as PostgreSQL's $1, $2, ... (the SQL here never has a ? inside a literal). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

export class PostgresDriver implements SqlDriver {
  readonly kind = "postgres";
  readonly where: string;
  private readonly pool: pg.Pool;

  constructor(url: string, options: { maxConnections?: number } = {}) {
    this.where = redactedUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      // BIGINT columns hold millisecond times and IDs, all below 2^53: numbers, not strings.
      types: { getTypeParser: (oid: number, format?: "text" | "binary") => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig,
    });
    // An idle connection the server drops (a restart) must not crash the process.
    this.pool.on("error", () => undefined);
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw new InputError(`cannot connect to PostgreSQL at ${this.where} (${(err as Error).message}): check that the server runs and the URL's user, password and database`);
    }
  }

  /** One transaction on the client: committed when `body` returns, rolled back when it throws. */
  private static async once<T>(client: pg.PoolClient, body: (tx: SqlTx) => Promise<T>): Promise<T> {
    await client.query("BEGIN");
    try {
      const result = await body(PostgresDriver.txOf(client));
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  }

  private static txOf(client: pg.PoolClient): SqlTx {
    return {
      forUpdate: " FOR UPDATE",
      query: async <Row>(sql: string, params: SqlValue[] = []) => (await client.query(numbered(sql), params)).rows as Row[],
      run: async (sql: string, params: SqlValue[] = []) => (await client.query(numbered(sql), params)).rowCount ?? 0,
    };
  }

  async transaction<T>(body: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await PostgresDriver.once(client, body);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
        }
      }
    } finally {
      client.release();
    }
  }

  async exclusive<T>(body: (tx: SqlTx) => Promise<T>): Promise<T> {
    // A session-level advisory lock: a second process starting at the same moment waits here
    // until the first has migrated, then finds nothing left to do.
    const client = await this.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
      try {
        return await PostgresDriver.once(client, body);
      } finally {
        await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
