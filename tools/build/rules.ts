// The validation rules of a build, run by `airlock build` on every build and again by the signer
// on the artifacts themselves (never on a requester's word). Each failure names the rule, the
// target and the evidence (the symbol and its address, the offset of a string, the sizes), so a
// refused build says exactly what to remove.
import type { BuildDescription } from "./description.js";
import { EM_ARM, EM_RISCV, symbolBytes, type ElfFile } from "./elf.js";

export interface RuleFailure {
  rule: string;
  target: string;
  evidence: string;
}

export interface TargetArtifact {
  name: string;
  /** The slot image (from the ELF, or the binary as given). */
  image: Uint8Array;
  /** The ELF it came from, when it came from one. */
  elf?: ElfFile;
  /** The ELF's lowest load address. */
  loadAddress?: number;
  /** The slot it must fit, from the board. */
  slotSize: number;
}

const MACHINES = { arm: EM_ARM, riscv: EM_RISCV } as const;
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

export function validateTarget(description: BuildDescription, artifact: TargetArtifact): RuleFailure[] {
  const failures: RuleFailure[] = [];
  const fail = (rule: string, evidence: string) => failures.push({ rule, target: artifact.name, evidence });
  const input = description.targets[artifact.name];
  const user = description.buildType === "user";
  const rules = description.rules ?? {};

  if (artifact.image.length > artifact.slotSize) fail("fits-slot", `image ${artifact.image.length} bytes, slot ${artifact.slotSize} bytes`);
  const elf = artifact.elf;
  if (elf) {
    const machine = MACHINES[description.machine ?? "arm"];
    if (elf.machine !== machine) fail("machine", `ELF e_machine ${elf.machine}, the board needs ${machine} (${description.machine ?? "arm"})`);
    const start = artifact.loadAddress ?? 0;
    const entry = elf.machine === EM_ARM ? elf.entry & ~1 : elf.entry;
    if (entry < start || entry >= start + artifact.image.length) {
      fail("entry-point", `entry ${hex(elf.entry)} lies outside the image ${hex(start)}..${hex(start + artifact.image.length)}`);
    }
    if (elf.machine === EM_ARM && (elf.entry & 1) === 0) fail("entry-point", `entry ${hex(elf.entry)} is not a Thumb address (Cortex-M runs Thumb only)`);
    if (input?.loadAddress !== undefined && artifact.loadAddress !== input.loadAddress) {
      fail("load-address", `linked to load at ${hex(artifact.loadAddress ?? 0)}, the slot is at ${hex(input.loadAddress)}`);
    }
    for (const required of rules.requiredSymbols ?? []) {
      if (!elf.symbols.some((s) => matches(required, s.name))) fail("required-symbol", `no symbol ${required}`);
    }
    if (user) {
      for (const forbidden of rules.forbiddenSymbols ?? []) {
        for (const s of elf.symbols.filter((sym) => matches(forbidden, sym.name))) {
          fail("forbidden-symbol", `${s.name} at ${hex(s.value)} (matches ${forbidden})`);
        }
      }
      if (rules.maxLogLevel) {
        const { symbol, max } = rules.maxLogLevel;
        const s = elf.symbols.find((sym) => sym.name === symbol);
        const bytes = s ? symbolBytes(elf, s, 4) : undefined;
        if (!s) fail("max-log-level", `no symbol ${symbol} to read the log level from`);
        else if (!bytes) fail("max-log-level", `${symbol} at ${hex(s.value)} has no initial value in the image (in .bss: 0?)`);
        else {
          const level = Buffer.from(bytes).readInt32LE(0);
          if (level > max) fail("max-log-level", `${symbol} at ${hex(s.value)} is ${level}, at most ${max} allowed`);
        }
      }
    }
  } else if (rules.requiredSymbols?.length || (user && (rules.forbiddenSymbols?.length || rules.maxLogLevel))) {
    // A raw binary has no symbols: symbol rules cannot be checked on it, so they cannot pass.
    fail("symbols-unavailable", "a raw binary target has no symbol table; give the ELF instead");
  }
  if (user) {
    for (const text of rules.forbiddenStrings ?? []) {
      const at = Buffer.from(artifact.image).indexOf(Buffer.from(text, "utf8"));
      if (at >= 0) fail("forbidden-string", `"${text}" at image offset ${at}${artifact.loadAddress !== undefined ? ` (address ${hex(artifact.loadAddress + at)})` : ""}`);
    }
  }
  return failures;
}
