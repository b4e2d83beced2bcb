/**
 * CBOR (RFC 8949) codec for iodict values: the structured clone algorithm (what IndexedDB,
 * `postMessage` and `structuredClone` use) in CBOR. FORMAT.md section 4 is the reference: the
 * tags, the limits, and the rules for reading. In short:
 *
 * | JS value                              | CBOR                                                      |
 * | ------------------------------------- | --------------------------------------------------------- |
 * | `false` `true` `null` `undefined`     | simple 20-23                                              |
 * | safe integer (not -0)                 | major 0 / 1, shortest argument                            |
 * | any other number (incl. -0)           | shortest of float16/32/64 that is exact; NaN is `f97e00`  |
 * | `bigint`                              | tag 2 / 3 bignum                                          |
 * | `string`                              | major 3; with a lone surrogate, tag 273 + WTF-8 bytes     |
 * | `Uint8Array` (and `Buffer`)           | major 2                                                   |
 * | other typed arrays                    | RFC 8746 tags 68-86, little-endian                        |
 * | `Array`                               | major 4, a hole as tag 31 + undefined; longer than        |
 * |                                       | 2^24 - 1: tag 27 ["Array", length, {index: element}]      |
 * | plain object, class instance          | major 5 with string keys (own enumerable string keys)     |
 * | `Map` / `Set`                         | tag 259 + map / tag 258 + array                           |
 * | `Date`                                | tag 1 + epoch seconds: integer when whole, else float64   |
 * | `RegExp`                              | tag 21066 [source, flags]                                 |
 * | `Error` and its six standard subclasses | tag 27 [name, {message?, stack?, cause?}]               |
 * | `Number` `String` `Boolean` `BigInt` objects | tag 27 [type, primitive]                           |
 * | `ArrayBuffer` / `DataView`            | tag 27 ["ArrayBuffer", bytes, maxByteLength?] / ["DataView", bytes] |
 * | an object met again (shared, cyclic)  | tag 28 on its first appearance, tag 29 + index after      |
 *
 * Refused with a TypeError naming the path inside the value (`value.items[3].then`): functions,
 * symbols, and what structuredClone refuses (Promise, WeakMap, WeakSet, WeakRef, generators,
 * iterators, SharedArrayBuffer, detached buffers, Blob, ...). Limits (FORMAT.md) are RangeErrors.
 *
 * `decode` checks its input with the core's rules (codec/check.ts) and throws CborError for
 * anything they refuse; `decodeChecked` decodes bytes the core has already checked.
 */
import { types } from 'node:util';
import { Buffer, isAscii as allAscii } from 'node:buffer';
import { checkValueBytes, problemText } from './check.js';

export class CborError extends Error {
  override name = 'CborError';
}

// FORMAT.md's limits (assembly/format/value.ts and record.ts hold the same numbers).
const MAX_DEPTH = 512;
const MAX_ITEMS = 2 ** 24 - 1;
const MAX_BIGNUM_BYTES = 2 ** 20;
export const MAX_VALUE_BYTES = 2 ** 28;

const TAG_OBJECT = 27;
const TAG_SHAREABLE = 28;
const TAG_REFERENCE = 29;
const TAG_SET = 258;
const TAG_MAP = 259;
const TAG_WTF8 = 273;
const TAG_REGEXP = 21066;

const Float16 = (globalThis as { Float16Array?: TypedArrayConstructor }).Float16Array;
type TypedArrayConstructor = Uint16ArrayConstructor; // the shape every typed array constructor shares
const TYPED_ARRAYS: [number, string, number][] = [
  [68, 'Uint8ClampedArray', 1], [69, 'Uint16Array', 2], [70, 'Uint32Array', 4], [71, 'BigUint64Array', 8],
  [72, 'Int8Array', 1], [77, 'Int16Array', 2], [78, 'Int32Array', 4], [79, 'BigInt64Array', 8],
  [84, 'Float16Array', 2], [85, 'Float32Array', 4], [86, 'Float64Array', 8],
];
const TAG_BY_TYPE = new Map<string, number>(TYPED_ARRAYS.map(([tag, name]) => [name, tag]));
const TYPE_BY_TAG = new Map<number, [string, number]>(TYPED_ARRAYS.map(([tag, name, size]) => [tag, [name, size]]));

const ERROR_NAMES = new Set(['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError']);

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
// After a single huge value, do not pin its buffer forever; up to 4 MiB is kept, as the core's
// memory keeps room for such a record anyway, so 1 MiB values don't allocate 2 MiB each.
const RETAINED_SIZE = 4 << 20;
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

/** A value the encoder refuses; the containers it sits in add their part of its path on the way out. */
class Refused {
  readonly path: string[] = [];
  constructor(
    readonly kind: typeof TypeError | typeof RangeError,
    readonly what: string,
  ) {}
}

/** Adds a container's path segment to a refusal passing through it; other errors pass unchanged. */
function via(error: unknown, segment: () => string): unknown {
  if (error instanceof Refused) error.path.push(segment());
  return error;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const keySegment = (key: string) => (IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
function mapKeySegment(key: unknown, index: number): string {
  if (typeof key === 'string') return `.get(${JSON.stringify(key)})`;
  if (typeof key === 'number' || typeof key === 'boolean' || key == null) return `.get(${String(key)})`;
  if (typeof key === 'bigint') return `.get(${key}n)`;
  return `.values()[${index}]`;
}

/** Encode a JS value; returns a view into an internal reusable buffer, valid until the next encode call. */
export function encodeInto(value: unknown): Uint8Array {
  // Non-zero only when a getter re-enters encode: the nested value is then written after the
  // outer one's partial output, which the finally block leaves intact.
  const start = pos;
  if (start === 0 && buf.length > RETAINED_SIZE) setBuffer(new Uint8Array(INITIAL_SIZE));
  const outer = identity;
  // One Identity serves every call but a re-entered one, which needs its own.
  identity = start === 0 ? reusedIdentity.reset() : new Identity();
  try {
    writeValue(value, 0);
    if (pos - start > MAX_VALUE_BYTES) throw new Refused(RangeError, 'a value whose encoding is larger than the 256 MiB limit');
    if (identity.marked.length > 0) return identity.resolveShared(start);
    return buf.subarray(start, pos);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    const path = 'value' + e.path.reverse().join('');
    throw new e.kind(`iodict: cannot store ${e.what}${path === 'value' ? '' : ` at ${path}`}`);
  } finally {
    pos = start;
    identity = outer;
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
  // Heads and the UTF-8 of a string are reserved before they are known exactly: a little slack.
  if (pos + n > MAX_VALUE_BYTES + 64) throw new Refused(RangeError, 'a value whose encoding is larger than the 256 MiB limit');
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, pos));
  setBuffer(next);
}

/**
 * The objects met so far in one encode, by identity: an object met again is written as a
 * reference (tag 29) to its first appearance, which gets a mark (tag 28) in front of it. Which
 * objects are shared is known only once they are met again, so the marks are inserted at the
 * end, and the references, written as placeholders, get their final numbers then.
 */
class Identity {
  // The first few objects are found by a linear scan, which is cheaper than a Map for small values.
  readonly objects: (object | undefined)[] = [];
  count = 0;
  map: Map<object, number> | undefined;
  readonly starts: number[] = []; // where each object's item begins
  readonly marked: number[] = []; // objects met again
  readonly references: number[] = []; // [placeholder offset, object] pairs

  /** Forgets the last encode's objects (without keeping them alive) at the cost of what it met. */
  reset(): this {
    const objects = this.objects;
    for (let i = Math.min(this.count, LINEAR_OBJECTS) - 1; i >= 0; i--) objects[i] = undefined;
    this.count = 0;
    this.map = undefined;
    if (this.marked.length) {
      this.marked.length = 0;
      this.references.length = 0;
    }
    return this;
  }

  /** The object's number if it was met before; else -1, and it is numbered starting at `at`. */
  find(o: object, at: number): number {
    const n = this.count;
    const map = this.map;
    if (map !== undefined) {
      const seen = map.get(o);
      if (seen !== undefined) return seen;
      map.set(o, n);
    } else {
      const objects = this.objects;
      for (let i = 0; i < n; i++) if (objects[i] === o) return i;
      objects[n] = o;
      if (n + 1 === LINEAR_OBJECTS) this.map = new Map(objects.map((x, i) => [x!, i]));
    }
    this.starts[n] = at;
    this.count = n + 1;
    return -1;
  }

  /** Writes a placeholder reference to object `id`: tag 29 with a 4-byte argument, rewritten later. */
  reference(id: number): void {
    if (!this.marked.includes(id)) this.marked.push(id);
    ensure(7);
    this.references.push(pos, id);
    buf[pos] = 0xd8;
    buf[pos + 1] = TAG_REFERENCE;
    buf[pos + 2] = 0x1a;
    view.setUint32(pos + 3, id);
    pos += 7;
  }

  /** The encoding with marks inserted and references numbered by the marks' order. */
  resolveShared(start: number): Uint8Array {
    const order = this.marked.slice().sort((a, b) => this.starts[a]! - this.starts[b]!);
    const index = new Map(order.map((id, i) => [id, i]));
    // Edits in offset order: [offset, kind (0 mark, 1 reference), object].
    const edits: [number, number, number][] = order.map((id) => [this.starts[id]!, 0, id]);
    for (let i = 0; i < this.references.length; i += 2) edits.push([this.references[i]!, 1, this.references[i + 1]!]);
    edits.sort((a, b) => a[0] - b[0]);
    const out = new Uint8Array(pos - start + 2 * order.length);
    let from = start;
    let at = 0;
    for (const [offset, kind, id] of edits) {
      out.set(buf.subarray(from, offset), at);
      at += offset - from;
      if (kind === 0) {
        out[at++] = 0xd8;
        out[at++] = TAG_SHAREABLE;
        from = offset;
      } else {
        out[at++] = 0xd8;
        out[at++] = TAG_REFERENCE;
        at = headInto(out, at, index.get(id)!);
        from = offset + 7;
      }
    }
    out.set(buf.subarray(from, pos), at);
    return out.subarray(0, at + pos - from);
  }
}

const LINEAR_OBJECTS = 16;
const reusedIdentity = new Identity();
let identity = reusedIdentity;

/** Writes an unsigned head of major type 0 into `out` at `at`; returns the end. */
function headInto(out: Uint8Array, at: number, n: number): number {
  if (n < 24) {
    out[at] = n;
    return at + 1;
  }
  if (n < 0x100) {
    out[at] = 24;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    out[at] = 25;
    out[at + 1] = n >>> 8;
    out[at + 2] = n & 0xff;
    return at + 3;
  }
  out[at] = 26;
  new DataView(out.buffer, out.byteOffset).setUint32(at + 1, n);
  return at + 5;
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

/** A tag below 2^16 (every tag the encoder writes). */
function writeTag(tag: number): void {
  ensure(3);
  if (tag < 24) {
    buf[pos++] = 0xc0 | tag;
  } else if (tag < 0x100) {
    buf[pos++] = 0xd8;
    buf[pos++] = tag;
  } else {
    buf[pos++] = 0xd9;
    buf[pos++] = tag >>> 8;
    buf[pos++] = tag & 0xff;
  }
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
      throw new Refused(TypeError, `a ${typeof v}`);
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
  if (len > MAX_BIGNUM_BYTES) throw new Refused(RangeError, `a bigint of ${len * 8} bits (the limit is 2^23)`);
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
  if (i < n) {
    at = writeUtf8(s, i, at);
    if (at < 0) return writeWtf8(s);
  }
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

/**
 * UTF-8 encodes s[i..] at buf[at..] (space already ensured); returns the end offset, or -1 at a
 * lone surrogate, which UTF-8 cannot hold.
 */
function writeUtf8(s: string, i: number, at: number, wobbly = false): number {
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
      if (d < 0xdc00 || d >= 0xe000) {
        if (!wobbly) return -1;
        // WTF-8: the lone surrogate as if it were a code point.
        buf[at++] = 0xe0 | (c >>> 12);
        buf[at++] = 0x80 | ((c >>> 6) & 0x3f);
        buf[at++] = 0x80 | (c & 0x3f);
        continue;
      }
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
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return writeWtf8(s);
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit. Room for 1 first, more only when the text needs it:
  // reserving 3 per unit allocated (and zeroed) three times a long ASCII text's size every time.
  const head = headSize(3 * s.length);
  const start = pos + head;
  ensure(head + s.length);
  let { read, written } = textEncoder.encodeInto(s, buf.subarray(start));
  while (read < s.length) {
    pos = start + written; // grow() keeps the bytes before pos
    ensure(3 * (s.length - read));
    const more = textEncoder.encodeInto(s.slice(read), buf.subarray(pos));
    read += more.read;
    written += more.written;
  }
  pos = start - head;
  writeHead(0x60, written); // within the room of a string of at least SHORT_STRING units: no grow
  if (pos !== start) buf.copyWithin(pos, start, start + written);
  pos += written;
}

/** A string with a lone surrogate: tag 273 and its WTF-8 bytes. */
function writeWtf8(s: string): void {
  writeTag(TAG_WTF8);
  const max = 3 * s.length;
  ensure(9 + max);
  const head = headSize(max);
  const start = pos + head;
  const len = writeUtf8(s, 0, start, true) - start;
  writeHead(0x40, len);
  if (pos !== start) buf.copyWithin(pos, start, start + len);
  pos += len;
}

function writeBytes(bytes: Uint8Array): void {
  writeHead(0x40, bytes.length);
  ensure(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

function nest(depth: number): number {
  if (depth >= MAX_DEPTH) throw new Refused(RangeError, `a value nested deeper than ${MAX_DEPTH} arrays and maps`);
  return depth + 1;
}

function countOf(n: number, what: string): number {
  if (n > MAX_ITEMS) throw new Refused(RangeError, `${what} of ${n} items (the limit is ${MAX_ITEMS})`);
  return n;
}

function writeObject(o: object, depth: number): void {
  const id = identity.find(o, pos);
  if (id >= 0) return identity.reference(id);
  if (Array.isArray(o)) return writeArray(o, depth);
  const proto = Object.getPrototypeOf(o);
  if (proto === Object.prototype || proto === null) return writeFields(o, depth);
  if (ArrayBuffer.isView(o)) return writeView(o, depth);
  if (o instanceof Map || types.isMap(o)) return writeMap(o as Map<unknown, unknown>, depth);
  if (o instanceof Set || types.isSet(o)) return writeSet(o as Set<unknown>, depth);
  if (types.isDate(o)) return writeDate(o as Date);
  if (types.isRegExp(o)) return writeRegExp(o as RegExp, depth);
  if (types.isNativeError(o)) return writeError(o as Error, depth);
  if (types.isBoxedPrimitive(o)) return writeBoxed(o, depth);
  if (types.isArrayBuffer(o)) return writeArrayBuffer(o as ArrayBuffer, depth);
  const refused = refusedKind(o);
  if (refused) throw new Refused(TypeError, refused);
  // A class instance: its own enumerable string-keyed properties, as structuredClone does.
  writeFields(o, depth);
}

/** What structuredClone refuses (for storage) among objects that are not plain: its name, or ''. */
function refusedKind(o: object): string {
  if (types.isPromise(o)) return 'a Promise';
  if (types.isWeakMap(o)) return 'a WeakMap';
  if (types.isWeakSet(o)) return 'a WeakSet';
  if (types.isSharedArrayBuffer(o)) return 'a SharedArrayBuffer'; // shared memory cannot be stored
  if (types.isGeneratorObject(o)) return 'a generator';
  if (types.isMapIterator(o) || types.isSetIterator(o)) return 'an iterator';
  if (types.isKeyObject(o) || types.isCryptoKey(o)) return 'a crypto key';
  if (types.isModuleNamespaceObject(o)) return 'a module namespace';
  for (const [name, Type] of REFUSED_CLASSES) if (o instanceof Type) return `a ${name}`;
  const tag = Object.prototype.toString.call(o).slice(8, -1);
  if (REFUSED_TAGS.has(tag)) return `a ${tag}`;
  return '';
}

// Built-ins whose state lies outside their properties (or is only read asynchronously, as a
// Blob's): not storable. Told by their class where the runtime has it, else by toStringTag.
const REFUSED_CLASSES: [string, new () => object][] = [];
for (const name of ['WeakRef', 'FinalizationRegistry', 'Blob', 'MessagePort', 'ReadableStream', 'WritableStream', 'TransformStream']) {
  const Type = (globalThis as unknown as Record<string, unknown>)[name];
  if (typeof Type === 'function') REFUSED_CLASSES.push([name, Type as new () => object]);
}
const REFUSED_TAGS = new Set([
  'WeakRef', 'FinalizationRegistry', 'Blob', 'File', 'MessagePort', 'WebAssembly.Module', 'WebAssembly.Memory',
  'WebAssembly.Instance', 'Array Iterator', 'String Iterator', 'RegExp String Iterator', 'Iterator', 'AsyncGenerator',
]);

function writeArray(a: unknown[], depth: number): void {
  const inner = nest(depth);
  // Length read once: a getter on an element must not make the items disagree with the head.
  const n = a.length;
  if (n > MAX_ITEMS) return writeSparseArray(a, n, inner);
  writeHead(0x80, n);
  let i = 0;
  try {
    for (; i < n; i++) {
      const v = a[i];
      if (v === undefined && !(i in a)) {
        // A hole: tag 31 (absent) + undefined.
        ensure(3);
        buf[pos++] = 0xd8;
        buf[pos++] = 0x1f;
        buf[pos++] = 0xf7;
      } else {
        writeValue(v, inner);
      }
    }
  } catch (e) {
    throw via(e, () => `[${i}]`);
  }
}

/** An array too long to list: tag 27 ["Array", length, {index: element}] of its elements. */
function writeSparseArray(a: unknown[], n: number, depth: number): void {
  const inner = nest(depth); // the map inside the array
  const indices: number[] = [];
  for (const key of Object.keys(a)) {
    const index = Number(key);
    if (String(index) === key && index < n) indices.push(index);
  }
  writeObjectHead('Array', 3);
  writeNumber(n);
  writeHead(0xa0, countOf(indices.length, 'an array'));
  let index = 0;
  try {
    for (index of indices) {
      writeNumber(index);
      writeValue(a[index], inner);
    }
  } catch (e) {
    throw via(e, () => `[${index}]`);
  }
}

function writeFields(o: object, depth: number): void {
  const inner = nest(depth);
  const keys = Object.keys(o);
  writeHead(0xa0, countOf(keys.length, 'an object'));
  let i = 0;
  try {
    for (; i < keys.length; i++) {
      const k = keys[i]!;
      writeString(k);
      writeValue((o as Record<string, unknown>)[k], inner);
    }
  } catch (e) {
    throw via(e, () => keySegment(keys[i]!));
  }
}

function writeMap(m: Map<unknown, unknown>, depth: number): void {
  const inner = nest(depth);
  writeTag(TAG_MAP);
  writeHead(0xa0, countOf(m.size, 'a Map'));
  let index = 0;
  let key: unknown;
  let atKey = true;
  try {
    for (const [k, v] of m) {
      key = k;
      atKey = true;
      writeValue(k, inner);
      atKey = false;
      writeValue(v, inner);
      index++;
    }
  } catch (e) {
    throw via(e, () => (atKey ? `.keys()[${index}]` : mapKeySegment(key, index)));
  }
}

function writeSet(s: Set<unknown>, depth: number): void {
  const inner = nest(depth);
  writeTag(TAG_SET);
  writeHead(0x80, countOf(s.size, 'a Set'));
  let index = 0;
  try {
    for (const v of s) {
      writeValue(v, inner);
      index++;
    }
  } catch (e) {
    throw via(e, () => `.values()[${index}]`);
  }
}

function writeDate(d: Date): void {
  const ms = d.getTime();
  writeByte(0xc1);
  if (ms % 1000 === 0) {
    writeNumber(ms / 1000);
  } else {
    // Also covers an invalid Date, whose NaN time round-trips as a NaN float64.
    ensure(9);
    buf[pos] = 0xfb;
    view.setFloat64(pos + 1, secondsOf(ms));
    pos += 9;
  }
}

/**
 * Seconds that read back as exactly `ms` (FORMAT.md: round(seconds x 1000), half up): ms / 1000,
 * or, far from 1970 where seconds x 1000 is itself rounded, one of its neighbouring float64s.
 */
function secondsOf(ms: number): number {
  const seconds = ms / 1000;
  if (Math.round(seconds * 1000) === ms || ms !== ms) return seconds;
  scratch.setFloat64(0, seconds);
  const bits = scratch.getBigUint64(0);
  for (const step of [1n, -1n, 2n, -2n]) {
    scratch.setBigUint64(0, bits + step);
    const near = scratch.getFloat64(0);
    if (Math.round(near * 1000) === ms) return near;
  }
  return seconds;
}

function writeRegExp(r: RegExp, depth: number): void {
  nest(depth);
  writeTag(TAG_REGEXP);
  writeHead(0x80, 2);
  writeString(r.source);
  writeString(r.flags);
}

/** Tag 27 ["Name", ...]: the head and the type name of a generic object. */
function writeObjectHead(name: string, items: number): void {
  writeTag(TAG_OBJECT);
  writeHead(0x80, items);
  writeString(name);
}

function writeError(e: Error, depth: number): void {
  const inner = nest(nest(depth)); // an array, and the map in it
  // As V8: one of the standard constructors by the error's name, else Error; message and cause
  // when they are own data properties; the stack when it is a string.
  const name = String(e.name);
  const message = Object.getOwnPropertyDescriptor(e, 'message');
  const cause = Object.getOwnPropertyDescriptor(e, 'cause');
  const stack = e.stack;
  const fields: [string, unknown][] = [];
  if (message && 'value' in message) fields.push(['message', String(message.value)]);
  if (typeof stack === 'string') fields.push(['stack', stack]);
  if (cause && 'value' in cause) fields.push(['cause', cause.value]);
  writeObjectHead(ERROR_NAMES.has(name) ? name : 'Error', 2);
  writeHead(0xa0, fields.length);
  for (const [key, value] of fields) {
    writeString(key);
    try {
      writeValue(value, inner);
    } catch (error) {
      throw via(error, () => `.${key}`);
    }
  }
}

// A boxed primitive's value, read from its internal slot as structuredClone does (not through
// a valueOf the object may override).
const BOXES: [string, (o: object) => boolean, (this: unknown) => unknown][] = [
  ['Number', types.isNumberObject, Number.prototype.valueOf],
  ['String', types.isStringObject, String.prototype.valueOf],
  ['Boolean', types.isBooleanObject, Boolean.prototype.valueOf],
  ['BigInt', types.isBigIntObject, BigInt.prototype.valueOf],
];

function writeBoxed(o: object, depth: number): void {
  const box = BOXES.find(([, is]) => is(o));
  if (!box) throw new Refused(TypeError, 'a Symbol object');
  const inner = nest(depth);
  writeObjectHead(box[0], 2);
  writeValue(box[2].call(o), inner);
}

/** The bytes a buffer or view shows; a detached buffer (which has none to show) is refused. */
function bytesOf(buffer: ArrayBufferLike, offset = 0, length?: number): Uint8Array {
  try {
    return new Uint8Array(buffer, offset, length);
  } catch {
    throw new Refused(TypeError, 'a detached ArrayBuffer');
  }
}

function writeArrayBuffer(b: ArrayBuffer, depth: number): void {
  nest(depth);
  const buffer = b as ArrayBuffer & { resizable?: boolean; maxByteLength?: number };
  const bytes = bytesOf(b);
  writeObjectHead('ArrayBuffer', buffer.resizable ? 3 : 2);
  writeBytes(bytes);
  if (buffer.resizable) writeNumber(buffer.maxByteLength!);
}

function writeView(v: ArrayBufferView, depth: number): void {
  const bytes = bytesOf(v.buffer, v.byteOffset, v.byteLength);
  const name = (v as { [Symbol.toStringTag]?: string })[Symbol.toStringTag];
  if (name === 'Uint8Array') return writeBytes(bytes);
  if (types.isDataView(v)) {
    nest(depth);
    writeObjectHead('DataView', 2);
    return writeBytes(bytes);
  }
  const tag = name === undefined ? undefined : TAG_BY_TYPE.get(name);
  if (tag === undefined) throw new Refused(TypeError, `a ${name ?? 'view'}`);
  writeTag(tag);
  const start = pos + headSize(bytes.length);
  writeBytes(bytes);
  toLittleEndian(buf.subarray(start, pos), TYPE_BY_TAG.get(tag)![1]);
}

// ---------------------------------------------------------------------------------------------
// Decoder. It reads bytes the core's rules accepted (FORMAT.md section 4), so it checks nothing
// again: every length, tag and type below is known to be right. No user code runs while
// decoding, so it cannot be re-entered.

// ASCII text shorter than this is decoded by hand: a TextDecoder call costs about as much as
// building a 32-character string.
const SHORT_TEXT = 32;
// ASCII text at least this long is read as Latin-1, which Node makes a string of in half the
// time of a UTF-8 decode (1 MiB: 0.2 to 0.8 ms against 1 to 1.7 ms); the check costs 26 µs a MiB.
const LONG_TEXT = 16384;
const KEY_CACHE_SIZE = 4096;
const keyCache: string[] = new Array<string>(KEY_CACHE_SIZE).fill('');
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const scratch = new DataView(new ArrayBuffer(8));

let src: Uint8Array = EMPTY;
let p = 0;
// Values marked with tag 28, by index; the next object made takes the pending mark's slot.
let shared: unknown[] = [];
let shareSlot = -1;

/**
 * Decodes exactly one CBOR data item spanning bytes[start, end) after checking it against
 * FORMAT.md section 4; throws CborError with what is wrong otherwise.
 */
export function decode(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode expects a Uint8Array');
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(`decode range [${start}, ${end}) is outside the ${bytes.length}-byte input`);
  }
  const item = bytes.subarray(start, end);
  const problem = checkValueBytes(0, item);
  if (problem) throw new CborError(problemText(problem));
  return decodeChecked(item);
}

/** Decodes a value the core has checked (a record it read): nothing is checked again. */
export function decodeChecked(bytes: Uint8Array): unknown {
  src = bytes;
  p = 0;
  try {
    const value = readItem();
    if (p !== bytes.length) throw new Error('iodict: the decoder read other bounds than the core checked (a bug: please report it)');
    return value;
  } finally {
    src = EMPTY; // do not keep the caller's buffer alive
    if (shared.length) shared = [];
    shareSlot = -1;
  }
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

/** The argument of a head as a number (inexact above 2^53, which no length, tag or index reaches). */
function readArg(info: number): number {
  if (info < 24) return info;
  switch (info) {
    case 24:
      return src[p++]!;
    case 25:
      return readU16();
    case 26:
      return readU32();
    default:
      return readU32() * 0x100000000 + readU32();
  }
}

function readItem(): unknown {
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
      return readArray(info);
    case 5:
      return readMap(info);
    case 6:
      return readTag(readArg(info));
    default:
      return readSimple(info);
  }
}

function readInteger(info: number, negative: boolean): number | bigint {
  if (info !== 27) {
    const n = readArg(info);
    return negative ? -1 - n : n;
  }
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

/** Chunks of an indefinite-length string, up to its break. */
function readChunks(): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  while (src[p] !== 0xff) {
    const n = readArg(src[p++]! & 0x1f);
    chunks.push(src.subarray(p, (p += n)));
  }
  p++;
  return chunks;
}

/** A byte string's bytes as a view of the input (valid until the next decode). */
function readByteView(info: number): Uint8Array {
  if (info !== 31) {
    const n = readArg(info);
    return src.subarray(p, (p += n));
  }
  const chunks = readChunks();
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

function readBytes(info: number): Uint8Array<ArrayBuffer> {
  // Copy: the result must not alias (or keep alive) the caller's buffer.
  const out = new Uint8Array(readByteView(info));
  take(out);
  return out;
}

function readText(info: number): string {
  if (info === 31) {
    let s = '';
    for (const c of readChunks()) s += utf8.decode(c);
    return s;
  }
  const n = info < 24 ? info : readArg(info);
  const start = p;
  p += n;
  if (n < SHORT_TEXT && isAscii(start, n)) return ascii(start, n);
  const bytes = src.subarray(start, p);
  if (n >= LONG_TEXT && allAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1');
  return utf8.decode(bytes);
}

/** Reads a map key, reusing one string per distinct short ASCII key: keys repeat across records. */
function readKey(): unknown {
  const n = src[p]! - 0x60;
  if (n < 0 || n > 23) return readItem();
  p++;
  let h = n;
  for (let i = p, e = p + n; i < e; i++) {
    const c = src[i]!;
    if (c >= 0x80) return utf8.decode(src.subarray(p, (p += n)));
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

/** Gives a new object the slot of a pending mark (tag 28), before its contents can refer to it. */
function take<T>(o: T): T {
  if (shareSlot >= 0) {
    shared[shareSlot] = o;
    shareSlot = -1;
  }
  return o;
}

function readArray(info: number): unknown[] {
  const arr: unknown[] = take([]);
  const indefinite = info === 31;
  for (let n = indefinite ? -1 : readArg(info); indefinite ? src[p] !== 0xff : n-- > 0; ) {
    if ((src[p]! & 0xe0) === 0xc0 && isHole()) arr.length++; // a hole: longer, without an element
    else arr.push(readItem());
  }
  if (indefinite) p++;
  return arr;
}

/** At a tag: consumes it when it is a hole (tag 31 + undefined, in whatever head form). */
function isHole(): boolean {
  const at = p;
  if (readArg(src[p++]! & 0x1f) === 31) {
    p++;
    return true;
  }
  p = at;
  return false;
}

function readMap(info: number): object {
  const obj: Record<string, unknown> = take({});
  const indefinite = info === 31;
  for (let left = indefinite ? -1 : readArg(info); indefinite ? src[p] !== 0xff : left-- > 0; ) {
    const key = readKey();
    if (typeof key !== 'string') {
      // Not representable as an object: carry on as a Map, in wire order except for the keys
      // an object puts first (array indices). A shared map's keys are all strings, so no
      // reference to this object can have been handed out.
      const map = new Map<unknown, unknown>(Object.entries(obj));
      map.set(key, readItem());
      return readEntries(map, indefinite ? -1 : left);
    }
    const value = readItem();
    if (key === '__proto__') {
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      obj[key] = value;
    }
  }
  if (indefinite) p++;
  return obj;
}

/** The remaining entries of a map into `map` (count -1: up to the break). */
function readEntries(map: Map<unknown, unknown>, count: number): Map<unknown, unknown> {
  for (let left = count; count < 0 ? src[p] !== 0xff : left-- > 0; ) {
    const key = readKey();
    map.set(key, readItem());
  }
  if (count < 0) p++;
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
    case 25:
      return fromHalf(readU16());
    case 26:
      scratch.setUint32(0, readU32());
      return scratch.getFloat32(0);
    default:
      scratch.setUint32(0, readU32());
      scratch.setUint32(4, readU32());
      return scratch.getFloat64(0);
  }
}

function fromHalf(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  const v = exp === 0 ? mant * 2 ** -24 : exp === 31 ? (mant === 0 ? Infinity : NaN) : (mant + 1024) * 2 ** (exp - 25);
  return h & 0x8000 ? -v : v;
}

/** The head of a container (array or map): its count, or -1 for an indefinite length. */
function containerCount(): number {
  const info = src[p++]! & 0x1f;
  return info === 31 ? -1 : readArg(info);
}

function readTag(tag: number): unknown {
  switch (tag) {
    case 0:
      return take(new Date(rfc3339(readText(src[p++]! & 0x1f))));
    case 1:
      // Rounded to the millisecond (half up), then clipped to the Date range by the constructor.
      return take(new Date(Math.round((readItem() as number) * 1000)));
    case 2:
    case 3: {
      const bytes = readByteView(src[p++]! & 0x1f);
      let hex = '0x0';
      for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
      const n = BigInt(hex);
      return tag === 2 ? n : -1n - n;
    }
    case TAG_OBJECT:
      return readObject();
    case TAG_SHAREABLE: {
      const slot = shared.length;
      shared.push(undefined);
      shareSlot = slot;
      const value = readItem();
      shared[slot] = value;
      shareSlot = -1;
      return value;
    }
    case TAG_REFERENCE:
      return shared[readItem() as number];
    case 64:
      return readBytes(src[p++]! & 0x1f);
    case TAG_SET: {
      const set = take(new Set());
      const count = containerCount();
      for (let left = count; count < 0 ? src[p] !== 0xff : left-- > 0; ) set.add(readItem());
      if (count < 0) p++;
      return set;
    }
    case TAG_MAP:
      return readEntries(take(new Map()), containerCount());
    case TAG_WTF8:
      return fromWtf8(readByteView(src[p++]! & 0x1f));
    case TAG_REGEXP:
      return take(readRegExp());
  }
  const [name, size] = TYPE_BY_TAG.get(tag)!;
  const bytes = new Uint8Array(readByteView(src[p++]! & 0x1f));
  toLittleEndian(bytes, size);
  const Type = name === 'Float16Array' ? Float16 : (globalThis as unknown as Record<string, TypedArrayConstructor>)[name];
  if (!Type) throw new TypeError(`iodict: this runtime has no ${name} to read the stored one into`);
  return take(new Type(bytes.buffer));
}

function readRegExp(): RegExp {
  const count = containerCount();
  const source = readItem() as string;
  const flags = count === 2 || (count < 0 && src[p] !== 0xff) ? readText(src[p++]! & 0x1f) : '';
  if (count < 0) p++;
  try {
    return new RegExp(source, flags);
  } catch (e) {
    // Valid in the format, but this runtime's RegExp syntax (or flags) do not cover it.
    throw new TypeError(`iodict: this runtime cannot compile the stored RegExp /${source}/${flags}: ${(e as Error).message}`);
  }
}

/** Tag 27: ["TypeName", ...] of the types section 4 lists. */
function readObject(): unknown {
  const count = containerCount();
  const name = readText(src[p++]! & 0x1f);
  let value: unknown;
  switch (name) {
    case 'Number':
    case 'String':
    case 'Boolean':
    case 'BigInt':
      value = take(Object(readItem()));
      break;
    case 'ArrayBuffer': {
      const bytes = readByteView(src[p++]! & 0x1f);
      const resizable = count === 3 || (count < 0 && src[p] !== 0xff);
      const options = resizable ? { maxByteLength: readItem() as number } : undefined;
      const buffer = new (ArrayBuffer as new (n: number, o?: { maxByteLength: number }) => ArrayBuffer)(bytes.length, options);
      new Uint8Array(buffer).set(bytes);
      value = take(buffer);
      break;
    }
    case 'DataView':
      value = take(new DataView(new Uint8Array(readByteView(src[p++]! & 0x1f)).buffer));
      break;
    case 'Array': {
      const arr: unknown[] = take([]);
      arr.length = readItem() as number;
      const entries = containerCount();
      for (let left = entries; entries < 0 ? src[p] !== 0xff : left-- > 0; ) {
        const index = readItem() as number;
        arr[index] = readItem();
      }
      if (entries < 0) p++;
      value = arr;
      break;
    }
    default:
      value = readError(name);
  }
  if (count < 0) p++;
  return value;
}

function readError(name: string): Error {
  const Type = (globalThis as unknown as Record<string, ErrorConstructor>)[name]!;
  // No stack of ours: the stored one (if any) replaces it.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = take(new Type());
  Error.stackTraceLimit = limit;
  const count = containerCount();
  for (let left = count; count < 0 ? src[p] !== 0xff : left-- > 0; ) {
    const key = readText(src[p++]! & 0x1f);
    Object.defineProperty(error, key, { value: readItem(), writable: true, enumerable: false, configurable: true });
  }
  if (count < 0) p++;
  return error;
}

/** WTF-8 bytes (FORMAT.md: UTF-8 that may hold lone surrogates) as a string. */
function fromWtf8(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    let c: number;
    if (b < 0x80) {
      c = b;
      i += 1;
    } else if (b < 0xe0) {
      c = ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      i += 2;
    } else if (b < 0xf0) {
      c = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      i += 3;
    } else {
      c = ((b & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
      i += 4;
    }
    s += String.fromCodePoint(c);
  }
  return s;
}

/** Milliseconds since the epoch of an RFC 3339 date-time the core accepted (FORMAT.md section 4). */
function rfc3339(s: string): number {
  const num = (from: number, n: number) => Number(s.slice(from, from + n));
  let ms = daysFromCivil(num(0, 4), num(5, 2), num(8, 2)) * 86400000 + ((num(11, 2) * 60 + num(14, 2)) * 60 + num(17, 2)) * 1000;
  let i = 19;
  if (s[i] === '.') {
    const start = ++i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    // Digits past the millisecond are cut off.
    ms += Number(s.slice(start, Math.min(i, start + 3)).padEnd(3, '0'));
  }
  if (s[i] === '+' || s[i] === '-') ms -= (s[i] === '-' ? -1 : 1) * (num(i + 1, 2) * 60 + num(i + 4, 2)) * 60000;
  return ms;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
