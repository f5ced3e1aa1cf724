// Secrets the service keeps only as SHA-256: operators' bearer tokens (with their role) and each
// product's enrollment secret. A lookup goes by the hash of what was presented (a 256-bit random
// secret: its hash needs no slow password hash, and an index lookup by hash tells an attacker
// nothing about any stored secret).
import type { SqlTx } from "../db/driver.js";
import type { Operator, Role } from "../model.js";

export async function putOperatorToken(tx: SqlTx, name: string, role: Role, sha256: string, at: number): Promise<boolean> {
  const replaced = await tx.run(`UPDATE operator_tokens SET role = ?, token_sha256 = ?, created_at = ? WHERE name = ?`, [role, sha256, at, name]);
  if (replaced === 0) await tx.run(`INSERT INTO operator_tokens (name, role, token_sha256, created_at) VALUES (?, ?, ?, ?)`, [name, role, sha256, at]);
  return replaced > 0;
}

export async function operatorByTokenHash(tx: SqlTx, sha256: string): Promise<Operator | undefined> {
  const rows = await tx.query<{ name: string; role: Role }>(`SELECT name, role FROM operator_tokens WHERE token_sha256 = ?`, [sha256]);
  return rows[0];
}

export async function putEnrollSecret(tx: SqlTx, product: string, sha256: string, at: number): Promise<boolean> {
  const replaced = await tx.run(`UPDATE products SET enroll_secret_sha256 = ?, updated_at = ? WHERE name = ?`, [sha256, at, product]);
  if (replaced === 0) await tx.run(`INSERT INTO products (name, enroll_secret_sha256, updated_at) VALUES (?, ?, ?)`, [product, sha256, at]);
  return replaced > 0;
}

export async function enrollSecretHash(tx: SqlTx, product: string): Promise<string | undefined> {
  return (await tx.query<{ enroll_secret_sha256: string }>(`SELECT enroll_secret_sha256 FROM products WHERE name = ?`, [product]))[0]?.enroll_secret_sha256;
}
