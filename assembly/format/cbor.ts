// Strict CBOR (RFC 8949) well-formedness checking and diagnostic notation
// (RFC 8949 section 8) over raw linear memory.

import { GrowableBuffer } from '../util/memory';
import { hexLower } from "../crypto/sha3";

export const CBOR_TRUNCATED: i32 = -1;
export const CBOR_TRAILING: i32 = -2;
/** Additional info 28..30, a break outside an indefinite-length item, or 31 on a major type without one. */
export const CBOR_RESERVED: i32 = -3;
/** Invalid UTF-8 in a text string, or a chunk of an indefinite-length string that is not a definite string of the same major type. */
export const CBOR_BAD_UTF8: i32 = -4;
/** More than 512 arrays, maps and tags nested in one another. */
export const CBOR_TOO_DEEP: i32 = -5;
export const CBOR_BAD_SIMPLE: i32 = -6;

const MAX_DEPTH: usize = 512;

// cborCheck keeps one i64 per open array, map or tag: the number of items it
// still needs (> 0), or one of the markers below for indefinite lengths.
// A fixed stack keeps adversarial nesting off the wasm call stack.
const STACK = memory.data(<i32>MAX_DEPTH * 8, 8);
const INDEF_ARRAY: i64 = -1;
const INDEF_MAP_KEY: i64 = -2; // next item is a key, or the break
const INDEF_MAP_VALUE: i64 = -3;

// Bytes of argument after the initial byte, for additional info 0..27.
@inline function argBytes(info: u32): usize {
  return info < 24 ? 0 : <usize>1 << (info - 24);
}

// Argument for additional info 0..27; its argBytes(info) bytes must be readable.
@inline function readArg(p: usize, info: u32): u64 {
  if (info < 24) return info;
  if (info == 24) return load<u8>(p);
  if (info == 25) return bswap<u16>(load<u16>(p));
  if (info == 26) return bswap<u32>(load<u32>(p));
  return bswap<u64>(load<u64>(p));
}

/**
 * 0 when [ptr, ptr + len) holds exactly one well-formed data item, else one
 * of the negative CBOR_* codes for the first problem met reading it in order.
 * Tags count towards the nesting limit, so cborDiag's recursion is bounded.
 */
export function cborCheck(ptr: usize, len: usize): i32 {
  const end = ptr + len;
  let p = ptr;
  let depth: usize = 0;
  do {
    if (p >= end) return CBOR_TRUNCATED;
    const initial = <u32>load<u8>(p++);
    const major = initial >> 5;
    const info = initial & 31;
    // Value pushed for a container this item opens; 0 when the item is complete.
    let open: i64 = 0;
    if (info >= 28) {
      if (info < 31) return CBOR_RESERVED;
      if (major == 7) {
        if (depth == 0) return CBOR_RESERVED;
        const top = load<i64>(STACK + ((depth - 1) << 3));
        if (top != INDEF_ARRAY && top != INDEF_MAP_KEY) return CBOR_RESERVED;
        depth--; // the break completes the indefinite container
      } else if (major == 2 || major == 3) {
        while (true) {
          if (p >= end) return CBOR_TRUNCATED;
          const chunk = <u32>load<u8>(p++);
          if (chunk == 0xff) break;
          const chunkInfo = chunk & 31;
          if (chunkInfo >= 28 && chunkInfo < 31) return CBOR_RESERVED;
          if (chunk >> 5 != major || chunkInfo == 31) return CBOR_BAD_UTF8;
          const n = argBytes(chunkInfo);
          if (end - p < n) return CBOR_TRUNCATED;
          const size = readArg(p, chunkInfo);
          p += n;
          if (size > <u64>(end - p)) return CBOR_TRUNCATED;
          if (major == 3 && !validUtf8(p, p + <usize>size)) return CBOR_BAD_UTF8;
          p += <usize>size;
        }
      } else if (major == 4) {
        open = INDEF_ARRAY;
      } else if (major == 5) {
        open = INDEF_MAP_KEY;
      } else {
        return CBOR_RESERVED;
      }
    } else {
      const n = argBytes(info);
      if (end - p < n) return CBOR_TRUNCATED;
      const arg = readArg(p, info);
      p += n;
      // Every item takes at least one byte, so a count beyond the bytes left
      // can never be met; capping it keeps the doubled map count from overflowing.
      const room = <u64>(end - p) + 1;
      const count = <i64>(arg < room ? arg : room);
      if (major == 2 || major == 3) {
        if (arg > <u64>(end - p)) return CBOR_TRUNCATED;
        if (major == 3 && !validUtf8(p, p + <usize>arg)) return CBOR_BAD_UTF8;
        p += <usize>arg;
      } else if (major == 4) {
        open = count;
      } else if (major == 5) {
        open = count << 1;
      } else if (major == 6) {
        open = 1;
      } else if (major == 7 && info == 24 && arg < 32) {
        return CBOR_BAD_SIMPLE;
      }
    }
    if (open != 0) {
      if (depth == MAX_DEPTH) return CBOR_TOO_DEEP;
      store<i64>(STACK + (depth << 3), open);
      depth++;
      continue;
    }
    // The item is complete: count it in its container, closing every
    // definite container it completes in turn.
    while (depth > 0) {
      const slot = STACK + ((depth - 1) << 3);
      const top = load<i64>(slot);
      if (top != 1) {
        if (top > 1) store<i64>(slot, top - 1);
        else if (top == INDEF_MAP_KEY) store<i64>(slot, INDEF_MAP_VALUE);
        else if (top == INDEF_MAP_VALUE) store<i64>(slot, INDEF_MAP_KEY);
        break;
      }
      depth--;
    }
  } while (depth > 0);
  return p == end ? 0 : CBOR_TRAILING;
}

// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points above U+10FFFF.
function validUtf8(p: usize, end: usize): bool {
  while (p < end) {
    if (end - p >= 8 && (load<u64>(p) & 0x8080808080808080) == 0) {
      p += 8;
      continue;
    }
    const b = <u32>load<u8>(p);
    if (b < 0x80) {
      p++;
      continue;
    }
    // Sequence length and the allowed range of the second byte, which is
    // where overlong, surrogate and out-of-range forms show.
    let size: usize, lo: u32 = 0x80, hi: u32 = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      size = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      size = 3;
      if (b == 0xe0) lo = 0xa0;
      else if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      size = 4;
      if (b == 0xf0) lo = 0x90;
      else if (b == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (end - p < size) return false;
    const b1 = <u32>load<u8>(p, 1);
    if (b1 < lo || b1 > hi) return false;
    for (let i: usize = 2; i < size; i++) {
      if ((<u32>load<u8>(p + i) & 0xc0) != 0x80) return false;
    }
    p += size;
  }
  return true;
}

// Diagnostic output is built as UTF-8 in a buffer kept between calls.
const out = new GrowableBuffer(256);
let outLen: usize = 0;

// Makes room for n more bytes and returns where they go.
function reserve(n: usize): usize {
  return out.room(outLen, n);
}

function putByte(c: u32): void {
  store<u8>(reserve(1), c);
  outLen++;
}

function putAscii(s: string): void {
  const n = <usize>s.length;
  const w = reserve(n);
  for (let i: usize = 0; i < n; i++) store<u8>(w + i, s.charCodeAt(<i32>i));
  outLen += n;
}

const DECIMAL = memory.data(20);

function putU64(v: u64): void {
  let i: usize = 20;
  do {
    store<u8>(DECIMAL + --i, 48 + <u32>(v % 10));
    v /= 10;
  } while (v != 0);
  const w = reserve(20 - i);
  memory.copy(w, DECIMAL + i, 20 - i);
  outLen += 20 - i;
}

function putHex(p: usize, n: usize): void {
  hexLower(p, n, reserve(n << 1));
  outLen += n << 1;
}

// A JSON string literal; the bytes are valid UTF-8, so only quote, backslash
// and control characters need escapes.
function putText(p: usize, n: usize): void {
  putByte(0x22);
  for (let i: usize = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 0x22 || c == 0x5c) {
      putByte(0x5c);
      putByte(c);
    } else if (c >= 0x20) {
      putByte(c);
    } else if (c == 0x08) {
      putAscii("\\b");
    } else if (c == 0x09) {
      putAscii("\\t");
    } else if (c == 0x0a) {
      putAscii("\\n");
    } else if (c == 0x0c) {
      putAscii("\\f");
    } else if (c == 0x0d) {
      putAscii("\\r");
    } else {
      putAscii("\\u00");
      putHex(p + i, 1);
    }
  }
  putByte(0x22);
}

/**
 * RFC 8949 section 8 diagnostic notation of the data item at ptr, which must
 * have passed cborCheck(ptr, len); the item's own lengths bound the walk. Floats print as JavaScript prints numbers, with
 * ".0" added to integral values (1.0, 1.0e+300) and -0 as -0.0; bignums
 * print as their tag (2(h'01')).
 */
export function cborDiag(ptr: usize, len: usize): string {
  outLen = 0;
  diagItem(ptr);
  return String.UTF8.decodeUnsafe(out.ptr, outLen);
}

// Prints the item at p and returns the position after it.
function diagItem(p: usize): usize {
  const initial = <u32>load<u8>(p++);
  const major = initial >> 5;
  const info = initial & 31;
  if (info == 31) return diagIndefinite(p, major);
  const arg = readArg(p, info);
  p += argBytes(info);
  switch (major) {
    case 0: {
      putU64(arg);
      break;
    }
    case 1: {
      putByte(0x2d);
      // -1 - arg; its magnitude arg + 1 only overflows u64 for the largest arg.
      if (arg == u64.MAX_VALUE) putAscii("18446744073709551616");
      else putU64(arg + 1);
      break;
    }
    case 2: {
      putAscii("h'");
      putHex(p, <usize>arg);
      putByte(0x27);
      p += <usize>arg;
      break;
    }
    case 3: {
      putText(p, <usize>arg);
      p += <usize>arg;
      break;
    }
    case 4: {
      putByte(0x5b);
      for (let i: u64 = 0; i < arg; i++) {
        if (i) putAscii(", ");
        p = diagItem(p);
      }
      putByte(0x5d);
      break;
    }
    case 5: {
      putByte(0x7b);
      for (let i: u64 = 0; i < arg; i++) {
        if (i) putAscii(", ");
        p = diagItem(p);
        putAscii(": ");
        p = diagItem(p);
      }
      putByte(0x7d);
      break;
    }
    case 6: {
      putU64(arg);
      putByte(0x28);
      p = diagItem(p);
      putByte(0x29);
      break;
    }
    default: {
      if (info == 25) putF64(halfToF64(<u32>arg));
      else if (info == 26) putF64(<f64>reinterpret<f32>(<u32>arg));
      else if (info == 27) putF64(reinterpret<f64>(arg));
      else if (arg == 20) putAscii("false");
      else if (arg == 21) putAscii("true");
      else if (arg == 22) putAscii("null");
      else if (arg == 23) putAscii("undefined");
      else {
        putAscii("simple(");
        putU64(arg);
        putByte(0x29);
      }
    }
  }
  return p;
}

// Prints an indefinite-length item whose initial byte precedes p.
function diagIndefinite(p: usize, major: u32): usize {
  if (major == 2 || major == 3) {
    // RFC 8949 section 8.1: (_ ) would not say which string type, so a
    // string without chunks is written ''_ or ""_.
    if (load<u8>(p) == 0xff) {
      putAscii(major == 2 ? "''_" : "\"\"_");
      return p + 1;
    }
    putAscii("(_ ");
  } else {
    putAscii(major == 4 ? "[_ " : "{_ ");
  }
  for (let first = true; load<u8>(p) != 0xff; first = false) {
    if (!first) putAscii(", ");
    p = diagItem(p);
    if (major == 5) {
      putAscii(": ");
      p = diagItem(p);
    }
  }
  putByte(major == 4 ? 0x5d : major == 5 ? 0x7d : 0x29);
  return p + 1;
}

function halfToF64(h: u32): f64 {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  let v: f64;
  if (exp == 0) v = <f64>mant * 5.960464477539063e-8; // mant * 2^-24
  else if (exp == 31) v = mant ? NaN : Infinity;
  else v = <f64>(mant | 0x400) * reinterpret<f64>(<u64>(exp + 1023 - 25) << 52);
  return h & 0x8000 ? -v : v;
}

// Shortest round-trip digits, as ECMAScript Number::toString requires, come
// from the Steele-White / Burger-Dybvig free-format algorithm on exact big
// integers: v = r / s, with m+ and m- the distances to the rounding
// boundaries of the neighbouring doubles, all scaled alike. 36 limbs of 32
// bits hold 10 * r + m+ at the extremes of the f64 range.
const LIMBS = 36;
const BIG_BYTES: usize = LIMBS << 2;
const BIG = memory.data(5 * LIMBS << 2, 8);
const R = BIG;
const S = BIG + BIG_BYTES;
const MPLUS = BIG + 2 * BIG_BYTES;
const MMINUS = BIG + 3 * BIG_BYTES;
const SUM = BIG + 4 * BIG_BYTES;
const DIGITS = memory.data(20);

// a = v << shift
function bigSet(a: usize, v: u64, shift: i32): void {
  memory.fill(a, 0, BIG_BYTES);
  const at = a + (<usize>(shift >> 5) << 2);
  const bits = <u64>(shift & 31);
  store<u32>(at, <u32>(v << bits));
  store<u32>(at, <u32>(v >> (32 - bits)), 4);
  if (bits) store<u32>(at, <u32>(v >> (64 - bits)), 8);
}

function bigMul(a: usize, m: u32): void {
  let carry: u64 = 0;
  for (let i: usize = 0; i < BIG_BYTES; i += 4) {
    const t = <u64>load<u32>(a + i) * m + carry;
    store<u32>(a + i, <u32>t);
    carry = t >> 32;
  }
}

function bigMulPow10(a: usize, k: i32): void {
  for (; k >= 9; k -= 9) bigMul(a, 1_000_000_000);
  let m: u32 = 1;
  for (; k > 0; k--) m *= 10;
  if (m > 1) bigMul(a, m);
}

function bigCmp(a: usize, b: usize): i32 {
  for (let i = BIG_BYTES; i > 0; ) {
    i -= 4;
    const x = load<u32>(a + i);
    const y = load<u32>(b + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// dst = a + b
function bigAdd(dst: usize, a: usize, b: usize): void {
  let carry: u64 = 0;
  for (let i: usize = 0; i < BIG_BYTES; i += 4) {
    const t = <u64>load<u32>(a + i) + load<u32>(b + i) + carry;
    store<u32>(dst + i, <u32>t);
    carry = t >> 32;
  }
}

// a -= b, for a >= b
function bigSub(a: usize, b: usize): void {
  let borrow: u64 = 0;
  for (let i: usize = 0; i < BIG_BYTES; i += 4) {
    const t = <u64>load<u32>(a + i) - load<u32>(b + i) - borrow;
    store<u32>(a + i, <u32>t);
    borrow = t >> 63;
  }
}

function putF64(x: f64): void {
  if (isNaN(x)) {
    putAscii("NaN");
    return;
  }
  const bits = reinterpret<u64>(x);
  if (bits >> 63) putByte(0x2d);
  if (!isFinite(x)) {
    putAscii("Infinity");
    return;
  }
  if (x == 0) {
    putAscii("0.0");
    return;
  }
  const biased = <i32>(bits >> 52) & 0x7ff;
  let f = bits & 0xfffffffffffff;
  let e: i32;
  if (biased == 0) {
    e = -1074;
  } else {
    f |= <u64>1 << 52;
    e = biased - 1075;
  }
  // v = f * 2^e. Doubling everything leaves room for the half-gaps m+ and
  // m-; at a power of two the gap below is half the gap above.
  const unequalGaps = biased > 1 && f == <u64>1 << 52;
  const shift: i32 = unequalGaps ? 2 : 1;
  if (e >= 0) {
    bigSet(R, f, e + shift);
    bigSet(S, 1, shift);
    bigSet(MPLUS, 1, e + shift - 1);
    bigSet(MMINUS, 1, e);
  } else {
    bigSet(R, f, shift);
    bigSet(S, 1, shift - e);
    bigSet(MPLUS, 1, shift - 1);
    bigSet(MMINUS, 1, 0);
  }
  // Round-half-even reading makes the boundaries themselves round-trip.
  const even = (f & 1) == 0;

  // Decimal exponent k with v < 10^k: this estimate from the bit length
  // is k or k - 1, and the check below corrects the latter.
  let k = <i32>Math.ceil(<f64>(e + 63 - <i32>clz(f)) * 0.30102999566398114 - 1e-10);
  if (k >= 0) {
    bigMulPow10(S, k);
  } else {
    bigMulPow10(R, -k);
    bigMulPow10(MPLUS, -k);
    bigMulPow10(MMINUS, -k);
  }
  bigAdd(SUM, R, MPLUS);
  const top = bigCmp(SUM, S);
  if (even ? top >= 0 : top > 0) {
    bigMul(S, 10);
    k++;
  }

  let count: usize = 0;
  let last = false;
  while (!last) {
    bigMul(R, 10);
    bigMul(MPLUS, 10);
    bigMul(MMINUS, 10);
    let d: u32 = 0;
    while (bigCmp(R, S) >= 0) {
      bigSub(R, S);
      d++;
    }
    // Stop once d or d + 1 leaves v inside the rounding interval.
    const lowCmp = bigCmp(R, MMINUS);
    const low = even ? lowCmp <= 0 : lowCmp < 0;
    bigAdd(SUM, R, MPLUS);
    const highCmp = bigCmp(SUM, S);
    const high = even ? highCmp >= 0 : highCmp > 0;
    if (low && high) {
      // Both round-trip: take the nearer, the even one on a tie.
      bigAdd(SUM, R, R);
      const half = bigCmp(SUM, S);
      if (half > 0 || (half == 0 && (d & 1))) d++;
    } else if (high) {
      d++;
    }
    store<u8>(DIGITS + count++, d);
    last = low || high;
  }
  putDecimal(count, k);
}

// Lays out v = 0.d1d2...dcount * 10^k the way Number::toString does.
function putDecimal(count: usize, k: i32): void {
  const n = <i32>count;
  if (k > 0 && k <= 21) {
    if (n <= k) {
      putDigits(0, n);
      for (let i = n; i < k; i++) putByte(0x30);
      putAscii(".0");
    } else {
      putDigits(0, k);
      putByte(0x2e);
      putDigits(k, n);
    }
  } else if (k <= 0 && k > -6) {
    putAscii("0.");
    for (let i = k; i < 0; i++) putByte(0x30);
    putDigits(0, n);
  } else {
    const exp = k - 1;
    putDigits(0, 1);
    if (n > 1) {
      putByte(0x2e);
      putDigits(1, n);
    } else if (exp > 0) {
      putAscii(".0"); // one digit and a positive exponent: an integer
    }
    putByte(0x65);
    putByte(exp < 0 ? 0x2d : 0x2b);
    putU64(<u64>abs(exp));
  }
}

function putDigits(from: i32, to: i32): void {
  for (let i = from; i < to; i++) putByte(48 + <u32>load<u8>(DIGITS + <usize>i));
}
