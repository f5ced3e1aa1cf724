// airlock bundle create|sign|inspect|personalize|reorder: update bundles.
import type { Command } from "commander";
import {
  inspectBundle,
  parseBundle,
  parseRoot,
  personalizeBundle,
  signBundle,
  targetsKeyIdsOf,
  toDeviceOrder,
  readInput,
  hex,
  parseTargetArgument,
  writeBundleFile,
  payloadFieldPrefix,
  InputError,
  RejectedError,
  type PayloadDescriptor,
} from "../../format/index.js";
import type { Board } from "../../../host-sim/index.js";
import { parseEnvelope } from "../../build/index.js";
import { parseQualificationFile } from "../../signer/index.js";
import type { CliIo } from "../io.js";
import { progressFor } from "../progress.js";
import { bundleTrustFailures, ownRootSignatures } from "./checks.js";
import { reportWrote, writeOutput, writesFiles, type OutputFlags } from "./output.js";
import { registerSign } from "./sign.js";
import { formatBundle } from "./format.js";
import { integer } from "./options.js";

// The simulator's board files load only when --board is given.
const simulator = () => import("../../../host-sim/index.js");

export function registerBundle(program: Command, io: CliIo): Command {
  const bundle = program.command("bundle").description("create, sign, inspect and verify update bundles");

  writesFiles(
    bundle
      .command("create")
      .description("create an unsigned bundle from target images (NAME=FILE); images are streamed, not held in memory")
      .requiredOption("-o, --output <bundle>", "where to write the bundle")
      .requiredOption("--targets-version <n>", "targets version, from 1; a device accepts only versions >= its installed one", integer)
      .option("--root <root>", "signed root metadata to carry (rotates the device to this root)")
      .option("--hardware <id>", "the hardware ID this bundle is for (absent: any hardware)")
      .option("--board <board>", "refuse targets this board lacks, images over its slots and bundles over its staging area (name or BOARD.json)")
      .argument("<targets...>", "NAME=FILE for each target (user_manifest=FILE: bytes stored in the device manifest)"),
  ).action(async (targets: string[], options: OutputFlags & { output: string; targetsVersion: number; root?: string; hardware?: string; board?: string }) => {
    const sim = options.board === undefined ? undefined : await simulator();
    const board = options.board === undefined ? undefined : sim?.boardNamed(options.board);
    const progress = progressFor(options.json ? { ...io, isTTY: false } : io);
    let metadata: Uint8Array;
    try {
      metadata = await writeBundleFile(
        options.output,
        {
          targetsVersion: options.targetsVersion,
          targets: targets.map(parseTargetArgument),
          root: options.root === undefined ? undefined : readInput(options.root, "root metadata"),
          hardwareId: options.hardware,
          requireFits:
            board &&
            ((payloads, metadataBytes) => {
              sim?.requireImagesFit(board, payloads);
              requireStagingFits(board, payloads, metadataBytes);
            }),
          onProgress: (phase, done, total) => progress.update(phase, done, total),
        },
        { force: options.force },
      );
    } finally {
      progress.stop();
    }
    const root = inspectBundle(metadata).root;
    const warnings = root && !root.rootThresholdMet ? [`the bundled root has ${ownRootSignatures(root)}; devices will refuse it until they sign it (airlock root sign)`] : [];
    for (const warning of warnings) io.err(`warning: ${warning}\n`);
    reportWrote(io, options, `wrote ${options.output}: ${targets.length} target(s), targets version ${options.targetsVersion}, unsigned (next: airlock bundle sign --key PRIV ${options.output})`, {
      wrote: options.output,
      targets: targets.length,
      targetsVersion: options.targetsVersion,
      warnings,
    });
  });

  registerSign(bundle, io, {
    what: "bundle",
    description: "append a signature over the bundle's exact targets metadata bytes",
    options: (command) =>
      command
        .option("--root <root>", "the root devices trust: warn if KEY is not one of its targets keys (a bundled root is used when there is one)")
        .option("--product <name>", "--remote: the product the bundle is a build of")
        .option("--build-type <type>", "--remote: eng or user (read from --provenance when given)")
        .option("--provenance <file>", "--remote: the build's provenance (airlock build's .provenance.json)")
        .option("--qualification <file...>", "--remote: qualification records the policy may require (DSSE envelopes, one per file or an array as `release qualify -o` writes)"),
    async remote(client, bytes, options) {
      const product = options.product as string | undefined;
      if (!product) throw new InputError("bundle sign --remote needs --product NAME (the product in the service's policy)");
      const buildType = options.buildType as string | undefined;
      if (buildType !== undefined && buildType !== "eng" && buildType !== "user") throw new InputError(`--build-type ${buildType}: expected eng or user`);
      const envelope = (file: string, what: string) => parseEnvelope(Buffer.from(readInput(file, what)).toString("utf8"), file);
      return client.signTargets({
        key: options.key, product, buildType, bundle: bytes, requestId: options.requestId,
        provenance: typeof options.provenance === "string" ? envelope(options.provenance, "provenance") : undefined,
        qualification: Array.isArray(options.qualification)
          ? (options.qualification as string[]).flatMap((f) => parseQualificationFile(Buffer.from(readInput(f, "qualification records")).toString("utf8"), f))
          : undefined,
      });
    },
    sign: (bytes, key, path) => signBundle(bytes, key, path),
    check(bytes, key, path, options) {
      const bundled = parseBundle(bytes, path).root;
      const rootPath = typeof options.root === "string" ? options.root : undefined;
      const root = bundled ?? (rootPath === undefined ? undefined : parseRoot(readInput(rootPath, "root metadata"), rootPath));
      if (!root) return { warnings: [], note: "not checked against a root: pass --root ROOT to check the key is a targets key" };
      const source = bundled ? "the bundle's root" : rootPath;
      const keyId = hex(key.keyId);
      if (targetsKeyIdsOf(root).includes(keyId)) return { warnings: [], note: `a targets key of ${source}` };
      const isRootKey = (root.metadata.rootSignatureRequirement?.keyIds ?? []).map(hex).includes(keyId);
      return {
        warnings: [`key ${keyId} is ${isRootKey ? "a root key, not a targets key," : "not a targets key"} of ${source}; this signature will not count`],
      };
    },
  });

  bundle
    .command("inspect")
    .description("show root and targets metadata, targets with length and SHA-256, and signatures")
    .argument("<bundle>", "bundle file")
    .option("--root <root>", "the root a device trusts: checks the targets signatures (or the bundle root's rotation)")
    .option("--json", "print one JSON object")
    .action((path: string, options: { root?: string; json?: boolean }) => {
      const report = inspectBundle(readInput(path, "bundle"), {
        what: path,
        trustedRoot: options.root === undefined ? undefined : readInput(options.root, "root metadata"),
      });
      io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatBundle(report));
      // With --root this is a check, and a script needs its answer in the exit code.
      if (options.root !== undefined) {
        const failures = bundleTrustFailures(report);
        if (failures.length) throw new RejectedError(`${path} does not pass the check against ${options.root}: ${failures.join("; ")}`);
      }
    });

  writesFiles(bundle
    .command("personalize")
    .description("remove payloads a device already has; the signed metadata still lists them")
    .requiredOption("--remove <name...>", "target name(s) whose payload to remove")
    .requiredOption("-o, --output <out>", "where to write the personalized bundle")
    .argument("<bundle>", "bundle file"))
    .action((path: string, options: OutputFlags & { remove: string[]; output: string }) => {
      const bytes = personalizeBundle(readInput(path, "bundle"), options.remove, path);
      writeOutput(options.output, bytes, options);
      reportWrote(io, options, `wrote ${options.output}: payload(s) ${options.remove.join(", ")} personalized out`, { wrote: options.output, removed: options.remove });
    });

  writesFiles(bundle
    .command("reorder")
    .description("rewrite BUNDLE into the device's field order (root, targets metadata, payloads), every field's bytes unchanged")
    .requiredOption("-o, --output <out>", "where to write the reordered bundle")
    .argument("<bundle>", "bundle file (e.g. one a plain protobuf/Pigweed encoder wrote, root last)"))
    .action((path: string, options: OutputFlags & { output: string }) => {
      const { bytes, reordered } = toDeviceOrder(readInput(path, "bundle"), path);
      parseBundle(bytes, path); // a file that is no bundle is an input error, not an output
      writeOutput(options.output, bytes, options);
      reportWrote(io, options, `wrote ${options.output}: ${reordered ? "root, targets metadata, then payloads; signatures unchanged" : "already in device order, copied unchanged"}`, {
        wrote: options.output,
        reordered,
      });
    });

  return bundle;
}


/** With --board: the whole bundle fits the board's staging area (the device stages it whole). */
function requireStagingFits(board: Board, payloads: PayloadDescriptor[], metadataBytes: number): void {
  const bundleBytes = payloads.reduce((sum, p) => sum + payloadFieldPrefix(p.name, p.length).length + p.length, metadataBytes);
  if (bundleBytes > board.partitions.staging.size) {
    throw new InputError(
      `the bundle would be ${bundleBytes} bytes; board "${board.name}" stages at most ${board.partitions.staging.size} bytes, so its devices would refuse it (ERR_BUNDLE_TOO_LARGE): ship fewer or smaller targets`,
    );
  }
}
