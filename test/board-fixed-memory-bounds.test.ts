// board/native/fixed-memory-bounds.ts may replace wasm2c's `mem->size` with 65536 only where
// that is the memory's size for the instance's whole life: one memory of exactly one page that
// cannot grow, the module's own, and wasm2c 1.0.32's check text. Anything else must stop the
// build. Modules are translated with the real wat2wasm and wasm2c, as the board build does.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixMemoryBounds } from "../board/native/fixed-memory-bounds.js";

function wasm2c(wat: string, ...features: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "airlock-bounds-"));
  writeFileSync(join(dir, "m.wat"), wat);
  execFileSync("wat2wasm", [...features, join(dir, "m.wat"), "-o", join(dir, "m.wasm")]);
  execFileSync("wasm2c", [...features, join(dir, "m.wasm"), "--module-name=m", "-o", join(dir, "m.c")]);
  return readFileSync(join(dir, "m.c"), "utf8");
}

const load = `(func (export "f") (param i32) (result i32) (i32.load (local.get 0)))`;

describe("fixed memory bounds rewrite", () => {
  it("bounds a one-page, non-growable memory by the constant 65536 and keeps the 64-bit sum", () => {
    const source = wasm2c(`(module (memory (export "memory") 1 1) ${load})`);
    const fixed = fixMemoryBounds(source);
    const check = fixed.slice(fixed.indexOf("#define RANGE_CHECK"), fixed.indexOf("TRAP(OOB);"));
    expect(check).toContain("offset + (uint64_t)len > (uint64_t)AIRLOCK_LINEAR_MEMORY_BYTES");
    expect(check).not.toContain("mem->size");
    expect(fixed).toContain("#define AIRLOCK_LINEAR_MEMORY_BYTES 65536u");
    // The load/store helpers are forced inline (both byte-order variants); nothing else changed.
    expect(fixed.match(/static inline __attribute__\(\(always_inline\)\) (t3|void) name\(wasm_rt_memory_t\* mem, u64 addr/g)).toHaveLength(4);
    const withoutChanges = (c: string) =>
      c.replace(/\/\* airlock[\s\S]*?TRAP\(OOB\);/, "").replace(/#define RANGE_CHECK[\s\S]*?TRAP\(OOB\);/, "").replaceAll("__attribute__((always_inline)) ", "");
    expect(withoutChanges(fixed)).toBe(withoutChanges(source));
  });

  it("refuses load/store helpers that are not defined as wasm2c 1.0.32 defines them", () => {
    const source = wasm2c(`(module (memory (export "memory") 1 1) ${load})`).replaceAll(
      "static inline t3 name(", "static t3 name(",
    );
    expect(() => fixMemoryBounds(source)).toThrow(/load\/store helpers/);
  });

  it("refuses a memory that may grow past one page", () => {
    expect(() => fixMemoryBounds(wasm2c(`(module (memory (export "memory") 1 2) ${load})`))).toThrow(/exactly one memory of one page/);
  });

  it("refuses a memory of more than one page", () => {
    expect(() => fixMemoryBounds(wasm2c(`(module (memory (export "memory") 2 2) ${load})`))).toThrow(/exactly one memory of one page/);
  });

  it("refuses a module without a memory of its own (an imported one's size is not ours)", () => {
    const source = wasm2c(`(module (import "env" "memory" (memory 1 1)) ${load})`);
    expect(() => fixMemoryBounds(source)).toThrow(/exactly one memory of one page.*found 0/);
  });

  it("refuses a second memory, even when the module's own is one page", () => {
    const source = wasm2c(
      `(module (memory (export "memory") 1 1) (memory 1 1)
         (func (export "f") (param i32) (result i32) (i32.load 1 (local.get 0))))`,
      "--enable-multi-memory",
    );
    expect(() => fixMemoryBounds(source)).toThrow(/exactly one memory of one page.*found 2/);
  });

  it("refuses accesses to an imported memory next to its own one-page memory", () => {
    const source = wasm2c(
      `(module (import "env" "mem" (memory 1 1)) (memory (export "memory") 1 1)
         (func (export "f") (param i32) (result i32) (i32.load 0 (local.get 0))))`,
      "--enable-multi-memory",
    );
    expect(() => fixMemoryBounds(source)).toThrow(/accesses memories other than &instance->w2c_memory/);
  });

  it("refuses generated code whose check is not wasm2c 1.0.32's", () => {
    const source = wasm2c(`(module (memory (export "memory") 1 1) ${load})`).replace("> mem->size))", ">= mem->size))");
    expect(() => fixMemoryBounds(source)).toThrow(/RANGE_CHECK exactly once/);
  });
});
