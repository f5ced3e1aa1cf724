// The one interface the signing service signs through, whatever holds the key: a PKCS#8 file
// (development) or a PKCS#11 token (test and production keys). A Signer returns exactly what
// tools/format's signBytes returns for its key type, so metadata it signs is what devices read:
// Ed25519's 64 bytes, or ECDSA P-256 over the message's SHA-256 as raw r || s (64 bytes).
import { ED25519_SIGNATURE_BYTES, type KeyType, type PublicKey, type Signature } from "../../format/index.js";

export interface Signer {
  /** What the service, its config and its audit log call this key; never key material. */
  readonly name: string;
  readonly type: KeyType;
  /** The keyval and Pigweed key ID, as the metadata's key list records them. */
  readonly publicKey: PublicKey;
  /** Signs the exact bytes given (serialized targets or root metadata). */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Lets go of the key (a token session); sign() fails afterwards. */
  close(): void;
}

/** Both schemes' signatures are 64 bytes (Ed25519; P-256's r || s of 32 bytes each). */
export const SIGNATURE_BYTES = ED25519_SIGNATURE_BYTES;

/** A metadata signature entry (key ID and signature) by `signer` over `signedBytes`. */
export async function signatureBy(signer: Signer, signedBytes: Uint8Array): Promise<Signature> {
  return { keyId: signer.publicKey.keyId, sig: await signer.sign(signedBytes) };
}
