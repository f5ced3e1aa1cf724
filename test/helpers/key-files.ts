// Key pairs on disk for tests, made with airlock's own key generator.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair, loadPublicKey, loadSigningKey, type PublicKey, type SigningKey } from "../../tools/format/index.js";

export interface KeyFiles {
  /** PKCS#8 PEM private key path. */
  priv: string;
  /** SPKI PEM public key path. */
  pub: string;
  signing: SigningKey;
  public: PublicKey;
}

export function makeKey(dir: string, name: string): KeyFiles {
  const { privatePem, publicPem } = generateKeyPair();
  const priv = join(dir, name);
  const pub = `${priv}.pub`;
  writeFileSync(priv, privatePem, { mode: 0o600 });
  writeFileSync(pub, publicPem);
  return { priv, pub, signing: loadSigningKey(priv), public: loadPublicKey(pub) };
}
