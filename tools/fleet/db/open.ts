// --db: a PostgreSQL URL (postgres:// or postgresql://), or a SQLite file (a path, or sqlite:PATH).
import type { SqlDriver } from "./driver.js";
import { migrate, type MigrationReport } from "./migrate.js";
import { PostgresDriver } from "./postgres.js";
import { SqliteDriver } from "./sqlite.js";

export const DEFAULT_DATABASE = "fleet.sqlite";

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//.test(db);
}

export function openDriver(db: string): SqlDriver {
  return isPostgresUrl(db) ? new PostgresDriver(db) : new SqliteDriver(db.replace(/^sqlite:/, ""));
}

/** Opens the database and migrates it to the newest schema. */
export async function openDatabase(db: string): Promise<{ driver: SqlDriver; migrations: MigrationReport }> {
  const driver = openDriver(db);
  try {
    return { driver, migrations: await migrate(driver) };
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
}
