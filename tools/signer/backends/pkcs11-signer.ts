// Test and production keys on a PKCS#11 token: the token signs, the key never leaves it. Ed25519
// with CKM_EDDSA (pure Ed25519, no parameters: RFC 8032's signature over the message itself);
// P-256 with CKM_ECDSA over a SHA-256 the host computes, which PKCS#11 answers as raw r || s —
// the same 64 bytes tools/format's signBytes makes and Pigweed devices read.
import { createHash } from "node:crypto";
import { InputError, RejectedError, verifyBytes, type KeyType, type PublicKey } from "../../format/index.js";
import { SIGNATURE_BYTES, type Signer } from "./signer.js";
import { pkcs11Failure } from "./pkcs11-errors.js";
import { findKeyPair } from "./token-keys.js";
import { TokenSession, pkcs11js, type Handle, type TokenConfig } from "./token.js";

/** PKCS#11 3.0 §2.3.14: EdDSA signing (absent from pkcs11js's 2.40 constants). */
export const CKM_EDDSA = 0x1057;

/** Room for a token that answers ECDSA in DER (up to 72 bytes): caught by the length check, not by CKR_BUFFER_TOO_SMALL. */
const SIGNATURE_BUFFER_BYTES = 80;

/** Signed once at open, to prove the private key on the token belongs to the public key read beside it. */
const PAIRING_PROBE = new TextEncoder().encode("airlock pkcs11 key pairing check (never metadata)");

export interface Pkcs11SignerConfig extends TokenConfig {
  /** CKA_LABEL of the key pair. */
  label: string;
  /** CKA_ID of the key pair, when several share a label. */
  id?: Uint8Array;
  /** The service's name for the key; defaults to the label. */
  name?: string;
}

/**
 * The message as a Buffer whose data pointer is never NULL: pkcs11js hands a zero-length
 * Buffer.alloc(0) to C_Sign as NULL, which SoftHSM refuses (CKR_ARGUMENTS_BAD) although RFC 8032
 * signs the empty message; a zero-length view into a real allocation passes a valid pointer.
 */
function bufferOf(message: Uint8Array): Buffer {
  return message.length ? Buffer.from(message) : Buffer.alloc(1).subarray(0, 0);
}

export class Pkcs11Signer implements Signer {
  readonly name: string;
  readonly type: KeyType;
  readonly publicKey: PublicKey;
  private token: TokenSession;
  private privateKey: Handle;
  private readonly label: string;
  private readonly config: Pkcs11SignerConfig;
  /** A failed C_Sign may leave the operation active on its session (SoftHSM does): start afresh. */
  private sessionSpoilt = false;
  /** One operation at a time per session (PKCS#11 §5.2): signatures queue behind each other. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** A signature running on the thread pool: the session (and module) may not close under it. */
  private inFlight = false;

  private constructor(token: TokenSession, config: Pkcs11SignerConfig) {
    const pair = findKeyPair(token, config.label, config.id);
    this.token = token;
    this.config = config;
    this.label = config.label;
    this.name = config.name ?? config.label;
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.type = pair.publicKey.type;
  }

  /** Logs in to the token, finds the key pair, and checks that its two halves belong together. */
  static async open(config: Pkcs11SignerConfig): Promise<Pkcs11Signer> {
    const token = new TokenSession(config);
    try {
      const signer = new Pkcs11Signer(token, config);
      if (!verifyBytes(signer.publicKey.raw, PAIRING_PROBE, await signer.sign(PAIRING_PROBE))) {
        throw new InputError(`the private and public key labelled "${config.label}" on ${token.describe()} are not one key pair (a signature by the private key does not verify with the public key); generate the pair again with \`airlock signer hsm keygen\``);
      }
      return signer;
    } catch (err) {
      token.close();
      throw err;
    }
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    const result = this.queue.then(() => this.signNow(message));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async signNow(message: Uint8Array): Promise<Uint8Array> {
    const doing = `signing with the key labelled "${this.label}" on ${this.token.describe()}`;
    if (this.closed) throw new RejectedError(`${doing}: the signer ${this.name} is closed`);
    if (this.sessionSpoilt) this.reopen();
    const js = pkcs11js();
    const p256 = this.type === "p256";
    // Pure Ed25519 takes the message; ECDSA takes the digest, as Pigweed's tools sign.
    const input = p256 ? createHash("sha256").update(message).digest() : bufferOf(message);
    let signature: Buffer;
    this.inFlight = true;
    try {
      this.token.pkcs11.C_SignInit(this.token.session, { mechanism: p256 ? js.CKM_ECDSA : CKM_EDDSA }, this.privateKey);
      signature = await this.token.pkcs11.C_SignAsync(this.token.session, input, Buffer.alloc(SIGNATURE_BUFFER_BYTES));
    } catch (err) {
      this.sessionSpoilt = true;
      throw pkcs11Failure(err, doing);
    } finally {
      this.inFlight = false;
      if (this.closed) this.token.close();
    }
    if (signature.length !== SIGNATURE_BYTES) {
      throw new RejectedError(`${doing}: the token returned ${signature.length} bytes, not the ${SIGNATURE_BYTES} of a raw ${p256 ? "r || s" : "Ed25519"} signature`);
    }
    return new Uint8Array(signature);
  }

  /** A new session and key handle for the same key pair (the PIN is read again from its source). */
  private reopen(): void {
    const fresh = new TokenSession(this.config);
    try {
      const pair = findKeyPair(fresh, this.config.label, this.config.id);
      if (Buffer.compare(pair.publicKey.keyId, this.publicKey.keyId) !== 0) {
        throw new RejectedError(`the key labelled "${this.label}" on ${fresh.describe()} changed while the signer ${this.name} was open; restart the service to sign with the new key`);
      }
      this.token.close();
      this.token = fresh;
      this.privateKey = pair.privateKey;
      this.sessionSpoilt = false;
    } catch (err) {
      fresh.close();
      throw err;
    }
  }

  /** Closes the session (after the signature running, if any); signatures still queued fail with "closed". */
  close(): void {
    this.closed = true;
    if (!this.inFlight) this.token.close();
  }
}
