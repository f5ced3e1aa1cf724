// Key pairs on a token, found by CKA_LABEL (and CKA_ID when given). The public key is read from
// the token's public-key object (CKA_EC_PARAMS for the curve, CKA_EC_POINT for the point), so the
// key ID the service puts in metadata is computed from what the token holds, never from a file
// beside it. The private key stays a handle: airlock never asks the token for its value.
import { endianness } from "node:os";
import { InputError, RejectedError, hex, keyIdOf, publicKeyFromRaw, type KeyType, type PublicKey } from "../../format/index.js";
import { keyTypeOfEcParams, rawPointOf } from "./ec-der.js";
import { pkcs11Failure } from "./pkcs11-errors.js";
import { pkcs11js, type Handle, type TokenSession } from "./token.js";

/** PKCS#11 3.0 §2.3.5: Edwards-curve keys. pkcs11js (written to 2.40) has no name for it. */
export const CKK_EC_EDWARDS = 0x40;

export interface TokenKeyPair {
  label: string;
  /** CKA_ID shared by the private and the public key object (may be empty). */
  id: Uint8Array;
  privateKey: Handle;
  publicKey: PublicKey;
}

type Template = import("pkcs11js").Template;

/** Handles of every object matching `template`. */
export function findObjects(t: TokenSession, template: Template): Handle[] {
  const found: Handle[] = [];
  t.pkcs11.C_FindObjectsInit(t.session, template);
  try {
    for (;;) {
      const batch = t.pkcs11.C_FindObjects(t.session, 64);
      if (batch.length === 0) break;
      found.push(...batch);
    }
  } finally {
    t.pkcs11.C_FindObjectsFinal(t.session);
  }
  return found;
}

function attribute(t: TokenSession, object: Handle, type: number): Buffer {
  return t.pkcs11.C_GetAttributeValue(t.session, object, [{ type }])[0]!.value;
}

/** A CK_ULONG attribute: the platform's unsigned long, in its byte order (key types fit 32 bits). */
function ulongOf(value: Buffer): number {
  return endianness() === "LE" ? value.readUInt32LE(0) : value.readUInt32BE(value.length - 4);
}

/** The private key labelled `label` (and with CKA_ID `id`, when given) and its public key. */
export function findKeyPair(t: TokenSession, label: string, id?: Uint8Array): TokenKeyPair {
  const js = pkcs11js();
  const template: Template = [{ type: js.CKA_CLASS, value: js.CKO_PRIVATE_KEY }, { type: js.CKA_LABEL, value: label }];
  if (id) template.push({ type: js.CKA_ID, value: Buffer.from(id) });
  const what = `key labelled "${label}"${id ? ` with ID ${hex(id)}` : ""}`;
  let keys: Handle[];
  try {
    keys = findObjects(t, template);
  } catch (err) {
    throw pkcs11Failure(err, `looking for the ${what} on ${t.describe()}`);
  }
  if (keys.length === 0) {
    throw new InputError(`no private ${what} on ${t.describe()}; create it with \`airlock signer hsm keygen --module ${t.module} --token ${t.token} --pin-file PIN --label ${label} --type ed25519|p256 -o ${label}.pub\``);
  }
  if (keys.length > 1) throw new InputError(`${keys.length} private keys are labelled "${label}" on ${t.describe()}; name one by its CKA_ID (see \`airlock signer hsm list\`)`);
  const privateKey = keys[0]!;
  const keyId = new Uint8Array(attribute(t, privateKey, js.CKA_ID));
  return { label, id: keyId, privateKey, publicKey: readPublicKey(t, label, keyId, privateKey) };
}

/** The public half of a private key: the public-key object with the same label and CKA_ID. */
function readPublicKey(t: TokenSession, label: string, id: Uint8Array, privateKey: Handle): PublicKey {
  const js = pkcs11js();
  const keyType = ulongOf(attribute(t, privateKey, js.CKA_KEY_TYPE));
  if (keyType !== js.CKK_EC && keyType !== CKK_EC_EDWARDS) {
    throw new InputError(`the key labelled "${label}" on ${t.describe()} is not an EC or Edwards key (CKA_KEY_TYPE 0x${keyType.toString(16)}); airlock signs with Ed25519 or ECDSA P-256`);
  }
  const publics = findObjects(t, [
    { type: js.CKA_CLASS, value: js.CKO_PUBLIC_KEY },
    { type: js.CKA_LABEL, value: label },
    { type: js.CKA_ID, value: Buffer.from(id) },
  ]);
  if (publics.length !== 1) {
    throw new InputError(`${publics.length === 0 ? "no" : publics.length} public key object${publics.length === 0 ? "" : "s"} labelled "${label}" with ID ${hex(id) || "(empty)"} beside its private key on ${t.describe()}; airlock takes the key ID from the token's public key (make key pairs with \`airlock signer hsm keygen\`)`);
  }
  const params = new Uint8Array(attribute(t, publics[0]!, js.CKA_EC_PARAMS));
  const type = keyTypeOfEcParams(params);
  if (!type) throw new InputError(`the key labelled "${label}" on ${t.describe()} is on a curve airlock does not sign with (CKA_EC_PARAMS ${hex(params)}); airlock keys are Ed25519 or P-256`);
  const raw = rawPointOf(new Uint8Array(attribute(t, publics[0]!, js.CKA_EC_POINT)), type);
  if (!raw) throw new RejectedError(`the public key labelled "${label}" on ${t.describe()} has a CKA_EC_POINT that is not a DER OCTET STRING holding a ${type} key`);
  try {
    publicKeyFromRaw(raw); // a point off the curve would verify nothing: refuse it here
  } catch {
    throw new RejectedError(`the public key labelled "${label}" on ${t.describe()} is not a valid ${type} point`);
  }
  return { type, raw, keyId: keyIdOf(raw, type) };
}

export interface TokenKeyListing {
  label: string;
  id: string;
  type: KeyType;
  keyId: string;
}

/** Every Ed25519 or P-256 key pair on the token (other keys are left out). */
export function listKeyPairs(t: TokenSession): TokenKeyListing[] {
  const js = pkcs11js();
  const labels = new Set(findObjects(t, [{ type: js.CKA_CLASS, value: js.CKO_PRIVATE_KEY }]).map((key) => attribute(t, key, js.CKA_LABEL).toString("utf8")));
  const listing: TokenKeyListing[] = [];
  for (const label of [...labels].sort()) {
    for (const key of findObjects(t, [{ type: js.CKA_CLASS, value: js.CKO_PRIVATE_KEY }, { type: js.CKA_LABEL, value: label }])) {
      try {
        const id = new Uint8Array(attribute(t, key, js.CKA_ID));
        const publicKey = readPublicKey(t, label, id, key);
        listing.push({ label, id: hex(id), type: publicKey.type, keyId: hex(publicKey.keyId) });
      } catch (err) {
        if (!(err instanceof InputError)) throw err; // not a key pair airlock signs with
      }
    }
  }
  return listing;
}
