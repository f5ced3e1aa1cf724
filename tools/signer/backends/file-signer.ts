// Development keys: a PKCS#8 PEM file read through tools/format, so a FileSigner signs exactly as
// `airlock bundle sign --key FILE` does. The key lives in this process's memory; test and
// production keys belong on a token (pkcs11-signer.ts).
import { RejectedError, loadSigningKey, signBytes, type KeyType, type PublicKey, type SigningKey } from "../../format/index.js";
import type { Signer } from "./signer.js";

export class FileSigner implements Signer {
  readonly type: KeyType;
  readonly publicKey: PublicKey;
  private key: SigningKey | undefined;

  /** Loads `path` (PKCS#8 PEM, Ed25519 or P-256); `name` defaults to the path. */
  constructor(readonly path: string, readonly name: string = path) {
    const key = loadSigningKey(path);
    this.key = key;
    this.type = key.type;
    // Only the public half is handed out: copies, so no caller reaches the KeyObject through it.
    this.publicKey = { type: key.type, raw: key.raw.slice(), keyId: key.keyId.slice() };
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (!this.key) throw new RejectedError(`signer ${this.name} is closed; open ${this.path} again to sign`);
    return signBytes(this.key, message);
  }

  close(): void {
    this.key = undefined;
  }
}
