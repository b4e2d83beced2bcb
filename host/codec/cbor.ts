/**
 * Strict CBOR (RFC 8949) codec for iodict values.
 *
 * Type mapping (encode: JS -> CBOR; decode: CBOR -> JS):
 *
 * | JS value                              | CBOR                                                      |
 * | ------------------------------------- | --------------------------------------------------------- |
 * | `false` / `true`                      | simple 20 / 21 (`f4` / `f5`)                              |
 * | `null` / `undefined`                  | simple 22 / 23 (`f6` / `f7`)                              |
 * | safe integer (not -0)                 | major 0 / 1, shortest argument                            |
 * | any other number (incl. -0)           | shortest of float16/32/64 that is exact; NaN is `f97e00`  |
 * | `bigint`                              | always tag 2 / tag 3 bignum, so the type round-trips      |
 * | `string`                              | major 3, UTF-8                                            |
 * | `Uint8Array`, `Buffer`, `ArrayBuffer` | major 2, decoded as a fresh `Uint8Array` (never a view)   |
 * | `Array`                               | major 4                                                   |
 * | plain object                          | major 5 with text keys, decoded as `{}`                   |
 * | `Map`                                 | tag 259 + major 5 with keys of any type, decoded as `Map` |
 * | `Set`                                 | tag 258 + major 4, decoded as `Set`                       |
 * | `Date`                                | tag 1 + epoch seconds: integer when whole, else float64   |
 * | `Uint8ClampedArray`                   | tag 68 + byte string                                      |
 * | `Uint16Array` / `Uint32Array`         | tag 69 / 70 + byte string (RFC 8746, little-endian)       |
 * | `BigUint64Array`                      | tag 71 + byte string (little-endian)                      |
 * | `Int8Array`                           | tag 72 + byte string                                      |
 * | `Int16Array` / `Int32Array`           | tag 77 / 78 + byte string (little-endian)                 |
 * | `BigInt64Array`                       | tag 79 + byte string (little-endian)                      |
 * | `Float32Array` / `Float64Array`       | tag 85 / 86 + byte string (little-endian)                 |
 *
 * Encoding:
 * - Only definite lengths. Map entries follow the object's / Map's iteration order.
 * - Objects whose prototype is neither `Object.prototype` nor `null` (class instances) are encoded
 *   like JSON, as a map of their own enumerable string keys; symbol keys are skipped.
 * - An invalid `Date` is tag 1 + a NaN float64 and decodes to an invalid `Date`.
 * - TypeError for: functions, symbols, strings with a lone surrogate (not valid UTF-8), other
 *   ArrayBuffer views (DataView, Float16Array), and nesting deeper than 512 arrays/maps, which
 *   catches every cyclic structure.
 *
 * Decoding accepts every well-formed encoding of the above (non-shortest arguments, indefinite
 * lengths), and also:
 * - major 0 / 1 integers outside the safe-integer range, returned as `bigint`;
 * - tag 0 (RFC 3339 date/time string), returned as `Date`;
 * - tag 64 (RFC 8746 uint8 array, which cbor-x emits for a `Uint8Array`), returned as `Uint8Array`;
 * - a major-5 map without tag 259 whose keys are not all text strings, returned as `Map` in wire
 *   order, except that integer-like text keys before the first non-text key come first (JS
 *   object order).
 * A map whose keys are all text decodes to an ordinary object; the key `__proto__` becomes an own
 * property, never the prototype. Everything else throws `CborError`: truncated input, trailing
 * bytes, reserved additional info 28-30, misplaced breaks or indefinite lengths, invalid UTF-8,
 * unknown tags or simple values, tag content of the wrong type, duplicate map keys or set elements
 * (including keys JS cannot tell apart, such as 0 and -0.0 in a Map), and nesting deeper than 512
 * arrays/maps.
 */

export class CborError extends Error {
  override name = 'CborError';
}

const MAX_DEPTH = 512;

const TYPED_ARRAYS = [
  [68, Uint8ClampedArray],
  [69, Uint16Array],
  [70, Uint32Array],
  [71, BigUint64Array],
  [72, Int8Array],
  [77, Int16Array],
  [78, Int32Array],
  [79, BigInt64Array],
  [85, Float32Array],
  [86, Float64Array],
] as const;
type TypedArrayConstructor = (typeof TYPED_ARRAYS)[number][1];
const TAG_BY_TYPE = new Map<string, number>(TYPED_ARRAYS.map(([tag, T]) => [T.name, tag]));
const TYPE_BY_TAG = new Map<number, TypedArrayConstructor>(TYPED_ARRAYS);

// RFC 8746 payloads are little-endian; on a big-endian host each element's bytes are reversed.
const NATIVE_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toLittleEndian(bytes: Uint8Array, size: number): void {
  if (NATIVE_LE || size === 1) return;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

// ---------------------------------------------------------------------------------------------
// Encoder. One module-level buffer is reused across calls so small values allocate only the
// returned view.

const INITIAL_SIZE = 8192;
// After a single huge value, do not pin its buffer forever.
const RETAINED_SIZE = 1 << 20;
// Strings shorter than this are encoded by hand, which beats a TextEncoder call on flat strings of
// up to ~40 characters (but not on concatenated ones, where charCodeAt is slow); 3 bytes per
// UTF-16 unit still fits a 2-byte head.
const SHORT_STRING = 32;

const textEncoder = new TextEncoder();
let buf: Uint8Array = new Uint8Array(INITIAL_SIZE);
let view: DataView = new DataView(buf.buffer);
let pos = 0;

// encode() copies small results into slices of a shared slab, as Node's Buffer pool does: a
// separate ArrayBuffer per call costs more than encoding a small object. Only the slab is shared;
// no two results overlap.
const POOL_SIZE = 16384;
const POOLED_MAX = 2048;
let pool = new Uint8Array(0);
let poolUsed = 0;

/** Encode a JS value; returns a view into an internal reusable buffer, valid until the next encode call. */
export function encodeInto(value: unknown): Uint8Array {
  // Non-zero only when a getter re-enters encode: the nested value is then written after the
  // outer one's partial output, which the finally block leaves intact.
  const start = pos;
  if (start === 0 && buf.length > RETAINED_SIZE) setBuffer(new Uint8Array(INITIAL_SIZE));
  try {
    writeValue(value, 0);
    return buf.subarray(start, pos);
  } finally {
    pos = start;
  }
}

/**
 * Encode a JS value into a fresh Uint8Array (a copy). Results up to 2 KiB are carved from a shared
 * 16 KiB ArrayBuffer, like Node's Buffer pool: mind `byteOffset` when using `.buffer`.
 */
export function encode(value: unknown): Uint8Array {
  const bytes = encodeInto(value);
  const n = bytes.length;
  if (n > POOLED_MAX) return new Uint8Array(bytes);
  if (poolUsed + n > pool.length) {
    pool = new Uint8Array(POOL_SIZE);
    poolUsed = 0;
  }
  const out = pool.subarray(poolUsed, poolUsed + n);
  out.set(bytes);
  // 8-byte aligned, so a caller may lay a typed array over out.buffer at out.byteOffset.
  poolUsed = (poolUsed + n + 7) & ~7;
  return out;
}

function setBuffer(next: Uint8Array): void {
  buf = next;
  view = new DataView(next.buffer);
}

function ensure(n: number): void {
  if (pos + n > buf.length) grow(n);
}

function grow(n: number): void {
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, pos));
  setBuffer(next);
}

/** Writes a major type (already shifted left by 5) with its argument in the shortest form. */
function writeHead(major: number, n: number): void {
  ensure(9);
  if (n < 24) {
    buf[pos++] = major | n;
  } else if (n < 0x100) {
    buf[pos++] = major | 24;
    buf[pos++] = n;
  } else if (n < 0x10000) {
    buf[pos++] = major | 25;
    buf[pos++] = n >>> 8;
    buf[pos++] = n & 0xff;
  } else if (n < 0x100000000) {
    buf[pos] = major | 26;
    view.setUint32(pos + 1, n);
    pos += 5;
  } else {
    buf[pos] = major | 27;
    view.setUint32(pos + 1, Math.floor(n / 0x100000000));
    view.setUint32(pos + 5, n >>> 0);
    pos += 9;
  }
}

function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9;
}

function writeByte(b: number): void {
  ensure(1);
  buf[pos++] = b;
}

function writeValue(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string':
      return writeString(v);
    case 'number':
      return writeNumber(v);
    case 'boolean':
      return writeByte(v ? 0xf5 : 0xf4);
    case 'undefined':
      return writeByte(0xf7);
    case 'object':
      return v === null ? writeByte(0xf6) : writeObject(v, depth);
    case 'bigint':
      return writeBigInt(v);
    default:
      throw new TypeError(`cannot encode a ${typeof v} as CBOR`);
  }
}

function writeNumber(n: number): void {
  if (Number.isSafeInteger(n) && (n !== 0 || 1 / n > 0)) {
    if (n >= 0) writeHead(0x00, n);
    else writeHead(0x20, -1 - n);
  } else {
    writeFloat(n);
  }
}

function writeFloat(n: number): void {
  ensure(9);
  if (Math.fround(n) === n) {
    view.setFloat32(pos + 1, n);
    const half = toHalf(view.getUint32(pos + 1));
    if (half < 0) {
      buf[pos] = 0xfa;
      pos += 5;
    } else {
      buf[pos] = 0xf9;
      buf[pos + 1] = half >>> 8;
      buf[pos + 2] = half & 0xff;
      pos += 3;
    }
  } else if (n !== n) {
    buf[pos] = 0xf9;
    buf[pos + 1] = 0x7e;
    buf[pos + 2] = 0x00;
    pos += 3;
  } else {
    buf[pos] = 0xfb;
    view.setFloat64(pos + 1, n);
    pos += 9;
  }
}

/** float32 bits -> float16 bits, or -1 when float16 cannot hold the value exactly. NaN excluded. */
function toHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00;
  // Zero; float32 subnormals are far below the float16 range.
  if (exp === 0) return mant === 0 ? sign : -1;
  // float16 normals: unbiased exponent -14..15.
  if (exp >= 113 && exp <= 142) {
    return (mant & 0x1fff) === 0 ? sign | ((exp - 112) << 10) | (mant >>> 13) : -1;
  }
  // float16 subnormals: m * 2^-24 with m in 1..1023.
  if (exp >= 103 && exp < 113) {
    const shift = 126 - exp;
    const m = mant | 0x800000;
    return (m & ((1 << shift) - 1)) === 0 ? sign | (m >>> shift) : -1;
  }
  return -1;
}

function writeBigInt(v: bigint): void {
  let tag = 0xc2;
  if (v < 0n) {
    tag = 0xc3;
    v = -1n - v;
  }
  let hex = v === 0n ? '' : v.toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const len = hex.length >>> 1;
  writeByte(tag);
  writeHead(0x40, len);
  ensure(len);
  for (let i = 0; i < hex.length; i += 2) buf[pos++] = parseInt(hex.slice(i, i + 2), 16);
}

function writeString(s: string): void {
  const n = s.length;
  if (n >= SHORT_STRING) return writeLongString(s);
  ensure(2 + 3 * n);
  // Optimistically assume ASCII, where the byte length equals n and the header size is known.
  const head = n < 24 ? 1 : 2;
  const b = buf; // a local lets the loop skip reloading the module binding
  let at = pos + head;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    b[at++] = c;
  }
  if (i < n) at = writeUtf8(s, i, at);
  const len = at - pos - head;
  if (len >= 24 && head === 1) {
    buf.copyWithin(pos + 2, pos + 1, at);
    at++;
  }
  if (len < 24) {
    buf[pos] = 0x60 | len;
  } else {
    buf[pos] = 0x78;
    buf[pos + 1] = len;
  }
  pos = at;
}

/** UTF-8 encodes s[i..] at buf[at..] (space already ensured); returns the end offset. */
function writeUtf8(s: string, i: number, at: number): number {
  for (const n = s.length; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[at++] = c;
    } else if (c < 0x800) {
      buf[at++] = 0xc0 | (c >>> 6);
      buf[at++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c >= 0xe000) {
      buf[at++] = 0xe0 | (c >>> 12);
      buf[at++] = 0x80 | ((c >>> 6) & 0x3f);
      buf[at++] = 0x80 | (c & 0x3f);
    } else {
      const d = c < 0xdc00 && i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d >= 0xe000) throw loneSurrogate();
      i++;
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      buf[at++] = 0xf0 | (c >>> 18);
      buf[at++] = 0x80 | ((c >>> 12) & 0x3f);
      buf[at++] = 0x80 | ((c >>> 6) & 0x3f);
      buf[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at;
}

function writeLongString(s: string): void {
  // TextEncoder would silently replace a lone surrogate with U+FFFD.
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) throw loneSurrogate();
  const max = 3 * s.length;
  ensure(9 + max);
  const head = headSize(max);
  const len = textEncoder.encodeInto(s, buf.subarray(pos + head)).written;
  const start = pos + head;
  writeHead(0x60, len);
  if (pos !== start) buf.copyWithin(pos, start, start + len);
  pos += len;
}

function loneSurrogate(): TypeError {
  return new TypeError('cannot encode a string containing a lone surrogate as CBOR text');
}

function writeBytes(bytes: Uint8Array): void {
  writeHead(0x40, bytes.length);
  ensure(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

function nest(depth: number, what: string): number {
  if (depth >= MAX_DEPTH) {
    throw new TypeError(`cannot encode ${what}: cyclic, or nested deeper than ${MAX_DEPTH} levels`);
  }
  return depth + 1;
}

function writeObject(o: object, depth: number): void {
  if (Array.isArray(o)) {
    const inner = nest(depth, 'an array');
    // Length read once: a getter on an element must not make the items disagree with the head.
    const n = o.length;
    writeHead(0x80, n);
    for (let i = 0; i < n; i++) writeValue(o[i], inner);
    return;
  }
  const proto = Object.getPrototypeOf(o);
  if (proto === Object.prototype || proto === null) return writeFields(o, depth);
  if (ArrayBuffer.isView(o)) return writeView(o);
  if (o instanceof Map) {
    const inner = nest(depth, 'a Map');
    ensure(3);
    buf[pos++] = 0xd9;
    buf[pos++] = 0x01;
    buf[pos++] = 0x03;
    writeHead(0xa0, o.size);
    for (const [k, v] of o) {
      writeValue(k, inner);
      writeValue(v, inner);
    }
    return;
  }
  if (o instanceof Set) {
    const inner = nest(depth, 'a Set');
    ensure(3);
    buf[pos++] = 0xd9;
    buf[pos++] = 0x01;
    buf[pos++] = 0x02;
    writeHead(0x80, o.size);
    for (const v of o) writeValue(v, inner);
    return;
  }
  if (o instanceof Date) {
    const ms = o.getTime();
    writeByte(0xc1);
    if (ms % 1000 === 0) {
      writeNumber(ms / 1000);
    } else {
      // Also covers an invalid Date, whose NaN time round-trips as a NaN float64.
      ensure(9);
      buf[pos] = 0xfb;
      view.setFloat64(pos + 1, ms / 1000);
      pos += 9;
    }
    return;
  }
  if (o instanceof ArrayBuffer) return writeBytes(new Uint8Array(o));
  writeFields(o, depth);
}

function writeFields(o: object, depth: number): void {
  const inner = nest(depth, 'an object');
  const keys = Object.keys(o);
  writeHead(0xa0, keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    writeString(k);
    writeValue((o as Record<string, unknown>)[k], inner);
  }
}

function writeView(v: ArrayBufferView): void {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof Uint8Array) return writeBytes(bytes);
  const name = (v as { [Symbol.toStringTag]?: string })[Symbol.toStringTag];
  const tag = name === undefined ? undefined : TAG_BY_TYPE.get(name);
  if (tag === undefined) throw new TypeError(`cannot encode a ${name ?? 'DataView'} as CBOR`);
  ensure(2);
  buf[pos++] = 0xd8;
  buf[pos++] = tag;
  const start = pos + headSize(bytes.length);
  writeBytes(bytes);
  toLittleEndian(buf.subarray(start, pos), TYPE_BY_TAG.get(tag)!.BYTES_PER_ELEMENT);
}

// ---------------------------------------------------------------------------------------------
// Decoder. Reads from module-level state; no user code runs while decoding, so it cannot be
// re-entered.

// ASCII text shorter than this is decoded by hand: a TextDecoder call costs about as much as
// building a 32-character string.
const SHORT_TEXT = 32;
const KEY_CACHE_SIZE = 4096;
const keyCache: string[] = new Array<string>(KEY_CACHE_SIZE).fill('');
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const scratch = new DataView(new ArrayBuffer(8));
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;

let src: Uint8Array = EMPTY;
let p = 0;
let limit = 0;

/** Decode exactly one CBOR data item spanning bytes[start, end); throws CborError if malformed or if bytes remain. */
export function decode(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode expects a Uint8Array');
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(`decode range [${start}, ${end}) is outside the ${bytes.length}-byte input`);
  }
  src = bytes;
  p = start;
  limit = end;
  try {
    const value = readItem(0);
    if (p !== limit) throw new CborError(`${limit - p} trailing byte(s) after the data item at offset ${p}`);
    return value;
  } finally {
    src = EMPTY; // do not keep the caller's buffer alive
  }
}

function fail(message: string): CborError {
  return new CborError(`${message} at offset ${p}`);
}

function need(n: number): void {
  if (n > limit - p) throw fail('unexpected end of input');
}

function readU16(): number {
  const v = (src[p]! << 8) | src[p + 1]!;
  p += 2;
  return v;
}

function readU32(): number {
  const v = ((src[p]! << 24) | (src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!) >>> 0;
  p += 4;
  return v;
}

/** The argument of a head as a number (inexact above 2^53, which no valid length or tag reaches). */
function readArg(info: number): number {
  if (info < 24) return info;
  switch (info) {
    case 24:
      need(1);
      return src[p++]!;
    case 25:
      need(2);
      return readU16();
    case 26:
      need(4);
      return readU32();
    case 27:
      need(8);
      return readU32() * 0x100000000 + readU32();
    case 31:
      throw fail('indefinite length not allowed here');
    default:
      throw fail(`reserved additional information ${info}`);
  }
}

/** A definite count of items that each take at least `minBytes`, checked against the input left. */
function readCount(info: number, minBytes: number): number {
  const n = readArg(info);
  need(n * minBytes);
  return n;
}

function readItem(depth: number): unknown {
  need(1);
  const ib = src[p++]!;
  const info = ib & 0x1f;
  switch (ib >>> 5) {
    case 0:
      return info < 24 ? info : readInteger(info, false);
    case 1:
      return info < 24 ? -1 - info : readInteger(info, true);
    case 2:
      return readBytes(info);
    case 3:
      return readText(info);
    case 4:
      return readArray(info, depth);
    case 5:
      return readMap(info, depth);
    case 6:
      return readTag(info, depth);
    default:
      return readSimple(info);
  }
}

function readInteger(info: number, negative: boolean): number | bigint {
  if (info !== 27) {
    const n = readArg(info);
    return negative ? -1 - n : n;
  }
  need(8);
  const hi = readU32();
  const lo = readU32();
  if (hi < 0x200000) {
    const n = hi * 0x100000000 + lo;
    if (!negative) return n;
    if (n < Number.MAX_SAFE_INTEGER) return -1 - n;
  }
  const big = (BigInt(hi) << 32n) | BigInt(lo);
  return negative ? -1n - big : big;
}

/** Chunks of an indefinite-length string: definite strings of the same major type, then a break. */
function readChunks(major: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (;;) {
    need(1);
    const ib = src[p++]!;
    if (ib === 0xff) return chunks;
    if ((ib & 0xe0) !== major || (ib & 0x1f) === 31) {
      p--;
      throw fail('invalid chunk in an indefinite-length string');
    }
    const n = readArg(ib & 0x1f);
    need(n);
    chunks.push(src.subarray(p, (p += n)));
  }
}

function readBytes(info: number): Uint8Array<ArrayBuffer> {
  if (info === 31) {
    const chunks = readChunks(0x40);
    let total = 0;
    for (const c of chunks) total += c.length;
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  const n = readArg(info);
  need(n);
  // Copy: the result must not alias (or keep alive) the caller's buffer.
  const out = new Uint8Array(n);
  out.set(src.subarray(p, (p += n)));
  return out;
}

function readText(info: number): string {
  if (info === 31) {
    let s = '';
    for (const c of readChunks(0x60)) s += decodeUtf8(c);
    return s;
  }
  const n = info < 24 ? info : readArg(info);
  need(n);
  const start = p;
  p += n;
  return n < SHORT_TEXT && isAscii(start, n) ? ascii(start, n) : decodeUtf8(src.subarray(start, p));
}

/** Reads a map key, reusing one string per distinct short ASCII key: keys repeat across records. */
function readKey(depth: number): unknown {
  need(1);
  const n = src[p]! - 0x60;
  if (n < 0 || n > 23) return readItem(depth);
  p++;
  need(n);
  let h = n;
  for (let i = p, e = p + n; i < e; i++) {
    const c = src[i]!;
    if (c >= 0x80) return decodeUtf8(src.subarray(p, (p += n)));
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = (h ^ (h >>> 13)) & (KEY_CACHE_SIZE - 1);
  let s = keyCache[slot]!;
  if (!sameAscii(s, p, n)) keyCache[slot] = s = ascii(p, n);
  p += n;
  return s;
}

function sameAscii(s: string, at: number, n: number): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== src[at + i]) return false;
  return true;
}

function isAscii(at: number, n: number): boolean {
  for (let i = at, e = at + n; i < e; i++) if (src[i]! >= 0x80) return false;
  return true;
}

/** src[at, at + n) as a string, all bytes known to be ASCII. */
function ascii(at: number, n: number): string {
  // Eight characters per fromCharCode call: fewer calls and concatenations than one per byte.
  const b = src;
  const f = String.fromCharCode;
  let s = '';
  for (; n >= 8; n -= 8, at += 8) s += f(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!, b[at + 4]!, b[at + 5]!, b[at + 6]!, b[at + 7]!);
  if (n >= 4) {
    s += f(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
    at += 4;
    n -= 4;
  }
  if (n >= 2) {
    s += f(b[at]!, b[at + 1]!);
    at += 2;
    n -= 2;
  }
  return n === 0 ? s : s + f(b[at]!);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw fail('invalid UTF-8 in the text string ending');
  }
}

function nestIn(depth: number): number {
  if (depth >= MAX_DEPTH) throw fail(`nesting deeper than ${MAX_DEPTH}`);
  return depth + 1;
}

/** For an indefinite container: consumes the break and returns true when the next byte is one. */
function atBreak(): boolean {
  need(1);
  if (src[p] !== 0xff) return false;
  p++;
  return true;
}

function readArray(info: number, depth: number): unknown[] {
  const inner = nestIn(depth);
  const arr: unknown[] = [];
  if (info === 31) {
    while (!atBreak()) arr.push(readItem(inner));
  } else {
    for (let n = readCount(info, 1); n > 0; n--) arr.push(readItem(inner));
  }
  return arr;
}

function readMap(info: number, depth: number): object {
  const inner = nestIn(depth);
  const obj: Record<string, unknown> = {};
  for (let left = mapCount(info); left < 0 ? !atBreak() : left-- > 0; ) {
    const key = readKey(inner);
    if (typeof key !== 'string') {
      // Not representable as an object: carry on as a Map. (Re-reading the entries to keep wire
      // order would cost exponential time on nested maps.)
      const map = new Map<unknown, unknown>(Object.entries(obj));
      map.set(key, readItem(inner));
      return readEntries(map, left, inner);
    }
    if (Object.hasOwn(obj, key)) throw fail(`duplicate map key ${JSON.stringify(key)}`);
    const value = readItem(inner);
    if (key === '__proto__') {
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      obj[key] = value;
    }
  }
  return obj;
}

/** The entry count of a map head: -1 when indefinite. */
function mapCount(info: number): number {
  return info === 31 ? -1 : readCount(info, 2);
}

function readEntries(map: Map<unknown, unknown>, count: number, inner: number): Map<unknown, unknown> {
  for (let left = count; left < 0 ? !atBreak() : left-- > 0; ) {
    const key = readKey(inner);
    const size = map.size;
    map.set(key, readItem(inner));
    if (map.size === size) throw fail('duplicate map key');
  }
  return map;
}

function readSimple(info: number): unknown {
  switch (info) {
    case 20:
      return false;
    case 21:
      return true;
    case 22:
      return null;
    case 23:
      return undefined;
    case 24: {
      need(1);
      const v = src[p++]!;
      throw fail(v < 32 ? `two-byte encoding of simple value ${v}` : `unsupported simple value ${v}`);
    }
    case 25:
      need(2);
      return fromHalf(readU16());
    case 26:
      need(4);
      scratch.setUint32(0, readU32());
      return scratch.getFloat32(0);
    case 27:
      need(8);
      scratch.setUint32(0, readU32());
      scratch.setUint32(4, readU32());
      return scratch.getFloat64(0);
    case 31:
      p--;
      throw fail('unexpected break');
    default:
      throw fail(info < 24 ? `unsupported simple value ${info}` : `reserved additional information ${info}`);
  }
}

function fromHalf(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const v = exp === 0 ? mant * 2 ** -24 : exp === 31 ? (mant === 0 ? Infinity : NaN) : (mant + 1024) * 2 ** (exp - 25);
  return h & 0x8000 ? -v : v;
}

/** Consumes the head of a tag's content, which must be of `major`; returns its additional info. */
function content(tag: number, major: number): number {
  need(1);
  const ib = src[p]!;
  if (ib >>> 5 !== major) throw fail(`tag ${tag}: content of major type ${ib >>> 5}`);
  p++;
  return ib & 0x1f;
}

function readTag(info: number, depth: number): unknown {
  const tag = readArg(info);
  switch (tag) {
    case 0: {
      const s = readText(content(0, 3));
      const ms = RFC3339.test(s) ? Date.parse(s.toUpperCase()) : NaN;
      if (ms !== ms) throw fail(`tag 0: invalid RFC 3339 date/time ${JSON.stringify(s)}`);
      return new Date(ms);
    }
    case 1: {
      need(1);
      const ib = src[p]!;
      // Checked before reading so that nested tags cannot recurse without bound.
      const seconds = ib < 0x40 || (ib >= 0xf9 && ib <= 0xfb) ? readItem(depth) : undefined;
      if (typeof seconds !== 'number') throw fail('tag 1: content is not an integer or float');
      return new Date(Math.round(seconds * 1000));
    }
    case 2:
    case 3: {
      const bytes = readBytes(content(tag, 2));
      let hex = '0x0';
      for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
      const n = BigInt(hex);
      return tag === 2 ? n : -1n - n;
    }
    case 64:
      return readBytes(content(tag, 2));
    case 258: {
      const items = readArray(content(tag, 4), depth);
      const set = new Set(items);
      if (set.size !== items.length) throw fail('tag 258: duplicate set element');
      return set;
    }
    case 259: {
      const count = mapCount(content(tag, 5));
      return readEntries(new Map(), count, nestIn(depth));
    }
  }
  const Type = TYPE_BY_TAG.get(tag);
  if (Type === undefined) throw fail(`unsupported tag ${tag}`);
  const bytes = readBytes(content(tag, 2));
  if (bytes.length % Type.BYTES_PER_ELEMENT !== 0) {
    throw fail(`tag ${tag}: ${bytes.length} bytes is not a whole number of ${Type.name} elements`);
  }
  toLittleEndian(bytes, Type.BYTES_PER_ELEMENT);
  return new Type(bytes.buffer);
}
