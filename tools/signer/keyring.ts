// The service's keys, opened once at start from the policy: each is a Signer (backends/) that
// signs the exact metadata bytes (Ed25519, or ECDSA P-256 over SHA-256 as raw r || s, what
// devices read). File keys are for development and test keys; PKCS#11 keys stay in their token and
// only signatures come out. Nothing here ever logs or returns key material.
import { FileSigner } from "./backends/file-signer.js";
import { Pkcs11Signer } from "./backends/pkcs11-signer.js";
import type { Signer } from "./backends/signer.js";
import type { KeyClass, Pkcs11KeyConfig, Policy } from "./policy.js";

export interface ServiceKey {
  name: string;
  class: KeyClass;
  signer: Signer;
}

/** Opens a PKCS#11 key; the default opens the token the policy names (tests may pick another). */
export type Pkcs11Opener = (name: string, config: Pkcs11KeyConfig) => Signer | Promise<Signer>;

export const openPkcs11Key: Pkcs11Opener = (name, config) =>
  Pkcs11Signer.open({
    module: config.module,
    token: config.token,
    label: config.label,
    id: config.id === undefined ? undefined : new Uint8Array(Buffer.from(config.id, "hex")),
    pin: config.pinFile !== undefined ? { file: config.pinFile } : { env: config.pinEnv! },
    name,
  });

export async function openKeyring(policy: Policy, openPkcs11: Pkcs11Opener = openPkcs11Key): Promise<Map<string, ServiceKey>> {
  const keys = new Map<string, ServiceKey>();
  try {
    for (const [name, config] of Object.entries(policy.keys)) {
      const signer = config.file !== undefined ? new FileSigner(config.file, name) : await openPkcs11(name, config.pkcs11!);
      keys.set(name, { name, class: config.class, signer });
    }
  } catch (err) {
    for (const key of keys.values()) key.signer.close();
    throw err;
  }
  return keys;
}
