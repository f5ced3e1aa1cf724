// airlock bundle verify: the device's own agent.wasm judges the bundle, on a throw-away device.
import type { Command } from "commander";
import { forDevice, reorderNote, RejectedError, readInput } from "../../format/index.js";
import type { CliIo } from "../io.js";

export function registerVerify(bundle: Command, io: CliIo): void {
  bundle
    .command("verify")
    .description("run BUNDLE through agent.wasm on a throw-away device that trusts ROOT (and holds MANIFEST)")
    .requiredOption("--trusted-root <root>", "the root metadata the device trusts")
    .option("--manifest <manifest>", "the device's manifest (installed versions and images)")
    .option("--board <board>", "board whose layout and hardware ID the device has", "nrf52840")
    .option("--json", "print {verified, error, message, rootVersion, targetsVersion, images}")
    .argument("<bundle>", "bundle file")
    .action(async (path: string, options: { trustedRoot: string; manifest?: string; board: string; json?: boolean }) => {
      const { bytes: bundle, reordered } = forDevice(readInput(path, "bundle"));
      if (reordered) io.err(reorderNote(path));
      const { verifyBundle } = await import("../../../host-sim/index.js"); // the simulator loads only when needed
      const report = await verifyBundle({
        trustedRoot: readInput(options.trustedRoot, "trusted root"),
        manifest: options.manifest === undefined ? undefined : readInput(options.manifest, "manifest", { emptyAllowed: true }),
        bundle,
        board: options.board,
      });
      if (options.json) io.out(`${JSON.stringify(report)}\n`);
      if (!report.verified) throw new RejectedError(`bundle rejected: ${report.error}: ${report.message}`, report.error ?? undefined);
      if (!options.json) {
        io.out(`verified: ${path} installs on a ${options.board} device trusting root v${report.rootVersion}; afterwards targets v${report.targetsVersion}, ${Object.entries(report.images).map(([n, s]) => `${n} sha256 ${s}`).join(", ")}\n`);
      }
    });
}
