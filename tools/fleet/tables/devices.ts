// Devices: what each one runs (its last reported manifest), its hashed token, its groups.
import type { SqlTx } from "../db/driver.js";
import type { DeviceManifest } from "../model.js";

export interface DeviceRecord extends DeviceManifest {
  id: string;
  groups: string[];
  enrolledAt: number;
  lastSeenAt: number;
}

interface DeviceRow {
  id: string;
  product: string;
  hardware_id: string;
  targets_version: number;
  images_json: string;
  enrolled_at: number;
  last_seen_at: number;
}

function toDevice(row: DeviceRow, groups: string[]): DeviceRecord {
  return {
    id: row.id,
    product: row.product,
    hardwareId: row.hardware_id,
    targetsVersion: Number(row.targets_version),
    images: JSON.parse(row.images_json) as Record<string, string>,
    groups,
    enrolledAt: Number(row.enrolled_at),
    lastSeenAt: Number(row.last_seen_at),
  };
}

const COLUMNS = `id, product, hardware_id, targets_version, images_json, enrolled_at, last_seen_at`;

export async function insertDevice(tx: SqlTx, id: string, manifest: DeviceManifest, tokenSha256: string, at: number): Promise<void> {
  await tx.run(`INSERT INTO devices (id, product, hardware_id, token_sha256, targets_version, images_json, enrolled_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    id, manifest.product, manifest.hardwareId, tokenSha256, manifest.targetsVersion, JSON.stringify(manifest.images), at, at,
  ]);
}

export async function deviceExists(tx: SqlTx, id: string): Promise<boolean> {
  return (await tx.query(`SELECT id FROM devices WHERE id = ?`, [id])).length > 0;
}

/** The device whose token has this hash, locked for the transaction. */
export async function lockDeviceByToken(tx: SqlTx, id: string, tokenSha256: string): Promise<DeviceRecord | undefined> {
  const rows = await tx.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = ? AND token_sha256 = ?${tx.forUpdate}`, [id, tokenSha256]);
  return rows[0] && toDevice(rows[0], await groupsOf(tx, id));
}

export async function updateReport(tx: SqlTx, id: string, manifest: DeviceManifest, at: number): Promise<void> {
  await tx.run(`UPDATE devices SET targets_version = ?, images_json = ?, last_seen_at = ? WHERE id = ?`, [manifest.targetsVersion, JSON.stringify(manifest.images), at, id]);
}

export async function touchDevice(tx: SqlTx, id: string, at: number): Promise<void> {
  await tx.run(`UPDATE devices SET last_seen_at = ? WHERE id = ?`, [at, id]);
}

export async function groupsOf(tx: SqlTx, id: string): Promise<string[]> {
  return (await tx.query<{ group_name: string }>(`SELECT group_name FROM device_groups WHERE device_id = ? ORDER BY group_name`, [id])).map((r) => r.group_name);
}

export async function setGroups(tx: SqlTx, id: string, groups: string[]): Promise<void> {
  await tx.run(`DELETE FROM device_groups WHERE device_id = ?`, [id]);
  for (const group of [...new Set(groups)]) await tx.run(`INSERT INTO device_groups (device_id, group_name) VALUES (?, ?)`, [id, group]);
}

export async function deleteDevice(tx: SqlTx, id: string): Promise<boolean> {
  return (await tx.run(`DELETE FROM devices WHERE id = ?`, [id])) > 0;
}

/** Devices of a product (and hardware), each with its groups: a rollout's candidates. */
export async function devicesOf(tx: SqlTx, product: string, hardwareId: string | null): Promise<DeviceRecord[]> {
  const rows = await tx.query<DeviceRow>(
    hardwareId === null ? `SELECT ${COLUMNS} FROM devices WHERE product = ?` : `SELECT ${COLUMNS} FROM devices WHERE product = ? AND hardware_id = ?`,
    hardwareId === null ? [product] : [product, hardwareId],
  );
  const groups = await groupsByDevice(tx, product);
  return rows.map((r) => toDevice(r, groups.get(r.id) ?? []));
}

async function groupsByDevice(tx: SqlTx, product: string): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  const rows = await tx.query<{ device_id: string; group_name: string }>(
    `SELECT g.device_id, g.group_name FROM device_groups g JOIN devices d ON d.id = g.device_id WHERE d.product = ? ORDER BY g.group_name`,
    [product],
  );
  for (const r of rows) map.set(r.device_id, [...(map.get(r.device_id) ?? []), r.group_name]);
  return map;
}

export interface DeviceSearch {
  /** Part of the ID, product, hardware ID or a group name. */
  text?: string;
  product?: string;
  limit: number;
}

export async function searchDevices(tx: SqlTx, search: DeviceSearch): Promise<DeviceRecord[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (search.product !== undefined) {
    where.push(`product = ?`);
    params.push(search.product);
  }
  if (search.text !== undefined && search.text !== "") {
    // LIKE's wildcards in the text are matched literally.
    const pattern = `%${search.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // LOWER on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
    const like = (column: string) => `LOWER(${column}) LIKE LOWER(?) ESCAPE '\\'`;
    where.push(`(${like("id")} OR ${like("hardware_id")} OR id IN (SELECT device_id FROM device_groups WHERE ${like("group_name")}))`);
    params.push(pattern, pattern, pattern);
  }
  params.push(search.limit);
  const rows = await tx.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`, params);
  const out: DeviceRecord[] = [];
  for (const r of rows) out.push(toDevice(r, await groupsOf(tx, r.id)));
  return out;
}
