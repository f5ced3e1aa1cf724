// Brings a database to the newest schema at start: under the driver's exclusive lock (an
// advisory lock on PostgreSQL, the write lock on SQLite), reads schema_migrations, applies the
// migrations not recorded there in order, and records each, all in one transaction, so two
// processes starting at once migrate once and a failed migration leaves the schema as it was.
import { RejectedError } from "../../format/index.js";
import type { SqlDriver } from "./driver.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

export interface MigrationReport {
  applied: number[];
  version: number;
}

export async function migrate(db: SqlDriver, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  return db.exclusive(async (tx) => {
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const done = new Set((await tx.query<{ version: number }>(`SELECT version FROM schema_migrations`)).map((r) => Number(r.version)));
    const newest = migrations.at(-1)?.version ?? 0;
    const unknown = [...done].filter((v) => v > newest);
    if (unknown.length > 0) {
      throw new RejectedError(`${db.where} has schema version ${Math.max(...unknown)}, newer than this airlock knows (${newest}): run the airlock that migrated it, or a newer one`);
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.run(statement);
      await tx.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, [migration.version, migration.name, Date.now()]);
      applied.push(migration.version);
    }
    return { applied, version: newest };
  });
}
