// Who is asking: bearer tokens. Each identity's token is 256 random bits, shown once when it is
// made; the service keeps only its SHA-256 (a stolen tokens file signs nothing, and a hash of a
// 256-bit random secret needs no slow password hash). Bearer tokens rather than mTLS because CI
// systems hand secrets to jobs as strings, revoking one is deleting a line, and nothing else in
// the service needs a PKI; run the service behind TLS (a reverse proxy) off localhost.
// Both the service's tokens file and a client's token file must be private to their owner: a
// file others can read is refused with the fix, never used.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { InputError, readInput, writeAtomic } from "../format/index.js";

const TOKEN_PREFIX = "airlock_";

/** Refuses a secret file that its group or others may read or write. */
export function requirePrivateFile(path: string, what: string): void {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new InputError(`${what} ${path} is readable or writable by others (mode ${mode.toString(8).padStart(3, "0")}): run \`chmod 600 ${path}\``);
  }
}

const hashOf = (token: string) => createHash("sha256").update(token, "utf8").digest();

/** The SHA-256 (hex) a service keeps of a token. */
export function tokenSha256(token: string): string {
  return hashOf(token).toString("hex");
}

/** A new random bearer token (256 bits), e.g. airlock_... */
export function newToken(prefix = TOKEN_PREFIX): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/** identity -> SHA-256 of its token (hex), as the tokens file holds them. */
export type TokenHashes = Record<string, string>;

export function readTokenHashes(path: string): TokenHashes {
  if (!existsSync(path)) return {};
  requirePrivateFile(path, "the tokens file");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(readInput(path, "tokens file")).toString("utf8"));
  } catch {
    throw new InputError(`${path} is not a tokens file (JSON {identity: sha256-hex}); make tokens with \`airlock signer token create\``);
  }
  if (typeof value !== "object" || value === null || Object.values(value).some((h) => typeof h !== "string" || !/^[0-9a-f]{64}$/.test(h))) {
    throw new InputError(`${path} is not a tokens file (JSON {identity: sha256-hex}); make tokens with \`airlock signer token create\``);
  }
  return value as TokenHashes;
}

/** Makes a new token for `identity`, replacing its old one; returns the token (shown once). */
export function createToken(path: string, identity: string): string {
  const hashes = readTokenHashes(path);
  const token = newToken();
  hashes[identity] = tokenSha256(token);
  writeAtomic(path, `${JSON.stringify(hashes, null, 2)}\n`, { force: true, mode: 0o600 });
  return token;
}

/** The identity whose token this is, or undefined. Compares every entry in constant time. */
export function identityOfToken(hashes: TokenHashes, token: string): string | undefined {
  const presented = hashOf(token);
  let found: string | undefined;
  for (const [identity, hash] of Object.entries(hashes)) {
    if (timingSafeEqual(presented, Buffer.from(hash, "hex"))) found = identity;
  }
  return found;
}

/** A client's token: from a private file, or the AIRLOCK_SIGNER_TOKEN environment variable. */
export function readClientToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (tokenFile !== undefined) {
    const text = Buffer.from(readInput(tokenFile, "token file")).toString("utf8").trim();
    requirePrivateFile(tokenFile, "the token file");
    if (!text.startsWith(TOKEN_PREFIX)) throw new InputError(`${tokenFile} holds no airlock signer token (they start with ${TOKEN_PREFIX})`);
    return text;
  }
  const token = env.AIRLOCK_SIGNER_TOKEN;
  if (!token) throw new InputError("no signer token: give --token-file FILE (mode 600) or set AIRLOCK_SIGNER_TOKEN");
  return token;
}
