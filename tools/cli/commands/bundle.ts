// airlock bundle create|sign|inspect|personalize|reorder: update bundles.
import type { Command } from "commander";
import { createBundle, inspectBundle, parseBundle, personalizeBundle, signBundle, targetsKeyIdsOf, toDeviceOrder, readInput, writeAtomic, hex, loadSigningKey, parseTargetArgument, RejectedError } from "../../format/index.js";
import type { CliIo } from "../io.js";
import { bundleTrustFailures, ownRootSignatures } from "./checks.js";
import { formatBundle } from "./format.js";
import { integer } from "./options.js";

export function registerBundle(program: Command, io: CliIo): Command {
  const bundle = program.command("bundle").description("create, sign, inspect and verify update bundles");

  bundle
    .command("create")
    .description("create an unsigned bundle from target images (NAME=FILE)")
    .requiredOption("-o, --output <bundle>", "where to write the bundle")
    .requiredOption("--targets-version <n>", "targets version, from 1; a device accepts only versions >= its installed one", integer)
    .option("--root <root>", "signed root metadata to carry (rotates the device to this root)")
    .option("--hardware <id>", "the hardware ID this bundle is for (absent: any hardware)")
    .argument("<targets...>", "NAME=FILE for each target (user_manifest=FILE: bytes stored in the device manifest)")
    .action((targets: string[], options: { output: string; targetsVersion: number; root?: string; hardware?: string }) => {
      const payloads = targets.map((argument) => {
        const { name, file } = parseTargetArgument(argument);
        return { name, data: readInput(file, `target "${name}"`) };
      });
      const bytes = createBundle({
        targetsVersion: options.targetsVersion,
        payloads,
        root: options.root === undefined ? undefined : readInput(options.root, "root metadata"),
        hardwareId: options.hardware,
      });
      writeAtomic(options.output, bytes);
      const root = inspectBundle(bytes).root;
      if (root && !root.rootThresholdMet) {
        io.err(`warning: the bundled root has ${ownRootSignatures(root)}; devices will refuse it until they sign it (airlock root sign)\n`);
      }
      io.out(`wrote ${options.output}: ${payloads.length} target(s), targets version ${options.targetsVersion}, unsigned (next: airlock bundle sign --key PRIV ${options.output})\n`);
    });

  bundle
    .command("sign")
    .description("append a signature to the bundle's targets metadata")
    .requiredOption("--key <priv>", "private key (PKCS#8 PEM)")
    .argument("<bundle>", "bundle file")
    .option("-o, --output <out>", "write the signed bundle here instead of replacing BUNDLE")
    .action((path: string, options: { key: string; output?: string }) => {
      const key = loadSigningKey(options.key);
      const input = readInput(path, "bundle");
      const signed = signBundle(input, key, path);
      const output = options.output ?? path;
      writeAtomic(output, signed);
      const root = parseBundle(input, path).root;
      if (root && !targetsKeyIdsOf(root).includes(hex(key.keyId))) {
        io.err(`warning: key ${hex(key.keyId)} is not a targets key of the bundle's root; this signature will not count\n`);
      }
      io.out(`wrote ${output}: targets signed by key ${hex(key.keyId)}\n`);
    });

  bundle
    .command("inspect")
    .description("show root and targets metadata, targets with length and SHA-256, and signatures")
    .argument("<bundle>", "bundle file")
    .option("--root <root>", "the root a device trusts: checks the targets signatures (or the bundle root's rotation)")
    .option("--json", "print one JSON object")
    .action((path: string, options: { root?: string; json?: boolean }) => {
      const report = inspectBundle(readInput(path, "bundle"), {
        trustedRoot: options.root === undefined ? undefined : readInput(options.root, "root metadata"),
      });
      io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatBundle(report));
      // With --root this is a check, and a script needs its answer in the exit code.
      if (options.root !== undefined) {
        const failures = bundleTrustFailures(report);
        if (failures.length) throw new RejectedError(`${path} does not pass the check against ${options.root}: ${failures.join("; ")}`);
      }
    });

  bundle
    .command("personalize")
    .description("remove payloads a device already has; the signed metadata still lists them")
    .requiredOption("--remove <name...>", "target name(s) whose payload to remove")
    .requiredOption("-o, --output <out>", "where to write the personalized bundle")
    .argument("<bundle>", "bundle file")
    .action((path: string, options: { remove: string[]; output: string }) => {
      const bytes = personalizeBundle(readInput(path, "bundle"), options.remove, path);
      writeAtomic(options.output, bytes);
      io.out(`wrote ${options.output}: payload(s) ${options.remove.join(", ")} personalized out\n`);
    });

  bundle
    .command("reorder")
    .description("rewrite BUNDLE into the device's field order (root, targets metadata, payloads), every field's bytes unchanged")
    .requiredOption("-o, --output <out>", "where to write the reordered bundle")
    .argument("<bundle>", "bundle file (e.g. one a plain protobuf/Pigweed encoder wrote, root last)")
    .action((path: string, options: { output: string }) => {
      const { bytes, reordered } = toDeviceOrder(readInput(path, "bundle"), path);
      parseBundle(bytes, path); // a file that is no bundle is an input error, not an output
      writeAtomic(options.output, bytes);
      io.out(`wrote ${options.output}: ${reordered ? "root, targets metadata, then payloads; signatures unchanged" : "already in device order, copied unchanged"}\n`);
    });

  return bundle;
}

