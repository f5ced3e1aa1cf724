// Scalars modulo the group order L = 2^252 + 27742317777372353535851937790883648493
// (RFC 8032 §5.1), as 32-byte little-endian numbers.

/** The low 128 bits of L (little-endian u32 words); L = 2^252 + this (the value c below). */
const L_LOW: usize = memory.data<u32>([0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de]);

/**
 * 1 if the 32-byte little-endian number s32 is below L, else 0 — RFC 8032 §5.1.7 step 1 requires
 * 0 <= S < L (otherwise a signature could be made malleable by adding L to S).
 */
export function sc_is_canonical(s32: usize): i32 {
  // Compare word by word from the top against L = (0x10000000, 0, 0, 0, L_LOW[3..0]).
  const top = load<u32>(s32, 28);
  if (top != 0x10000000) return <i32>(top < 0x10000000);
  if (load<u32>(s32, 24) != 0 || load<u32>(s32, 20) != 0 || load<u32>(s32, 16) != 0) return 0;
  for (let i = 3; i >= 0; i--) {
    const word = load<u32>(s32 + (<usize>i << 2));
    const l = load<u32>(L_LOW + (<usize>i << 2));
    if (word != l) return <i32>(word < l);
  }
  return 0; // equal to L
}

const acc: usize = memory.data(40, 8); // 9 words + slack: the running remainder, < 2^261

/**
 * out32 = the 64-byte little-endian number in64 mod L (for h = SHA-512(R || A || M) mod L,
 * RFC 8032 §5.1.7 step 2). Horner's rule one byte at a time from the top: each step computes
 * r' = 256 r + byte < 2^261, then with q = floor(r' / 2^252) (< 2^9) and L = 2^252 + c,
 * r' - q L = (r' mod 2^252) - q c, which lies in (-L, L): one conditional + L finishes it.
 * Variable time is fine: verification only handles public data.
 */
export function sc_reduce64(out32: usize, in64: usize): void {
  memory.fill(acc, 0, 40);
  for (let byteIndex = 63; byteIndex >= 0; byteIndex--) {
    // r = r * 256 + byte
    let carry: u64 = <u64>load<u8>(in64 + <usize>byteIndex);
    for (let j: usize = 0; j < 36; j += 4) {
      const v = (<u64>load<u32>(acc + j) << 8) | carry;
      store<u32>(acc + j, <u32>v);
      carry = v >> 32;
    }
    // q = r >> 252; r = r mod 2^252
    const q: i64 = <i64>((load<u32>(acc, 28) >>> 28) | (load<u32>(acc, 32) << 4));
    store<u32>(acc, load<u32>(acc, 28) & 0x0fffffff, 28);
    store<u32>(acc, 0, 32);
    // r -= q c, as a 256-bit two's complement number with a signed borrow
    let borrow: i64 = 0;
    for (let j: usize = 0; j < 32; j += 4) {
      let v: i64 = <i64>load<u32>(acc + j) + borrow;
      if (j < 16) v -= q * <i64>load<u32>(L_LOW + j);
      store<u32>(acc + j, <u32>v);
      borrow = v >> 32;
    }
    if (borrow < 0) {
      // Negative: add L = 2^252 + c (mod 2^256 the result is the true value, in [0, L)).
      let c: u64 = 0;
      for (let j: usize = 0; j < 32; j += 4) {
        let v: u64 = <u64>load<u32>(acc + j) + c;
        if (j < 16) v += <u64>load<u32>(L_LOW + j);
        if (j == 28) v += 0x10000000;
        store<u32>(acc + j, <u32>v);
        c = v >> 32;
      }
    }
  }
  memory.copy(out32, acc, 32);
}

/**
 * Writes the width-w non-adjacent form of the scalar s32 (< 2^253) into 256 signed bytes at
 * digits: scalar = sum of digits[i] 2^i, every nonzero digit odd with |digit| < 2^(w-1), and
 * any two nonzero digits at least w positions apart — so a double-and-add loop needs at most
 * one addition per w doublings, from a table of the odd multiples 1, 3, ..., 2^(w-1) - 1.
 *
 * Scanning from bit 0 with the carry of the previous window: where the remaining value is odd,
 * take its low w bits; above 2^(w-1) use the negative digit (window - 2^w) and carry one.
 * A carry can only arise from a window wholly below bit 253, so no digit lands past bit 255.
 * padded40: the scalar, copied into a 40-byte zeroed buffer so 32-bit reads never leave it.
 */
export function sc_wnaf(digits: usize, padded40: usize, w: u32): void {
  memory.fill(digits, 0, 256);
  const mask: u32 = (1 << w) - 1;
  const half: u32 = 1 << (w - 1);
  let carry: u32 = 0;
  let i: u32 = 0;
  while (i < 256) {
    const bits = (load<u32>(padded40 + (i >> 3)) >>> (i & 7));
    if (((bits + carry) & 1) == 0) {
      carry = ((bits & 1) + carry) >> 1;
      i += 1;
      continue;
    }
    const window = ((bits & mask) + carry) & mask;
    if (window >= half) {
      store<i8>(digits + i, <i8>(<i32>window - <i32>(1 << w)));
      carry = 1;
    } else {
      store<i8>(digits + i, <i8>window);
      carry = 0;
    }
    i += w;
  }
}
