// The `airlock` command: parses arguments with commander, runs one verb, and turns every failure
// into one line on stderr and the exit code of DESIGN.md's CLI contract (0 ok, 1 rejected,
// 2 usage or input error, 3 simulated power cut, 4 internal error: a bug in airlock, never a
// verdict on the input). With --json, stdout always carries one object: the verb's own, or
// {"error": {"code", "message"}}. `main` never exits the process, so tests and scripts can call
// it in-process.
import { Command, CommanderError } from "commander";
import { processIo, type CliIo } from "./io.js";
import { registerBuild } from "./commands/build.js";
import { registerBundle } from "./commands/bundle.js";
import { registerKeygen } from "./commands/keygen.js";
import { registerManifest } from "./commands/manifest.js";
import { registerRoot } from "./commands/root.js";
import { registerSim } from "./commands/sim.js";
import { registerSend } from "./commands/send.js";
import { registerStore } from "./commands/store.js";
import { registerRelease } from "./commands/release.js";
import { registerSigner } from "./commands/signer.js";
import { registerFleet } from "./commands/fleet.js";
import { registerVerify } from "./commands/verify.js";
import { AirlockError, PowerCutInterrupt, RejectedError } from "../format/index.js";

export type ExitCode = 0 | 1 | 2 | 3 | 4;

/** Runs `airlock ARGV...` and returns its exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<ExitCode> {
  let printed = false;
  const program = buildProgram({ ...io, out: (text) => ((printed = true), io.out(text)) });
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    const failure = describeFailure(err);
    if (failure.exitCode === 0) return 0;
    if (failure.message !== undefined) io.err(`airlock: ${failure.message}\n`);
    // A verb that already printed its JSON object (a refused bundle's report) said it all.
    if (wantsJson(argv) && !printed) {
      io.out(`${JSON.stringify({ error: { code: failure.code, message: failure.message ?? failure.usage } })}\n`);
    }
    return failure.exitCode;
  }
}

/** --json anywhere among the options (not after a `--`, where arguments are file names). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}

export function buildProgram(io: CliIo): Command {
  const program = new Command("airlock")
    .description("build, sign, inspect and verify airlock update bundles; simulate devices that install them")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // commander's own usage errors: one line, and where to look.
      outputError: (message, write) => write(`airlock: ${message.trim().replace(/\s*\n\s*/g, " ")} (see --help)\n`),
    });
  registerKeygen(program, io);
  registerRoot(program, io);
  registerVerify(registerBundle(program, io), io);
  registerManifest(program, io);
  registerSim(program, io);
  registerBuild(program, io);
  registerStore(program, io);
  registerRelease(program, io);
  registerSigner(program, io);
  registerSend(program, io);
  registerFleet(program, io);
  return program;
}

interface Failure {
  exitCode: ExitCode;
  /** For --json: USAGE, INPUT, REJECTED (or the agent's ERR_* name), POWER_CUT, INTERNAL. */
  code: string;
  /** The line for stderr; absent when commander has already printed it. */
  message?: string;
  usage?: string;
}

function describeFailure(err: unknown): Failure {
  if (err instanceof CommanderError) {
    // Help and version requests end through the same path, with exit code 0; commander has
    // already printed its message for every other usage error.
    return { exitCode: err.exitCode === 0 ? 0 : 2, code: "USAGE", usage: err.message.replace(/^error: /, "") };
  }
  if (err instanceof RejectedError) return { exitCode: 1, code: err.code ?? "REJECTED", message: err.message };
  if (err instanceof PowerCutInterrupt) return { exitCode: 3, code: "POWER_CUT", message: err.message };
  if (err instanceof AirlockError) return { exitCode: err.exitCode, code: "INPUT", message: err.message };
  // Anything else is a bug in airlock itself, not a verdict on the input: its own exit code, so
  // no script reads it as "refused".
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { exitCode: 4, code: "INTERNAL", message: `internal error (please report): ${message.split("\n")[0]}` };
}
