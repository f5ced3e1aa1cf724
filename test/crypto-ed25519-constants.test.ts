// The constants compiled into the agent's Ed25519 code, checked against their derivation from
// RFC 8032 §5.1 (test/vectors/ed25519-constants.ts) — so a mistyped limb cannot hide.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { D, SQRT_M1, P, limbs, baseTable, BASE_WINDOW } from "./vectors/ed25519-constants.js";

const source = (file: string) => readFileSync(new URL(`../assembly/crypto/${file}`, import.meta.url), "utf8");

/** The integers inside `memory.data<i32>([ ... ])` following `name` in an AssemblyScript file. */
function dataArray(text: string, name: string): number[] {
  const start = text.indexOf(`const ${name}`);
  expect(start, `${name} not found`).toBeGreaterThanOrEqual(0);
  const open = text.indexOf("[", start);
  const close = text.indexOf("]", open);
  return text.slice(open + 1, close).replace(/\/\/[^\n]*/g, "").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
}

describe("Ed25519 constants in assembly/crypto", () => {
  const field = source("field.ts");
  it("FE_D is d = -121665/121666 mod p", () => expect(dataArray(field, "FE_D:")).toEqual(limbs(D)));
  it("FE_D2 is 2d mod p", () => expect(dataArray(field, "FE_D2")).toEqual(limbs((2n * D) % P)));
  it("FE_SQRT_M1 is a square root of -1 mod p", () => {
    expect((SQRT_M1 * SQRT_M1) % P).toBe(P - 1n);
    expect(dataArray(field, "FE_SQRT_M1")).toEqual(limbs(SQRT_M1));
  });
  it("BASE_TABLE holds (y+x, y-x, 2dxy) of the odd multiples of B up to the window", () => {
    const table = source("base-table.ts");
    expect(table).toContain(`BASE_WINDOW: u32 = ${BASE_WINDOW};`);
    expect(dataArray(table, "BASE_TABLE")).toEqual(baseTable().flat());
  });
});
