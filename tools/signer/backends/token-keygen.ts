// Key pairs made on the token, for setting up test and production keys: the private key is
// generated inside the token and marked so that it can never leave it (CKA_SENSITIVE true,
// CKA_EXTRACTABLE false) and is usable only after login (CKA_PRIVATE true). Only the public key
// comes out, as SPKI PEM, for `airlock root create --targets-key`.
import { randomBytes } from "node:crypto";
import { InputError, hex, publicKeyFromRaw, type KeyType, type PublicKey } from "../../format/index.js";
import { ecParamsOf } from "./ec-der.js";
import { pkcs11Failure } from "./pkcs11-errors.js";
import { findKeyPair, findObjects } from "./token-keys.js";
import { TokenSession, pkcs11js, type TokenConfig } from "./token.js";

/** PKCS#11 3.0 §2.3.11: Edwards-curve key pair generation (absent from pkcs11js's 2.40 constants). */
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;

/** Bytes of the random CKA_ID tying a generated pair's two objects together. */
const KEY_ID_BYTES = 16;

export interface TokenKeygenConfig extends TokenConfig {
  label: string;
  type: KeyType;
}

export interface GeneratedTokenKey {
  publicKey: PublicKey;
  /** The public key as SPKI PEM, as `airlock keygen` writes PATH.pub. */
  publicPem: string;
  /** CKA_ID of the new pair, hex. */
  id: string;
}

export function generateTokenKey(config: TokenKeygenConfig): GeneratedTokenKey {
  const js = pkcs11js();
  const token = new TokenSession(config);
  try {
    const existing = findObjects(token, [{ type: js.CKA_LABEL, value: config.label }]);
    if (existing.length) {
      throw new InputError(`${token.describe()} already holds ${existing.length} object(s) labelled "${config.label}"; choose another --label (a label names one key pair)`);
    }
    const id = randomBytes(KEY_ID_BYTES);
    const common = [
      { type: js.CKA_TOKEN, value: true },
      { type: js.CKA_LABEL, value: config.label },
      { type: js.CKA_ID, value: id },
    ];
    try {
      token.pkcs11.C_GenerateKeyPair(
        token.session,
        { mechanism: config.type === "p256" ? js.CKM_EC_KEY_PAIR_GEN : CKM_EC_EDWARDS_KEY_PAIR_GEN },
        [...common, { type: js.CKA_EC_PARAMS, value: Buffer.from(ecParamsOf(config.type)) }, { type: js.CKA_VERIFY, value: true }],
        [
          ...common,
          { type: js.CKA_PRIVATE, value: true },
          { type: js.CKA_SENSITIVE, value: true },
          { type: js.CKA_EXTRACTABLE, value: false },
          { type: js.CKA_SIGN, value: true },
        ],
      );
    } catch (err) {
      throw pkcs11Failure(err, `generating a ${config.type} key pair labelled "${config.label}" on ${token.describe()}`);
    }
    // Read back as a signer would, so the PEM handed out is the token's own public key.
    const { publicKey } = findKeyPair(token, config.label, id);
    const publicPem = publicKeyFromRaw(publicKey.raw).export({ type: "spki", format: "pem" }).toString();
    return { publicKey, publicPem, id: hex(id) };
  } finally {
    token.close();
  }
}
