// The edwards25519 group (RFC 8032 §5.1.4), in the representations Bernstein et al. use for
// fast verification ("High-speed high-security signatures", ref10):
//
//   extended  (X : Y : Z : T)   x = X/Z, y = Y/Z, x y = T/Z              4 fe, 160 bytes
//   projective (X : Y : Z)      the extended layout with T unused         (same layout)
//   completed (E, F, G, H)      the result of an add or double before its
//                               last multiplications: X = E F, Y = G H, Z = F G, T = E H
//   cached    (Y+X, Y-X, 2Z, 2dT)  a point prepared to be added           4 fe, 160 bytes
//   affine cached (y+x, y-x, 2dxy) the same with Z = 1, for the base table 3 fe, 120 bytes
//
// Adding a cached point costs 4 multiplications, an affine one 3; a doubling 4 squarings; turning
// a completed point into projective 3 multiplications, into extended 4. Formulas are RFC 8032
// §5.1.4's (from Hisil-Wong-Carter-Dawson 2008).
//
// Limb bounds, in field.ts's terms (one term = one carried element): fe_mul's g operand and
// fe_sq's input take at most three terms, fe_mul's f operand seven. Every point these functions
// take has X, T and Z carried and Y at most two terms (the decoded key A: Y from fe_frombytes; all
// other points come out of fe_mul). The terms of every sum are noted where it is made; the one
// four-term value, a doubling's F, is always passed as fe_mul's f.
import {
  FE_BYTES, FE_D2, fe_add, fe_sub, fe_add_sub, fe_add_twice, fe_mul, fe_sq, fe_one, fe_zero,
} from "./field";

/** Bytes of an extended (or projective) point and of a cached point. */
export const GE_BYTES: usize = 4 * FE_BYTES;
/** Bytes of an affine cached point (the base-point table's entries). */
export const GE_AFFINE_BYTES: usize = 3 * FE_BYTES;

// Field offsets: extended X, Y, Z, T; completed E, F, G, H; cached Y+X, Y-X, 2Z, 2dT.
const X: usize = 0, Y: usize = FE_BYTES, Z: usize = 2 * FE_BYTES, T: usize = 3 * FE_BYTES;
const E: usize = 0, F: usize = FE_BYTES, G: usize = 2 * FE_BYTES, H: usize = 3 * FE_BYTES;
const YPLUSX: usize = 0, YMINUSX: usize = FE_BYTES, Z2: usize = 2 * FE_BYTES, T2D: usize = 3 * FE_BYTES;

const t0: usize = memory.data(<i32>FE_BYTES, 8);
const t1: usize = memory.data(<i32>FE_BYTES, 8);
const t2: usize = memory.data(<i32>FE_BYTES, 8);

/** p = the neutral element (0 : 1 : 1 : 0). */
export function ge_identity(p: usize): void {
  fe_zero(p + X);
  fe_one(p + Y);
  fe_one(p + Z);
  fe_zero(p + T);
}

/**
 * Extended from completed: X = E F, Y = G H, Z = F G, T = E H. Inputs from ge_double: E three
 * terms, F four, G and H two; from an addition: E and H two, F and G three. F goes in as f.
 */
export function ge_from_completed(p: usize, c: usize): void {
  fe_mul(p + X, c + F, c + E);
  fe_mul(p + Y, c + G, c + H);
  fe_mul(p + Z, c + F, c + G);
  fe_mul(p + T, c + E, c + H);
}

/** Projective from completed (T left stale): when the next step is a doubling, T is not needed. */
export function ge_projective_from_completed(p: usize, c: usize): void {
  fe_mul(p + X, c + F, c + E);
  fe_mul(p + Y, c + G, c + H);
  fe_mul(p + Z, c + F, c + G);
}

/**
 * c = 2 p, from p's X, Y, Z only (RFC 8032 §5.1.4 doubling):
 * A = X^2, B = Y^2, C = 2 Z^2, H = A + B, E = H - (X + Y)^2, G = A - B, F = C + G.
 * Bounds: A, B, Z^2 carried; X + Y three terms at most (Y is two for the decoded key), within
 * fe_sq's bound; H, G two terms, E three, F = 2 Z^2 + G four (ge_from_completed takes F as f).
 */
export function ge_double(c: usize, p: usize): void {
  const a = t0, b = t1, xy = t2;
  fe_sq(a, p + X);
  fe_sq(b, p + Y);
  fe_sq(c + F, p + Z); //  C / 2 = Z^2, kept in F's slot
  fe_add(xy, p + X, p + Y);
  fe_sq(xy, xy);
  fe_add_sub(c + H, c + G, a, b);
  fe_sub(c + E, c + H, xy);
  fe_add_twice(c + F, c + F, c + G); //  F = C + G
}

/**
 * q = p prepared for additions: (Y + X, Y - X, 2 Z, 2 d T). Bounds: Y + X and Y - X three terms
 * at most (two unless p is the decoded key), 2 Z two terms, 2 d T carried.
 */
export function ge_cache(q: usize, p: usize): void {
  fe_add_sub(q + YPLUSX, q + YMINUSX, p + Y, p + X);
  fe_add(q + Z2, p + Z, p + Z);
  fe_mul(q + T2D, p + T, FE_D2);
}

// The shared core of adding or subtracting a cached point: with
// A = (Y1 - X1)(Y2 - X2), B = (Y1 + X1)(Y2 + X2), C = T1 2d T2, D = 2 Z1 Z2 (RFC 8032 §5.1.4):
// E = B - A, H = B + A, and F = D - C, G = D + C. Subtracting -Q = (-x, y) swaps Y+X with Y-X
// and negates T, which swaps the roles of F and G. E and H two terms; D is carried (cached q) or
// 2 Z1, two terms (affine q), so F and G are three terms at most.
@inline function finishAdd(c: usize, d: usize, subtract: bool): void {
  // On entry: E holds A, H holds B, G holds C (each carried); d holds D.
  fe_add_sub(c + H, c + E, c + H, c + E); //   H = B + A, E = B - A
  if (subtract) fe_add_sub(c + F, c + G, d, c + G); // F = D + C, G = D - C
  else fe_add_sub(c + G, c + F, d, c + G); //          G = D + C, F = D - C
}

/**
 * c = p + q, p extended, q cached. Y1 - X1 and Y1 + X1 are three terms at most (as q's, from
 * ge_cache): both within fe_mul's g bound. T1, 2dT2 carried; Z1 carried, 2 Z2 two terms.
 */
export function ge_add_cached(c: usize, p: usize, q: usize): void {
  fe_add_sub(t1, t0, p + Y, p + X); //   Y1 + X1, Y1 - X1
  fe_mul(c + E, t0, q + YMINUSX); //     A
  fe_mul(c + H, t1, q + YPLUSX); //      B
  fe_mul(c + G, p + T, q + T2D); //      C
  fe_mul(t1, p + Z, q + Z2); //          D
  finishAdd(c, t1, false);
}

/** c = p - q, p extended, q cached. */
export function ge_sub_cached(c: usize, p: usize, q: usize): void {
  fe_add_sub(t1, t0, p + Y, p + X); //   Y1 + X1, Y1 - X1
  fe_mul(c + E, t0, q + YPLUSX); //      A with -q
  fe_mul(c + H, t1, q + YMINUSX); //     B with -q
  fe_mul(c + G, p + T, q + T2D); //      C with q (the sign goes into finishAdd)
  fe_mul(t1, p + Z, q + Z2); //          D
  finishAdd(c, t1, true);
}

/**
 * c = p + q, p extended, q affine cached (Z2 = 1, so D = 2 Z1 needs no multiplication). The
 * table's fields are canonical constants, two terms each.
 */
export function ge_add_affine(c: usize, p: usize, q: usize): void {
  fe_add_sub(t1, t0, p + Y, p + X); //   Y1 + X1, Y1 - X1
  fe_mul(c + E, t0, q + YMINUSX);
  fe_mul(c + H, t1, q + YPLUSX);
  fe_mul(c + G, p + T, q + Z2); //       the affine entry's third field is 2dxy
  fe_add(t1, p + Z, p + Z);
  finishAdd(c, t1, false);
}

/** c = p - q, p extended, q affine cached. */
export function ge_sub_affine(c: usize, p: usize, q: usize): void {
  fe_add_sub(t1, t0, p + Y, p + X); //   Y1 + X1, Y1 - X1
  fe_mul(c + E, t0, q + YPLUSX);
  fe_mul(c + H, t1, q + YMINUSX);
  fe_mul(c + G, p + T, q + Z2);
  fe_add(t1, p + Z, p + Z);
  finishAdd(c, t1, true);
}
