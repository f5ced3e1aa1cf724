// airlock root create|sign|inspect: the root metadata a device trusts.
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { readInput, loadPublicKey, createRoot, inspectRoot, signRoot, RejectedError } from "../../format/index.js";
import { rootTrustFailures } from "./checks.js";
import { formatRoot } from "./format.js";
import { integer } from "./options.js";
import { reportWrote, writeOutput, writesFiles, type OutputFlags } from "./output.js";
import { registerSign } from "./sign.js";

export function registerRoot(program: Command, io: CliIo): void {
  const root = program.command("root").description("create, sign and inspect root metadata (the keys a device trusts)");

  writesFiles(root
    .command("create")
    .description("create unsigned root metadata naming the root and targets keys")
    .requiredOption("--root-key <pub...>", "public key(s) allowed to sign root metadata (PEM)")
    .requiredOption("--targets-key <pub...>", "public key(s) allowed to sign targets metadata (PEM)")
    .option("--root-threshold <n>", "root signatures required", integer, 1)
    .option("--targets-threshold <n>", "targets signatures required", integer, 1)
    .requiredOption("--version <n>", "root version, from 1; a device accepts only versions >= its own", integer)
    .requiredOption("-o, --output <root>", "where to write the root metadata"))
    .action((options: OutputFlags & { rootKey: string[]; targetsKey: string[]; rootThreshold: number; targetsThreshold: number; version: number; output: string }) => {
      const bytes = createRoot({
        rootKeys: options.rootKey.map(loadPublicKey),
        targetsKeys: options.targetsKey.map(loadPublicKey),
        rootThreshold: options.rootThreshold,
        targetsThreshold: options.targetsThreshold,
        version: options.version,
      });
      writeOutput(options.output, bytes, options);
      reportWrote(io, options, `wrote ${options.output}: root version ${options.version}, unsigned (next: airlock root sign --key PRIV ${options.output})`, {
        wrote: options.output,
        version: options.version,
      });
    });

  registerSign(root, io, {
    what: "root metadata",
    description: "append a signature to root metadata (a root key of this root, or of the root it rotates from)",
    sign: (bytes, key, path) => signRoot(bytes, key, path),
    check: () => ({ warnings: [] }),
    remote: (client, bytes, options) => client.signRoot({ key: options.key, root: bytes, requestId: options.requestId }),
  });

  root
    .command("inspect")
    .description("show versions, keys and their roles, thresholds and signatures")
    .argument("<root>", "root metadata file")
    .option("--trusted-root <root>", "the root a device trusts now: also check the rotation to ROOT")
    .option("--json", "print one JSON object")
    .action((path: string, options: { trustedRoot?: string; json?: boolean }) => {
      const trusted = options.trustedRoot === undefined ? undefined : readInput(options.trustedRoot, "trusted root");
      const report = inspectRoot(readInput(path, "root metadata"), path, trusted);
      io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatRoot(report));
      // With --trusted-root this is a check, and a script needs its answer in the exit code.
      if (options.trustedRoot !== undefined) {
        const failures = rootTrustFailures(report);
        if (failures.length) throw new RejectedError(`${path} is not a rotation a device trusting ${options.trustedRoot} accepts: ${failures.join("; ")}`);
      }
    });
}
