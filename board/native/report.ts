// Measures the agent on the emulated Cortex-M4 boards and prints the table that board/README.md
// carries: code size, static RAM and peak stack at -O2 and -Os, and instructions per SHA-256
// byte, per SHA-512 byte and per Ed25519 verification. Needs `npm run board:build` first.
//
//   npx tsx board/native/report.ts        (npm run board:bench)
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { QEMU_MACHINES } from "./machines.js";
import { runFirmware } from "./qemu.js";
import { findLine, numberField } from "./output.js";
import { agentFootprint } from "./sizes.js";

const BUILD = fileURLToPath(new URL("../../build/board/", import.meta.url));
const OPTS = ["O2", "Os"];

export interface BenchFigures {
  machine: string;
  opt: string;
  agentText: number;
  agentRam: number;
  embeddingText: number;
  embeddingRam: number;
  sha256PerByte: number;
  sha512PerByte: number;
  ed25519Verify: number | null;
  p256Verify: number | null;
  stackPeak: number;
}

export function measure(machine: string, opt: string, variant = ""): BenchFigures {
  const dir = join(BUILD, `${machine}-${opt}${variant}`);
  const elf = join(dir, "bench.elf");
  if (!existsSync(elf)) throw new Error(`${elf} is missing: run \`npm run board:build\` first`);
  const run = runFirmware(machine, elf);
  if (run.exitCode !== 0) {
    throw new Error(`bench on ${machine} (${opt}) failed (exit ${run.exitCode}):\n${run.lines.join("\n")}\n${run.stderr}`);
  }
  const footprint = agentFootprint(dir);
  const sha256 = findLine(run.lines, "bench", "sha256");
  const sha512 = findLine(run.lines, "bench", "sha512");
  const verify = run.lines.some((l) => l.startsWith("bench ed25519-verify ")) ? findLine(run.lines, "bench", "ed25519-verify") : null;
  const p256 = run.lines.some((l) => l.startsWith("bench p256-verify ")) ? findLine(run.lines, "bench", "p256-verify") : null;
  const stacks = [sha256, sha512, ...(verify ? [verify] : [])].map((l) => numberField(l, "stack"));
  return {
    machine,
    opt,
    agentText: footprint.agent.text,
    agentRam: footprint.agent.data + footprint.agent.bss,
    embeddingText: footprint.embedding.text,
    embeddingRam: footprint.embedding.data + footprint.embedding.bss,
    sha256PerByte: numberField(sha256, "per-byte-x100") / 100,
    sha512PerByte: numberField(sha512, "per-byte-x100") / 100,
    ed25519Verify: verify ? numberField(verify, "instructions") : null,
    p256Verify: p256 ? numberField(p256, "instructions") : null,
    stackPeak: Math.max(...stacks),
  };
}

function table(rows: BenchFigures[]): string {
  const header = [
    "machine", "opt", "agent text", "agent data+bss", "runtime+glue text", "runtime+glue data+bss",
    "peak stack", "SHA-256 instr/byte", "SHA-512 instr/byte", "Ed25519 verify instr", "P-256 verify instr",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.machine, `-${r.opt}`, r.agentText, r.agentRam, r.embeddingText, r.embeddingRam, r.stackPeak,
        r.sha256PerByte.toFixed(1), r.sha512PerByte.toFixed(1),
        r.ed25519Verify === null ? "n/a" : `${(r.ed25519Verify / 1e6).toFixed(3)} M`,
        r.p256Verify === null ? "n/a" : `${(r.p256Verify / 1e6).toFixed(2)} M`,
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows: BenchFigures[] = [];
  for (const machine of Object.keys(QEMU_MACHINES)) for (const opt of OPTS) rows.push(measure(machine, opt));
  console.log(table(rows));
  for (const machine of Object.keys(QEMU_MACHINES)) {
    const plain = agentFootprint(join(BUILD, `${machine}-Os`)).agent;
    const link = agentFootprint(join(BUILD, `${machine}-Os-link`)).agent;
    console.log(
      `link variant on ${machine} (-Os, build/agent-link.wasm through wasm2c): agent text ${link.text} bytes ` +
        `(+${link.text - plain.text} over ${plain.text} without the link), data+bss ${link.data + link.bss}`,
    );
  }
  console.log(
    "\nBytes from arm-none-eabi-size; stack by painting; instructions by QEMU -icount and a board timer " +
      "(board/README.md). Reference, same method on mps2-an386: Monocypher 4 Ed25519 verify 1.65 M (-O2), " +
      "SHA-512 96.8/byte, plain C SHA-256 52/byte.",
  );
}
