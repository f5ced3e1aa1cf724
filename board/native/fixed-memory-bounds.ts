// Rewrites wasm2c's bounds check in the generated agent.c so it compares against the board's
// linear memory size, a compile-time constant, instead of the `mem->size` field, and forces the
// load/store helpers that hold it inline. The check itself stays: every access past the memory
// traps (WASM_RT_TRAP_OOB).
//
//   npx tsx board/native/fixed-memory-bounds.ts build/board/agent.c 16384   (the Makefile runs it)
//
// The board's memory is short: the module declares one 64 KiB page, but the runtime backs only
// its first BOARD_LINEAR_MEMORY_BYTES (machines.ts, 18 KiB), all the agent ever touches. The
// check compares against that, so an access above it traps exactly as one past the page would,
// and the 46 KiB the agent never uses are not RAM on the board.
//
// Why a constant: wasm2c 1.0.32 checks each access as `addr + len > mem->size` in 64-bit
// arithmetic, with `addr = (u64)base + offset`. On a 32-bit core with a run-time size that is an
// add with carry, a load of the field and a two-word compare per access. With the size a
// constant, GCC knows `(u64)base + offset + len` cannot wrap in 64 bits and that the bound fits
// 32 bits, so it folds the check into a compare with an immediate, and where an earlier check or
// a static address already bounds the base (GCC's value ranges, within and across functions) it
// drops the repeated check entirely. One Ed25519 verification: 1.98 M -> 1.67 M instructions at
// -O2; with the helpers inlined as well, 1.65 M at -O2 and 1.58 M at -Os (from 2.47 M).
//
// Why it is the same check: in this firmware `mem->size` is the constant for the whole life of
// an instance. runtime/wasm-rt-static.c refuses any module whose memory is not exactly one page
// (initial 1, maximum 1), sets the size to the constant and never grows memory, and nothing else
// writes the field while an instance is live (the generated code only reads it; the C embedding
// never writes through Z_agentZ_memory()). This script refuses, instead of rewriting: a module
// that allocates other than one 1-page memory or imports one; one that asks memory.size or
// memory.grow (it would be told 64 KiB, more than exists); one with a data segment above the
// constant; and any wasm2c output whose check is not the text it knows, so a new wasm2c or a
// bigger agent fails the build rather than being checked against the wrong bound.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The declared page: a board's memory may be shorter, never longer. */
const WASM_PAGE_BYTES = 65536;

/** wasm2c 1.0.32's check, exactly as it emits it. */
const WASM2C_RANGE_CHECK = [
  "#define RANGE_CHECK(mem, offset, len)               \\",
  "  if (UNLIKELY(offset + (uint64_t)len > mem->size)) \\",
  "    TRAP(OOB);",
].join("\n");

/**
 * The same check with the size the runtime guarantees: wasm2c's expression, unchanged but for
 * `mem->size` -> 65536. `offset + len` is still computed in 64 bits (offset < 2^33, len < 2^32:
 * it never wraps), so an address whose 32-bit sum carries still traps; GCC narrows the compare
 * itself (`adds; adc; cmp #65537; sbcs; bcs trap`, fewer where an earlier check or a static
 * address bounds the base), a transformation it proves, not us. Measured (helpers not yet
 * forced inline, agent of commit 574aae1) against a hand-split
 * 32-bit form (`(end >> 32) != 0 || (u32)end > 65536`, one instruction shorter per lone check):
 * that one gave 0.7 KB less code at -O2 but 0.1 % (-O2) to 0.6 % (-Os) more instructions per
 * verification and 7 % more per SHA-256 byte, so the simplest form stays. `mem` is no longer
 * evaluated; in the generated code it is `&instance->w2c_memory` or a helper's parameter, never
 * an expression with side effects.
 */
function fixedRangeCheck(memoryBytes: number): string {
  return [
    "/* airlock (board/native/fixed-memory-bounds.ts): the agent's only memory is one page,",
    "   initial = maximum = 1, never grown, of which the runtime backs the first " + memoryBytes + " bytes",
    "   (runtime/wasm-rt-static.c), so mem->size is always that: the same 64-bit test against a",
    "   constant. */",
    `#define AIRLOCK_CHECKED_MEMORY_BYTES ${memoryBytes}u`,
    "#define RANGE_CHECK(mem, offset, len)                                              \\",
    "  if (UNLIKELY(offset + (uint64_t)len > (uint64_t)AIRLOCK_CHECKED_MEMORY_BYTES)) \\",
    "    TRAP(OOB);",
  ].join("\n");
}

/**
 * wasm2c's load and store helpers (both byte-order variants of the macros that define them).
 * At -Os GCC keeps them out of line: a call per access, with the 64-bit address in two
 * registers, and a check that then knows nothing about its caller's address. Forced inline, the
 * check sits next to the access, where GCC can share and drop checks as at -O2. Measured at -Os:
 * Ed25519 verify 2.34 M -> 1.58 M instructions, and 2.7 KB less code (a call with a 64-bit
 * argument is bigger than the check). Inlining changes no behaviour, only where code is.
 */
const WASM2C_ACCESS_HELPERS = [
  "  static inline t3 name(wasm_rt_memory_t* mem, u64 addr) {",
  "  static inline void name(wasm_rt_memory_t* mem, u64 addr, t2 value) {",
];
const INLINE = "static inline __attribute__((always_inline)) ";

const OWN_MEMORY = "&instance->w2c_memory";
const ONE_PAGE_MEMORY = `wasm_rt_allocate_memory(${OWN_MEMORY}, 1, 1);`;
/** A data segment's initialisation: memory, offset, bytes. */
const DATA_SEGMENT = /LOAD_DATA\(instance->w2c_memory, (\d+)u, \w+, (\d+)\);/g;
/** memory.size reads the page count; memory.grow calls the runtime. Neither may appear in code. */
const MEMORY_QUERIES = ["instance->w2c_memory.pages", "wasm_rt_grow_memory(&instance->w2c_memory"];

/** A call of a generated memory helper (load, store, bulk memory) and its first two arguments. */
const MEMORY_ACCESS = /\b([if](?:32|64)_(?:load|store)\w*|memory_(?:fill|copy|init))\(([^,]+,[^,]+),/g;

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** The generated C with the constant-bound check; throws, saying why, if it cannot be proven. */
export function fixMemoryBounds(source: string, memoryBytes: number): string {
  if (!Number.isInteger(memoryBytes) || memoryBytes < 8 || memoryBytes > WASM_PAGE_BYTES || memoryBytes % 8 !== 0) {
    throw new Error(`memory size ${memoryBytes}: it must be a multiple of 8 bytes, at most one page (${WASM_PAGE_BYTES})`);
  }
  if (count(source, WASM2C_RANGE_CHECK) !== 1) {
    throw new Error(
      "agent.c does not contain wasm2c 1.0.32's RANGE_CHECK exactly once: the generator changed. " +
        "Check the new bounds-check code by hand and update board/native/fixed-memory-bounds.ts.",
    );
  }
  const allocations = count(source, "wasm_rt_allocate_memory(");
  if (allocations !== 1 || count(source, ONE_PAGE_MEMORY) !== 1) {
    throw new Error(
      `the module must define exactly one memory of one page, initial and maximum ("${ONE_PAGE_MEMORY}"); ` +
        `found ${allocations} memory allocation(s). A constant bound would be wrong: keep wasm2c's check.`,
    );
  }
  // Every access must go to that memory: an imported or second memory would be passed as
  // another argument, and its size is not ours to fix.
  const others = new Set<string>();
  for (const call of source.matchAll(MEMORY_ACCESS)) {
    const args = call[2]!.split(",").map((a) => a.trim());
    if (args[0]!.includes("wasm_rt_memory_t")) continue; // the helper's own definition
    const memories = call[1] === "memory_copy" ? args.slice(0, 2) : args.slice(0, 1);
    for (const m of memories) if (m !== OWN_MEMORY) others.add(m);
  }
  if (others.size > 0) {
    throw new Error(`agent.c accesses memories other than ${OWN_MEMORY} (${[...others].join(", ")}): a constant bound would be wrong`);
  }
  for (const query of MEMORY_QUERIES) {
    if (source.includes(query)) {
      throw new Error(`the module uses memory.size or memory.grow ("${query}"): it would be told of a page the board does not back`);
    }
  }
  for (const segment of source.matchAll(DATA_SEGMENT)) {
    const end = Number(segment[1]) + Number(segment[2]);
    if (end > memoryBytes) {
      throw new Error(
        `a data segment ends at byte ${end}, above the board's ${memoryBytes}-byte memory: ` +
          "the agent grew; raise BOARD_LINEAR_MEMORY_BYTES in board/native/machines.ts or shrink its statics",
      );
    }
  }
  let fixed = source.replace(WASM2C_RANGE_CHECK, fixedRangeCheck(memoryBytes));
  for (const helper of WASM2C_ACCESS_HELPERS) {
    if (count(fixed, helper) !== 2) {
      throw new Error(`agent.c does not define its load/store helpers as wasm2c 1.0.32 does ("${helper.trim()}" twice): update board/native/fixed-memory-bounds.ts`);
    }
    fixed = fixed.replaceAll(helper, helper.replace("static inline ", INLINE));
  }
  return fixed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [path, bytes] = process.argv.slice(2);
  if (!path || !bytes || !/^\d+$/.test(bytes)) {
    throw new Error("usage: fixed-memory-bounds.ts <agent.c> <memory bytes>  (rewritten in place)");
  }
  writeFileSync(path, fixMemoryBounds(readFileSync(path, "utf8"), Number(bytes)));
}
