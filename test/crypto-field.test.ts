// The arithmetic under Ed25519, one function at a time, against BigInt: field elements at the
// edges of their limb bounds (field.ts's stated invariant), canonical encoding of every value
// near p, and scalars at the edges of L. The functions are compiled into a small test module
// from the same sources as the agent (build/crypto-field-test.wasm).
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { P } from "./vectors/ed25519-constants.js";
import { L, bytes32, number } from "./vectors/ed25519-reference.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const ENTRY = `
import { fe_frombytes, fe_tobytes, fe_mul, fe_sq, fe_sqn, fe_invert, fe_pow22523, fe_isnegative, fe_iszero, fe_add_sub, fe_add_twice, FE_MUL_F_LIMB_MAX, FE_MUL_G_LIMB_MAX } from "../assembly/crypto/field";
import { sc_reduce64, sc_is_canonical, sc_wnaf } from "../assembly/crypto/scalar";
const buf: usize = memory.data(1024, 16);
export function scratch(): usize { return buf; }
// Field elements as limbs: inputs at buf and buf + 64, output at buf + 128; bytes at buf + 192.
export function frombytes(): void { fe_frombytes(buf + 128, buf + 192); }
export function tobytes(): void { fe_tobytes(buf + 192, buf); }
export function mul(): void { fe_mul(buf + 128, buf, buf + 64); }
export function sq(): void { fe_sq(buf + 128, buf); }
export function sqn(n: i32): void { fe_sqn(buf + 128, buf, n); }
// The butterfly in place: sum over the first input, difference over the second.
export function addSubInPlace(): void { fe_add_sub(buf, buf + 64, buf, buf + 64); }
export function addTwice(): void { fe_add_twice(buf + 128, buf, buf + 64); }
export function invert(): void { fe_invert(buf + 128, buf); }
export function pow22523(): void { fe_pow22523(buf + 128, buf); }
export function isnegative(): i32 { return fe_isnegative(buf); }
export function iszero(): i32 { return fe_iszero(buf); }
// The stated limb bounds, read from field.ts so the test probes exactly those edges.
export function mulFLimbMax(): i32 { return FE_MUL_F_LIMB_MAX; }
export function mulGLimbMax(): i32 { return FE_MUL_G_LIMB_MAX; }
// Scalars: 64-byte input at buf + 256, output at buf + 320; wNAF digits at buf + 512.
export function reduce64(): void { sc_reduce64(buf + 320, buf + 256); }
export function isCanonical(): i32 { return sc_is_canonical(buf + 256); }
export function wnaf(w: u32): void { sc_wnaf(buf + 512, buf + 256, w); }
`;

interface FieldTest {
  memory: WebAssembly.Memory; scratch(): number;
  frombytes(): void; tobytes(): void; mul(): void; sq(): void; sqn(n: number): void; addSubInPlace(): void; addTwice(): void; invert(): void; pow22523(): void;
  isnegative(): number; iszero(): number; reduce64(): void; isCanonical(): number; wnaf(w: number): void;
  mulFLimbMax(): number; mulGLimbMax(): number;
}

let x: FieldTest;
let limbsIn: [Int32Array, Int32Array];
let limbsOut: Int32Array;
let bytesOut: Uint8Array;
let scalarIn: Uint8Array;
let scalarOut: Uint8Array;
let digits: Int8Array;

beforeAll(async () => {
  writeFileSync(`${root}build/crypto-field-test.entry.ts`, ENTRY);
  execFileSync(`${root}node_modules/.bin/asc`, ["crypto-field-test.entry.ts", "-o", "crypto-field-test.wasm",
    "--optimizeLevel", "3", "--noAssert", "--runtime", "stub", "--initialMemory", "1", "--maximumMemory", "1", "--use", "abort="],
  { cwd: `${root}build`, stdio: ["ignore", "ignore", "pipe"] });
  const { instance } = await WebAssembly.instantiate(readFileSync(`${root}build/crypto-field-test.wasm`), {});
  x = instance.exports as unknown as FieldTest;
  const base = x.scratch();
  const buffer = x.memory.buffer;
  limbsIn = [new Int32Array(buffer, base, 10), new Int32Array(buffer, base + 64, 10)];
  limbsOut = new Int32Array(buffer, base + 128, 10);
  bytesOut = new Uint8Array(buffer, base + 192, 32);
  scalarIn = new Uint8Array(buffer, base + 256, 64);
  scalarOut = new Uint8Array(buffer, base + 320, 32);
  digits = new Int8Array(buffer, base + 512, 256);
}, 120_000);

const START = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230];
const mod = (a: bigint, m = P) => ((a % m) + m) % m;
const modPow = (base: bigint, e: bigint) => {
  let result = 1n;
  for (let b = mod(base); e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P;
  return result;
};
const valueOf = (limbs: ArrayLike<number>) => Array.from(limbs).reduce((v, l, i) => v + (BigInt(l) << BigInt(START[i]!)), 0n);
const canonicalLimbs = (v: bigint) => START.map((s, i) => Number((v >> BigInt(s)) & ((1n << BigInt(i & 1 ? 25 : 26)) - 1n)));
const randomBig = (bits: number) => number(randomBytes(Math.ceil(bits / 8))) & ((1n << BigInt(bits)) - 1n);

/** Limbs at or near a bound, either sign, or random within it. */
function extremeLimbs(bound: number): number[] {
  return Array.from({ length: 10 }, () => {
    const r = Math.random();
    const magnitude = r < 0.4 ? bound : r < 0.6 ? bound - Math.floor(Math.random() * 1000) : Math.floor(Math.random() * bound);
    return Math.random() < 0.5 ? -magnitude : magnitude;
  });
}
/** Every limb at the bound with the same sign: the largest partial sums, the worst case for i64. */
const saturated = (bound: number, sign: number) => new Array<number>(10).fill(sign * bound);
const I32_MAX = 2 ** 31 - 1;
/** One term = one carried element (field.ts): |even limb| <= 1.01 * 2^25, |odd| <= 1.01 * 2^24. */
const TERM_EVEN = 1.01 * 2 ** 25;
function expectCarried(limbs: Int32Array) {
  // field.ts "carried": |even| <= 1.01 * 2^25, |odd| <= 1.01 * 2^24.
  limbs.forEach((l, i) => expect(Math.abs(l), `limb ${i}`).toBeLessThanOrEqual(1.01 * 2 ** (i & 1 ? 24 : 25)));
}

describe("field arithmetic mod p = 2^255 - 19", () => {
  it("encodes every value near 0, p and 2^255 canonically (fe_tobytes), from any limb representation", () => {
    const values: bigint[] = [];
    for (let k = 0n; k < 40n; k++) values.push(k, P - 1n - k, P + k, 2n ** 255n - 1n - k);
    for (let i = 0; i < 200; i++) values.push(randomBig(255));
    for (const v of values) {
      limbsIn[0].set(canonicalLimbs(v & ((1n << 255n) - 1n)));
      x.tobytes();
      expect(number(bytesOut), `value ${v}`).toBe(mod(v & ((1n << 255n) - 1n)));
    }
    // fe_tobytes takes any i32 limbs (field.ts).
    for (let i = 0; i < 2000; i++) {
      const limbs = i < 2 ? saturated(I32_MAX, i ? -1 : 1) : extremeLimbs(I32_MAX);
      limbsIn[0].set(limbs);
      x.tobytes();
      expect(number(bytesOut)).toBe(mod(valueOf(limbs)));
    }
  });

  it("decodes 255 bits and ignores the top bit (fe_frombytes)", () => {
    for (let i = 0; i < 500; i++) {
      const v = i < 3 ? [0n, 2n ** 256n - 1n, P][i]! : randomBig(256);
      bytesOut.set(bytes32(v));
      x.frombytes();
      expect(Array.from(limbsOut)).toEqual(canonicalLimbs(v & ((1n << 255n) - 1n)));
    }
  });

  it("states operand bounds that hold the terms point.ts passes: g and squares three, f four", () => {
    expect(3 * TERM_EVEN).toBeLessThanOrEqual(x.mulGLimbMax());
    expect(4 * TERM_EVEN).toBeGreaterThan(x.mulGLimbMax()); // hence the four-term F goes in as f
    expect(4 * TERM_EVEN).toBeLessThanOrEqual(x.mulFLimbMax());
    expect(19 * x.mulGLimbMax()).toBeLessThanOrEqual(I32_MAX);
  });

  it("multiplies (f and g at their own bounds) and squares correctly with limbs at the edges, output carried", () => {
    const [fMax, gMax] = [x.mulFLimbMax(), x.mulGLimbMax()];
    for (let i = 0; i < 3000; i++) {
      // The first four rounds saturate every limb (all four sign combinations), then at random.
      const [f, g] = i < 4
        ? [saturated(fMax, i & 1 ? -1 : 1), saturated(gMax, i & 2 ? -1 : 1)]
        : [extremeLimbs(fMax), extremeLimbs(gMax)];
      limbsIn[0].set(f);
      limbsIn[1].set(g);
      x.mul();
      expect(mod(valueOf(limbsOut))).toBe(mod(valueOf(f) * valueOf(g)));
      expectCarried(limbsOut);
      // Squares take g's bound.
      limbsIn[0].set(g);
      x.sq();
      expect(mod(valueOf(limbsOut))).toBe(mod(valueOf(g) ** 2n));
      expectCarried(limbsOut);
    }
  });

  it("squares n times in a row (fe_sqn) from limbs at fe_sq's bound", () => {
    for (const n of [1, 2, 3, 10, 50]) {
      for (let i = 0; i < 40; i++) {
        const f = i < 2 ? saturated(x.mulGLimbMax(), i ? -1 : 1) : extremeLimbs(x.mulGLimbMax());
        limbsIn[0].set(f);
        x.sqn(n);
        expect(mod(valueOf(limbsOut))).toBe(modPow(valueOf(f), 2n ** BigInt(n)));
        expectCarried(limbsOut);
      }
    }
  });

  it("adds and subtracts limb by limb in one pass, outputs over the inputs (fe_add_sub, fe_add_twice)", () => {
    for (let i = 0; i < 200; i++) {
      const [f, g] = [extremeLimbs(2 ** 29), extremeLimbs(2 ** 29)];
      limbsIn[0].set(f);
      limbsIn[1].set(g);
      x.addTwice();
      expect(Array.from(limbsOut)).toEqual(f.map((l, k) => 2 * l + g[k]!));
      x.addSubInPlace();
      expect(Array.from(limbsIn[0])).toEqual(f.map((l, k) => l + g[k]!));
      expect(Array.from(limbsIn[1])).toEqual(f.map((l, k) => l - g[k]!));
    }
  });

  it("has exact bounds: one past the g bound, 19 g wraps in i32 and the result is wrong", () => {
    const over = x.mulGLimbMax() + 1;
    // f = 2^26 (limb 1), g = over * 2^230 (limb 9): the only product is 2 f1 * 19 g9, in limb 0.
    const f = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    const g = [0, 0, 0, 0, 0, 0, 0, 0, 0, over];
    limbsIn[0].set(f);
    limbsIn[1].set(g);
    x.mul();
    expect(mod(valueOf(limbsOut))).not.toBe(mod(valueOf(f) * valueOf(g)));
    limbsIn[0].set(g);
    x.sq();
    expect(mod(valueOf(limbsOut))).not.toBe(mod(valueOf(g) ** 2n));
  });

  it("inverts and raises to (p-5)/8", () => {
    for (let i = 0; i < 30; i++) {
      const v = i === 0 ? 1n : i === 1 ? P - 1n : mod(randomBig(255));
      limbsIn[0].set(canonicalLimbs(v));
      x.invert();
      expect(mod(valueOf(limbsOut) * v)).toBe(1n);
      x.pow22523();
      let expected = 1n;
      for (let e = (P - 5n) / 8n, b = v; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) expected = (expected * b) % P;
      expect(mod(valueOf(limbsOut))).toBe(expected);
    }
    limbsIn[0].set(new Array(10).fill(0));
    x.invert();
    expect(mod(valueOf(limbsOut))).toBe(0n); // 0 has no inverse: 0^(p-2) = 0, no trap
  });

  it("tells zero and the sign (parity) of the canonical value, for non-canonical limbs too", () => {
    for (const v of [0n, P, 1n, P + 1n, P - 1n, 2n]) {
      limbsIn[0].set(canonicalLimbs(v));
      expect(x.iszero()).toBe(mod(v) === 0n ? 1 : 0);
      expect(x.isnegative()).toBe(Number(mod(v) & 1n));
    }
  });
});

describe("scalars mod L", () => {
  it("reduces 64-byte numbers mod L (sc_reduce64), at the edges and at random", () => {
    const values = [0n, 1n, L - 1n, L, L + 1n, 2n * L, 2n ** 252n, 2n ** 256n - 1n, 2n ** 512n - 1n, (2n ** 512n / L) * L, (2n ** 512n / L) * L - 1n];
    for (let i = 0; i < 1000; i++) values.push(randomBig(512));
    for (const v of values) {
      scalarIn.set(bytes32(v & (2n ** 256n - 1n)), 0);
      scalarIn.set(bytes32(v >> 256n), 32);
      x.reduce64();
      expect(number(scalarOut), `value ${v}`).toBe(v % L);
    }
  });

  it("accepts S exactly when S < L (sc_is_canonical)", () => {
    const values = [0n, 1n, L - 1n, L, L + 1n, 2n ** 252n - 1n, 2n ** 252n, 2n ** 253n, 2n ** 256n - 1n, L - 2n ** 64n, L + 2n ** 100n];
    for (let i = 0; i < 300; i++) values.push(L + BigInt(Math.floor(Math.random() * 2000)) - 1000n, randomBig(253), randomBig(256));
    for (const v of values) {
      scalarIn.fill(0);
      scalarIn.set(bytes32(v), 0);
      expect(x.isCanonical(), `value ${v}`).toBe(v < L ? 1 : 0);
    }
  });

  it("recodes scalars below 2^253 in width-w NAF that sums back to the scalar (sc_wnaf)", () => {
    for (const w of [4, 5, 6, 7]) {
      for (let i = 0; i < 300; i++) {
        const v = i === 0 ? L - 1n : i === 1 ? 0n : i === 2 ? 2n ** 253n - 1n : randomBig(253);
        scalarIn.fill(0);
        scalarIn.set(bytes32(v), 0);
        x.wnaf(w);
        let sum = 0n;
        let lastNonzero = -w;
        digits.forEach((d, bit) => {
          if (d === 0) return;
          expect(Math.abs(d) % 2, "digits are odd").toBe(1);
          expect(Math.abs(d)).toBeLessThan(2 ** (w - 1));
          expect(bit - lastNonzero, "nonzero digits at least w apart").toBeGreaterThanOrEqual(w);
          lastNonzero = bit;
          sum += BigInt(d) << BigInt(bit);
        });
        expect(sum).toBe(v);
      }
    }
  });
});
