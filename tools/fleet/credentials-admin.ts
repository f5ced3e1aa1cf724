// The secrets only someone with the database makes (the bootstrap: no operator token exists yet):
// operators' bearer tokens with their role, and products' enrollment secrets. Each is returned
// once; the database keeps its SHA-256; making one again replaces the old one. Audited.
import { InputError } from "../format/index.js";
import { newToken, tokenSha256 } from "../signer/index.js";
import type { Clock } from "./clock.js";
import type { SqlDriver } from "./db/driver.js";
import { NAME_PATTERN, ROLES, type Operator, type Role } from "./model.js";
import { addAudit } from "./tables/audit.js";
import { operatorByTokenHash, putEnrollSecret, putOperatorToken } from "./tables/credentials.js";

export const OPERATOR_TOKEN_PREFIX = "airlock_op_";
export const ENROLL_SECRET_PREFIX = "airlock_enroll_";
const NAME = new RegExp(NAME_PATTERN);

export function requireName(name: string, what: string): string {
  if (!NAME.test(name)) throw new InputError(`${what} ${JSON.stringify(name)}: 1-128 letters, digits and . _ : - (starting with a letter or digit)`);
  return name;
}

export async function createOperatorToken(db: SqlDriver, clock: Clock, actor: string, name: string, role: Role): Promise<{ token: string; replaced: boolean }> {
  requireName(name, "operator name");
  if (!ROLES.includes(role)) throw new InputError(`role ${JSON.stringify(role)}: ${ROLES.join(" or ")}`);
  const token = newToken(OPERATOR_TOKEN_PREFIX);
  const replaced = await db.transaction(async (tx) => {
    const replaced = await putOperatorToken(tx, name, role, tokenSha256(token), clock.now());
    await addAudit(tx, clock.now(), actor, "token.create", `operator/${name}`, { role, replaced });
    return replaced;
  });
  return { token, replaced };
}

export async function createEnrollSecret(db: SqlDriver, clock: Clock, actor: string, product: string): Promise<{ secret: string; replaced: boolean }> {
  requireName(product, "product");
  const secret = newToken(ENROLL_SECRET_PREFIX);
  const replaced = await db.transaction(async (tx) => {
    const replaced = await putEnrollSecret(tx, product, tokenSha256(secret), clock.now());
    await addAudit(tx, clock.now(), actor, "enroll-secret.create", `product/${product}`, { replaced });
    return replaced;
  });
  return { secret, replaced };
}

export function operatorOfToken(db: SqlDriver, token: string): Promise<Operator | undefined> {
  return db.transaction((tx) => operatorByTokenHash(tx, tokenSha256(token)));
}
