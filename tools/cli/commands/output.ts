// What every verb that writes a file shares: --force to replace an existing output, --json to
// report the result as one object, and the sign verbs' in-place rewrite under a lock.
import { resolve } from "node:path";
import type { Command } from "commander";
import { readInput, rewriteInPlace, writeAtomic, type OutputOptions } from "../../format/index.js";
import type { CliIo } from "../io.js";

/** Adds --force and --json to a verb that writes files. */
export function writesFiles(command: Command): Command {
  return command.option("--force", "replace the output file if it exists").option("--json", "print the result as one JSON object");
}

export interface OutputFlags {
  force?: boolean;
  json?: boolean;
}

/** Writes a verb's output; an existing file is replaced only with --force. */
export function writeOutput(path: string, data: Uint8Array | string, flags: OutputFlags, options: OutputOptions = {}): void {
  writeAtomic(path, data, { ...options, force: flags.force });
}

/**
 * Reports what a verb wrote: the human line, or with --json one object with `wrote` and the
 * verb's facts.
 */
export function reportWrote(io: CliIo, flags: OutputFlags, human: string, facts: Record<string, unknown>): void {
  io.out(flags.json ? `${JSON.stringify(facts)}\n` : `${human}\n`);
}

/**
 * Signs INPUT into OUTPUT. Without -o (or with -o naming INPUT itself) the file is rewritten in
 * place under a lock, so two signers at once both land their signature; with another -o the
 * input is only read and the output follows --force.
 */
export function signInto(input: string, output: string | undefined, what: string, flags: OutputFlags, sign: (bytes: Uint8Array) => Uint8Array): string {
  if (output === undefined || resolve(output) === resolve(input)) {
    rewriteInPlace(input, what, sign);
    return input;
  }
  writeOutput(output, sign(readInput(input, what)), flags);
  return output;
}
