// SHA3-224 (FIPS 202) over raw linear memory. The Keccak-f[1600] state lives in
// 25 locals for the whole sponge, so hashing performs no allocation and no
// state loads/stores between blocks. Lanes are read with little-endian
// loads, which is the lane byte order FIPS 202 specifies.

// Rate in bytes for capacity 2 * 224 bits: (1600 - 448) / 8.
const RATE: usize = 144;

const ROUND_CONSTANTS = memory.data<u64>([
  0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
  0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
  0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
  0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
  0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
  0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]);

// Scratch block for the final, padded input block.
const PAD_BLOCK = memory.data(<i32>RATE, 8);

/** Writes the 28-byte SHA3-224 digest of [ptr, ptr + len) to out. */
export function sha3_224(ptr: usize, len: usize, out: usize): void {
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0, a4: u64 = 0;
  let a5: u64 = 0, a6: u64 = 0, a7: u64 = 0, a8: u64 = 0, a9: u64 = 0;
  let a10: u64 = 0, a11: u64 = 0, a12: u64 = 0, a13: u64 = 0, a14: u64 = 0;
  let a15: u64 = 0, a16: u64 = 0, a17: u64 = 0, a18: u64 = 0, a19: u64 = 0;
  let a20: u64 = 0, a21: u64 = 0, a22: u64 = 0, a23: u64 = 0, a24: u64 = 0;
  let block = ptr;
  let remaining = len;
  let last = false;
  while (true) {
    if (remaining < RATE) {
      // Always reached, also when len is a multiple of RATE: then the padding
      // fills a block of its own. 0x06 is the SHA-3 domain suffix plus the
      // first pad10*1 bit; 0x80 is the final pad bit.
      memory.copy(PAD_BLOCK, block, remaining);
      memory.fill(PAD_BLOCK + remaining, 0, RATE - remaining);
      store<u8>(PAD_BLOCK + remaining, 0x06);
      store<u8>(PAD_BLOCK + RATE - 1, load<u8>(PAD_BLOCK + RATE - 1) | 0x80);
      block = PAD_BLOCK;
      last = true;
    }
    a0 ^= load<u64>(block);
    a1 ^= load<u64>(block, 8);
    a2 ^= load<u64>(block, 16);
    a3 ^= load<u64>(block, 24);
    a4 ^= load<u64>(block, 32);
    a5 ^= load<u64>(block, 40);
    a6 ^= load<u64>(block, 48);
    a7 ^= load<u64>(block, 56);
    a8 ^= load<u64>(block, 64);
    a9 ^= load<u64>(block, 72);
    a10 ^= load<u64>(block, 80);
    a11 ^= load<u64>(block, 88);
    a12 ^= load<u64>(block, 96);
    a13 ^= load<u64>(block, 104);
    a14 ^= load<u64>(block, 112);
    a15 ^= load<u64>(block, 120);
    a16 ^= load<u64>(block, 128);
    a17 ^= load<u64>(block, 136);
    for (let round: usize = 0; round < 24 * 8; round += 8) {
      // theta: xor into each lane the parities of its two neighbouring columns
      const c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
      const c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
      const c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
      const c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
      const c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
      const d0 = c4 ^ rotl<u64>(c1, 1);
      const d1 = c0 ^ rotl<u64>(c2, 1);
      const d2 = c1 ^ rotl<u64>(c3, 1);
      const d3 = c2 ^ rotl<u64>(c4, 1);
      const d4 = c3 ^ rotl<u64>(c0, 1);
      // rho and pi, fused: b[y, 2x + 3y] = rotl(a[x, y], r[x, y]), lane index x + 5y
      const b0 = a0 ^ d0;
      const b1 = rotl<u64>(a6 ^ d1, 44);
      const b2 = rotl<u64>(a12 ^ d2, 43);
      const b3 = rotl<u64>(a18 ^ d3, 21);
      const b4 = rotl<u64>(a24 ^ d4, 14);
      const b5 = rotl<u64>(a3 ^ d3, 28);
      const b6 = rotl<u64>(a9 ^ d4, 20);
      const b7 = rotl<u64>(a10 ^ d0, 3);
      const b8 = rotl<u64>(a16 ^ d1, 45);
      const b9 = rotl<u64>(a22 ^ d2, 61);
      const b10 = rotl<u64>(a1 ^ d1, 1);
      const b11 = rotl<u64>(a7 ^ d2, 6);
      const b12 = rotl<u64>(a13 ^ d3, 25);
      const b13 = rotl<u64>(a19 ^ d4, 8);
      const b14 = rotl<u64>(a20 ^ d0, 18);
      const b15 = rotl<u64>(a4 ^ d4, 27);
      const b16 = rotl<u64>(a5 ^ d0, 36);
      const b17 = rotl<u64>(a11 ^ d1, 10);
      const b18 = rotl<u64>(a17 ^ d2, 15);
      const b19 = rotl<u64>(a23 ^ d3, 56);
      const b20 = rotl<u64>(a2 ^ d2, 62);
      const b21 = rotl<u64>(a8 ^ d3, 55);
      const b22 = rotl<u64>(a14 ^ d4, 39);
      const b23 = rotl<u64>(a15 ^ d0, 41);
      const b24 = rotl<u64>(a21 ^ d1, 2);
      // chi
      a0 = b0 ^ (~b1 & b2);
      a1 = b1 ^ (~b2 & b3);
      a2 = b2 ^ (~b3 & b4);
      a3 = b3 ^ (~b4 & b0);
      a4 = b4 ^ (~b0 & b1);
      a5 = b5 ^ (~b6 & b7);
      a6 = b6 ^ (~b7 & b8);
      a7 = b7 ^ (~b8 & b9);
      a8 = b8 ^ (~b9 & b5);
      a9 = b9 ^ (~b5 & b6);
      a10 = b10 ^ (~b11 & b12);
      a11 = b11 ^ (~b12 & b13);
      a12 = b12 ^ (~b13 & b14);
      a13 = b13 ^ (~b14 & b10);
      a14 = b14 ^ (~b10 & b11);
      a15 = b15 ^ (~b16 & b17);
      a16 = b16 ^ (~b17 & b18);
      a17 = b17 ^ (~b18 & b19);
      a18 = b18 ^ (~b19 & b15);
      a19 = b19 ^ (~b15 & b16);
      a20 = b20 ^ (~b21 & b22);
      a21 = b21 ^ (~b22 & b23);
      a22 = b22 ^ (~b23 & b24);
      a23 = b23 ^ (~b24 & b20);
      a24 = b24 ^ (~b20 & b21);
      // iota
      a0 ^= load<u64>(ROUND_CONSTANTS + round);
    }
    if (last) break;
    block += RATE;
    remaining -= RATE;
  }
  store<u64>(out, a0);
  store<u64>(out, a1, 8);
  store<u64>(out, a2, 16);
  store<u32>(out, <u32>a3, 24);
}

/** Writes 2 * len lowercase hex characters (one byte each) for [src, src + len) to out. */
export function hexLower(src: usize, len: usize, out: usize): void {
  for (let i: usize = 0; i < len; i++) {
    const b = <u32>load<u8>(src + i);
    store<u16>(out + (i << 1), <u16>(hexDigit(b >> 4) | (hexDigit(b & 15) << 8)));
  }
}

@inline function hexDigit(n: u32): u32 {
  return n < 10 ? n + 48 : n + 87; // "0".."9", "a".."f"
}
