// airlock manifest create|inspect: the device manifest (what a device has installed).
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { readInput, writeAtomic, inspectManifest, manifestFromBundle } from "../../format/index.js";

export function registerManifest(program: Command, io: CliIo): void {
  const manifest = program.command("manifest").description("device manifests: what a device has installed");

  manifest
    .command("create")
    .description("write the manifest a device holds after installing BUNDLE")
    .requiredOption("--bundle <bundle>", "the bundle the device installed")
    .requiredOption("-o, --output <manifest>", "where to write the manifest")
    .action((options: { bundle: string; output: string }) => {
      writeAtomic(options.output, manifestFromBundle(readInput(options.bundle, "bundle"), options.bundle));
      io.out(`wrote ${options.output}\n`);
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
