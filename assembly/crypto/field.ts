// Arithmetic in GF(p), p = 2^255 - 19 (RFC 8032 §5.1), Monocypher/ref10 style.
//
// An element ("fe") is 10 signed 32-bit limbs in memory, radix 2^25.5: limb i has weight
// 2^ceil(25.5 i), so even limbs hold 26 bits and odd limbs 25. WASM has no 64x64->128 multiply,
// so every partial product is a 32x32->64 signed multiply of two i32 operands (mul32), and a
// whole output limb's sum fits in i64 before carrying. The multipliers 2 (odd x odd limbs) and 19
// (the wrap past 2^255) are applied to the 32-bit operands, as ref10 and Monocypher do: that is
// what lets a 32-bit core use one SMLAL per product. It is also what bounds the inputs.
//
// Limb bounds (the invariant every function relies on). One "term" is a carried element:
//   carried:   what fe_mul, fe_sq, fe_sqn and fe_carry return: |even limb| <= 1.01 * 2^25,
//              |odd limb| <= 1.01 * 2^24 (see carryStore).
//   n terms:   a sum or difference of n carried elements (fe_add, fe_sub, fe_add_sub and
//              fe_add_twice do not carry; in fe_add_twice's 2 f + g, f's terms count twice):
//              |even| <= n * 1.01 * 2^25, |odd| <= n * 1.01 * 2^24. The outputs of fe_frombytes
//              and the constants below (canonical limbs, 0 <= limb < 2^26 or 2^25) count as two.
//   fe_mul(h, f, g): g within FE_MUL_G_LIMB_MAX (19 g must fit i32: up to three terms),
//              f within FE_MUL_F_LIMB_MAX (the sums must fit i64: up to seven terms).
//   fe_sq(h, f), fe_sqn: f within FE_MUL_G_LIMB_MAX (19 f must fit i32: up to three terms).
//   fe_carry, fe_tobytes, fe_isnegative, fe_iszero: any i32 limbs.
// point.ts and ed25519.ts state the terms of every operand they pass (at most four, always as f).
//
// Every function takes pointers to 40-byte elements; outputs may alias inputs (all limbs are
// loaded before any is stored). The arithmetic is branch-free, but fe_tobytes and the callers'
// checks are not constant-time: this code only ever verifies, and verification handles public
// data (DESIGN.md), so no secret passes through it.

/**
 * Largest |limb| of fe_mul's g operand and of fe_sq's input: floor((2^31 - 1) / 19) ~ 2^26.75,
 * so 19 g stays an i32. Three terms (3 * 1.01 * 2^25 = 2^26.6) fit; four (2^27.01) do not.
 */
export const FE_MUL_G_LIMB_MAX: i32 = 113025455;
/**
 * Largest |limb| of fe_mul's f operand: 2^28. 2 f fits i32 easily; the binding constraint is the
 * largest output sum, h0 = f0 g0 + 5 products (2 f)(19 g) + 4 products f (19 g) <=
 * 2^28 (2^26.75 + 14 * 2^31) < 2^62.82, below 2^63 - 2^25 as carryStore needs. Seven terms fit.
 */
export const FE_MUL_F_LIMB_MAX: i32 = 1 << 28;

/** Bytes of one field element. */
export const FE_BYTES: usize = 40;

@inline function limb(f: usize, i: usize): i64 {
  return <i64>load<i32>(f + (i << 2));
}

// Limbs move in pairs (2k, 2k + 1) as one little-endian i64: half the memory accesses, and so
// half the bounds checks where the module runs translated to C (wasm2c checks every access).
@inline function evenLimb(pair: i64): i32 {
  return <i32>pair;
}
@inline function oddLimb(pair: i64): i32 {
  return <i32>(pair >>> 32);
}
@inline function limbPair(even: i32, odd: i32): i64 {
  return (<i64>odd << 32) | <i64><u32>even;
}

export function fe_copy(h: usize, f: usize): void {
  memory.copy(h, f, FE_BYTES);
}

export function fe_zero(h: usize): void {
  memory.fill(h, 0, FE_BYTES);
}

export function fe_one(h: usize): void {
  memory.fill(h, 0, FE_BYTES);
  store<i32>(h, 1);
}

/** h = f + g, limb by limb (no carry: the bound grows by one term). */
export function fe_add(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 8) {
    const a = load<i64>(f + i), b = load<i64>(g + i);
    store<i64>(h + i, limbPair(evenLimb(a) + evenLimb(b), oddLimb(a) + oddLimb(b)));
  }
}

/** h = f - g, limb by limb (no carry: the bound grows by one term). */
export function fe_sub(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 8) {
    const a = load<i64>(f + i), b = load<i64>(g + i);
    store<i64>(h + i, limbPair(evenLimb(a) - evenLimb(b), oddLimb(a) - oddLimb(b)));
  }
}

/** h = 2 f + g, limb by limb (no carry: twice f's terms plus g's). */
export function fe_add_twice(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 8) {
    const a = load<i64>(f + i), b = load<i64>(g + i);
    store<i64>(h + i, limbPair(2 * evenLimb(a) + evenLimb(b), 2 * oddLimb(a) + oddLimb(b)));
  }
}

/** sum = f + g and difference = f - g in one pass (the butterfly of the point formulas). */
export function fe_add_sub(sum: usize, difference: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 8) {
    const a = load<i64>(f + i), b = load<i64>(g + i);
    store<i64>(sum + i, limbPair(evenLimb(a) + evenLimb(b), oddLimb(a) + oddLimb(b)));
    store<i64>(difference + i, limbPair(evenLimb(a) - evenLimb(b), oddLimb(a) - oddLimb(b)));
  }
}

/** h = -f. */
export function fe_neg(h: usize, f: usize): void {
  for (let i: usize = 0; i < FE_BYTES; i += 4) {
    store<i32>(h + i, -load<i32>(f + i));
  }
}

// A 32x32->64 signed product. Both operands are i32, so WASM sees i64.extend_i32_s on each and
// C compilers for 32-bit cores emit one SMULL/SMLAL; an i64 operand would cost a 64x64 multiply.
@inline function mul32(a: i32, b: i32): i64 {
  return <i64>a * <i64>b;
}

/**
 * h = f * g mod p, output carried. Bounds (see the top of this file): g within FE_MUL_G_LIMB_MAX
 * (19 g fits i32), f within FE_MUL_F_LIMB_MAX (the sums below fit i64). Pass the operand with
 * more terms as f.
 */
export function fe_mul(h: usize, f: usize, g: usize): void {
  const f01 = load<i64>(f, 0);
  const f23 = load<i64>(f, 8);
  const f45 = load<i64>(f, 16);
  const f67 = load<i64>(f, 24);
  const f89 = load<i64>(f, 32);
  const f0 = evenLimb(f01), f1 = oddLimb(f01);
  const f2 = evenLimb(f23), f3 = oddLimb(f23);
  const f4 = evenLimb(f45), f5 = oddLimb(f45);
  const f6 = evenLimb(f67), f7 = oddLimb(f67);
  const f8 = evenLimb(f89), f9 = oddLimb(f89);
  const g01 = load<i64>(g, 0);
  const g23 = load<i64>(g, 8);
  const g45 = load<i64>(g, 16);
  const g67 = load<i64>(g, 24);
  const g89 = load<i64>(g, 32);
  const g0 = evenLimb(g01), g1 = oddLimb(g01);
  const g2 = evenLimb(g23), g3 = oddLimb(g23);
  const g4 = evenLimb(g45), g5 = oddLimb(g45);
  const g6 = evenLimb(g67), g7 = oddLimb(g67);
  const g8 = evenLimb(g89), g9 = oddLimb(g89);
  // Odd limbs carry a half bit (2^26 * 2^25 = 2^51 = 2^ceil(25.5*2) / 2): odd x odd counts twice.
  // |2 f| <= 2^29 (FE_MUL_F_LIMB_MAX < 2^28): fits i32.
  const f1x2 = f1 * 2, f3x2 = f3 * 2, f5x2 = f5 * 2, f7x2 = f7 * 2, f9x2 = f9 * 2;
  // Terms past 2^255 wrap around times 19 (2^255 = 19 mod p). |19 g| < 2^31: FE_MUL_G_LIMB_MAX.
  const g1x19 = g1 * 19, g2x19 = g2 * 19, g3x19 = g3 * 19, g4x19 = g4 * 19, g5x19 = g5 * 19;
  const g6x19 = g6 * 19, g7x19 = g7 * 19, g8x19 = g8 * 19, g9x19 = g9 * 19;
  // Each sum: 10 products of |f or 2 f| <= 2^29 by |g or 19 g| < 2^31; h0, the largest, is below
  // 2^62.82 (FE_MUL_F_LIMB_MAX's derivation).
  let h0 = mul32(f0, g0) + mul32(f1x2, g9x19) + mul32(f2, g8x19) + mul32(f3x2, g7x19) + mul32(f4, g6x19) + mul32(f5x2, g5x19) + mul32(f6, g4x19) + mul32(f7x2, g3x19) + mul32(f8, g2x19) + mul32(f9x2, g1x19);
  let h1 = mul32(f0, g1) + mul32(f1, g0) + mul32(f2, g9x19) + mul32(f3, g8x19) + mul32(f4, g7x19) + mul32(f5, g6x19) + mul32(f6, g5x19) + mul32(f7, g4x19) + mul32(f8, g3x19) + mul32(f9, g2x19);
  let h2 = mul32(f0, g2) + mul32(f1x2, g1) + mul32(f2, g0) + mul32(f3x2, g9x19) + mul32(f4, g8x19) + mul32(f5x2, g7x19) + mul32(f6, g6x19) + mul32(f7x2, g5x19) + mul32(f8, g4x19) + mul32(f9x2, g3x19);
  let h3 = mul32(f0, g3) + mul32(f1, g2) + mul32(f2, g1) + mul32(f3, g0) + mul32(f4, g9x19) + mul32(f5, g8x19) + mul32(f6, g7x19) + mul32(f7, g6x19) + mul32(f8, g5x19) + mul32(f9, g4x19);
  let h4 = mul32(f0, g4) + mul32(f1x2, g3) + mul32(f2, g2) + mul32(f3x2, g1) + mul32(f4, g0) + mul32(f5x2, g9x19) + mul32(f6, g8x19) + mul32(f7x2, g7x19) + mul32(f8, g6x19) + mul32(f9x2, g5x19);
  let h5 = mul32(f0, g5) + mul32(f1, g4) + mul32(f2, g3) + mul32(f3, g2) + mul32(f4, g1) + mul32(f5, g0) + mul32(f6, g9x19) + mul32(f7, g8x19) + mul32(f8, g7x19) + mul32(f9, g6x19);
  let h6 = mul32(f0, g6) + mul32(f1x2, g5) + mul32(f2, g4) + mul32(f3x2, g3) + mul32(f4, g2) + mul32(f5x2, g1) + mul32(f6, g0) + mul32(f7x2, g9x19) + mul32(f8, g8x19) + mul32(f9x2, g7x19);
  let h7 = mul32(f0, g7) + mul32(f1, g6) + mul32(f2, g5) + mul32(f3, g4) + mul32(f4, g3) + mul32(f5, g2) + mul32(f6, g1) + mul32(f7, g0) + mul32(f8, g9x19) + mul32(f9, g8x19);
  let h8 = mul32(f0, g8) + mul32(f1x2, g7) + mul32(f2, g6) + mul32(f3x2, g5) + mul32(f4, g4) + mul32(f5x2, g3) + mul32(f6, g2) + mul32(f7x2, g1) + mul32(f8, g0) + mul32(f9x2, g9x19);
  let h9 = mul32(f0, g9) + mul32(f1, g8) + mul32(f2, g7) + mul32(f3, g6) + mul32(f4, g5) + mul32(f5, g4) + mul32(f6, g3) + mul32(f7, g2) + mul32(f8, g1) + mul32(f9, g0);
  carryStore(h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/**
 * h = f^2 mod p: fe_mul with the symmetric products merged (55 multiplies instead of 100).
 * Input within FE_MUL_G_LIMB_MAX (19 f fits i32); output carried.
 */
@inline export function fe_sq(h: usize, f: usize): void {
  fe_sqn(h, f, 1);
}

/**
 * h = f^(2^n) mod p: n >= 1 squarings, the limbs kept in locals from one to the next (no memory
 * round trip: the inversions square 250 times in a row). Input as fe_sq's; output carried, and
 * so is every intermediate square.
 */
export function fe_sqn(h: usize, f: usize, n: i32): void {
  const f01 = load<i64>(f, 0);
  const f23 = load<i64>(f, 8);
  const f45 = load<i64>(f, 16);
  const f67 = load<i64>(f, 24);
  const f89 = load<i64>(f, 32);
  let f0 = evenLimb(f01), f1 = oddLimb(f01);
  let f2 = evenLimb(f23), f3 = oddLimb(f23);
  let f4 = evenLimb(f45), f5 = oddLimb(f45);
  let f6 = evenLimb(f67), f7 = oddLimb(f67);
  let f8 = evenLimb(f89), f9 = oddLimb(f89);
  do {
    // Doubled cross products, and 4x for odd x odd ones (2 for the half bit, 2 for the pair):
    // |4 f| < 2^28.8. Times 19 only on limbs 5..9: |19 f| < 2^31.
    const f0x2 = f0 * 2, f1x2 = f1 * 2, f2x2 = f2 * 2, f3x2 = f3 * 2, f4x2 = f4 * 2, f5x2 = f5 * 2;
    const f6x2 = f6 * 2, f7x2 = f7 * 2, f8x2 = f8 * 2, f9x2 = f9 * 2;
    const f1x4 = f1 * 4, f3x4 = f3 * 4, f5x4 = f5 * 4, f7x4 = f7 * 4;
    const f5x19 = f5 * 19, f6x19 = f6 * 19, f7x19 = f7 * 19, f8x19 = f8 * 19, f9x19 = f9 * 19;
    // h0, the largest sum: F^2 (1 + 19 (4 + 2 + 4 + 2 + 2)) = 267 F^2 < 2^61.6 for
    // F = FE_MUL_G_LIMB_MAX.
    let h0 = mul32(f0, f0) + mul32(f1x4, f9x19) + mul32(f2x2, f8x19) + mul32(f3x4, f7x19) + mul32(f4x2, f6x19) + mul32(f5x2, f5x19);
    let h1 = mul32(f0x2, f1) + mul32(f2x2, f9x19) + mul32(f3x2, f8x19) + mul32(f4x2, f7x19) + mul32(f5x2, f6x19);
    let h2 = mul32(f0x2, f2) + mul32(f1x2, f1) + mul32(f3x4, f9x19) + mul32(f4x2, f8x19) + mul32(f5x4, f7x19) + mul32(f6, f6x19);
    let h3 = mul32(f0x2, f3) + mul32(f1x2, f2) + mul32(f4x2, f9x19) + mul32(f5x2, f8x19) + mul32(f6x2, f7x19);
    let h4 = mul32(f0x2, f4) + mul32(f1x4, f3) + mul32(f2, f2) + mul32(f5x4, f9x19) + mul32(f6x2, f8x19) + mul32(f7x2, f7x19);
    let h5 = mul32(f0x2, f5) + mul32(f1x2, f4) + mul32(f2x2, f3) + mul32(f6x2, f9x19) + mul32(f7x2, f8x19);
    let h6 = mul32(f0x2, f6) + mul32(f1x4, f5) + mul32(f2x2, f4) + mul32(f3x2, f3) + mul32(f7x4, f9x19) + mul32(f8, f8x19);
    let h7 = mul32(f0x2, f7) + mul32(f1x2, f6) + mul32(f2x2, f5) + mul32(f3x2, f4) + mul32(f8x2, f9x19);
    let h8 = mul32(f0x2, f8) + mul32(f1x4, f7) + mul32(f2x2, f6) + mul32(f3x4, f5) + mul32(f4, f4) + mul32(f9x2, f9x19);
    let h9 = mul32(f0x2, f9) + mul32(f1x2, f8) + mul32(f2x2, f7) + mul32(f3x2, f6) + mul32(f4x2, f5);
    // carryStore's carry, into the locals for the next squaring instead of memory.
    let c: i64;
    c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
    c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
    c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
    c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
    c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
    c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
    c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
    c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
    c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
    c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
    c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
    c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
    f0 = <i32>h0; f1 = <i32>h1; f2 = <i32>h2; f3 = <i32>h3; f4 = <i32>h4;
    f5 = <i32>h5; f6 = <i32>h6; f7 = <i32>h7; f8 = <i32>h8; f9 = <i32>h9;
  } while (--n > 0);
  store<i64>(h, limbPair(f0, f1), 0);
  store<i64>(h, limbPair(f2, f3), 8);
  store<i64>(h, limbPair(f4, f5), 16);
  store<i64>(h, limbPair(f6, f7), 24);
  store<i64>(h, limbPair(f8, f9), 32);
}

// Carries h0..h9 (|h| < 2^63 - 2^25) into the carried bound and stores them at h (Bernstein et
// al., "High-speed high-security signatures" §4 / ref10): two interleaved chains for
// parallelism, each carry rounded to nearest so limbs end balanced: |even| <= 2^25, |odd| <= 2^24,
// except limb 5 (+ the second carry out of limb 4, below 2^38 / 2^26 = 2^12) and limb 1 (+ the
// carry out of limb 0 after the wrap, 19 * 2^38 / 2^26 < 2^17): within 1.01 * 2^25 and
// 1.01 * 2^24, the carried bound.
@inline function carryStore(
  h: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64, h5: i64, h6: i64, h7: i64, h8: i64, h9: i64,
): void {
  let c: i64;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + (1 << 24)) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + (1 << 24)) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + (1 << 25)) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + (1 << 25)) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + (1 << 24)) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + (1 << 24)) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + (1 << 25)) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + (1 << 25)) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + (1 << 24)) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + (1 << 25)) >> 26; h1 += c; h0 -= c << 26;
  store<i64>(h, limbPair(<i32>h0, <i32>h1), 0);
  store<i64>(h, limbPair(<i32>h2, <i32>h3), 8);
  store<i64>(h, limbPair(<i32>h4, <i32>h5), 16);
  store<i64>(h, limbPair(<i32>h6, <i32>h7), 24);
  store<i64>(h, limbPair(<i32>h8, <i32>h9), 32);
}

/** Brings f (any i32 limbs) back to the carried bound (for sums headed to fe_tobytes). */
export function fe_carry(h: usize, f: usize): void {
  carryStore(h, limb(f, 0), limb(f, 1), limb(f, 2), limb(f, 3), limb(f, 4), limb(f, 5), limb(f, 6),
    limb(f, 7), limb(f, 8), limb(f, 9));
}

// ---- Constants (limbs of the canonical value; test/vectors/ed25519-constants.ts derives them) ----

/** d = -121665 / 121666 mod p, the curve constant of edwards25519 (RFC 8032 §5.1). */
export const FE_D: usize = memory.data<i32>([
  56195235, 13857412, 51736253, 6949390, 114729, 24766616, 60832955, 30306712, 48412415, 21499315,
]);
/** 2d mod p, for the addition formula's C = T1 * 2d * T2 (RFC 8032 §5.1.4). */
export const FE_D2: usize = memory.data<i32>([
  45281625, 27714825, 36363642, 13898781, 229458, 15978800, 54557047, 27058993, 29715967, 9444199,
]);
/** sqrt(-1) = 2^((p-1)/4) mod p, for point decoding (RFC 8032 §5.1.3 step 3). */
export const FE_SQRT_M1: usize = memory.data<i32>([
  34513072, 25610706, 9377949, 3500415, 12389472, 33281959, 41962654, 31548777, 326685, 11406482,
]);

// ---- Encoding (RFC 8032 §5.1.2: 255-bit little-endian y) ----

// Limb i of the 255-bit little-endian number at s: bits [start, start + width). start % 8 + width
// <= 32 for every limb, so one 32-bit load at byte start / 8 <= 28 covers it, inside the 32 bytes.
@inline function bitsAt(s: usize, start: u32, width: u32): i32 {
  return <i32>((load<u32>(s + (start >> 3)) >>> (start & 7)) & ((1 << width) - 1));
}

/**
 * h = the 255-bit number at s32 (the top bit, the sign of x in a point encoding, is ignored).
 * Like OpenSSL, values p..2^255-1 are not refused here; they reduce mod p in later arithmetic.
 * Output limbs are non-negative and within their width (carried).
 */
export function fe_frombytes(h: usize, s32: usize): void {
  store<i32>(h, bitsAt(s32, 0, 26), 0);
  store<i32>(h, bitsAt(s32, 26, 25), 4);
  store<i32>(h, bitsAt(s32, 51, 26), 8);
  store<i32>(h, bitsAt(s32, 77, 25), 12);
  store<i32>(h, bitsAt(s32, 102, 26), 16);
  store<i32>(h, bitsAt(s32, 128, 25), 20);
  store<i32>(h, bitsAt(s32, 153, 26), 24);
  store<i32>(h, bitsAt(s32, 179, 25), 28);
  store<i32>(h, bitsAt(s32, 204, 26), 32);
  store<i32>(h, bitsAt(s32, 230, 25), 36);
}

// Limb widths: 26 bits for even limbs, 25 for odd ones.
@inline function limbBits(i: usize): i64 {
  return 26 - <i64>(i & 1);
}

// One floor-carry pass over the limbs at t (i64 each), non-negative limbs in, limbs within their
// width out; returns the carry out of limb 9, floor(value / 2^255).
function carryPass(t: usize): i64 {
  let c: i64 = 0;
  for (let i: usize = 0; i < 10; i++) {
    const v = load<i64>(t + (i << 3)) + c;
    c = v >> limbBits(i);
    store<i64>(t + (i << 3), v - (c << limbBits(i)));
  }
  return c;
}

/**
 * s32 = the canonical 32-byte encoding of h (the unique value in [0, p)), any input within the
 * fe_mul input bound. Steps: carry to the balanced bound; add 2p so every limb is non-negative;
 * two floor-carry passes, each folding the carry out of bit 255 back in as 19 c (2^255 = 19 mod
 * p), give a value in [0, 2^255) (the second pass's carry is 0 or 1, and after a 1 the value is
 * below 57); finally subtract p if the value is >= p. Rare (a few times per verification), so
 * written for size, not speed.
 */
export function fe_tobytes(s32: usize, h: usize): void {
  const t = wideScratch;
  fe_carry(feScratchToBytes, h);
  for (let i: usize = 0; i < 10; i++) {
    // 2p in limbs: 2 (2^26 - 19), then 2 (2^width - 1) for every other limb.
    const twoP: i64 = ((<i64>1 << limbBits(i)) - (i == 0 ? 19 : 1)) * 2;
    store<i64>(t + (i << 3), <i64>load<i32>(feScratchToBytes + (i << 2)) + twoP);
  }
  for (let pass = 0; pass < 2; pass++) {
    const top = carryPass(t); // (before reading limb 0 back: the pass rewrites it)
    store<i64>(t, load<i64>(t) + 19 * top);
  }
  // Now 0 <= value < 2^255, limbs within their widths. It is >= p exactly when value + 19
  // carries out of bit 255; then value - p = value + 19 - 2^255.
  let q: i64 = 19;
  for (let i: usize = 0; i < 10; i++) q = (load<i64>(t + (i << 3)) + q) >> limbBits(i);
  store<i64>(t, load<i64>(t) + 19 * q);
  carryPass(t); // the carry out of bit 255 is exactly q: dropped
  // Pack the limbs, at bit offsets 0, 26, 51, 77, ..., 230, into 32 little-endian bytes.
  memory.fill(s32, 0, 32);
  let bit: u32 = 0;
  for (let i: usize = 0; i < 10; i++) {
    let v = <u64>load<i64>(t + (i << 3)) << (bit & 7);
    for (let at = s32 + (bit >> 3); v != 0; at++, v >>= 8) store<u8>(at, load<u8>(at) | <u8>v);
    bit += <u32>limbBits(i);
  }
}

const wideScratch: usize = memory.data(80, 8);
const feScratchToBytes: usize = memory.data(<i32>FE_BYTES, 8);
const bytesScratch: usize = memory.data(32, 8);

/** 1 if f mod p is odd — the "sign" of x in RFC 8032 §5.1.2 — else 0. */
export function fe_isnegative(f: usize): i32 {
  fe_tobytes(bytesScratch, f);
  return load<u8>(bytesScratch) & 1;
}

/** 1 if f = 0 mod p, else 0. */
export function fe_iszero(f: usize): i32 {
  fe_tobytes(bytesScratch, f);
  return i32(load<u64>(bytesScratch, 0) == 0 && load<u64>(bytesScratch, 8) == 0 &&
             load<u64>(bytesScratch, 16) == 0 && load<u64>(bytesScratch, 24) == 0);
}

// ---- Powers (fixed addition chains; 254 squarings and 11 or 12 multiplications) ----

const powT0: usize = memory.data(<i32>FE_BYTES, 8);
const powT1: usize = memory.data(<i32>FE_BYTES, 8);
const powT2: usize = memory.data(<i32>FE_BYTES, 8);
const powT3: usize = memory.data(<i32>FE_BYTES, 8);

// Leaves z^(2^250 - 1) in powT0 and z^11 in powT1; the two exponents below end from there.
function pow2250minus1(z: usize): void {
  const t0 = powT0, t1 = powT1, t2 = powT2, t3 = powT3;
  fe_sq(t0, z); //                       z^2
  fe_sqn(t1, t0, 2); //                  z^8
  fe_mul(t1, t1, z); //                  z^9
  fe_mul(t0, t0, t1); //                 z^11
  fe_sq(t2, t0); //                      z^22
  fe_mul(t2, t2, t1); //                 z^31 = z^(2^5 - 1)
  fe_copy(t1, t0); //                    keep z^11
  fe_sqn(t0, t2, 5);
  fe_mul(t0, t0, t2); //                 z^(2^10 - 1)
  fe_sqn(t2, t0, 10);
  fe_mul(t2, t2, t0); //                 z^(2^20 - 1)
  fe_sqn(t3, t2, 20);
  fe_mul(t3, t3, t2); //                 z^(2^40 - 1)
  fe_sqn(t3, t3, 10);
  fe_mul(t3, t3, t0); //                 z^(2^50 - 1)
  fe_sqn(t2, t3, 50);
  fe_mul(t2, t2, t3); //                 z^(2^100 - 1)
  fe_sqn(t0, t2, 100);
  fe_mul(t0, t0, t2); //                 z^(2^200 - 1)
  fe_sqn(t0, t0, 50);
  fe_mul(t0, t0, t3); //                 z^(2^250 - 1)
}

/** h = 1 / z = z^(p - 2) = z^(2^255 - 21) (0 maps to 0). */
export function fe_invert(h: usize, z: usize): void {
  pow2250minus1(z);
  fe_sqn(powT0, powT0, 5); //            z^(2^255 - 32)
  fe_mul(h, powT0, powT1); //            z^(2^255 - 21)
}

/** h = z^((p - 5) / 8) = z^(2^252 - 3), the square-root exponent of RFC 8032 §5.1.3 step 3. */
export function fe_pow22523(h: usize, z: usize): void {
  pow2250minus1(z);
  fe_sqn(powT0, powT0, 2); //            z^(2^252 - 4)
  fe_mul(h, powT0, z); //                z^(2^252 - 3)
}
