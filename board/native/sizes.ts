// Code and static RAM of the agent's parts in a built firmware, read from the object files with
// arm-none-eabi-size (Berkeley format: text includes read-only data, data is initialised RAM
// whose initial values also occupy flash, bss is zeroed RAM).
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export interface SectionSizes {
  text: number;
  data: number;
  bss: number;
}

export function objectSizes(path: string): SectionSizes {
  const out = execFileSync("arm-none-eabi-size", ["-B", path], { encoding: "utf8" });
  const row = out.trim().split("\n")[1]?.trim().split(/\s+/);
  if (!row || row.length < 3) throw new Error(`arm-none-eabi-size printed nothing usable for ${path}:\n${out}`);
  return { text: Number(row[0]), data: Number(row[1]), bss: Number(row[2]) };
}

function sum(parts: SectionSizes[]): SectionSizes {
  return parts.reduce((a, b) => ({ text: a.text + b.text, data: a.data + b.data, bss: a.bss + b.bss }), {
    text: 0,
    data: 0,
    bss: 0,
  });
}

/** The agent as wasm2c emits it, and what a firmware adds to run it. */
export interface AgentFootprint {
  /** agent.o: the translated module (code, data segments, function-type table). */
  agent: SectionSizes;
  /** wasm-rt-static.o + flash-port.o + agent-instance.o: the static runtime (incl. the 18 KiB
   *  short linear memory), the flash import glue and the instance struct. */
  embedding: SectionSizes;
}

export function agentFootprint(buildDir: string): AgentFootprint {
  return {
    agent: objectSizes(join(buildDir, "agent.o")),
    embedding: sum(
      ["runtime/wasm-rt-static.o", "flash/flash-port.o", "app/agent-instance.o"].map((o) => objectSizes(join(buildDir, o))),
    ),
  };
}
