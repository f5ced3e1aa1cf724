// The two databases behind one small interface: SQL in the dialect SQLite and PostgreSQL share,
// `?` placeholders (the PostgreSQL driver numbers them), and every state change inside
// `transaction`. A transaction either commits whole or not at all; on PostgreSQL one that lost a
// serialization or deadlock race is run again from the start, so its body must only touch the
// database (no effects outside it before it returns).

export type SqlValue = string | number | null;

export interface SqlTx {
  query<Row = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<Row[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: SqlValue[]): Promise<number>;
  /**
   * " FOR UPDATE" on PostgreSQL (a row lock held to commit), "" on SQLite, where a write
   * transaction already holds the whole database (BEGIN IMMEDIATE).
   */
  readonly forUpdate: string;
}

export interface SqlDriver {
  readonly kind: "sqlite" | "postgres";
  /** Where the database is, without any password (for logs and errors). */
  readonly where: string;
  transaction<T>(body: (tx: SqlTx) => Promise<T>): Promise<T>;
  /** Runs `body` while no other process runs it on the same database (migrations). */
  exclusive<T>(body: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
