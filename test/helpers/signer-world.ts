// A signing service and everything around it, in a scratch directory: keys (test and production
// targets keys, root keys, a builder key, a qualifier key), a policy, tokens for each identity,
// an artifact store with a firmware build made by `airlock build` from an ELF built with
// arm-none-eabi-gcc, and the service itself (fastify, answered in-process through inject). The
// production key's PKCS#11 slot is filled by `openPkcs11`: a SoftHSM key in the backend tests,
// a file key where only the policy's logic is under test.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { generateKeyPair, loadSigningKey, parseBundle, type KeyType } from "../../tools/format/index.js";
import { parseEnvelope, type DsseEnvelope } from "../../tools/build/index.js";
import { boardNamed } from "../../host-sim/index.js";
import {
  createToken, FileSigner, loadPolicy, openKeyring, readTokenHashes, signerApp, SigningService, signQualification, type Pkcs11Opener,
} from "../../tools/signer/index.js";
import { buildFirmwareElf, FIRMWARE_FLASH_ORIGIN } from "./firmware-elf.js";
import { airlock } from "./cli-run.js";

export const IDENTITIES = { ci: ["requester"], alice: ["requester"], bob: ["approver"], carol: ["approver"], dave: ["approver", "requester"] } as const;

const HSM_KEYS = `  prod-targets:
    class: production
    pkcs11: { module: /usr/lib/softhsm/libsofthsm2.so, token: airlock-prod, label: prod-targets, pinFile: pin.txt }
  root-a:
    class: root
    pkcs11: { module: /usr/lib/softhsm/libsofthsm2.so, token: airlock-root, label: root-a, pinFile: pin.txt }
`;
const PRODUCTION_GRANT = `  - identities: [ci]
    keys: [prod-targets]
    products: [thermostat]
    buildTypes: [user]
`;

/**
 * The tests' policy. `fileKeysOnly` leaves out the HSM keys (production and root) and their grant,
 * for a service run as its own process, where PKCS#11 keys would need a real token.
 */
export function policyYaml(overrides: { approvals?: number; qualification?: string[]; extra?: string; fileKeysOnly?: boolean } = {}): string {
  const text = fullPolicyYaml(overrides);
  return overrides.fileKeysOnly ? text.replace(HSM_KEYS, "").replace(PRODUCTION_GRANT, "") : text;
}

function fullPolicyYaml(overrides: { approvals?: number; qualification?: string[]; extra?: string }): string {
  return `# the signing service's policy for the tests
service:
  state: state.db
  audit: audit.log
  tokens: tokens.json
  store: store
  maxBodyBytes: 1048576
  maxRequestLifetimeSeconds: 600
keys:
  test-targets:
    class: test
    file: test-targets.pem
  prod-targets:
    class: production
    pkcs11: { module: /usr/lib/softhsm/libsofthsm2.so, token: airlock-prod, label: prod-targets, pinFile: pin.txt }
  root-a:
    class: root
    pkcs11: { module: /usr/lib/softhsm/libsofthsm2.so, token: airlock-root, label: root-a, pinFile: pin.txt }
builders:
  ci:
    id: https://ci.example.com/builders/firmware
    publicKey: builder.pem.pub
qualifiers:
  lab:
    publicKey: qualifier.pem.pub
identities:
${Object.entries(IDENTITIES).map(([name, roles]) => `  ${name}: { roles: [${roles.join(", ")}] }`).join("\n")}
products:
  thermostat: { hardwareId: "nordic,nrf52840" }
  doorbell: { hardwareId: "nordic,nrf52840" }
grants:
  - identities: [ci, alice, dave]
    keys: [test-targets]
    products: [thermostat]
    buildTypes: [eng, user]
  - identities: [ci]
    keys: [prod-targets]
    products: [thermostat]
    buildTypes: [user]
production:
  approvals: ${overrides.approvals ?? 0}
  qualification: [${(overrides.qualification ?? []).join(", ")}]
root:
  approvals: 2
${overrides.extra ?? ""}`;
}

export interface Build {
  bundle: Uint8Array;
  provenance: DsseEnvelope;
  targetsVersion: number;
}

export class SignerWorld {
  service!: SigningService;
  app!: FastifyInstance;
  tokens: Record<string, string> = {};

  constructor(readonly dir: string) {}

  at(name: string): string {
    return join(this.dir, name);
  }

  /** Keys, ELFs and tokens; the policy with these options. */
  async setUp(policy = policyYaml(), keyType: KeyType = "ed25519"): Promise<void> {
    for (const name of ["test-targets", "prod-targets", "root-a", "builder", "qualifier", "rogue-builder"]) {
      const { privatePem, publicPem } = generateKeyPair(keyType);
      writeFileSync(this.at(`${name}.pem`), privatePem, { mode: 0o600 });
      writeFileSync(this.at(`${name}.pem.pub`), publicPem);
    }
    writeFileSync(this.at("pin.txt"), "1234\n", { mode: 0o600 });
    writeFileSync(this.at("policy.yaml"), policy);
    for (const identity of Object.keys(IDENTITIES)) this.tokens[identity] = createToken(this.at("tokens.json"), identity);
    buildFirmwareElf(this.dir, "clean", { logLevel: 2, banner: "release", omitDebugShell: true });
    buildFirmwareElf(this.dir, "debug", { logLevel: 4, banner: "DEBUG BUILD" });
  }

  /** Starts the service; its PKCS#11 keys are opened by `openPkcs11` (the file key of that name by default). */
  async start(openPkcs11: Pkcs11Opener = (name) => new FileSigner(this.at(`${name}.pem`), name)): Promise<void> {
    const policy = loadPolicy(this.at("policy.yaml"));
    const slotsOf = (board: string) => Object.fromEntries(boardNamed(board).partitions.targets.map((t) => [t.name, t.slotSize]));
    this.service = new SigningService({ policy, keys: await openKeyring(policy, openPkcs11), slotsOf });
    this.app = await signerApp({ service: this.service, tokens: readTokenHashes(policy.service.tokens), maxBodyBytes: policy.service.maxBodyBytes });
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.service?.close();
  }

  /** `airlock build` of the thermostat at this version and build type, into the world's store. */
  async build(version: number, buildType: "eng" | "user" = "user", elf = "clean.elf", product = "thermostat", extra: Record<string, unknown> = {}): Promise<Build> {
    const description = this.at(`${product}-${version}-${buildType}.json`);
    writeFileSync(description, JSON.stringify({
      product, hardwareId: "nordic,nrf52840", board: "nrf52840", targetsVersion: version, buildType,
      targets: { app: { elf: this.at(elf), loadAddress: FIRMWARE_FLASH_ORIGIN } },
      rules: { forbiddenSymbols: ["debug_shell_*"], forbiddenStrings: ["DEBUG BUILD"], maxLogLevel: { symbol: "airlock_log_level", max: 2 } },
      ...extra,
    }));
    const out = this.at(`out-${product}-${version}-${buildType}`);
    const run = await airlock("build", description, "--builder-key", this.at("builder.pem"), "--builder-id", "https://ci.example.com/builders/firmware", "--out-dir", out, "--store", this.at("store"));
    if (run.code !== 0) throw new Error(`airlock build failed: ${run.stderr}`);
    return {
      bundle: new Uint8Array(readFileSync(join(out, `${product}-${version}.bundle`))),
      provenance: parseEnvelope(readFileSync(join(out, `${product}-${version}.provenance.json`), "utf8"), "provenance"),
      targetsVersion: version,
    };
  }

  qualify(build: Build, suite: string, key = "qualifier.pem"): DsseEnvelope {
    const digest = createHash("sha256").update(parseBundle(build.bundle).targetsSerialized).digest("hex");
    return signQualification({ product: "thermostat", targetsMetadataSha256: digest, suite, result: "pass" }, loadSigningKey(this.at(key)));
  }

  /** POST/GET through the service's HTTP layer as `identity`. */
  async call(identity: string | undefined, method: "GET" | "POST", url: string, body?: unknown) {
    const response = await this.app.inject({
      method, url, payload: body as Record<string, unknown> | undefined,
      headers: identity === undefined ? {} : { authorization: `Bearer ${this.tokens[identity] ?? identity}` },
    });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> & { error?: { code: string; message: string }; status?: string; file?: string; reason?: string; approvals?: string[] } };
  }

  targetsBody(build: Build, fields: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      requestId: `req-${Math.random().toString(36).slice(2, 12)}`,
      nonce: randomBytes(18).toString("base64url"),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      key: "prod-targets",
      product: "thermostat",
      bundle: Buffer.from(build.bundle).toString("base64"),
      provenance: build.provenance,
      ...fields,
    };
  }
}
