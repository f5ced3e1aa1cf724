// airlock root create|sign|inspect: the root metadata a device trusts.
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { readInput, writeAtomic, hex, loadPublicKey, loadSigningKey, createRoot, inspectRoot, signRoot, RejectedError } from "../../format/index.js";
import { rootTrustFailures } from "./checks.js";
import { formatRoot } from "./format.js";
import { integer } from "./options.js";

export function registerRoot(program: Command, io: CliIo): void {
  const root = program.command("root").description("create, sign and inspect root metadata (the keys a device trusts)");

  root
    .command("create")
    .description("create unsigned root metadata naming the root and targets keys")
    .requiredOption("--root-key <pub...>", "public key(s) allowed to sign root metadata (PEM)")
    .requiredOption("--targets-key <pub...>", "public key(s) allowed to sign targets metadata (PEM)")
    .option("--root-threshold <n>", "root signatures required", integer, 1)
    .option("--targets-threshold <n>", "targets signatures required", integer, 1)
    .requiredOption("--version <n>", "root version, from 1; a device accepts only versions >= its own", integer)
    .requiredOption("-o, --output <root>", "where to write the root metadata")
    .action((options: { rootKey: string[]; targetsKey: string[]; rootThreshold: number; targetsThreshold: number; version: number; output: string }) => {
      const bytes = createRoot({
        rootKeys: options.rootKey.map(loadPublicKey),
        targetsKeys: options.targetsKey.map(loadPublicKey),
        rootThreshold: options.rootThreshold,
        targetsThreshold: options.targetsThreshold,
        version: options.version,
      });
      writeAtomic(options.output, bytes);
      io.out(`wrote ${options.output}: root version ${options.version}, unsigned (next: airlock root sign --key PRIV ${options.output})\n`);
    });

  root
    .command("sign")
    .description("append a signature to root metadata")
    .requiredOption("--key <priv>", "private key (PKCS#8 PEM)")
    .argument("<root>", "root metadata file")
    .option("-o, --output <out>", "write the signed root here instead of replacing ROOT")
    .action((path: string, options: { key: string; output?: string }) => {
      const key = loadSigningKey(options.key);
      const signed = signRoot(readInput(path, "root metadata"), key, path);
      const output = options.output ?? path;
      writeAtomic(output, signed);
      io.out(`wrote ${output}: signed by key ${hex(key.keyId)}\n`);
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
