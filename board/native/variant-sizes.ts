// Cortex-M4 code size of each signature-scheme build of the agent (README "Build variants"):
// board/native/Makefile's own agent.o rule (wasm2c, the fixed-memory bounds rewrite, gcc at -O2
// and -Os) run once per variant with WASM and OUT pointed at it, so the figures come from the same
// flags as the shipped firmware. Needs the variants built first (`npm run board:variants` does).
//
//   npx tsx board/native/variant-sizes.ts
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NATIVE_DIR, OPT_LEVELS, requireBoardTools } from "./build.js";
import { objectSizes } from "./sizes.js";
import { generateHeaders } from "./generate-headers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "build", "board-variants");
// agent.o does not depend on the machine (only the firmware around it does).
const MACHINE = "mps2-an386";

const VARIANTS = [
  { name: "both", wasm: "build/agent.wasm" },
  { name: "ed25519", wasm: "build/agent-ed25519.wasm" },
  { name: "p256", wasm: "build/agent-p256.wasm" },
] as const;

requireBoardTools();
const rows: string[] = [];
for (const v of VARIANTS) {
  const wasm = join(ROOT, v.wasm);
  const out = join(OUT, v.name);
  const objects = OPT_LEVELS.map((opt) => join(out, `${MACHINE}-${opt}`, "agent.o"));
  // The Makefile reads its generated inputs (the board memory size among them) from OUT/generated.
  generateHeaders(join(out, "generated"));
  const made = spawnSync("make", ["-s", `WASM=${wasm}`, `OUT=${out}`, ...objects], { cwd: NATIVE_DIR, encoding: "utf8" });
  if (made.error || made.status !== 0) {
    throw new Error(`make for the ${v.name} variant failed (run its npm build:* script first?):\n${made.stdout}${made.stderr}`);
  }
  const text = objects.map((o) => objectSizes(o).text);
  rows.push(`${v.name.padEnd(8)} ${String(statSync(wasm).size).padStart(10)} ${text.map((t) => String(t).padStart(12)).join(" ")}`);
}
console.log(`variant  wasm bytes ${OPT_LEVELS.map((o) => `.text -${o}`.padStart(12)).join(" ")}`);
for (const row of rows) console.log(row);
console.log("\nagent.o from board/native/Makefile's rule (wasm2c, arm-none-eabi-gcc, Cortex-M4), arm-none-eabi-size text.");
