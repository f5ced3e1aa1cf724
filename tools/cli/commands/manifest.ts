// airlock manifest create|inspect: the device manifest (what a device has installed).
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { readInput, inspectManifest, manifestFromBundle } from "../../format/index.js";
import { reportWrote, writeOutput, writesFiles, type OutputFlags } from "./output.js";

export function registerManifest(program: Command, io: CliIo): void {
  const manifest = program.command("manifest").description("device manifests: what a device has installed");

  writesFiles(manifest
    .command("create")
    .description("write the manifest a device holds after installing BUNDLE")
    .requiredOption("--bundle <bundle>", "the bundle the device installed")
    .requiredOption("-o, --output <manifest>", "where to write the manifest"))
    .action((options: OutputFlags & { bundle: string; output: string }) => {
      writeOutput(options.output, manifestFromBundle(readInput(options.bundle, "bundle"), options.bundle), options);
      reportWrote(io, options, `wrote ${options.output}`, { wrote: options.output });
    });

  manifest
    .command("inspect")
    .description("show the installed targets version, hardware and each target's length and SHA-256")
    .argument("<manifest>", "manifest file")
    .option("--json", "print one JSON object")
    .action((path: string, options: { json?: boolean }) => {
      const report = inspectManifest(readInput(path, "manifest", { emptyAllowed: true }), path);
      if (options.json) {
        io.out(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      io.out(
        [
          `targets version ${report.targetsVersion}, hardware ${report.hardwareId ?? "any"}`,
          ...report.targets.map((t) => `  ${t.name}  ${t.length} bytes  sha256 ${t.sha256}`),
          `user manifest: ${report.userManifestBytes === null ? "none" : `${report.userManifestBytes} bytes`}`,
        ].join("\n") + "\n",
      );
    });
}
