// airlock keygen [--type ed25519|p256] PATH: a new key pair as PATH (PKCS#8 PEM) and PATH.pub (SPKI PEM).
import { existsSync } from "node:fs";
import { Option, type Command } from "commander";
import type { CliIo } from "../io.js";
import { InputError, writeAtomic, generateKeyPair, hex, loadPublicKey } from "../../format/index.js";

export function registerKeygen(program: Command, io: CliIo): void {
  program
    .command("keygen")
    .description("make a key pair: PATH (private, PKCS#8 PEM) and PATH.pub (public, SPKI PEM); Ed25519, or ECDSA P-256 (Pigweed's tools' keys)")
    .argument("<path>", "where to write the private key; the public key goes to PATH.pub")
    .addOption(new Option("--type <type>", "key type").choices(["ed25519", "p256"]).default("ed25519"))
    .option("--force", "replace existing key files")
    .option("--json", "print {keyId, privateKey, publicKey} as JSON")
    .action((path: string, options: { type: "ed25519" | "p256"; force?: boolean; json?: boolean }) => {
      const publicPath = `${path}.pub`;
      for (const file of [path, publicPath]) {
        if (!options.force && existsSync(file)) {
          throw new InputError(`${file} already exists; refusing to overwrite a key (choose another PATH or pass --force)`);
        }
      }
      const { privatePem, publicPem } = generateKeyPair(options.type);
      writeAtomic(path, privatePem, { mode: 0o600, force: options.force });
      writeAtomic(publicPath, publicPem, { force: options.force });
      const keyId = hex(loadPublicKey(publicPath).keyId);
      if (options.json) {
        io.out(`${JSON.stringify({ keyId, type: options.type, privateKey: path, publicKey: publicPath })}\n`);
      } else {
        io.out(`wrote ${path} (private) and ${publicPath} (public), ${options.type === "p256" ? "ECDSA P-256" : "Ed25519"}\nkey ID ${keyId}\n`);
      }
    });
}
