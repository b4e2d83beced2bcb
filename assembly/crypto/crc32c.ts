// CRC-32C (Castagnoli) over raw linear memory: slicing-by-8, in four interleaved streams for
// long inputs (one chain of table lookups per stream, so they overlap instead of waiting on each
// other), their CRCs combined by the shift tables below.

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
const POLY: u32 = 0x82F63B78;

// Eight 256-entry tables, back to back: table k maps a byte to its CRC
// contribution when followed by k zero bytes, so one step folds 8 bytes.
const TABLES = memory.data(8 * 256 * 4, 64);
let tablesReady = false;

// The four streams of a long input each take BLOCK bytes of every 4 * BLOCK.
const BLOCK: usize = 512;
// Four 256-entry tables: table k maps byte k of a CRC register to what it becomes after BLOCK
// zero bytes, so shift() moves a register past a block in four lookups.
const SHIFTS = memory.data(4 * 256 * 4, 64);
const BASIS = memory.data(32 * 4, 4); // what each register bit becomes after BLOCK zero bytes
let shiftsReady = false;

function buildTables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = mulX(c);
    store<u32>(TABLES + (n << 2), c);
  }
  for (let n: usize = 0; n < 256; n++) {
    let c = load<u32>(TABLES + (n << 2));
    for (let k: usize = 1; k < 8; k++) {
      c = (c >>> 8) ^ load<u32>(TABLES + ((c & 0xff) << 2));
      store<u32>(TABLES + (k << 10) + (n << 2), c);
    }
  }
  tablesReady = true;
}

/** The register times x, modulo the polynomial: one zero bit through it. Bit i stands for x^(31 - i). */
@inline function mulX(c: u32): u32 {
  return (c >>> 1) ^ (POLY & (0 - (c & 1)));
}

/**
 * The register is linear in its bits: bit 31 (the polynomial 1) through BLOCK zero bytes (a byte
 * step each) gives x^(8 BLOCK); each lower bit is the one above times x. Each table entry is the
 * XOR of its bits'.
 */
function buildShifts(): void {
  let z: u32 = 0x80000000;
  for (let n: usize = 0; n < BLOCK; n++) z = (z >>> 8) ^ entry(0, z, 0);
  for (let bit: usize = 32; bit-- > 0; ) {
    store<u32>(BASIS + (bit << 2), z);
    z = mulX(z);
  }
  for (let k: usize = 0; k < 4; k++) {
    const table = SHIFTS + (k << 10);
    store<u32>(table, 0);
    for (let v: u32 = 1; v < 256; v++) {
      const low = v & (0 - v);
      store<u32>(table + (<usize>v << 2), load<u32>(table + (<usize>(v ^ low) << 2)) ^ load<u32>(BASIS + (((k << 3) + <usize>ctz(low)) << 2)));
    }
  }
  shiftsReady = true;
}

// Entry of table k for the byte at bits [shift, shift + 8) of x.
@inline function entry(k: usize, x: u32, shift: u32): u32 {
  return load<u32>(TABLES + (k << 10) + (<usize>((x >>> shift) & 0xff) << 2));
}

/** The register after the 8 bytes at p. */
@inline function step8(p: usize, crc: u32): u32 {
  const lo = load<u32>(p) ^ crc;
  const hi = load<u32>(p, 4);
  return entry(7, lo, 0) ^ entry(6, lo, 8) ^ entry(5, lo, 16) ^ entry(4, lo, 24)
       ^ entry(3, hi, 0) ^ entry(2, hi, 8) ^ entry(1, hi, 16) ^ entry(0, hi, 24);
}

/** The register after BLOCK zero bytes. */
@inline function shift(c: u32): u32 {
  return load<u32>(SHIFTS + (<usize>(c & 0xff) << 2)) ^ load<u32>(SHIFTS + 1024 + (<usize>((c >>> 8) & 0xff) << 2))
       ^ load<u32>(SHIFTS + 2048 + (<usize>((c >>> 16) & 0xff) << 2)) ^ load<u32>(SHIFTS + 3072 + (<usize>(c >>> 24) << 2));
}

/** The register (no conditioning) after [ptr, ptr + len). */
function raw(crc: u32, ptr: usize, len: usize): u32 {
  let p = ptr;
  const end = ptr + len;
  // Four streams over blocks b0 b1 b2 b3: the register after them all is
  // shift(shift(shift(c0) ^ c1) ^ c2) ^ c3, c0 started from crc and the others from 0.
  if (end - p >= 4 * BLOCK && !shiftsReady) buildShifts();
  while (end - p >= 4 * BLOCK) {
    let c0 = crc;
    let c1: u32 = 0;
    let c2: u32 = 0;
    let c3: u32 = 0;
    for (const stop = p + BLOCK; p < stop; p += 8) {
      c0 = step8(p, c0);
      c1 = step8(p + BLOCK, c1);
      c2 = step8(p + 2 * BLOCK, c2);
      c3 = step8(p + 3 * BLOCK, c3);
    }
    crc = shift(shift(shift(c0) ^ c1) ^ c2) ^ c3;
    p += 3 * BLOCK;
  }
  for (; end - p >= 8; p += 8) crc = step8(p, crc);
  for (; p < end; p++) crc = (crc >>> 8) ^ entry(0, crc ^ load<u8>(p), 0);
  return crc;
}

/**
 * CRC-32C of [ptr, ptr + len). Passing the CRC of preceding data as seed
 * continues it: crc32c(b, n2, crc32c(a, n1)) is the CRC of a followed by b.
 */
export function crc32c(ptr: usize, len: usize, seed: u32 = 0): u32 {
  if (!tablesReady) buildTables();
  return ~raw(~seed, ptr, len);
}
