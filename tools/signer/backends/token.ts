// A logged-in session on one PKCS#11 token. pkcs11js loads the module into this process, and a
// module may be initialized once per process, so modules are shared by path and counted: the
// last session to close finalizes and unloads it (and SoftHSM reads SOFTHSM2_CONF again at the
// next C_Initialize, which is what lets tests point it at a throwaway token directory).
// pkcs11js is required on first use, not at import, so every other verb of the CLI works on a
// machine where its native build is missing.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { InputError } from "../../format/index.js";
import { describePinSource, readPin, type PinSource } from "./pin.js";
import { pkcs11Failure, resultCodeOf } from "./pkcs11-errors.js";

type Pkcs11Js = typeof import("pkcs11js");
export type Pkcs11 = import("pkcs11js").PKCS11;
export type Handle = Buffer;

/** Debian's SoftHSM 2 (package libsofthsm2). */
export const DEFAULT_PKCS11_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

export interface TokenConfig {
  /** Path of the PKCS#11 module (shared library); DEFAULT_PKCS11_MODULE when absent. */
  module?: string;
  /** The token's label (CKA_LABEL of the token, as `softhsm2-util --show-slots` prints it). */
  token: string;
  pin: PinSource;
}

interface LoadedModule {
  path: string;
  pkcs11: Pkcs11;
  sessions: number;
  /** Per token label: open sessions and a salted digest of the PIN that logged the token in. */
  logins: Map<string, { sessions: number; pinDigest: Buffer }>;
}

/** Salt for the PIN digests: this process's own, so a digest means nothing outside it. */
const PIN_SALT = randomBytes(32);
const pinDigestOf = (pin: string) => createHash("sha256").update(PIN_SALT).update(pin).digest();

const modules = new Map<string, LoadedModule>();
let binding: Pkcs11Js | undefined;

/** The pkcs11js binding and its constants. */
export function pkcs11js(): Pkcs11Js {
  if (binding) return binding;
  try {
    binding = createRequire(import.meta.url)("pkcs11js") as Pkcs11Js;
  } catch (err) {
    throw new InputError(`the PKCS#11 binding pkcs11js is not usable (${(err as Error).message.split("\n")[0]}); run \`npm ci\` with python3, make and g++ installed so it compiles`);
  }
  return binding;
}

function acquireModule(path: string): LoadedModule {
  const loaded = modules.get(path);
  if (loaded) return loaded;
  const js = pkcs11js();
  const pkcs11 = new js.PKCS11();
  try {
    pkcs11.load(path);
  } catch (err) {
    throw new InputError(`cannot load the PKCS#11 module ${path} (${(err as Error).message}); install SoftHSM 2 (\`apt-get install softhsm2\`) or give the path of your HSM's module`);
  }
  try {
    // Signatures run on libuv's thread pool (C_SignAsync): the module must lock for itself.
    pkcs11.C_Initialize({ flags: js.CKF_OS_LOCKING_OK });
  } catch (err) {
    pkcs11.close();
    throw pkcs11Failure(err, `initializing the PKCS#11 module ${path}`);
  }
  const module = { path, pkcs11, sessions: 0, logins: new Map() };
  modules.set(path, module);
  return module;
}

function releaseModule(module: LoadedModule): void {
  if (--module.sessions > 0) return;
  modules.delete(module.path);
  try {
    module.pkcs11.C_Finalize();
  } finally {
    module.pkcs11.close();
  }
}

/** The labels of the initialized tokens a module offers, and their slots. */
export function tokensOf(pkcs11: Pkcs11): { label: string; slot: Handle }[] {
  const js = pkcs11js();
  return pkcs11
    .C_GetSlotList(true)
    .map((slot) => ({ slot, info: pkcs11.C_GetTokenInfo(slot) }))
    .filter(({ info }) => info.flags & js.CKF_TOKEN_INITIALIZED)
    .map(({ slot, info }) => ({ slot, label: info.label.trimEnd() })); // labels are blank-padded to 32
}

/** The tokens of a module, without logging in to any (for `airlock signer hsm list`). */
export function listTokens(modulePath: string = DEFAULT_PKCS11_MODULE): string[] {
  const module = acquireModule(modulePath);
  module.sessions++;
  try {
    return tokensOf(module.pkcs11).map((t) => t.label);
  } finally {
    releaseModule(module);
  }
}

export class TokenSession {
  readonly pkcs11: Pkcs11;
  readonly session: Handle;
  readonly module: string;
  readonly token: string;
  private loaded: LoadedModule | undefined;
  private loggedIn = false;

  /** Opens a read-write session on the token labelled config.token and logs in as its user. */
  constructor(config: TokenConfig) {
    const js = pkcs11js();
    this.module = config.module ?? DEFAULT_PKCS11_MODULE;
    this.token = config.token;
    const pin = readPin(config.pin); // before loading anything: a bad PIN file is the cheaper error
    const loaded = acquireModule(this.module);
    loaded.sessions++;
    try {
      const tokens = tokensOf(loaded.pkcs11);
      const matches = tokens.filter((t) => t.label === config.token);
      if (matches.length === 0) {
        const present = tokens.length ? `tokens present: ${tokens.map((t) => `"${t.label}"`).join(", ")}` : "no initialized token";
        throw new InputError(`no token labelled "${config.token}" in the PKCS#11 module ${this.module} (${present}); create it with \`softhsm2-util --init-token --free --label ${config.token}\` or your HSM's tools`);
      }
      if (matches.length > 1) throw new InputError(`${matches.length} tokens are labelled "${config.token}" in the PKCS#11 module ${this.module}; give each token a distinct label`);
      this.session = loaded.pkcs11.C_OpenSession(matches[0]!.slot, js.CKF_SERIAL_SESSION | js.CKF_RW_SESSION);
      this.pkcs11 = loaded.pkcs11;
      this.loaded = loaded;
    } catch (err) {
      releaseModule(loaded);
      throw err;
    }
    try {
      this.login(pin, config.pin);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** How errors name this token. */
  describe(): string {
    return `token "${this.token}" (module ${this.module})`;
  }

  private login(pin: string, source: PinSource): void {
    const js = pkcs11js();
    const loaded = this.loaded!;
    const wrongPin = () => new InputError(`${this.describe()} refused the PIN from the ${describePinSource(source)} (wrong PIN); put the token's user PIN there (tokens lock the PIN after repeated wrong ones)`);
    const digest = pinDigestOf(pin);
    try {
      this.pkcs11.C_Login(this.session, js.CKU_USER, pin);
    } catch (err) {
      const code = resultCodeOf(err);
      if (code === js.CKR_PIN_INCORRECT) throw wrongPin();
      if (code === js.CKR_PIN_LOCKED) throw new InputError(`${this.describe()} has locked its user PIN after wrong ones; its security officer must set a new one`);
      if (code === js.CKR_USER_PIN_NOT_INITIALIZED) throw new InputError(`${this.describe()} has no user PIN yet; set one with \`softhsm2-util --init-token\` or your HSM's tools`);
      // PKCS#11 logs in per application, not per session: another session of this process has
      // unlocked the token already and the token does not look at this PIN. It must still be the
      // PIN that did, or a wrong PIN in one key's config would pass while another key is open.
      const login = loaded.logins.get(this.token);
      if (code !== js.CKR_USER_ALREADY_LOGGED_IN || !login) throw pkcs11Failure(err, `logging in to ${this.describe()}`);
      if (!timingSafeEqual(login.pinDigest, digest)) throw wrongPin();
      login.sessions++;
      this.loggedIn = true;
      return;
    }
    loaded.logins.set(this.token, { sessions: 1, pinDigest: digest });
    this.loggedIn = true;
  }

  /** Closes the session; the token logs the process out when its last session closes. */
  close(): void {
    const loaded = this.loaded;
    if (!loaded) return;
    this.loaded = undefined;
    const login = loaded.logins.get(this.token);
    if (this.loggedIn && login && --login.sessions === 0) loaded.logins.delete(this.token); // the token logs out with its last session
    try {
      this.pkcs11.C_CloseSession(this.session);
    } finally {
      releaseModule(loaded);
    }
  }

  get open(): boolean {
    return this.loaded !== undefined;
  }
}
