// airlock signer hsm keygen|list: key pairs on a PKCS#11 token for the signing service. keygen
// makes the pair on the token and writes only its public key (SPKI PEM, for `root create
// --targets-key`); list shows a module's tokens, or a token's key pairs and their key IDs. The
// PIN comes from --pin-file (owner-only) or the variable --pin-env names, never from an argument.
import { existsSync } from "node:fs";
import { Option, type Command } from "commander";
import { InputError, hex, writeAtomic } from "../../format/index.js";
import { DEFAULT_PKCS11_MODULE, TokenSession, generateTokenKey, listKeyPairs, listTokens, type PinSource } from "../../signer/index.js";
import type { CliIo } from "../io.js";

interface TokenOptions {
  module: string;
  token?: string;
  pinFile?: string;
  pinEnv?: string;
  json?: boolean;
}

function tokenOptions(command: Command): Command {
  return command
    .option("--module <path>", "the PKCS#11 module (shared library)", DEFAULT_PKCS11_MODULE)
    .addOption(new Option("--pin-file <file>", "file holding the token's user PIN (mode 0600)").conflicts("pinEnv"))
    .option("--pin-env <variable>", "environment variable holding the token's user PIN")
    .option("--json", "print one JSON object");
}

function pinSource(options: TokenOptions): PinSource {
  if (options.pinFile) return { file: options.pinFile };
  if (options.pinEnv) return { env: options.pinEnv };
  throw new InputError("the token's PIN is needed: give --pin-file FILE (mode 0600) or --pin-env VARIABLE (never the PIN itself on the command line)");
}

export function registerSignerHsm(signer: Command, io: CliIo): void {
  const hsm = signer.command("hsm").description("key pairs on a PKCS#11 token (SoftHSM 2 or a hardware HSM)");

  tokenOptions(
    hsm
      .command("keygen")
      .description("generate a key pair on the token (the private key never leaves it) and write its public key as SPKI PEM")
      .requiredOption("--token <label>", "the token's label")
      .requiredOption("--label <name>", "CKA_LABEL for the new key pair; the signing service's config names it")
      .addOption(new Option("--type <type>", "key type").choices(["ed25519", "p256"]).default("ed25519"))
      .requiredOption("-o, --out <file>", "where to write the public key (SPKI PEM)")
      .option("--force", "replace an existing public key file"),
  ).action((options: TokenOptions & { token: string; label: string; type: "ed25519" | "p256"; out: string; force?: boolean }) => {
    if (!options.force && existsSync(options.out)) throw new InputError(`${options.out} already exists; choose another -o or pass --force`);
    const key = generateTokenKey({ module: options.module, token: options.token, pin: pinSource(options), label: options.label, type: options.type });
    writeAtomic(options.out, key.publicPem, { force: options.force });
    const keyId = hex(key.publicKey.keyId);
    if (options.json) io.out(`${JSON.stringify({ keyId, type: options.type, label: options.label, id: key.id, token: options.token, publicKey: options.out })}\n`);
    else io.out(`generated ${options.type === "p256" ? "ECDSA P-256" : "Ed25519"} key pair "${options.label}" (CKA_ID ${key.id}) on token "${options.token}"\nwrote ${options.out} (public)\nkey ID ${keyId}\n`);
  });

  tokenOptions(
    hsm
      .command("list")
      .description("without --token: the module's tokens; with --token (and its PIN): its Ed25519 and P-256 key pairs")
      .option("--token <label>", "the token whose key pairs to list"),
  ).action((options: TokenOptions) => {
    if (options.token === undefined) {
      const tokens = listTokens(options.module);
      io.out(options.json ? `${JSON.stringify({ module: options.module, tokens })}\n` : tokens.map((t) => `${t}\n`).join("") || `no initialized token in ${options.module}\n`);
      return;
    }
    const token = new TokenSession({ module: options.module, token: options.token, pin: pinSource(options) });
    let keys;
    try {
      keys = listKeyPairs(token);
    } finally {
      token.close();
    }
    if (options.json) io.out(`${JSON.stringify({ module: options.module, token: options.token, keys })}\n`);
    else io.out(keys.map((k) => `${k.label}  ${k.type}  CKA_ID ${k.id || "(none)"}  key ID ${k.keyId}\n`).join("") || `no Ed25519 or P-256 key pair on token "${options.token}"\n`);
  });
}
