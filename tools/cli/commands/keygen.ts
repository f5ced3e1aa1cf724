// airlock keygen PATH: a new Ed25519 key pair as PATH (PKCS#8 PEM) and PATH.pub (SPKI PEM).
import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { InputError, writeAtomic, generateKeyPair, hex, loadPublicKey } from "../../format/index.js";

export function registerKeygen(program: Command, io: CliIo): void {
  program
    .command("keygen")
    .description("make an Ed25519 key pair: PATH (private, PKCS#8 PEM) and PATH.pub (public, SPKI PEM)")
    .argument("<path>", "where to write the private key; the public key goes to PATH.pub")
    .option("--force", "replace existing key files")
    .option("--json", "print {keyId, privateKey, publicKey} as JSON")
    .action((path: string, options: { force?: boolean; json?: boolean }) => {
      const publicPath = `${path}.pub`;
      for (const file of [path, publicPath]) {
        if (!options.force && existsSync(file)) {
          throw new InputError(`${file} already exists; refusing to overwrite a key (choose another PATH or pass --force)`);
        }
      }
      const { privatePem, publicPem } = generateKeyPair();
      writeAtomic(path, privatePem, { mode: 0o600, force: options.force });
      writeAtomic(publicPath, publicPem, { force: options.force });
      const keyId = hex(loadPublicKey(publicPath).keyId);
      if (options.json) {
        io.out(`${JSON.stringify({ keyId, privateKey: path, publicKey: publicPath })}\n`);
      } else {
        io.out(`wrote ${path} (private) and ${publicPath} (public)\nkey ID ${keyId}\n`);
      }
    });
}
