// Diagnostic notation (RFC 8949 section 8) of CBOR over raw linear memory. What is a valid
// value is format/value.ts's to say; this prints what it accepted.

import { GrowableBuffer } from '../util/memory';
import { hexLower } from "../crypto/sha3";
import { argBytes, readArg, halfToF64 } from "./value";

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
 * have passed checkValue (format/value.ts); the item's own lengths bound the walk. Floats print as JavaScript prints numbers, with
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
