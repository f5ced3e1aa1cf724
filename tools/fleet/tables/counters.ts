// New IDs from the counters table: the one row is locked to commit, so IDs never repeat, on
// either database and across processes.
import type { SqlTx } from "../db/driver.js";

export async function nextId(tx: SqlTx, name: "rollout" | "action" | "audit"): Promise<number> {
  const rows = await tx.query<{ value: number }>(`UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value`, [name]);
  return Number(rows[0]!.value);
}
