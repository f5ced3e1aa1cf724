// A per-function instruction profile of a firmware run, from QEMU's own execution log: every
// translated block's instruction count (-d in_asm) times the times it ran (-d exec, nochain so
// each block execution is logged). Counting starts at the first entry into START_SYMBOL and
// stops at the next entry into STOP_SYMBOL, so one call can be profiled inside a larger run.
//
//   npx tsx board/native/profile.ts MACHINE ELF START_SYMBOL STOP_SYMBOL [WAT]
//
// With the module's text file (build/agent.wat), wasm2c's numbered functions (w2c_f12) are
// shown with their AssemblyScript names. The log is large (~100 MB per 10 M instructions).
import { spawnSync } from "node:child_process";
import { createReadStream, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { qemuArgs } from "./qemu.js";

/** w2c_f<N> -> the N-th function's name in the .wat (imports count first, as in the index space). */
function watNames(watPath: string | undefined): Map<string, string> {
  const names = new Map<string, string>();
  if (!watPath) return names;
  const wat = readFileSync(watPath, "utf8");
  let index = 0;
  for (const match of wat.matchAll(/^\s*\((?:import "[^"]*" "[^"]*" \(func|func) \$([^\s()]+)/gm)) {
    names.set(`w2c_f${index}`, match[1]!);
    index++;
  }
  return names;
}

async function main(): Promise<void> {
  const [machine, elf, startSymbol, stopSymbol, wat] = process.argv.slice(2);
  if (!machine || !elf || !startSymbol || !stopSymbol) {
    console.error("usage: tsx board/native/profile.ts MACHINE ELF START_SYMBOL STOP_SYMBOL [WAT]");
    process.exit(2);
  }
  const log = join(tmpdir(), `airlock-profile-${process.pid}.log`);
  const run = spawnSync("qemu-system-arm", [...qemuArgs(machine, elf), "-d", "in_asm,exec,nochain", "-D", log], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`QEMU failed (${run.status}): ${run.stdout}${run.stderr}`);

  const blockSize = new Map<string, number>(); // block start pc -> instructions (latest translation)
  const perFunction = new Map<string, number>();
  let translating: string | null = null;
  let counting = false;
  let done = false;
  let total = 0;
  const lines = createInterface({ input: createReadStream(log) });
  for await (const line of lines) {
    if (done) break;
    if (line.startsWith("IN:")) {
      translating = null;
      continue;
    }
    const insn = /^0x([0-9a-f]+):\s/.exec(line);
    if (insn) {
      if (translating === null) {
        translating = String(parseInt(insn[1]!, 16));
        blockSize.set(translating, 0);
      }
      blockSize.set(translating, blockSize.get(translating)! + 1);
      continue;
    }
    const trace = /^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+\/([0-9a-f]+)\/[0-9a-f]+\/[0-9a-f]+\] (\S+)/.exec(line);
    if (!trace) continue;
    translating = null;
    const pc = String(parseInt(trace[1]!, 16));
    const symbol = trace[2]!;
    if (!counting && symbol === startSymbol) counting = true;
    else if (counting && symbol === stopSymbol) {
      done = true;
      break;
    }
    if (!counting) continue;
    const size = blockSize.get(pc) ?? 0;
    perFunction.set(symbol, (perFunction.get(symbol) ?? 0) + size);
    total += size;
  }
  lines.close();
  rmSync(log, { force: true });

  const names = watNames(wat);
  console.log(`${total} instructions from ${startSymbol} to ${stopSymbol} on ${machine}`);
  for (const [symbol, count] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    const name = names.get(symbol) ?? "";
    console.log(`${count.toString().padStart(10)}  ${(100 * count / total).toFixed(1).padStart(5)}%  ${symbol} ${name}`);
  }
}

await main();
