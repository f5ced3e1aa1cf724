// board/native/fixed-memory-bounds.ts may replace wasm2c's `mem->size` with the board's memory
// size (18 KiB of the one page) only where that is the memory's size for the instance's whole
// life: one memory of exactly one page that cannot grow, the module's own, never asked its size,
// all its data below the bound, and wasm2c 1.0.32's check text. Anything else must stop the
// build. Modules are translated with the real wat2wasm and wasm2c, as the board build does.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixMemoryBounds as fixWithBound } from "../board/native/fixed-memory-bounds.js";
import { BOARD_LINEAR_MEMORY_BYTES } from "../board/native/machines.js";

const fixMemoryBounds = (source: string) => fixWithBound(source, BOARD_LINEAR_MEMORY_BYTES);

function wasm2c(wat: string, ...features: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "airlock-bounds-"));
  writeFileSync(join(dir, "m.wat"), wat);
  execFileSync("wat2wasm", [...features, join(dir, "m.wat"), "-o", join(dir, "m.wasm")]);
  execFileSync("wasm2c", [...features, join(dir, "m.wasm"), "--module-name=m", "-o", join(dir, "m.c")]);
  return readFileSync(join(dir, "m.c"), "utf8");
}

const load = `(func (export "f") (param i32) (result i32) (i32.load (local.get 0)))`;

describe("fixed memory bounds rewrite", () => {
  it("bounds a one-page, non-growable memory by the board's constant and keeps the 64-bit sum", () => {
    const source = wasm2c(`(module (memory (export "memory") 1 1) ${load})`);
    const fixed = fixMemoryBounds(source);
    const check = fixed.slice(fixed.indexOf("#define RANGE_CHECK"), fixed.indexOf("TRAP(OOB);"));
    expect(check).toContain("offset + (uint64_t)len > (uint64_t)AIRLOCK_CHECKED_MEMORY_BYTES");
    expect(check).not.toContain("mem->size");
    expect(fixed).toContain(`#define AIRLOCK_CHECKED_MEMORY_BYTES ${BOARD_LINEAR_MEMORY_BYTES}u`);
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

  it("refuses a module that asks memory.size: it would be told of 64 KiB the board does not back", () => {
    const source = wasm2c(`(module (memory (export "memory") 1 1) (func (export "f") (result i32) (memory.size)))`);
    expect(() => fixMemoryBounds(source)).toThrow(/memory.size or memory.grow/);
  });

  it("refuses a module that calls memory.grow, even one that would fail", () => {
    const source = wasm2c(`(module (memory (export "memory") 1 1) (func (export "f") (result i32) (memory.grow (i32.const 0))))`);
    expect(() => fixMemoryBounds(source)).toThrow(/memory.size or memory.grow/);
  });

  it("refuses a data segment that ends above the board's memory, and accepts one ending at it", () => {
    const at = (offset: number) => wasm2c(`(module (memory (export "memory") 1 1) (data (i32.const ${offset}) "12345678") ${load})`);
    expect(() => fixMemoryBounds(at(BOARD_LINEAR_MEMORY_BYTES - 7))).toThrow(/data segment ends at byte 18433/);
    expect(() => fixMemoryBounds(at(BOARD_LINEAR_MEMORY_BYTES - 8))).not.toThrow();
  });

  it("refuses a memory size that is not a multiple of 8 bytes within one page", () => {
    const source = wasm2c(`(module (memory (export "memory") 1 1) ${load})`);
    for (const bad of [0, 65537, 16383, 70000]) expect(() => fixWithBound(source, bad)).toThrow(/multiple of 8 bytes, at most one page/);
    expect(() => fixWithBound(source, 65536)).not.toThrow();
  });
});
