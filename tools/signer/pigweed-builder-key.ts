// The builder's "intermediate" signatures of Pigweed's remote_sign.py: the build signs the bundle
// bytes and the signing request's bytes with its builder key and attaches each base64 signature
// to its object as the custom metadata field `signature`; its public key travels beside the
// request. remote_sign.py signs with Ed25519 (RFC 8032, the message itself) or RSA-PSS (SHA-256,
// MGF1 with SHA-256, the largest salt the key allows), so those are the two schemes checked here;
// P-256 builder keys do not exist in that protocol. Whether the key is one the service trusts is
// the service's decision: this file only proves that whoever holds it signed these exact bytes.
import { createHash, createPublicKey, constants, verify, type KeyObject } from "node:crypto";
import { RejectedError } from "../format/index.js";

/** RSA moduli below this are refused as breakable (NIST SP 800-57: 2048 bits at least). */
export const MIN_BUILDER_RSA_BITS = 2048;
/** Above this an RSA verification costs more than any builder key needs. */
export const MAX_BUILDER_RSA_BITS = 8192;

const ED25519_SIGNATURE_BYTES = 64;
const SHA256_BYTES = 32;

export interface BuilderPublicKey {
  type: "ed25519" | "rsa";
  /**
   * SHA-256 of the key's SPKI DER encoding, hex: the name an allow-list gives the key, the same
   * as `openssl pkey -pubin -in KEY.pem -outform DER | sha256sum`.
   */
  fingerprint: string;
  /** The key as SPKI PEM, as the builder uploaded it (normalised by re-encoding). */
  pem: string;
  /** The RSA modulus length in bits (RSA keys only). */
  rsaBits?: number;
  key: KeyObject;
}

const PEM_BLOCK = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PUBLIC KEY-----\s*$/;

/** Reads the builder's public key: one SPKI PEM block, Ed25519 or RSA of a sound size. */
export function parseBuilderPublicKey(bytes: Uint8Array, what: string): BuilderPublicKey {
  const text = Buffer.from(bytes).toString("latin1").trimStart();
  const block = PEM_BLOCK.exec(text);
  if (!block) {
    throw new RejectedError(`${what} is not one SPKI PEM public key ("-----BEGIN PUBLIC KEY-----"), as remote_sign.py's --builder-public-key is`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(block[1]!.replace(/\s+/g, ""), "base64"), format: "der", type: "spki" });
  } catch {
    throw new RejectedError(`${what} does not decode as a public key (corrupt PEM)`);
  }
  const der = key.export({ format: "der", type: "spki" });
  const base = { fingerprint: createHash("sha256").update(der).digest("hex"), pem: key.export({ format: "pem", type: "spki" }).toString(), key };
  if (key.asymmetricKeyType === "ed25519") return { type: "ed25519", ...base };
  if (key.asymmetricKeyType === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_BUILDER_RSA_BITS || bits > MAX_BUILDER_RSA_BITS) {
      throw new RejectedError(`${what} is a ${bits}-bit RSA key; builder RSA keys must have ${MIN_BUILDER_RSA_BITS} to ${MAX_BUILDER_RSA_BITS} bits`);
    }
    return { type: "rsa", rsaBits: bits, ...base };
  }
  throw new RejectedError(
    `${what} is a ${key.asymmetricKeyType ?? "unknown"} key; remote_sign.py builder keys are Ed25519 or RSA (make one with \`openssl genpkey -algorithm ed25519\`)`,
  );
}

/**
 * The signature in an object's custom metadata, as the directory bucket keeps it: a JSON object
 * `{"signature": BASE64}`, exactly the dict remote_sign.py assigns to `blob.metadata`.
 */
export function parseSignatureMetadata(bytes: Uint8Array, what: string): Uint8Array {
  let metadata: unknown;
  try {
    metadata = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new RejectedError(`${what} is not JSON; it must be the object's metadata {"signature": BASE64}`);
  }
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new RejectedError(`${what} is not a JSON object; it must be {"signature": BASE64}`);
  }
  const fields = Object.keys(metadata);
  const signature = (metadata as Record<string, unknown>).signature;
  if (fields.length !== 1 || typeof signature !== "string") {
    throw new RejectedError(`${what} must hold exactly one field, "signature" (a base64 string); it holds ${JSON.stringify(fields)}`);
  }
  // Strict base64 (Python's b64encode: standard alphabet, padded): Node's decoder would skip
  // stray characters, and two spellings of one signature are one too many.
  const decoded = Buffer.from(signature, "base64");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(signature) || decoded.toString("base64") !== signature) {
    throw new RejectedError(`${what}'s signature is not canonical base64`);
  }
  return new Uint8Array(decoded);
}

/** True when `signature` is the builder key's signature over exactly `message`. */
export function verifyBuilderSignature(builder: BuilderPublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (builder.type === "ed25519") return signature.length === ED25519_SIGNATURE_BYTES && verify(null, message, builder.key, signature);
    // PSS.MAX_LENGTH when signing: emLen - hLen - 2, where emLen = ceil((modBits - 1) / 8) (RFC 8017
    // section 9.1.1). Verified with that exact salt length rather than "auto", so only what
    // remote_sign.py produces passes.
    const bits = builder.rsaBits ?? 0;
    const saltLength = Math.ceil((bits - 1) / 8) - SHA256_BYTES - 2;
    return verify("sha256", message, { key: builder.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
  } catch {
    return false; // a malformed signature proves nothing
  }
}
