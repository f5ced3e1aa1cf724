// airlock root sign / bundle sign: one verb shape for both. Each appends one signature over the
// exact signed bytes and rewrites the file in place (under a lock) or writes -o OUT.
import type { Command } from "commander";
import { hex, loadSigningKey, type SigningKey } from "../../format/index.js";
import type { CliIo } from "../io.js";
import { reportWrote, signInto, writesFiles, type OutputFlags } from "./output.js";

export interface SignVerb {
  /** The parent command's name for the file: "root metadata", "bundle". */
  what: string;
  description: string;
  /** Extra options of this verb (bundle sign: --root). */
  options?: (command: Command) => Command;
  /** Signs the file's bytes, with `path` naming it in errors. */
  sign(bytes: Uint8Array, key: SigningKey, path: string): Uint8Array;
  /**
   * Checks the signature will count, from the input's bytes: warnings for stderr, and what was
   * checked for the success line ("not checked against a root" when nothing could be).
   */
  check(bytes: Uint8Array, key: SigningKey, path: string, options: { root?: unknown }): { warnings: string[]; note?: string };
}

export function registerSign(parent: Command, io: CliIo, verb: SignVerb): void {
  const command = writesFiles(
    parent
      .command("sign")
      .description(verb.description)
      .requiredOption("--key <priv>", "private key (PKCS#8 PEM)")
      .argument("<file>", `${verb.what} file`)
      .option("-o, --output <out>", `write the signed ${verb.what} here instead of rewriting FILE in place`),
  );
  (verb.options ? verb.options(command) : command).action((path: string, options: OutputFlags & { key: string; output?: string; root?: unknown }) => {
    const key = loadSigningKey(options.key);
    let result: { warnings: string[]; note?: string } = { warnings: [] };
    const output = signInto(path, options.output, verb.what, options, (bytes) => {
      const signed = verb.sign(bytes, key, path);
      result = verb.check(bytes, key, path, options);
      return signed;
    });
    for (const warning of result.warnings) io.err(`warning: ${warning}\n`);
    const keyId = hex(key.keyId);
    reportWrote(io, options, `wrote ${output}: signed by key ${keyId}${result.note ? ` (${result.note})` : ""}`, {
      wrote: output,
      keyId,
      warnings: result.warnings,
    });
  });
}
