// The service's keys, opened once at start from the policy: each is a KeySigner that signs the
// exact metadata bytes (Ed25519, or ECDSA P-256 over SHA-256 as raw r || s, what devices read).
// File keys are for development; PKCS#11 keys stay in their token and only signatures come out.
// Nothing here ever logs or returns key material.
import { InputError, loadSigningKey, signBytes, type KeyType, type PublicKey } from "../format/index.js";
import type { KeyClass, Pkcs11KeyConfig, Policy } from "./policy.js";

export interface KeySigner {
  readonly type: KeyType;
  readonly publicKey: PublicKey;
  sign(message: Uint8Array): Promise<Uint8Array>;
  close?(): void;
}

export interface ServiceKey {
  name: string;
  class: KeyClass;
  signer: KeySigner;
}

/** Opens a PKCS#11 key (tools/signer/backends); given by the caller so tests can pick the token. */
export type Pkcs11Opener = (name: string, config: Pkcs11KeyConfig) => KeySigner;

export function fileSigner(path: string): KeySigner {
  const key = loadSigningKey(path);
  const { privateKey: _secret, ...publicKey } = key;
  return { type: key.type, publicKey, sign: async (message) => signBytes(key, message) };
}

export function openKeyring(policy: Policy, openPkcs11?: Pkcs11Opener): Map<string, ServiceKey> {
  const keys = new Map<string, ServiceKey>();
  for (const [name, config] of Object.entries(policy.keys)) {
    let signer: KeySigner;
    if (config.file !== undefined) signer = fileSigner(config.file);
    else if (openPkcs11) signer = openPkcs11(name, config.pkcs11!);
    else throw new InputError(`${policy.path}: key "${name}" is a PKCS#11 key and no PKCS#11 backend is available here`);
    keys.set(name, { name, class: config.class, signer });
  }
  return keys;
}
