// ECDSA P-256 / SHA-256 signature verification (FIPS 186-5 §6.4.2, SEC 1 §4.1.4), the scheme
// Pigweed's tools and devices use. Public key: the 65-byte uncompressed SEC 1 point 04 || X || Y
// (anything else refused, and points off the curve); signature: raw r || s, 32 bytes each, big
// endian (what Pigweed's device code reads), with r and s in [1, n-1]; the digest: SHA-256 of
// the signed bytes, computed by the caller as the bytes stream in.
//
// Numbers are 8 little-endian 32-bit limbs; arithmetic mod p and mod n is Montgomery's
// (R = 2^256), points are Jacobian (X/Z^2, Y/Z^3) with Z = 0 for the point at infinity, and
// u1 G + u2 Q is one joint double-and-add (Shamir's trick) over G, Q and G + Q. Verification
// handles public data only, so nothing here needs to run in constant time; everything is
// bounded: fixed loops, fixed buffers in the shared workspace, no allocation, no traps.
import { verifyWorkspace, VERIFY_WORKSPACE_BYTES } from "./workspace";

export const P256_PUBLIC_KEY_BYTES: u32 = 65;
export const P256_SIGNATURE_BYTES: u32 = 64;

const LIMBS: u32 = 8;
const FE: usize = 32; // bytes per number
const PT: usize = 3 * FE; // bytes per Jacobian point

// ---- constants (little-endian limbs) ----
const P: usize = memory.data<u32>([0xffffffff, 0xffffffff, 0xffffffff, 0, 0, 0, 1, 0xffffffff]);
const N: usize = memory.data<u32>([0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0, 0xffffffff]);
const B: usize = memory.data<u32>([0x27d2604b, 0x3bce3c3e, 0xcc53b0f6, 0x651d06b0, 0x769886bc, 0xb3ebbd55, 0xaa3a93e7, 0x5ac635d8]);
const GX: usize = memory.data<u32>([0xd898c296, 0xf4a13945, 0x2deb33a0, 0x77037d81, 0x63a440f2, 0xf8bce6e5, 0xe12c4247, 0x6b17d1f2]);
const GY: usize = memory.data<u32>([0x37bf51f5, 0xcbb64068, 0x6b315ece, 0x2bce3357, 0x7c0f9e16, 0x8ee7eb4a, 0xfe1a7f9b, 0x4fe342e2]);
// R^2 mod m and R mod m (Montgomery's one) for both moduli, computed once (init()).
const R2P: usize = memory.data(<i32>FE, 8);
const R2N: usize = memory.data(<i32>FE, 8);
const ONE_P: usize = memory.data(<i32>FE, 8); // R mod p
const ONE_N: usize = memory.data(<i32>FE, 8); // R mod n
let pInv: u32 = 0; // -p^-1 mod 2^32
let nInv: u32 = 0; // -n^-1 mod 2^32
let ready = false;

// ---- the workspace (workspace.ts): every buffer of one verification ----
const W: usize = verifyWorkspace;
const TG: usize = W; //               G (Montgomery, Z = 1)
const TQ: usize = TG + PT; //         Q, the public key
const TGQ: usize = TQ + PT; //        G + Q
const ACC: usize = TGQ + PT; //       the running sum
const T0: usize = ACC + PT; //        point-formula temporaries T0..T9
const T9: usize = T0 + 9 * FE;
const SR: usize = T9 + FE; //         r
const SS: usize = SR + FE; //         s
const SE: usize = SS + FE; //         e, the digest mod n
const SW: usize = SE + FE; //         s^-1 (Montgomery mod n)
const U1: usize = SW + FE;
const U2: usize = U1 + FE;
const POW: usize = U2 + FE; //        exponentiation accumulator
const MT: usize = POW + FE; //        Montgomery product, 10 limbs
const WORK_END: usize = MT + 48;
// The layout must fit the shared workspace (a build-time constant check would be nicer; this
// one makes init() refuse to run, so a mistake fails every verification, loudly, in tests).
const FITS: bool = WORK_END - W <= <usize>VERIFY_WORKSPACE_BYTES;

@inline function limb(a: usize, i: u32): u32 {
  return load<u32>(a + (<usize>i << 2));
}

function copy(out: usize, a: usize): void {
  memory.copy(out, a, FE);
}

function isZero(a: usize): bool {
  let acc: u32 = 0;
  for (let i: u32 = 0; i < LIMBS; i++) acc |= limb(a, i);
  return acc == 0;
}

/** -1, 0, 1 as a <, =, > b. */
function cmp(a: usize, b: usize): i32 {
  for (let i: i32 = 7; i >= 0; i--) {
    const x = limb(a, <u32>i), y = limb(b, <u32>i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

function add(out: usize, a: usize, b: usize): u32 {
  let carry: u64 = 0;
  for (let i: u32 = 0; i < LIMBS; i++) {
    const t = <u64>limb(a, i) + <u64>limb(b, i) + carry;
    store<u32>(out + (<usize>i << 2), <u32>t);
    carry = t >> 32;
  }
  return <u32>carry;
}

function sub(out: usize, a: usize, b: usize): u32 {
  let borrow: i64 = 0;
  for (let i: u32 = 0; i < LIMBS; i++) {
    const t = <i64>limb(a, i) - <i64>limb(b, i) + borrow;
    store<u32>(out + (<usize>i << 2), <u32>t);
    borrow = t >> 32; // 0 or -1
  }
  return borrow != 0 ? 1 : 0;
}

/** out = a + b mod m (a, b < m). */
function modAdd(out: usize, a: usize, b: usize, m: usize): void {
  const carry = add(out, a, b);
  if (carry != 0 || cmp(out, m) >= 0) sub(out, out, m);
}

/** out = a - b mod m (a, b < m). */
function modSub(out: usize, a: usize, b: usize, m: usize): void {
  if (sub(out, a, b) != 0) add(out, out, m);
}

/** out = a b R^-1 mod m (CIOS Montgomery multiplication; a, b < m; out may alias a or b). */
function montMul(out: usize, a: usize, b: usize, m: usize, mInv: u32): void {
  for (let i: u32 = 0; i < 10; i++) store<u32>(MT + (<usize>i << 2), 0);
  for (let i: u32 = 0; i < LIMBS; i++) {
    const bi = <u64>limb(b, i);
    let c: u64 = 0;
    for (let j: u32 = 0; j < LIMBS; j++) {
      const t = <u64>limb(MT, j) + <u64>limb(a, j) * bi + c;
      store<u32>(MT + (<usize>j << 2), <u32>t);
      c = t >> 32;
    }
    let t8 = <u64>limb(MT, 8) + c;
    store<u32>(MT + 32, <u32>t8);
    store<u32>(MT + 36, <u32>(t8 >> 32));
    const q = <u64>(limb(MT, 0) * mInv);
    c = (<u64>limb(MT, 0) + q * <u64>limb(m, 0)) >> 32;
    for (let j: u32 = 1; j < LIMBS; j++) {
      const t = <u64>limb(MT, j) + q * <u64>limb(m, j) + c;
      store<u32>(MT + (<usize>(j - 1) << 2), <u32>t);
      c = t >> 32;
    }
    t8 = <u64>limb(MT, 8) + c;
    store<u32>(MT + 28, <u32>t8);
    store<u32>(MT + 32, limb(MT, 9) + <u32>(t8 >> 32));
  }
  // The product is below 2m: one conditional subtraction.
  if (limb(MT, 8) != 0 || cmp(MT, m) >= 0) sub(MT, MT, m);
  copy(out, MT);
}

/** -m^-1 mod 2^32 for odd m0 (Newton's iteration doubles the correct bits each step). */
function negInverse(m0: u32): u32 {
  let inv: u32 = 1;
  for (let i = 0; i < 5; i++) inv *= 2 - m0 * inv;
  return 0 - inv;
}

function initModulus(m: usize, one: usize, r2: usize): void {
  // R mod m = 2^256 - m (m > 2^255); R^2 mod m by doubling R mod m 256 times.
  for (let i: u32 = 0; i < LIMBS; i++) store<u32>(T0 + (<usize>i << 2), 0);
  sub(one, T0, m);
  copy(r2, one);
  for (let i = 0; i < 256; i++) modAdd(r2, r2, r2, m);
}

function init(): bool {
  if (ready) return true;
  if (!FITS) return false;
  pInv = negInverse(limb(P, 0));
  nInv = negInverse(limb(N, 0));
  initModulus(P, ONE_P, R2P);
  initModulus(N, ONE_N, R2N);
  ready = true;
  return true;
}

/** out = a^(m-2) (the inverse of a != 0 by Fermat), a and out in Montgomery form mod m. */
function modInverse(out: usize, a: usize, m: usize, mInv: u32, one: usize): void {
  copy(POW, one);
  for (let i: i32 = 255; i >= 0; i--) {
    montMul(POW, POW, POW, m, mInv);
    let e = limb(m, <u32>i >> 5);
    if ((<u32>i >> 5) == 0) e -= 2; // m - 2: m is odd and > 2, so no borrow leaves limb 0
    if (((e >> (<u32>i & 31)) & 1) != 0) montMul(POW, POW, a, m, mInv);
  }
  copy(out, POW);
}

// ---- field mod p shorthands (Montgomery form) ----
@inline function fmul(out: usize, a: usize, b: usize): void {
  montMul(out, a, b, P, pInv);
}
@inline function fadd(out: usize, a: usize, b: usize): void {
  modAdd(out, a, b, P);
}
@inline function fsub(out: usize, a: usize, b: usize): void {
  modSub(out, a, b, P);
}

/** 32 big-endian bytes at src as limbs at out. */
function fromBytes(out: usize, src: usize): void {
  for (let i: u32 = 0; i < LIMBS; i++) {
    store<u32>(out + (<usize>i << 2), bswap<u32>(load<u32>(src + 28 - (<usize>i << 2))));
  }
}

// ---- points (Jacobian, coordinates in Montgomery form mod p) ----
@inline function X(p: usize): usize { return p; }
@inline function Y(p: usize): usize { return p + FE; }
@inline function Z(p: usize): usize { return p + 2 * FE; }

function setInfinity(p: usize): void {
  memory.fill(p, 0, PT);
  copy(X(p), ONE_P);
  copy(Y(p), ONE_P);
}

/** p = 2p (dbl-2001-b, a = -3). The point at infinity (Z = 0) stays there. */
function double(p: usize): void {
  const delta = T0, gamma = T0 + FE, beta = T0 + 2 * FE, alpha = T0 + 3 * FE, t = T0 + 4 * FE, u = T0 + 5 * FE;
  fmul(delta, Z(p), Z(p));
  fmul(gamma, Y(p), Y(p));
  fmul(beta, X(p), gamma);
  fsub(t, X(p), delta);
  fadd(u, X(p), delta);
  fmul(alpha, t, u);
  fadd(t, alpha, alpha);
  fadd(alpha, alpha, t); //                 alpha = 3 (X - delta)(X + delta)
  // Z3 = (Y + Z)^2 - gamma - delta
  fadd(t, Y(p), Z(p));
  fmul(t, t, t);
  fsub(t, t, gamma);
  fsub(Z(p), t, delta);
  // X3 = alpha^2 - 8 beta
  fadd(beta, beta, beta);
  fadd(beta, beta, beta); //                4 beta
  fmul(t, alpha, alpha);
  fadd(u, beta, beta); //                   8 beta
  fsub(X(p), t, u);
  // Y3 = alpha (4 beta - X3) - 8 gamma^2
  fsub(t, beta, X(p));
  fmul(t, alpha, t);
  fmul(gamma, gamma, gamma);
  fadd(gamma, gamma, gamma);
  fadd(gamma, gamma, gamma);
  fadd(gamma, gamma, gamma); //             8 gamma^2
  fsub(Y(p), t, gamma);
}

/** p = p + q (add-2007-bl), with the cases the formula cannot take: infinity, p = q, p = -q. */
function addPoint(p: usize, q: usize): void {
  if (isZero(Z(q))) return;
  if (isZero(Z(p))) {
    memory.copy(p, q, PT);
    return;
  }
  const z1z1 = T0, z2z2 = T0 + FE, u1 = T0 + 2 * FE, u2 = T0 + 3 * FE, s1 = T0 + 4 * FE, s2 = T0 + 5 * FE;
  const h = T0 + 6 * FE, i = T0 + 7 * FE, j = T0 + 8 * FE, r = T9;
  fmul(z1z1, Z(p), Z(p));
  fmul(z2z2, Z(q), Z(q));
  fmul(u1, X(p), z2z2);
  fmul(u2, X(q), z1z1);
  fmul(s1, Y(p), Z(q));
  fmul(s1, s1, z2z2);
  fmul(s2, Y(q), Z(p));
  fmul(s2, s2, z1z1);
  fsub(h, u2, u1);
  fsub(r, s2, s1);
  if (isZero(h)) {
    if (isZero(r)) double(p); //           p = q
    else setInfinity(p); //                p = -q
    return;
  }
  fadd(r, r, r); //                         r = 2 (S2 - S1)
  fadd(i, h, h);
  fmul(i, i, i); //                         I = (2H)^2
  fmul(j, h, i); //                         J = H I
  fmul(u2, u1, i); //                       V = U1 I (u2 reused)
  // Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H
  fadd(Z(p), Z(p), Z(q));
  fmul(Z(p), Z(p), Z(p));
  fsub(Z(p), Z(p), z1z1);
  fsub(Z(p), Z(p), z2z2);
  fmul(Z(p), Z(p), h);
  // X3 = r^2 - J - 2V
  fmul(X(p), r, r);
  fsub(X(p), X(p), j);
  fsub(X(p), X(p), u2);
  fsub(X(p), X(p), u2);
  // Y3 = r (V - X3) - 2 S1 J
  fsub(u2, u2, X(p));
  fmul(u2, r, u2);
  fmul(s1, s1, j);
  fadd(s1, s1, s1);
  fsub(Y(p), u2, s1);
}

@inline function bit(a: usize, i: u32): u32 {
  return (limb(a, i >> 5) >> (i & 31)) & 1;
}

/** Checks 04 || X || Y: the prefix, X and Y below p, and Y^2 = X^3 - 3X + b. Leaves Q in TQ. */
function loadPublicKey(key: usize): bool {
  if (load<u8>(key) != 0x04) return false;
  fromBytes(T0 + 2 * FE, key + 1);
  fromBytes(T0 + 3 * FE, key + 33);
  if (cmp(T0 + 2 * FE, P) >= 0 || cmp(T0 + 3 * FE, P) >= 0) return false;
  fmul(X(TQ), T0 + 2 * FE, R2P);
  fmul(Y(TQ), T0 + 3 * FE, R2P);
  copy(Z(TQ), ONE_P);
  const lhs = T0, rhs = T0 + FE, t = T0 + 2 * FE;
  fmul(lhs, Y(TQ), Y(TQ));
  fmul(rhs, X(TQ), X(TQ));
  fmul(rhs, rhs, X(TQ)); //                X^3
  fadd(t, X(TQ), X(TQ));
  fadd(t, t, X(TQ));
  fsub(rhs, rhs, t); //                     X^3 - 3X
  fmul(t, B, R2P);
  fadd(rhs, rhs, t);
  return cmp(lhs, rhs) == 0;
}

/** A 65-byte uncompressed point on the curve (what a root may list as a P-256 key). */
export function p256CheckPublicKey(key: usize): bool {
  return init() && loadPublicKey(key);
}

/**
 * True when sig (r || s, 64 bytes) is a valid ECDSA P-256 signature by key (65 bytes, 04 || X ||
 * Y) over the 32-byte SHA-256 digest. False for every malformed input.
 */
export function p256Verify(key: usize, sig: usize, digest: usize): bool {
  if (!init() || !loadPublicKey(key)) return false;
  fromBytes(SR, sig);
  fromBytes(SS, sig + 32);
  if (isZero(SR) || isZero(SS) || cmp(SR, N) >= 0 || cmp(SS, N) >= 0) return false;
  // e: the digest as an integer (P-256's n has 256 bits: no truncation), reduced mod n once
  // (e < 2^256 < 2n).
  fromBytes(SE, digest);
  if (cmp(SE, N) >= 0) sub(SE, SE, N);
  // w = s^-1, u1 = e w, u2 = r w (mod n): w in Montgomery form makes the products plain.
  montMul(SW, SS, R2N, N, nInv);
  modInverse(SW, SW, N, nInv, ONE_N);
  montMul(U1, SE, SW, N, nInv);
  montMul(U2, SR, SW, N, nInv);
  // The table: G, Q (loaded), G + Q.
  fmul(X(TG), GX, R2P);
  fmul(Y(TG), GY, R2P);
  copy(Z(TG), ONE_P);
  memory.copy(TGQ, TG, PT);
  addPoint(TGQ, TQ);
  // u1 G + u2 Q, bit by bit from the top.
  setInfinity(ACC);
  for (let i: i32 = 255; i >= 0; i--) {
    double(ACC);
    const b = (bit(U1, <u32>i) << 1) | bit(U2, <u32>i);
    if (b == 3) addPoint(ACC, TGQ);
    else if (b == 2) addPoint(ACC, TG);
    else if (b == 1) addPoint(ACC, TQ);
  }
  if (isZero(Z(ACC))) return false; //     the point at infinity: fail closed
  // x = X / Z^2 (affine, out of Montgomery form), then x mod n must equal r.
  const zInv = T0 + 6 * FE, x = T0 + 7 * FE;
  modInverse(zInv, Z(ACC), P, pInv, ONE_P);
  fmul(zInv, zInv, zInv);
  fmul(x, X(ACC), zInv);
  for (let i: u32 = 0; i < LIMBS; i++) store<u32>(T0 + 8 * FE + (<usize>i << 2), i == 0 ? 1 : 0);
  fmul(x, x, T0 + 8 * FE); //              out of Montgomery form
  if (cmp(x, N) >= 0) sub(x, x, N);
  return cmp(x, SR) == 0;
}
