// A throwaway SoftHSM 2: its own config and token directory in a temp dir, so tests never touch
// the machine's tokens. SoftHSM reads SOFTHSM2_CONF at C_Initialize, inside this process (pkcs11js
// loads the module in-process): it is set on process.env before any token is opened, and tokens
// are initialized before the first session (a running module does not see tokens made later).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CKK_EC_EDWARDS, DEFAULT_PKCS11_MODULE, ED25519_OID_DER, TokenSession, ecPointOf, pkcs11js, type TokenConfig } from "../../tools/signer/index.js";
import { requireSystemTool } from "./system-tool.js";

export const SOFTHSM_INSTALL = "apt-get install softhsm2";

/** SoftHSM's tool and module are present (or, outside CI, a loud reason to skip). */
export function softHsmAvailable(): boolean {
  return requireSystemTool("softhsm2-util", SOFTHSM_INSTALL) && requireSystemTool(DEFAULT_PKCS11_MODULE, SOFTHSM_INSTALL);
}

export interface SoftHsm {
  dir: string;
  module: string;
  /** Initializes a token; returns its label. */
  initToken(label: string, pin: string, soPin?: string): string;
  /** A PIN file (mode 0600 unless given) holding `pin`. */
  pinFile(name: string, pin: string, mode?: number): string;
  remove(): void;
}

export function createSoftHsm(): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), "airlock-softhsm-"));
  const tokens = join(dir, "tokens");
  mkdirSync(tokens);
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  return {
    dir,
    module: DEFAULT_PKCS11_MODULE,
    initToken(label, pin, soPin = `${pin}-so`) {
      execFileSync("softhsm2-util", ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", soPin], {
        env: { ...process.env, SOFTHSM2_CONF: conf },
        stdio: "pipe",
      });
      return label;
    },
    pinFile(name, pin, mode = 0o600) {
      const path = join(dir, name);
      writeFileSync(path, `${pin}\n`);
      chmodSync(path, mode); // exactly this mode, whatever the umask
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Test only: puts a KNOWN Ed25519 key pair on the token (C_CreateObject with CKA_VALUE = the RFC
 * 8032 seed), so the token's signatures can be compared byte for byte with node:crypto's for the
 * same key. Production keys are generated on the token and never exist outside it.
 * `publicRaw` may be another key's, to make a mismatched pair.
 */
export function importEd25519KeyPair(config: TokenConfig, label: string, seed: Uint8Array, publicRaw: Uint8Array, id: Uint8Array = Uint8Array.of(1)): void {
  const js = pkcs11js();
  const token = new TokenSession(config);
  try {
    const common = [
      { type: js.CKA_TOKEN, value: true },
      { type: js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: js.CKA_LABEL, value: label },
      { type: js.CKA_ID, value: Buffer.from(id) },
      { type: js.CKA_EC_PARAMS, value: Buffer.from(ED25519_OID_DER) },
    ];
    token.pkcs11.C_CreateObject(token.session, [
      ...common,
      { type: js.CKA_CLASS, value: js.CKO_PRIVATE_KEY },
      { type: js.CKA_PRIVATE, value: true },
      { type: js.CKA_SENSITIVE, value: true },
      { type: js.CKA_SIGN, value: true },
      { type: js.CKA_VALUE, value: Buffer.from(seed) },
    ]);
    token.pkcs11.C_CreateObject(token.session, [
      ...common,
      { type: js.CKA_CLASS, value: js.CKO_PUBLIC_KEY },
      { type: js.CKA_VERIFY, value: true },
      { type: js.CKA_EC_POINT, value: Buffer.from(ecPointOf(publicRaw)) },
    ]);
  } finally {
    token.close();
  }
}
