// DSSE (Dead Simple Signing Envelope, github.com/secure-systems-lab/dsse, protocol v1): what the
// builder key signs is never the payload alone but its Pre-Authentication Encoding
//   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
// (LEN = decimal byte count), so a signature over one payload type can never be replayed as
// another. The envelope is JSON: payloadType, base64 payload, signatures [{keyid, sig}]. Key IDs
// are airlock's (and Pigweed's) SHA-256(type || scheme || keyval) in hex; signatures are Ed25519
// or P-256 raw r || s, as everywhere else in airlock.
import { InputError, RejectedError, hex, keyIdOf, signBytes, verifyBytes, type PublicKey, type SigningKey } from "../format/index.js";

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** base64 (standard alphabet, padded) of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** An envelope over `payload`, signed by each key. */
export function signEnvelope(payloadType: string, payload: Uint8Array, keys: SigningKey[]): DsseEnvelope {
  const message = pae(payloadType, payload);
  return {
    payloadType,
    payload: Buffer.from(payload).toString("base64"),
    signatures: keys.map((key) => ({ keyid: hex(key.keyId), sig: Buffer.from(signBytes(key, message)).toString("base64") })),
  };
}

/** Parses an envelope from JSON text; InputError naming what is wrong with its shape. */
export function parseEnvelope(text: string, what: string): DsseEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${what} is not JSON (${(err as Error).message}): expected a DSSE envelope {payloadType, payload, signatures}`);
  }
  const e = value as Partial<DsseEnvelope>;
  if (typeof e !== "object" || e === null || typeof e.payloadType !== "string" || typeof e.payload !== "string" || !Array.isArray(e.signatures)) {
    throw new InputError(`${what} is not a DSSE envelope: it needs payloadType and payload strings and a signatures array`);
  }
  for (const s of e.signatures) {
    if (typeof s !== "object" || s === null || typeof s.keyid !== "string" || typeof s.sig !== "string") {
      throw new InputError(`${what}: every DSSE signature needs keyid and sig strings`);
    }
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(e.payload)) throw new InputError(`${what}: the payload is not base64`);
  return e as DsseEnvelope;
}

export interface VerifiedEnvelope {
  payload: Uint8Array;
  /** The trusted keys (hex key IDs) whose signatures verified. */
  signedBy: string[];
}

/**
 * Checks an envelope of `payloadType` against trusted public keys: at least `threshold`
 * distinct trusted keys must have signed its PAE. Signatures by unknown keys are ignored (a
 * builder may add its own), never counted.
 */
export function verifyEnvelope(envelope: DsseEnvelope, payloadType: string, trusted: PublicKey[], threshold = 1): VerifiedEnvelope {
  if (envelope.payloadType !== payloadType) {
    throw new RejectedError(`the envelope's payloadType is "${envelope.payloadType}", not "${payloadType}": it is not what it claims to be here`);
  }
  const payload = new Uint8Array(Buffer.from(envelope.payload, "base64"));
  const message = pae(envelope.payloadType, payload);
  const byId = new Map(trusted.map((k) => [hex(keyIdOf(k.raw, k.type)), k]));
  const signedBy = new Set<string>();
  for (const s of envelope.signatures) {
    const key = byId.get(s.keyid.toLowerCase());
    if (key && verifyBytes(key.raw, message, new Uint8Array(Buffer.from(s.sig, "base64")))) signedBy.add(s.keyid.toLowerCase());
  }
  if (signedBy.size < threshold) {
    const known = envelope.signatures.filter((s) => byId.has(s.keyid.toLowerCase())).length;
    throw new RejectedError(
      `the envelope has ${signedBy.size} valid signature(s) by trusted keys, ${threshold} needed ` +
        `(${envelope.signatures.length} signature(s), ${known} by a trusted key ID): signed by an unknown builder, or changed after signing`,
    );
  }
  return { payload, signedBy: [...signedBy] };
}
