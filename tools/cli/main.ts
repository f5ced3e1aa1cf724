// The `airlock` command: parses arguments with commander, runs one verb, and turns every failure
// into one line on stderr and the exit code of DESIGN.md's CLI contract (0 ok, 1 rejected,
// 2 usage or input error, 3 simulated power cut). `main` never exits the process, so tests and
// scripts can call it in-process.
import { Command, CommanderError } from "commander";
import { processIo, type CliIo } from "./io.js";
import { registerBundle } from "./commands/bundle.js";
import { registerKeygen } from "./commands/keygen.js";
import { registerManifest } from "./commands/manifest.js";
import { registerRoot } from "./commands/root.js";
import { registerSim } from "./commands/sim.js";
import { registerVerify } from "./commands/verify.js";
import { AirlockError } from "../format/index.js";

export type ExitCode = 0 | 1 | 2 | 3;

/** Runs `airlock ARGV...` and returns its exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<ExitCode> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    return report(err, io);
  }
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
  return program;
}

function report(err: unknown, io: CliIo): ExitCode {
  if (err instanceof CommanderError) {
    // Help and version requests end through the same path, with exit code 0; commander has
    // already printed its message for every other usage error.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof AirlockError) {
    io.err(`airlock: ${err.message}\n`);
    return err.exitCode;
  }
  // Anything else is a bug in airlock itself, not in the input.
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  io.err(`airlock: internal error (please report): ${message.split("\n")[0]}\n`);
  return 1;
}
