// airlock release qualify BUNDLE: the release's qualification suites (tools/release/qualify/) on
// the simulator for each board and on the QEMU board firmware, progress per suite on stderr, a
// summary table, and every suite's record, signed by the qualifier key, written to -o as the JSON
// array `bundle sign --remote --qualification` sends. Exit 1 when any suite failed (its fail
// record is written too, so the history shows it).
import { Option, type Command } from "commander";
import { hex, loadSigningKey, readInput, RejectedError } from "../../format/index.js";
import { DEFAULT_POWER_CUTS, QEMU_MODES, QUALIFY_SUITES, qualifyRelease, type QemuMode, type QualifyResult, type SuiteName } from "../../release/index.js";
import type { CliIo } from "../io.js";
import { collect, integer } from "./options.js";
import { writeOutput, writesFiles } from "./output.js";

interface QualifyFlags {
  product: string;
  root: string;
  qualifierKey: string;
  board?: string[];
  baseline?: string;
  powerCuts: number;
  qemu: QemuMode;
  suite?: string[];
  output: string;
  force?: boolean;
  json?: boolean;
}

export function registerReleaseQualify(release: Command, io: CliIo): void {
  writesFiles(
    release
      .command("qualify")
      .description(`install BUNDLE on simulated devices of each board (${QUALIFY_SUITES.slice(0, 4).join(", ")}) and on the QEMU board firmware (qemu); sign one record per suite with the qualifier key`)
      .argument("<bundle>", "the bundle to qualify (signed with test keys, before the production signature)")
      .requiredOption("--product <product>", "the product the bundle is a build of (as the signing policy names it)")
      .requiredOption("--root <root>", "the root metadata the devices trust: the one the bundle's signing keys belong to")
      .requiredOption("--qualifier-key <key>", "the qualifier's private key (PKCS#8 PEM) that signs the records")
      .requiredOption("-o, --output <records.json>", "where the signed records go (a JSON array of DSSE envelopes, pass and fail)")
      .option("--board <board>", "a simulator board (board/NAME.json or a board file); repeat for several (default nrf52840)", collect)
      .option("--baseline <bundle>", "the release currently out: its images are the devices' factory images (default: generated images at targets version 0)")
      .option("--power-cuts <n>", "power-cut points sampled per board over the whole install", integer, DEFAULT_POWER_CUTS)
      .addOption(new Option("--qemu <mode>", "auto: run where QEMU and the built firmware are, skip the rest loudly; require: a skip fails; skip: do not run").choices(QEMU_MODES).default("auto"))
      .option("--suite <suite>", `run only this suite (${QUALIFY_SUITES.join(", ")}); repeat for several`, collect),
  ).action(async (bundlePath: string, options: QualifyFlags) => {
    const bundle = readInput(bundlePath, "bundle");
    const root = readInput(options.root, "root metadata");
    const baseline = options.baseline === undefined ? undefined : readInput(options.baseline, "baseline bundle");
    const qualifierKey = loadSigningKey(options.qualifierKey);
    const result = await qualifyRelease({
      bundle,
      product: options.product,
      root,
      baseline,
      boards: options.board,
      qualifierKey,
      powerCuts: options.powerCuts,
      qemu: options.qemu,
      suites: options.suite as SuiteName[] | undefined,
      onProgress: (event) => {
        if (!options.json) io.err(`qualify: ${event.suite}${event.board ? ` ${event.board}` : ""}: ${event.message}\n`);
      },
    });
    writeOutput(options.output, `${JSON.stringify(result.envelopes, null, 2)}\n`, options);
    const keyId = hex(qualifierKey.keyId);
    if (options.json) io.out(`${JSON.stringify(jsonReport(result, options.output, keyId))}\n`);
    else io.out(summary(result, options.output, keyId));
    const failed = result.suites.filter((s) => s.result === "fail");
    if (failed.length) {
      throw new RejectedError(`qualification failed: ${failed.map((s) => `${s.suite} (${s.reason})`).join("; ")}; the fail records are in ${options.output}`, "QUALIFICATION_FAILED");
    }
  });
}

function jsonReport(result: QualifyResult, output: string, keyId: string) {
  return {
    ok: result.ok,
    product: result.product,
    targetsVersion: result.targetsVersion,
    targetsMetadataSha256: result.targetsMetadataSha256,
    bundleSha256: result.bundleSha256,
    records: output,
    qualifierKeyId: keyId,
    suites: result.suites.map(({ envelope: _envelope, ...suite }) => suite),
  };
}

function summary(result: QualifyResult, output: string, keyId: string): string {
  const rows = result.suites.map((s) => {
    const boards = s.runs.map((r) => `${r.machine ? `${r.board}@${r.machine}` : r.board} ${r.result}`).join(", ") || "-";
    return `${s.suite.padEnd(14)} ${s.result.padEnd(8)} ${`${(s.durationMs / 1000).toFixed(1)} s`.padStart(8)}  ${boards}${s.result !== "pass" && s.reason ? `\n${"".padEnd(34)}${s.reason}` : ""}`;
  });
  const skipped = result.suites.filter((s) => s.result === "skipped").map((s) => s.suite);
  return [
    `qualification of ${result.product} targets v${result.targetsVersion} (targets metadata sha256:${result.targetsMetadataSha256})`,
    `${"suite".padEnd(14)} ${"result".padEnd(8)} ${"time".padStart(8)}  boards`,
    ...rows,
    `wrote ${output}: ${result.envelopes.length} record(s) signed by qualifier key ${keyId}`,
    ...(skipped.length ? [`NOTE: skipped, no record: ${skipped.join(", ")}; a policy that lists them refuses the production signature`] : []),
    "",
  ].join("\n");
}
