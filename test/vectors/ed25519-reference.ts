// A slow, plain BigInt model of the edwards25519 group (RFC 8032 §5.1), used only by the tests to
// craft edge-case signatures: small-order keys, non-canonical encodings, S + kL. It decodes the
// way OpenSSL 3 does (y taken mod p, x = 0 with the sign bit accepted), which the tests check
// against node:crypto rather than assume.
import { createHash } from "node:crypto";
import { P, D, SQRT_M1, BASE, powMod } from "./ed25519-constants.js";

/** The group order L (RFC 8032 §5.1). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m;

/** Extended coordinates (X, Y, Z, T). */
export type Point = [bigint, bigint, bigint, bigint];
export const IDENTITY: Point = [0n, 1n, 1n, 0n];
export const B: Point = [BASE[0], BASE[1], 1n, mod(BASE[0] * BASE[1])];

/** RFC 8032 §5.1.4 addition (complete: also doubles). */
export function add(p: Point, q: Point): Point {
  const a = mod((p[1] - p[0]) * (q[1] - q[0]));
  const b = mod((p[1] + p[0]) * (q[1] + q[0]));
  const c = mod(2n * p[3] * q[3] * D);
  const d = mod(2n * p[2] * q[2]);
  const [e, f, g, h] = [b - a, d - c, d + c, b + a];
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}
export const negate = (p: Point): Point => [mod(-p[0]), p[1], p[2], mod(-p[3])];

export function multiply(k: bigint, p: Point): Point {
  let r = IDENTITY;
  for (let q = p; k > 0n; k >>= 1n, q = add(q, q)) if (k & 1n) r = add(r, q);
  return r;
}

export function equal(p: Point, q: Point): boolean {
  return mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;
}

/** Little-endian 32 bytes of a number below 2^256. */
export function bytes32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}
export function number(le: Uint8Array): bigint {
  let n = 0n;
  for (let i = le.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(le[i]);
  return n;
}

/** The canonical encoding (RFC 8032 §5.1.2). */
export function encode(p: Point): Uint8Array {
  const zInv = powMod(p[2], P - 2n);
  const x = mod(p[0] * zInv), y = mod(p[1] * zInv);
  return bytes32(y | ((x & 1n) << 255n));
}

/** Encodes y and a sign bit exactly as given (y may be >= p: a non-canonical encoding). */
export function encodeRaw(y: bigint, sign: 0 | 1): Uint8Array {
  return bytes32(y | (BigInt(sign) << 255n));
}

/** OpenSSL 3's decoding: y = the low 255 bits mod p; undefined when no x exists. */
export function decode(encoding: Uint8Array): Point | undefined {
  const raw = number(encoding);
  const y = mod(raw & ((1n << 255n) - 1n));
  const sign = raw >> 255n;
  const u = mod(y * y - 1n), v = mod(D * y * y + 1n);
  let x = mod(u * v ** 3n % P * powMod(u * v ** 7n, (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 !== u) {
    if (vx2 !== mod(-u)) return undefined;
    x = mod(x * SQRT_M1);
  }
  if ((x & 1n) !== sign) x = mod(-x);
  return [x, y, 1n, mod(x * y)];
}

/** h = SHA-512(R || A || M) mod L, over the bytes as given (RFC 8032 §5.1.7 step 2). */
export function challenge(r: Uint8Array, a: Uint8Array, message: Uint8Array): bigint {
  return mod(number(createHash("sha512").update(r).update(a).update(message).digest()), L);
}

/** The eight points of order dividing 8, the multiples of one point of order 8. */
export function torsionPoints(): Point[] {
  for (let y = 2n; ; y++) {
    const p = decode(bytes32(y));
    if (!p) continue;
    const q = multiply(L, p); // kills the prime-order part
    if (equal(multiply(4n, q), IDENTITY)) continue; // order below 8: try another
    const points: Point[] = [];
    for (let k = 0n, t = IDENTITY; k < 8n; k++, t = add(t, q)) points.push(t);
    return points;
  }
}
