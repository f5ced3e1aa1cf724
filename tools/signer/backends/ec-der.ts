// The two DER values a PKCS#11 EC or Edwards key carries (PKCS#11 3.0 §2.3, §2.3.5):
// CKA_EC_PARAMS names the curve, either by OID or, for Edwards curves, by PrintableString
// ("edwards25519"); CKA_EC_POINT is the public point wrapped in a DER OCTET STRING (for Ed25519
// the 32-byte RFC 8032 encoding, for P-256 the 65-byte uncompressed 04 || X || Y).
import { ED25519_PUBLIC_KEY_BYTES, P256_PUBLIC_KEY_BYTES, type KeyType } from "../../format/index.js";

const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_PRINTABLE_STRING = 0x13;

/** id-Ed25519, 1.3.101.112 (RFC 8410), as a DER OBJECT IDENTIFIER. */
export const ED25519_OID_DER = Uint8Array.of(TAG_OID, 3, 0x2b, 0x65, 0x70);
/** prime256v1 / secp256r1, 1.2.840.10045.3.1.7 (RFC 5480), as a DER OBJECT IDENTIFIER. */
export const P256_OID_DER = Uint8Array.of(TAG_OID, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
const EDWARDS25519_NAME = "edwards25519";

/** The curve's CKA_EC_PARAMS for keys airlock generates: OIDs, which every token understands. */
export function ecParamsOf(type: KeyType): Uint8Array {
  return type === "p256" ? P256_OID_DER : ED25519_OID_DER;
}

/** The key type CKA_EC_PARAMS names, or undefined for a curve airlock does not sign with. */
export function keyTypeOfEcParams(params: Uint8Array): KeyType | undefined {
  if (equal(params, ED25519_OID_DER)) return "ed25519";
  if (equal(params, P256_OID_DER)) return "p256";
  const value = derValue(params, TAG_PRINTABLE_STRING);
  if (value && Buffer.from(value).toString("latin1") === EDWARDS25519_NAME) return "ed25519";
  return undefined;
}

/**
 * The raw keyval in a CKA_EC_POINT: the content of its DER OCTET STRING, checked to be the size
 * the key type has. Undefined when it is anything else.
 */
export function rawPointOf(ecPoint: Uint8Array, type: KeyType): Uint8Array | undefined {
  const raw = derValue(ecPoint, TAG_OCTET_STRING);
  if (!raw) return undefined;
  if (type === "ed25519") return raw.length === ED25519_PUBLIC_KEY_BYTES ? raw : undefined;
  return raw.length === P256_PUBLIC_KEY_BYTES && raw[0] === 4 ? raw : undefined;
}

/** A raw keyval as CKA_EC_POINT holds it (for importing a known key into a token). */
export function ecPointOf(raw: Uint8Array): Uint8Array {
  return Uint8Array.of(TAG_OCTET_STRING, raw.length, ...raw); // both keyvals are < 128 bytes: short form
}

/** The value of one DER TLV with tag `tag` filling all of `der` (short or long form length). */
function derValue(der: Uint8Array, tag: number): Uint8Array | undefined {
  if (der.length < 2 || der[0] !== tag) return undefined;
  let length = der[1]!;
  let start = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2 || der.length < 2 + count) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[2 + i]!;
    start = 2 + count;
  }
  return start + length === der.length ? der.subarray(start) : undefined;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
