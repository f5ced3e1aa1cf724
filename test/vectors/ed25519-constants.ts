// Derivation of the constants in assembly/crypto/field.ts and assembly/crypto/base-table.ts, from
// the definitions in RFC 8032 §5.1 with plain BigInt arithmetic (slow and obviously correct).
// `npx tsx test/vectors/ed25519-constants.ts` prints base-table.ts; test/crypto-ed25519-constants
// .test.ts checks the committed files against this derivation.

export const P = 2n ** 255n - 19n;
const mod = (a: bigint): bigint => ((a % P) + P) % P;
export function powMod(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  for (; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
}
const inv = (a: bigint): bigint => powMod(a, P - 2n);

/** d = -121665/121666 mod p (RFC 8032 §5.1). */
export const D = mod(-121665n * inv(121666n));
/** sqrt(-1) = 2^((p-1)/4) mod p (RFC 8032 §5.1.3). */
export const SQRT_M1 = powMod(2n, (P - 1n) / 4n);

/** The base point B: y = 4/5, x the even root (RFC 8032 §5.1). */
export const BASE: [bigint, bigint] = (() => {
  const y = mod(4n * inv(5n));
  const xx = mod((y * y - 1n) * inv(D * y * y + 1n));
  let x = powMod(xx, (P + 3n) / 8n);
  if (mod(x * x - xx) !== 0n) x = mod(x * SQRT_M1);
  if (x & 1n) x = P - x;
  return [x, y];
})();

/** Affine twisted Edwards addition (RFC 8032 §5.1.4, affine form). */
export function edwardsAdd([x1, y1]: [bigint, bigint], [x2, y2]: [bigint, bigint]): [bigint, bigint] {
  const t = mod(D * x1 * x2 * y1 * y2);
  return [mod((x1 * y2 + x2 * y1) * inv(1n + t)), mod((y1 * y2 + x1 * x2) * inv(1n - t))];
}

const LIMB_START = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230, 255];
/** The radix-2^25.5 limbs of 0 <= v < p, as field.ts stores them. */
export function limbs(v: bigint): number[] {
  return Array.from({ length: 10 }, (_, i) =>
    Number((v >> BigInt(LIMB_START[i])) & ((1n << BigInt(LIMB_START[i + 1] - LIMB_START[i])) - 1n)));
}

/** Window width of the base-point table: entries are B, 3B, ..., (2^(w-1) - 1) B. */
export const BASE_WINDOW = 5;

/** The affine cached entries (y + x, y - x, 2 d x y) of the odd multiples of B. */
export function baseTable(): number[][] {
  const twoB = edwardsAdd(BASE, BASE);
  const entries: number[][] = [];
  let point = BASE;
  for (let k = 0; k < 2 ** (BASE_WINDOW - 2); k++) {
    const [x, y] = point;
    entries.push([...limbs(mod(y + x)), ...limbs(mod(y - x)), ...limbs(mod(2n * D * x * y))]);
    point = edwardsAdd(point, twoB);
  }
  return entries;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = baseTable().map((e, k) => `  // ${2 * k + 1} B\n  ${e.slice(0, 10).join(", ")},\n  ${e.slice(10, 20).join(", ")},\n  ${e.slice(20).join(", ")},`);
  console.log(rows.join("\n"));
}
