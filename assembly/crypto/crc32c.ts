// CRC-32C (Castagnoli) over raw linear memory, slicing-by-8.

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
const POLY: u32 = 0x82F63B78;

// Eight 256-entry tables, back to back: table k maps a byte to its CRC
// contribution when followed by k zero bytes, so one step folds 8 bytes.
const TABLES = memory.data(8 * 256 * 4, 64);
let tablesReady = false;

function buildTables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = (c >>> 1) ^ (POLY & (0 - (c & 1)));
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

// Entry of table k for the byte at bits [shift, shift + 8) of x.
@inline function entry(k: usize, x: u32, shift: u32): u32 {
  return load<u32>(TABLES + (k << 10) + (<usize>((x >>> shift) & 0xff) << 2));
}

/**
 * CRC-32C of [ptr, ptr + len). Passing the CRC of preceding data as seed
 * continues it: crc32c(b, n2, crc32c(a, n1)) is the CRC of a followed by b.
 */
export function crc32c(ptr: usize, len: usize, seed: u32 = 0): u32 {
  if (!tablesReady) buildTables();
  let crc = ~seed;
  let p = ptr;
  const end = ptr + len;
  while (end - p >= 8) {
    const lo = load<u32>(p) ^ crc;
    const hi = load<u32>(p, 4);
    crc = entry(7, lo, 0) ^ entry(6, lo, 8) ^ entry(5, lo, 16) ^ entry(4, lo, 24)
        ^ entry(3, hi, 0) ^ entry(2, hi, 8) ^ entry(1, hi, 16) ^ entry(0, hi, 24);
    p += 8;
  }
  while (p < end) {
    crc = (crc >>> 8) ^ entry(0, crc ^ load<u8>(p), 0);
    p++;
  }
  return ~crc;
}
