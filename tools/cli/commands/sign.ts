// airlock root sign / bundle sign: one verb shape for both. Each appends one signature over the
// exact signed bytes and rewrites the file in place (under a lock) or writes -o OUT. With
// --remote the signing service signs instead (--key then names the service's key): the file is
// sent, and the signed file it returns is written the same way; a request waiting for approvals
// prints its ID and what approvers run.
import type { Command } from "commander";
import { hex, loadSigningKey, readInput, RejectedError, type SigningKey } from "../../format/index.js";
import { readClientToken, SignerClient, type RemoteOutcome } from "../../signer/index.js";
import type { CliIo } from "../io.js";
import { integer } from "./options.js";
import { reportWrote, signInto, writeOutput, writesFiles, type OutputFlags } from "./output.js";

export interface RemoteFlags extends OutputFlags {
  key: string;
  remote: string;
  tokenFile?: string;
  requestId?: string;
  wait?: number;
  output?: string;
  [option: string]: unknown;
}

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
  /** Asks the signing service for the signature (--remote). */
  remote(client: SignerClient, bytes: Uint8Array, options: RemoteFlags): Promise<RemoteOutcome>;
}

export function registerSign(parent: Command, io: CliIo, verb: SignVerb): void {
  const command = writesFiles(
    parent
      .command("sign")
      .description(verb.description)
      .requiredOption("--key <priv>", "private key (PKCS#8 PEM); with --remote, the name of the service's key")
      .argument("<file>", `${verb.what} file`)
      .option("-o, --output <out>", `write the signed ${verb.what} here instead of rewriting FILE in place`)
      .option("--remote <url>", "ask the signing service at URL (airlock signer serve) instead of signing with a local key")
      .option("--token-file <file>", "--remote: your bearer token (mode 600); or set AIRLOCK_SIGNER_TOKEN")
      .option("--request-id <id>", "--remote: resume this request (same ID, same file: the service answers with its outcome)")
      .option("--wait <seconds>", "--remote: wait up to this long for approvals and the signature", integer),
  );
  (verb.options ? verb.options(command) : command).action(async (path: string, options: OutputFlags & { key: string; output?: string; root?: unknown; remote?: string }) => {
    if (options.remote !== undefined) return signRemotely(io, verb, path, options as RemoteFlags);
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

async function signRemotely(io: CliIo, verb: SignVerb, path: string, options: RemoteFlags): Promise<void> {
  const bytes = readInput(path, verb.what);
  const client = new SignerClient(options.remote, readClientToken(options.tokenFile));
  let outcome = await verb.remote(client, bytes, options);
  if (options.wait !== undefined && (outcome.status === "pending" || outcome.status === "signing")) outcome = await client.waitFor(outcome.requestId, options.wait * 1000);
  if (outcome.status === "refused") throw new RejectedError(`the signing service refused request ${outcome.requestId}: ${outcome.reason}`);
  if (outcome.status !== "signed" || !outcome.file) {
    const facts = { requestId: outcome.requestId, status: outcome.status, approvals: outcome.approvals, needed: outcome.needed, summary: outcome.summary };
    io.out(options.json
      ? `${JSON.stringify(facts)}\n`
      : `request ${outcome.requestId} waits for approvals (${outcome.approvals.length} of ${outcome.needed}): approvers run \`airlock signer approve ${outcome.requestId} --remote ${options.remote}\`; then run this command again with --request-id ${outcome.requestId}\n`);
    return;
  }
  const output = options.output ?? path;
  writeOutput(output, outcome.file, options, output === path ? { replacing: bytes } : {});
  reportWrote(io, options, `wrote ${output}: signed by the signing service's key "${outcome.key}" (request ${outcome.requestId})`, {
    wrote: output, requestId: outcome.requestId, key: outcome.key, digest: outcome.digest,
  });
}
