// The one definition of a valid value (FORMAT.md section 4). Every value read from a record is
// checked here, in one pass over linear memory and in bounded memory, before any decoder sees
// it: `iodict verify` accepts exactly what this accepts, and the host's decoders trust it.
//
// Measured (bench/value-check.mjs, Node 20, tmpfs, values of 77 B / 3.9 KB / 1.09 MB of typical
// objects): this check costs 0.30 / 8.3 / 2250 us, against a read of the record (the get floor)
// of 6.2 / 7.0 / 550 us; the trusting JS decoder then takes 0.71 / 25 / 7500 us where the old
// checking one took 0.88 / 31 / 8400. The other way, the core parsing into a tape that JS turns
// into objects (a prototype without any checks: 0.06 / 1.7 / 650 us), lost on the JS side alone
// (1.4 / 45 / 20000 us): so the core checks, and the decoder reads the bytes.
import { resize } from '../util/memory';

// Problems, 0 being a valid value. The host words them (host/codec/problems.ts).
export const VALUE_OK: i32 = 0;
export const VALUE_TRUNCATED: i32 = 1;
export const VALUE_TRAILING: i32 = 2;
/** Additional information 28-30. */
export const VALUE_RESERVED: i32 = 3;
/** A break outside an indefinite-length item, or an indefinite length on a type without one. */
export const VALUE_BAD_BREAK: i32 = 4;
/** A chunk of an indefinite-length string that is not a definite string of the same type. */
export const VALUE_BAD_CHUNK: i32 = 5;
export const VALUE_BAD_UTF8: i32 = 6;
export const VALUE_TOO_DEEP: i32 = 7;
/** A simple value other than false, true, null and undefined. */
export const VALUE_BAD_SIMPLE: i32 = 8;
export const VALUE_UNKNOWN_TAG: i32 = 9;
/** Tag content of the wrong type or shape (detail: the tag). */
export const VALUE_BAD_CONTENT: i32 = 10;
/** Two map keys or Set elements that JavaScript cannot tell apart. */
export const VALUE_DUPLICATE: i32 = 11;
/** An array, map or Set of more than MAX_ITEMS, or more than MAX_ITEMS keys open at once. */
export const VALUE_TOO_MANY: i32 = 12;
/** Decoding would take more memory than the value's budget (detail: the estimate). */
export const VALUE_TOO_LARGE: i32 = 13;
/** A date/time string (tag 0) outside the RFC 3339 grammar of section 4. */
export const VALUE_BAD_DATE: i32 = 14;
/** A reference (tag 29) to no marked value, or a mark (tag 28) on a value that is not an object. */
export const VALUE_BAD_REFERENCE: i32 = 15;
/** A value that is not a JSON text (codec 1). */
export const VALUE_BAD_JSON: i32 = 16;
/** A codec id reserved for iodict (2-127, detail: the id). */
export const VALUE_RESERVED_CODEC: i32 = 17;

/** The last problem found (a VALUE_* code). */
export let problemCode: i32 = 0;
/** Where it was found: a byte offset into the value. */
export let problemOffset: u32 = 0;
/** What the problem concerns: a tag number, a codec id, a memory estimate. */
export let problemDetail: u64 = 0;

export const MAX_DEPTH: i32 = 512; // arrays and maps (JSON: arrays and objects) nested in one another
export const MAX_ITEMS: u32 = (1 << 24) - 1; // per array, map or Set: V8's Map and Set hold at most 2^24 - 1
export const MAX_BIGNUM_BYTES: u32 = 1 << 20; // a bigint of at most 8 Mi bits
export const MAX_BUFFER_BYTES: u64 = 1 << 28; // the maxByteLength of a resizable ArrayBuffer
export const MAX_SPARSE_LENGTH: u64 = 0xffffffff; // 2^32 - 1, the longest JavaScript array
// A value may decode to at most EXPANSION times its size plus SLACK bytes of memory, estimated
// by the weights below (V8's sizes on 64-bit, each including the 8-byte slot that holds it).
export const EXPANSION: u64 = 32;
export const SLACK: u64 = 4 << 20;
const W_SLOT: u64 = 8; // a number, boolean, null, undefined, a one-character string, a hole, a reference
const W_STRING: u64 = 24; // plus its byte length (twice that for a WTF-8 string)
const W_ARRAY: u64 = 40;
const W_OBJECT: u64 = 64; // plus W_SLOT per property
const W_MAP: u64 = 192; // plus 24 per entry
const W_SET: u64 = 160; // plus 16 per element
const W_DATE: u64 = 104;
const W_BIGINT: u64 = 24; // plus its magnitude's bytes
const W_BUFFER: u64 = 192; // a typed array, ArrayBuffer or DataView, plus its bytes
const W_REGEXP: u64 = 64;
const W_ERROR: u64 = 256;
const W_BOX: u64 = 40;

// The tags of section 4.
const TAG_DATE_STRING: u64 = 0;
const TAG_DATE_EPOCH: u64 = 1;
const TAG_BIGNUM: u64 = 2;
const TAG_NEGATIVE_BIGNUM: u64 = 3;
const TAG_OBJECT: u64 = 27; // generic object: [type name, ...]
const TAG_SHAREABLE: u64 = 28;
const TAG_REFERENCE: u64 = 29;
const TAG_ABSENT: u64 = 31; // a hole in an array
const TAG_UINT8: u64 = 64;
const TAG_SET: u64 = 258;
const TAG_MAP: u64 = 259;
const TAG_WTF8: u64 = 273;
const TAG_REGEXP: u64 = 21066;

/** Element size of an RFC 8746 typed array tag iodict reads (little-endian only), else 0. */
function typedArrayElement(tag: u64): u32 {
  switch (<u32>tag) {
    case 64: case 68: case 72: return 1; // Uint8Array, Uint8ClampedArray, Int8Array
    case 69: case 77: case 84: return 2; // Uint16Array, Int16Array, Float16Array
    case 70: case 78: case 85: return 4; // Uint32Array, Int32Array, Float32Array
    case 71: case 79: case 86: return 8; // BigUint64Array, BigInt64Array, Float64Array
  }
  return 0;
}

// The type names of tag 27 and what follows them.
const TYPE_NUMBER: u32 = 1;
const TYPE_STRING: u32 = 2;
const TYPE_BOOLEAN: u32 = 3;
const TYPE_BIGINT: u32 = 4;
const TYPE_ARRAY_BUFFER: u32 = 5;
const TYPE_DATA_VIEW: u32 = 6;
const TYPE_ARRAY: u32 = 7; // sparse: [length, {index: value}]
const TYPE_ERROR: u32 = 8; // the seven error constructors: [name, {message?, stack?, cause?}]
const TYPE_NAMES = ['Number', 'String', 'Boolean', 'BigInt', 'ArrayBuffer', 'DataView', 'Array',
  'Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'];
const ERROR_KEYS = ['message', 'stack', 'cause'];

// What an item must be, given where it stands.
const E_ANY: u32 = 0;
const E_ELEMENT: u32 = 1; // an array element: any value or a hole
const E_KEY: u32 = 2; // a map key or Set element: any value, fingerprinted
const E_STRING_KEY: u32 = 3; // a key of a shared map, which must decode to an object: a string
const E_STRING: u32 = 4; // text, or WTF-8 (tag 273)
const E_NAME: u32 = 5; // a definite-length text string the frame checks
const E_NUMBER: u32 = 6; // an item that decodes to a JavaScript number
const E_BOOLEAN: u32 = 7;
const E_UINT: u32 = 8; // the frame checks its range
const E_BIGNUM: u32 = 9; // tag 2 or 3
const E_BYTES: u32 = 10; // a byte string that the enclosing tag interprets
const E_DATE_TEXT: u32 = 11; // tag 0's text
const E_SHAREABLE: u32 = 12; // tag 28's content: an item that decodes to an object
const E_UNDEFINED: u32 = 13; // tag 31's content
const E_ARRAY: u32 = 14; // the array of tag 27, 258 or 21066
const E_MAP: u32 = 15; // the map of tag 259, of a sparse array, of an error

// Frames: one per open array, map or tag.
const F_ARRAY: u8 = 1;
const F_MAP: u8 = 2; // an untagged map: an object, or a Map when a key is not a string
const F_SET: u8 = 3; // the array of tag 258
const F_MAP_TAGGED: u8 = 4; // the map of tag 259
const F_TAG: u8 = 5; // a tag waiting for its content
const F_OBJECT: u8 = 6; // the array of tag 27
const F_REGEXP: u8 = 7; // the array of tag 21066
const F_SPARSE: u8 = 8; // the map of a sparse array: index -> element
const F_ERROR: u8 = 9; // the map of an error: message, stack, cause

const FL_INDEFINITE: u8 = 1;
const FL_VALUE_NEXT: u8 = 2; // a map whose next item is a value
const FL_SHARED: u8 = 4; // a map under tag 28: its keys must be strings
const FL_AS_KEY: u8 = 8; // a tag standing as a map key or Set element

// Frame layout, 32 bytes each.
const FRAME_BYTES: usize = 32;
const O_KIND: usize = 0; // u8
const O_FLAGS: usize = 1; // u8
const O_SUB: usize = 4; // u32: the tag (F_TAG), the type (F_OBJECT), the length (F_SPARSE)
const O_LEFT: usize = 8; // u64: items still to come (definite lengths); a mark's index (tag 28)
const O_SEEN: usize = 16; // u32: items seen
const O_KEYS: usize = 20; // u32: the key table's top when the frame opened
// u64: the tag's offset (F_TAG); the buffer size or array length (F_OBJECT); the smallest index
// the next element may have (F_SPARSE); the current key, then the keys seen from bit 8 (F_ERROR)
const O_AUX: usize = 24;
// Each array or map can hold one tag frame (tag 28 around tag 27, 258 or 259 adds one more).
const MAX_FRAMES: i32 = MAX_DEPTH * 3 + 4;
const frames: usize = memory.data(<i32>(MAX_FRAMES * <i32>FRAME_BYTES), 8);

// The key table: one 16-byte fingerprint per key of each open map or Set, sorted when it closes.
const K_NUMBER: u32 = 1; // hash: the float64 bits, -0 as 0 and every NaN as one
const K_CONSTANT: u32 = 2; // hash: the simple value
const K_SHARED: u32 = 3; // hash: the index of the marked value
const K_TEXT: u32 = 4; // hash of the UTF-8; compared by content
const K_WTF8: u32 = 5;
const K_BIGINT: u32 = 6; // magnitude, leading zeros dropped
const K_NEGATIVE_BIGINT: u32 = 7; // -1 - value, as tag 3 and major type 1 hold it
const KEY_BYTES: usize = 16;
let keys: usize = 0;
let keysCap: u32 = 0;
let keyTop: u32 = 0;

// Pass state.
let base: usize = 0; // the value's first byte
let end: usize = 0;
let p: usize = 0;
let top: i32 = 0; // open frames
let depth: i32 = 0; // open arrays and maps
let marked: u64 = 0; // tag 28 items seen
let weight: u64 = 0;

// Scratch for a string item's bytes when they must be seen whole (chunked tag 0 or 273 content).
let scratch: usize = 0;
let scratchCap: usize = 0;

@inline function fail(problem: i32, at: usize): i32 {
  problemCode = problem;
  problemOffset = <u32>(at - base);
  return problem;
}

@inline function frame(i: i32): usize {
  return frames + <usize>i * FRAME_BYTES;
}

// Bytes of argument after the initial byte, for additional information 0..27.
@inline export function argBytes(info: u32): usize {
  return info < 24 ? 0 : <usize>1 << (info - 24);
}

// The argument for additional information 0..27; its argBytes(info) bytes must be readable.
@inline export function readArg(at: usize, info: u32): u64 {
  if (info < 24) return info;
  if (info == 24) return load<u8>(at);
  if (info == 25) return bswap<u16>(load<u16>(at));
  if (info == 26) return bswap<u32>(load<u32>(at));
  return bswap<u64>(load<u64>(at));
}

/**
 * 0 when the value bytes [ptr, ptr + len) written with this codec are valid (FORMAT.md section
 * 4), else a VALUE_* problem (problemOffset, problemDetail say more). Application codecs
 * (128-255) are the application's to check.
 */
export function checkValue(codec: u8, ptr: usize, len: usize): i32 {
  base = ptr;
  problemCode = VALUE_OK;
  problemDetail = 0;
  if (codec == 0) return checkCbor(ptr, len);
  if (codec == 1) return checkJson(ptr, len);
  if (codec < 128) {
    problemDetail = codec;
    return fail(VALUE_RESERVED_CODEC, ptr);
  }
  return VALUE_OK;
}

/** The memory budget of a value of this many bytes. */
@inline function budget(len: usize): u64 {
  return <u64>len * EXPANSION + SLACK;
}

function overBudget(at: usize): i32 {
  problemDetail = weight;
  return fail(VALUE_TOO_LARGE, at);
}

// ---- CBOR ----------------------------------------------------------------------------------

function checkCbor(ptr: usize, len: usize): i32 {
  end = ptr + len;
  p = ptr;
  top = 0;
  depth = 0;
  keyTop = 0;
  marked = 0;
  weight = 0;
  const limit = budget(len);
  let expect = E_ANY;
  while (true) {
    const r = item(expect);
    if (r != VALUE_OK) return r;
    if (weight > limit) return overBudget(p);
    if (top == 0) break;
    let f = frame(top - 1);
    const kind = load<u8>(f, O_KIND);
    if (kind <= F_MAP_TAGGED && !(load<u8>(f, O_FLAGS) & FL_INDEFINITE)) {
      // The bulk of most values: let the flat scan take what it can, then go on as usual.
      const scanned = scanFlat(f, kind);
      if (scanned != VALUE_OK) return scanned;
      if (weight > limit) return overBudget(p);
      if (load<u64>(f, O_LEFT) == 0) {
        const closed = closeFrame(p);
        if (closed != VALUE_OK) return closed;
        const completed = complete();
        if (completed != VALUE_OK) return completed;
        if (top == 0) break;
        f = frame(top - 1);
      }
    }
    expect = expectNext(f);
  }
  return p == end ? VALUE_OK : fail(VALUE_TRAILING, p);
}

/**
 * The common case, fast: in a definite array, map, Map or Set, takes the numbers, simple values
 * and definite strings that come next, exactly as item() and complete() would, and stops at
 * anything else (a container, a tag, a float key, anything wrong), which they then take.
 */
function scanFlat(f: usize, kind: u8): i32 {
  let flags = load<u8>(f, O_FLAGS);
  let left = load<u64>(f, O_LEFT);
  const keyed = kind != F_ARRAY;
  if (flags & FL_SHARED) return VALUE_OK; // its keys must be strings: item() checks that
  const keyWeight: u64 = kind == F_MAP ? W_SLOT : kind == F_MAP_TAGGED ? 24 : 16;
  while (left > 0 && p < end) {
    const start = p;
    const b = <u32>load<u8>(p);
    const major = b >> 5;
    const info = b & 31;
    const asKey = keyed && (kind == F_SET || !(flags & FL_VALUE_NEXT));
    if (major <= 1 && info < 27) {
      const n = argBytes(info);
      if (end - p <= n) break;
      if (asKey) {
        const arg = readArg(p + 1, info);
        pushKey(K_NUMBER, reinterpret<u64>(major == 0 ? <f64>arg : -1.0 - <f64>arg), start);
      }
      p += 1 + n;
      weight += W_SLOT;
    } else if (b >= 0xf4 && b <= 0xf7) {
      if (asKey) pushKey(K_CONSTANT, info, start);
      p++;
      weight += W_SLOT;
    } else if (b >= 0xf9 && b <= 0xfb && !asKey) {
      const n = <usize>1 << (info - 24);
      if (end - p <= n) break;
      p += 1 + n;
      weight += W_SLOT;
    } else if ((major == 2 || major == 3) && info < 28) {
      const n = argBytes(info);
      if (end - p <= n) break;
      const length = readArg(p + 1, info);
      const at = p + 1 + n;
      if (length > <u64>(end - at)) break;
      const size = <usize>length;
      if (major == 3) {
        if (!validUtf8(at, at + size)) break;
        weight += size <= 1 ? W_SLOT : W_STRING + length;
        if (asKey) pushKey(K_TEXT, hashOf(at, size, false), start);
      } else {
        weight += W_BUFFER + length; // a Uint8Array: equal to no other key
      }
      p = at + size;
    } else {
      break;
    }
    if (asKey) weight += keyWeight;
    if (keyed && kind != F_SET) flags ^= FL_VALUE_NEXT;
    left--;
  }
  store<u8>(f, flags, O_FLAGS);
  store<u64>(f, left, O_LEFT);
  return keyTop > MAX_ITEMS ? fail(VALUE_TOO_MANY, p) : VALUE_OK;
}

/**
 * Reads one item at p (or a break closing the innermost indefinite container), opening a frame
 * for an array, map or tag, and closes every frame the item completes.
 */
function item(expect: u32): i32 {
  const start = p;
  if (p >= end) return fail(VALUE_TRUNCATED, p);
  const initial = <u32>load<u8>(p++);
  const major = initial >> 5;
  const info = initial & 31;
  if (info >= 28 && info < 31) return fail(VALUE_RESERVED, start);
  if (initial == 0xff) return breakFrame(start);
  if (info == 31 && major != 2 && major != 3 && major != 4 && major != 5) return fail(VALUE_BAD_BREAK, start);
  let arg: u64 = 0;
  if (info < 31) {
    const n = argBytes(info);
    if (end - p < n) return fail(VALUE_TRUNCATED, p);
    arg = readArg(p, info);
    p += n;
  }
  switch (major) {
    case 0:
    case 1: {
      const r = integer(expect, major, arg, start);
      if (r != VALUE_OK) return r;
      break;
    }
    case 2:
    case 3: {
      const r = stringItem(expect, major, info, arg, start);
      if (r != VALUE_OK) return r;
      break;
    }
    case 4:
    case 5:
      return open(expect, major, info == 31, arg, start);
    case 6:
      return openTag(expect, arg, start);
    default: {
      const r = simple(expect, info, arg, start);
      if (r != VALUE_OK) return r;
    }
  }
  return complete();
}

/** Reports a scalar key's fingerprint to the open map or Set, when the item is a key. */
@inline function isKey(expect: u32): bool {
  return expect == E_KEY || expect == E_STRING_KEY;
}

function integer(expect: u32, major: u32, arg: u64, start: usize): i32 {
  // A JavaScript number when it is safe (|value| <= 2^53 - 1), else a bigint.
  const safe = major == 0 ? arg <= 0x1fffffffffffff : arg < 0x1fffffffffffff;
  switch (expect) {
    case E_ANY:
    case E_ELEMENT:
    case E_KEY:
      break;
    case E_NUMBER:
      if (!safe) return contentFail(start);
      break;
    case E_UINT:
      if (major != 0) return contentFail(start);
      return uintInFrame(arg, start);
    default:
      return contentFail(start);
  }
  if (safe) {
    weight += W_SLOT;
    if (expect == E_KEY) {
      const value = major == 0 ? <f64>arg : -1.0 - <f64>arg;
      pushKey(K_NUMBER, reinterpret<u64>(value == 0 ? 0.0 : value), start);
    }
    return VALUE_OK;
  }
  weight += W_BIGINT + 8;
  if (expect == E_KEY) {
    // Hashed as its big-endian bytes, as the same magnitude in a bignum's byte string is.
    store<u64>(argScratch, bswap<u64>(arg));
    pushKey(major == 0 ? K_BIGINT : K_NEGATIVE_BIGINT, hashOf(argScratch, 8, true), start);
  }
  return VALUE_OK;
}

function simple(expect: u32, info: u32, arg: u64, start: usize): i32 {
  if (info >= 25 && info <= 27) {
    // A float: always a JavaScript number.
    if (expect != E_ANY && expect != E_ELEMENT && expect != E_KEY && expect != E_NUMBER) return contentFail(start);
    weight += W_SLOT;
    if (expect == E_KEY) {
      let value: f64;
      if (info == 25) value = halfToF64(<u32>arg);
      else if (info == 26) value = <f64>reinterpret<f32>(<u32>arg);
      else value = reinterpret<f64>(arg);
      let bits = reinterpret<u64>(value == 0 ? 0.0 : value);
      if (isNaN(value)) bits = 0x7ff8000000000000;
      pushKey(K_NUMBER, bits, start);
    }
    return VALUE_OK;
  }
  if (info == 24 || arg < 20 || arg > 23) return fail(VALUE_BAD_SIMPLE, start);
  switch (expect) {
    case E_ANY:
    case E_ELEMENT:
    case E_KEY:
      break;
    case E_BOOLEAN:
      if (arg > 21) return contentFail(start);
      break;
    case E_UNDEFINED:
      if (arg != 23) return contentFail(start);
      break;
    default:
      return contentFail(start);
  }
  weight += W_SLOT;
  if (expect == E_KEY) pushKey(K_CONSTANT, arg, start);
  return VALUE_OK;
}

export function halfToF64(h: u32): f64 {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  let v: f64;
  if (exp == 0) v = <f64>mant * 5.960464477539063e-8; // mant * 2^-24
  else if (exp == 31) v = mant ? NaN : Infinity;
  else v = <f64>(mant | 0x400) * reinterpret<f64>(<u64>(exp + 1023 - 25) << 52);
  return h & 0x8000 ? -v : v;
}

/** The content of the innermost tag is of the wrong type: VALUE_BAD_CONTENT with the tag. */
function contentFail(at: usize): i32 {
  for (let i = top - 1; i >= 0; i--) {
    const f = frame(i);
    if (load<u8>(f, O_KIND) == F_TAG) {
      problemDetail = load<u32>(f, O_SUB);
      break;
    }
  }
  return fail(VALUE_BAD_CONTENT, at);
}

// A string item (major 2 or 3): its bytes, in one piece or as chunks.
let stringLength: u64 = 0;
let stringWhole: usize = 0; // the bytes in one piece: in the value, or gathered into scratch

/** A definite string standing as a value or key (nearly all of them), else stringItemSlow. */
function stringItem(expect: u32, major: u32, info: u32, arg: u64, start: usize): i32 {
  if (info == 31 || expect > E_STRING) return stringItemSlow(expect, major, info, arg, start);
  if (arg > <u64>(end - p)) return fail(VALUE_TRUNCATED, p);
  const n = <usize>arg;
  const at = p;
  p += n;
  if (major == 2) {
    // A Uint8Array: an object, equal to no other key.
    if (expect == E_STRING || expect == E_STRING_KEY) return contentFail(start);
    weight += W_BUFFER + arg;
    return VALUE_OK;
  }
  if (!validUtf8(at, at + n)) return fail(VALUE_BAD_UTF8, start);
  weight += n <= 1 ? W_SLOT : W_STRING + arg;
  if (isKey(expect)) pushKey(K_TEXT, hashOf(at, n, false), start);
  return VALUE_OK;
}

function stringItemSlow(expect: u32, major: u32, info: u32, arg: u64, start: usize): i32 {
  const text = major == 3;
  // What the string is for decides what must hold of its bytes.
  let needWhole = false;
  let hashIt = false;
  let magnitude = false; // a bignum's: leading zeros do not count
  let tag: u64 = 0; // the tag whose content it is; TAG_OBJECT for an ArrayBuffer's or DataView's bytes
  if (text) {
    switch (expect) {
      case E_ANY: case E_ELEMENT: case E_STRING: break;
      case E_KEY: case E_STRING_KEY: hashIt = true; needWhole = true; break;
      case E_NAME: if (info == 31) return contentFail(start); needWhole = true; break;
      case E_DATE_TEXT: needWhole = true; break;
      default: return contentFail(start);
    }
  } else {
    switch (expect) {
      case E_ANY: case E_ELEMENT: case E_KEY: case E_SHAREABLE: break; // a Uint8Array: an object, equal to no other
      case E_BYTES: {
        const holder = frame(top - 1);
        tag = load<u8>(holder, O_KIND) == F_TAG ? <u64>load<u32>(holder, O_SUB) : TAG_OBJECT;
        magnitude = tag == TAG_BIGNUM || tag == TAG_NEGATIVE_BIGNUM;
        hashIt = (load<u8>(holder, O_FLAGS) & FL_AS_KEY) != 0 && (magnitude || tag == TAG_WTF8);
        needWhole = hashIt || tag == TAG_WTF8;
        break;
      }
      default: return contentFail(start);
    }
  }
  if (info != 31) {
    if (arg > <u64>(end - p)) return fail(VALUE_TRUNCATED, p);
    const n = <usize>arg;
    if (text && !validUtf8(p, p + n)) return fail(VALUE_BAD_UTF8, start);
    stringWhole = p;
    stringLength = arg;
    p += n;
  } else {
    // Chunks: definite strings of the same major type, then a break.
    let total: usize = 0;
    while (true) {
      if (p >= end) return fail(VALUE_TRUNCATED, p);
      const chunkStart = p;
      const head = <u32>load<u8>(p++);
      if (head == 0xff) break;
      const chunkInfo = head & 31;
      if (chunkInfo >= 28 && chunkInfo < 31) return fail(VALUE_RESERVED, chunkStart);
      if (head >> 5 != major || chunkInfo == 31) return fail(VALUE_BAD_CHUNK, chunkStart);
      const n = argBytes(chunkInfo);
      if (end - p < n) return fail(VALUE_TRUNCATED, p);
      const size = readArg(p, chunkInfo);
      p += n;
      if (size > <u64>(end - p)) return fail(VALUE_TRUNCATED, p);
      const m = <usize>size;
      if (text && !validUtf8(p, p + m)) return fail(VALUE_BAD_UTF8, chunkStart);
      if (needWhole) {
        if (total + m > scratchCap) {
          scratchCap = max(total + m, scratchCap << 1);
          scratch = resize(scratch, scratchCap);
        }
        memory.copy(scratch + total, p, m);
      }
      total += m;
      p += m;
    }
    stringWhole = scratch;
    stringLength = <u64>total;
  }
  const n = stringLength;
  if (hashIt) hash = hashOf(stringWhole, <usize>n, magnitude);
  if (text) {
    weight += n <= 1 ? W_SLOT : W_STRING + n;
    if (expect == E_DATE_TEXT && !rfc3339(stringWhole, <usize>n)) return fail(VALUE_BAD_DATE, start);
    if (expect == E_NAME) return nameInFrame(stringWhole, <usize>n, start);
    if (hashIt) pushKey(K_TEXT, hash, start);
    return VALUE_OK;
  }
  if (expect != E_BYTES) {
    weight += W_BUFFER + n;
    return VALUE_OK;
  }
  // The content of tag 2, 3, 64-86, 273, or of an ArrayBuffer or DataView (tag 27).
  if (magnitude) {
    if (n > MAX_BIGNUM_BYTES) return contentFail(start);
    weight += W_BIGINT + n;
  } else if (tag == TAG_WTF8) {
    // Only strings that UTF-8 cannot hold: one string, one encoding.
    if (!validWtf8(stringWhole, <usize>n) || validUtf8(stringWhole, stringWhole + <usize>n)) return contentFail(start);
    weight += W_STRING + 2 * n;
  } else if (tag == TAG_OBJECT) {
    // ArrayBuffer or DataView: the frame checks a resizable buffer's maximum.
    weight += W_BUFFER + n;
    store<u64>(frame(top - 1), n, O_AUX);
  } else {
    const size = typedArrayElement(tag);
    if (n % size != 0) return contentFail(start);
    weight += W_BUFFER + n;
  }
  return VALUE_OK;
}

/** Opens the frame of an array or map. */
function open(expect: u32, major: u32, indefinite: bool, count: u64, start: usize): i32 {
  let kind: u8 = 0;
  let flags: u8 = indefinite ? FL_INDEFINITE : 0;
  if (expect <= E_KEY) {
    kind = major == 4 ? F_ARRAY : F_MAP;
  } else if (expect == E_SHAREABLE) {
    kind = major == 4 ? F_ARRAY : F_MAP;
    if (major == 5) flags |= FL_SHARED;
  } else if (expect == E_ARRAY || expect == E_MAP) {
    // Tag 258, 259, 27 or 21066's content, or a map in tag 27's array.
    if (major != (expect == E_ARRAY ? 4 : 5)) return contentFail(start);
    const holder = frame(top - 1);
    const tag: u64 = load<u8>(holder, O_KIND) == F_TAG ? <u64>load<u32>(holder, O_SUB) : <u64>-1;
    if (expect == E_ARRAY) kind = tag == TAG_SET ? F_SET : tag == TAG_OBJECT ? F_OBJECT : F_REGEXP;
    else if (tag == TAG_MAP) kind = F_MAP_TAGGED;
    else kind = load<u32>(holder, O_SUB) == TYPE_ARRAY ? F_SPARSE : F_ERROR;
  } else {
    return contentFail(start);
  }
  if (depth == MAX_DEPTH) return fail(VALUE_TOO_DEEP, start);
  if (top == MAX_FRAMES) return fail(VALUE_TOO_DEEP, start);
  let left: u64 = 0;
  if (!indefinite) {
    if (count > MAX_ITEMS) return fail(VALUE_TOO_MANY, start);
    // A type name and what follows it; a RegExp's pattern and flags.
    if ((kind == F_OBJECT && count < 2) || (kind == F_REGEXP && (count == 0 || count > 2))) return contentFail(start);
    // Each item takes a byte at least: a count the bytes left cannot meet is truncation.
    left = major == 5 ? count << 1 : count;
    if (left > <u64>(end - p)) return fail(VALUE_TRUNCATED, end);
  }
  switch (kind) {
    case F_ARRAY: weight += W_ARRAY; break;
    case F_MAP: weight += W_OBJECT; break;
    case F_SET: weight += W_SET; break;
    case F_MAP_TAGGED: weight += W_MAP; break;
    case F_SPARSE: weight += W_ARRAY; break;
  }
  const f = frame(top++);
  store<u8>(f, kind, O_KIND);
  store<u8>(f, flags, O_FLAGS);
  // A sparse array's length is the item before its map (in its parent's frame).
  store<u32>(f, kind == F_SPARSE ? <u32>load<u64>(frame(top - 2), O_AUX) : 0, O_SUB);
  store<u64>(f, left, O_LEFT);
  store<u32>(f, 0, O_SEEN);
  store<u32>(f, keyTop, O_KEYS);
  store<u64>(f, 0, O_AUX);
  depth++;
  if (indefinite || count != 0) return VALUE_OK;
  const r = closeFrame(start);
  return r != VALUE_OK ? r : complete();
}

/** Opens the frame of a tag, after checking that this tag may stand here. */
function openTag(expect: u32, tag: u64, start: usize): i32 {
  let allowed = false;
  switch (expect) {
    case E_ANY:
    case E_KEY:
      allowed = tag != TAG_ABSENT;
      break;
    case E_ELEMENT:
      allowed = true;
      break;
    case E_STRING:
    case E_STRING_KEY:
      allowed = tag == TAG_WTF8;
      break;
    case E_BIGNUM:
      allowed = tag == TAG_BIGNUM || tag == TAG_NEGATIVE_BIGNUM;
      break;
    case E_SHAREABLE:
      allowed = tag == TAG_DATE_STRING || tag == TAG_DATE_EPOCH || tag == TAG_OBJECT || tag == TAG_SET ||
        tag == TAG_MAP || tag == TAG_REGEXP || typedArrayElement(tag) != 0;
      break;
  }
  if (!allowed) {
    if (expect == E_ANY || expect == E_ELEMENT || expect == E_KEY) {
      problemDetail = tag;
      return fail(tag == TAG_ABSENT ? VALUE_BAD_CONTENT : VALUE_UNKNOWN_TAG, start);
    }
    if (expect == E_SHAREABLE) return fail(VALUE_BAD_REFERENCE, start);
    return contentFail(start);
  }
  if (!knownTag(tag)) {
    problemDetail = tag;
    return fail(VALUE_UNKNOWN_TAG, start);
  }
  if (top == MAX_FRAMES) return fail(VALUE_TOO_DEEP, start);
  let flags: u8 = isKey(expect) ? FL_AS_KEY : 0;
  switch (<u32>tag) {
    case <u32>TAG_DATE_STRING: case <u32>TAG_DATE_EPOCH: weight += W_DATE; break;
    case <u32>TAG_REGEXP: weight += W_REGEXP; break;
    case <u32>TAG_SHAREABLE: marked++; break;
    case <u32>TAG_REFERENCE: case <u32>TAG_ABSENT: weight += W_SLOT; break;
  }
  const f = frame(top++);
  store<u8>(f, F_TAG, O_KIND);
  store<u8>(f, flags, O_FLAGS);
  store<u32>(f, <u32>tag, O_SUB);
  store<u64>(f, tag == TAG_SHAREABLE ? marked - 1 : 0, O_LEFT);
  store<u32>(f, 0, O_SEEN);
  store<u32>(f, keyTop, O_KEYS);
  store<u64>(f, <u64>(start - base), O_AUX);
  return VALUE_OK;
}

function knownTag(tag: u64): bool {
  if (tag <= TAG_NEGATIVE_BIGNUM) return true;
  if (tag == TAG_OBJECT || tag == TAG_SHAREABLE || tag == TAG_REFERENCE || tag == TAG_ABSENT) return true;
  if (tag == TAG_SET || tag == TAG_MAP || tag == TAG_WTF8 || tag == TAG_REGEXP) return true;
  return typedArrayElement(tag) != 0;
}

/** What the next item of the innermost frame must be. */
function expectNext(f: usize): u32 {
  const kind = load<u8>(f, O_KIND);
  const flags = load<u8>(f, O_FLAGS);
  const seen = load<u32>(f, O_SEEN);
  switch (kind) {
    case F_ARRAY:
      return E_ELEMENT;
    case F_SET:
      return E_KEY;
    case F_MAP:
      if (flags & FL_VALUE_NEXT) return E_ANY;
      return flags & FL_SHARED ? E_STRING_KEY : E_KEY;
    case F_MAP_TAGGED:
      return flags & FL_VALUE_NEXT ? E_ANY : E_KEY;
    case F_REGEXP:
      return seen == 0 ? E_STRING : E_NAME;
    case F_SPARSE:
      return flags & FL_VALUE_NEXT ? E_ANY : E_UINT;
    case F_ERROR: {
      if (!(flags & FL_VALUE_NEXT)) return E_NAME;
      return (load<u64>(f, O_AUX) & 0xff) == 2 ? E_ANY : E_STRING; // cause is any value; message and stack are strings
    }
    case F_OBJECT: {
      if (seen == 0) return E_NAME;
      const type = load<u32>(f, O_SUB);
      if (type == TYPE_NUMBER) return E_NUMBER;
      if (type == TYPE_STRING) return E_STRING;
      if (type == TYPE_BOOLEAN) return E_BOOLEAN;
      if (type == TYPE_BIGINT) return E_BIGNUM;
      if (type == TYPE_ARRAY_BUFFER || type == TYPE_DATA_VIEW) return seen == 1 ? E_BYTES : E_UINT;
      if (type == TYPE_ARRAY) return seen == 1 ? E_UINT : E_MAP;
      return E_MAP; // an error
    }
  }
  // F_TAG
  const tag = <u64>load<u32>(f, O_SUB);
  if (tag == TAG_DATE_STRING) return E_DATE_TEXT;
  if (tag == TAG_DATE_EPOCH) return E_NUMBER;
  if (tag == TAG_SHAREABLE) return E_SHAREABLE;
  if (tag == TAG_REFERENCE) return E_UINT;
  if (tag == TAG_ABSENT) return E_UNDEFINED;
  if (tag == TAG_SET || tag == TAG_OBJECT || tag == TAG_REGEXP) return E_ARRAY;
  if (tag == TAG_MAP) return E_MAP;
  return E_BYTES; // bignums, typed arrays, WTF-8
}

/** A definite text string the innermost frame interprets: a type name, a flag set, an error key. */
function nameInFrame(at: usize, n: usize, start: usize): i32 {
  const f = frame(top - 1);
  const kind = load<u8>(f, O_KIND);
  if (kind == F_OBJECT) {
    let type: u32 = 0;
    for (let i = 0; i < TYPE_NAMES.length; i++) {
      if (sameAscii(at, n, TYPE_NAMES[i])) {
        type = <u32>min(i + 1, <i32>TYPE_ERROR);
        break;
      }
    }
    if (type == 0) return contentFail(start);
    store<u32>(f, type, O_SUB);
    weight += type == TYPE_ERROR ? W_ERROR : type == TYPE_ARRAY ? 0 : W_BOX;
    // The array's length follows from the type: definite lengths are checked now, indefinite ones at the break.
    return objectArity(f, start);
  }
  if (kind == F_REGEXP) {
    // Flags: each of d g i m s u v y at most once, and not both u and v.
    let seenFlags: u32 = 0;
    for (let i: usize = 0; i < n; i++) {
      const c = <u32>load<u8>(at + i);
      const bit = c == 0x64 ? 1 : c == 0x67 ? 2 : c == 0x69 ? 4 : c == 0x6d ? 8 : c == 0x73 ? 16 : c == 0x75 ? 32 : c == 0x76 ? 64 : c == 0x79 ? 128 : 0;
      if (bit == 0 || (seenFlags & bit) != 0) return contentFail(start);
      seenFlags |= bit;
    }
    if ((seenFlags & 96) == 96) return contentFail(start);
    return VALUE_OK;
  }
  // F_ERROR: message, stack or cause, each at most once.
  let key: u32 = 0;
  for (let i = 0; i < ERROR_KEYS.length; i++) if (sameAscii(at, n, ERROR_KEYS[i])) key = <u32>i + 1;
  const seenKeys = <u32>load<u64>(f, O_AUX) >> 8;
  if (key == 0 || (seenKeys & (1 << key)) != 0) return contentFail(start);
  store<u64>(f, <u64>(key - 1) | (<u64>(seenKeys | (1 << key)) << 8), O_AUX);
  weight += W_SLOT;
  return VALUE_OK;
}

/** The number of items tag 27's array must have for its type: checked against a definite length. */
function objectArity(f: usize, start: usize): i32 {
  if (load<u8>(f, O_FLAGS) & FL_INDEFINITE) return VALUE_OK;
  const total = load<u64>(f, O_LEFT); // the name, not yet counted, included
  const type = load<u32>(f, O_SUB);
  const ok = type == TYPE_ARRAY_BUFFER ? total == 2 || total == 3 : type == TYPE_ARRAY ? total == 3 : total == 2;
  return ok ? VALUE_OK : contentFail(start);
}

/** An unsigned integer the innermost frame interprets: a reference, a length, an index. */
function uintInFrame(value: u64, start: usize): i32 {
  const f = frame(top - 1);
  const kind = load<u8>(f, O_KIND);
  if (kind == F_TAG) {
    // Tag 29: the index of a value marked with tag 28 before it (or around it: a cycle).
    if (value >= marked) return fail(VALUE_BAD_REFERENCE, start);
    if (load<u8>(f, O_FLAGS) & FL_AS_KEY) pushKey(K_SHARED, value, <usize>load<u64>(f, O_AUX) + base);
    return VALUE_OK;
  }
  if (kind == F_SPARSE) {
    // Indices ascend, each below the length.
    if (value < load<u64>(f, O_AUX) || value >= <u64>load<u32>(f, O_SUB)) return contentFail(start);
    store<u64>(f, value + 1, O_AUX);
    weight += W_SLOT;
    return VALUE_OK;
  }
  // F_OBJECT: a sparse array's length, or a resizable ArrayBuffer's maximum length.
  const type = load<u32>(f, O_SUB);
  if (type == TYPE_ARRAY) {
    if (value > MAX_SPARSE_LENGTH) return contentFail(start);
    store<u64>(f, value, O_AUX);
    return VALUE_OK;
  }
  if (type == TYPE_ARRAY_BUFFER && value <= MAX_BUFFER_BYTES && value >= load<u64>(f, O_AUX)) return VALUE_OK;
  return contentFail(start);
}

function sameAscii(at: usize, n: usize, s: string): bool {
  if (<usize>s.length != n) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(at + i) != <u32>s.charCodeAt(<i32>i)) return false;
  return true;
}

/** A break: closes the innermost indefinite array or map, when it stands where an item may end it. */
function breakFrame(start: usize): i32 {
  if (top == 0) return fail(VALUE_BAD_BREAK, start);
  const f = frame(top - 1);
  const kind = load<u8>(f, O_KIND);
  const flags = load<u8>(f, O_FLAGS);
  if (kind == F_TAG || !(flags & FL_INDEFINITE) || (flags & FL_VALUE_NEXT)) return fail(VALUE_BAD_BREAK, start);
  if (kind == F_OBJECT || kind == F_REGEXP) {
    const seen = load<u32>(f, O_SEEN);
    const type = load<u32>(f, O_SUB);
    const ok = kind == F_REGEXP ? seen == 1 || seen == 2
      : type == TYPE_ARRAY_BUFFER ? seen == 2 || seen == 3 : type == TYPE_ARRAY ? seen == 3 : seen == 2;
    if (!ok) return contentFail(start);
  }
  const r = closeFrame(start);
  return r != VALUE_OK ? r : complete();
}

/** Counts a finished item in the innermost frame, closing every frame it completes. */
function complete(): i32 {
  if (keyTop > MAX_ITEMS) return fail(VALUE_TOO_MANY, p);
  while (top > 0) {
    const f = frame(top - 1);
    const kind = load<u8>(f, O_KIND);
    if (kind == F_TAG) {
      const r = closeFrame(p);
      if (r != VALUE_OK) return r;
      continue;
    }
    const flags = load<u8>(f, O_FLAGS);
    const seen = load<u32>(f, O_SEEN) + 1;
    store<u32>(f, seen, O_SEEN);
    const isMap = kind == F_MAP || kind == F_MAP_TAGGED || kind == F_SPARSE || kind == F_ERROR;
    if (isMap) {
      store<u8>(f, flags ^ FL_VALUE_NEXT, O_FLAGS);
      if (!(flags & FL_VALUE_NEXT)) {
        // A key: the entry's own cost.
        weight += kind == F_MAP_TAGGED ? 24 : kind == F_MAP ? W_SLOT : 0;
      }
    } else if (kind == F_SET) {
      weight += 16;
    }
    if (flags & FL_INDEFINITE) {
      if ((isMap ? seen >> 1 : seen) > MAX_ITEMS) return fail(VALUE_TOO_MANY, p);
      if (kind == F_REGEXP && seen > 2) return contentFail(p);
      return VALUE_OK;
    }
    const left = load<u64>(f, O_LEFT) - 1;
    store<u64>(f, left, O_LEFT);
    if (left != 0) return VALUE_OK;
    const r = closeFrame(p);
    if (r != VALUE_OK) return r;
  }
  return VALUE_OK;
}

/** Closes the innermost frame: checks what only the whole can show, and the item it makes. */
function closeFrame(at: usize): i32 {
  const f = frame(top - 1);
  const kind = load<u8>(f, O_KIND);
  if (kind == F_TAG) {
    const tag = <u64>load<u32>(f, O_SUB);
    const flags = load<u8>(f, O_FLAGS);
    if (flags & FL_AS_KEY) {
      // A key that is a tag: a bigint, a WTF-8 string and a shared value have identities; every
      // other tagged value is an object of its own, equal to no other key.
      const start = <usize>load<u64>(f, O_AUX) + base;
      if (tag == TAG_BIGNUM || tag == TAG_NEGATIVE_BIGNUM) pushKey(tag == TAG_BIGNUM ? K_BIGINT : K_NEGATIVE_BIGINT, hash, start);
      else if (tag == TAG_WTF8) pushKey(K_WTF8, hash, start);
      else if (tag == TAG_SHAREABLE) pushKey(K_SHARED, load<u64>(f, O_LEFT), start);
    }
    top--;
    return VALUE_OK;
  }
  depth--;
  top--;
  if (kind == F_OBJECT) {
    // A type with fewer items than it needs (indefinite length) was caught at the break.
    return VALUE_OK;
  }
  if (kind == F_SPARSE) return VALUE_OK;
  if (kind == F_MAP || kind == F_MAP_TAGGED || kind == F_SET || kind == F_ERROR) return closeKeys(f, at);
  return VALUE_OK;
}

// ---- keys -----------------------------------------------------------------------------------

let hash: u64 = 0; // of the last key string or bignum, for its tag to report
const argScratch = memory.data(8, 8);

/**
 * A 64-bit hash of n bytes (a bignum's without its leading zeros): FNV-1a over 8-byte words, then
 * the odd bytes. Equal keys hash alike; unequal ones rarely, and then compare by content.
 */
function hashOf(at: usize, n: usize, magnitude: bool): u64 {
  if (magnitude) {
    while (n > 0 && load<u8>(at) == 0) {
      at++;
      n--;
    }
  }
  let h: u64 = 0xcbf29ce484222325 ^ <u64>n;
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ load<u64>(at + i)) * 0x100000001b3;
  for (; i < n; i++) h = (h ^ <u64>load<u8>(at + i)) * 0x100000001b3;
  return h;
}

function pushKey(kind: u32, value: u64, start: usize): void {
  if (keyTop == keysCap) {
    keysCap = max<u32>(keysCap << 1, 64);
    keys = resize(keys, <usize>keysCap * KEY_BYTES);
  }
  const e = keys + <usize>keyTop * KEY_BYTES;
  store<u64>(e, value);
  store<u32>(e, <u32>(start - base), 8);
  store<u32>(e, kind, 12);
  keyTop++;
}

/** Sorts the keys of the closing map or Set and fails on two that JavaScript cannot tell apart. */
function closeKeys(f: usize, at: usize): i32 {
  const from = load<u32>(f, O_KEYS);
  const n = keyTop - from;
  if (n > 1 && n <= 8) {
    // A few keys: each pair, without sorting.
    const first = keys + <usize>from * KEY_BYTES;
    for (let a = first, last = first + <usize>n * KEY_BYTES; a < last; a += KEY_BYTES) {
      for (let b = a + KEY_BYTES; b < last; b += KEY_BYTES) {
        if (load<u64>(a) == load<u64>(b) && load<u32>(a, 12) == load<u32>(b, 12) && compareKeys(a, b) == 0)
          return fail(VALUE_DUPLICATE, base + <usize>load<u32>(b, 8));
      }
    }
  } else if (n > 8) {
    // Sorted by hash in linear time; then only runs of equal hashes need a closer look, sorted
    // by the full comparison (O(g log g) even if someone made g keys hash alike).
    const first = keys + <usize>from * KEY_BYTES;
    radixSortByHash(first, n);
    let run: u32 = 0;
    for (let i: u32 = 1; i <= n; i++) {
      if (i < n && load<u64>(first + <usize>i * KEY_BYTES) == load<u64>(first + <usize>run * KEY_BYTES)) continue;
      if (i - run > 1) {
        const runFirst = first + <usize>run * KEY_BYTES;
        sortKeys(runFirst, i - run);
        for (let e = runFirst + KEY_BYTES, last = first + <usize>i * KEY_BYTES; e < last; e += KEY_BYTES) {
          // Reported at the second of the two in the value.
          if (compareKeys(e - KEY_BYTES, e) == 0) return fail(VALUE_DUPLICATE, base + <usize>max(load<u32>(e, 8), load<u32>(e - KEY_BYTES, 8)));
        }
      }
      run = i;
    }
  }
  keyTop = from;
  return VALUE_OK;
}

// Least-significant-digit radix sort of key entries by their 64-bit hash, a byte at a time.
const counts = memory.data(256 * 4, 4);
let sortBuffer: usize = 0;
let sortBufferCap: u32 = 0;

function radixSortByHash(first: usize, n: u32): void {
  if (n > sortBufferCap) {
    sortBufferCap = max<u32>(n, sortBufferCap << 1);
    sortBuffer = resize(sortBuffer, <usize>sortBufferCap * KEY_BYTES);
  }
  let from = first;
  let to = sortBuffer;
  for (let shift: u64 = 0; shift < 64; shift += 8) {
    memory.fill(counts, 0, 256 * 4);
    for (let e = from, last = from + <usize>n * KEY_BYTES; e < last; e += KEY_BYTES) {
      const slot = counts + (<usize>((load<u64>(e) >> shift) & 0xff) << 2);
      store<u32>(slot, load<u32>(slot) + 1);
    }
    // A byte every hash shares sorts nothing.
    if (load<u32>(counts + (<usize>((load<u64>(from) >> shift) & 0xff) << 2)) == n) continue;
    let sum: u32 = 0;
    for (let d: usize = 0; d < 256; d++) {
      const c = load<u32>(counts + (d << 2));
      store<u32>(counts + (d << 2), sum);
      sum += c;
    }
    for (let e = from, last = from + <usize>n * KEY_BYTES; e < last; e += KEY_BYTES) {
      const slot = counts + (<usize>((load<u64>(e) >> shift) & 0xff) << 2);
      const at = to + <usize>load<u32>(slot) * KEY_BYTES;
      store<u32>(slot, load<u32>(slot) + 1);
      store<u64>(at, load<u64>(e));
      store<u64>(at, load<u64>(e, 8), 8);
    }
    const swap = from;
    from = to;
    to = swap;
  }
  if (from != first) memory.copy(first, from, <usize>n * KEY_BYTES);
}

// Heapsort: in place, no recursion, O(n log n) comparisons whatever the keys.
function sortKeys(first: usize, n: u32): void {
  for (let i = <i32>(n >> 1) - 1; i >= 0; i--) siftDown(first, <u32>i, n);
  for (let last = n - 1; last > 0; last--) {
    swapKeys(first, first + <usize>last * KEY_BYTES);
    siftDown(first, 0, last);
  }
}

function siftDown(first: usize, root: u32, n: u32): void {
  while (true) {
    let child = root * 2 + 1;
    if (child >= n) return;
    const c = first + <usize>child * KEY_BYTES;
    if (child + 1 < n && compareKeys(c, c + KEY_BYTES) < 0) child++;
    const r = first + <usize>root * KEY_BYTES;
    const ch = first + <usize>child * KEY_BYTES;
    if (compareKeys(r, ch) >= 0) return;
    swapKeys(r, ch);
    root = child;
  }
}

@inline function swapKeys(a: usize, b: usize): void {
  const a0 = load<u64>(a);
  const a1 = load<u64>(a, 8);
  store<u64>(a, load<u64>(b));
  store<u64>(a, load<u64>(b, 8), 8);
  store<u64>(b, a0);
  store<u64>(b, a1, 8);
}

/** Orders fingerprints; 0 exactly when the keys are the same JavaScript value. */
function compareKeys(a: usize, b: usize): i32 {
  const ka = load<u32>(a, 12);
  const kb = load<u32>(b, 12);
  if (ka != kb) return ka < kb ? -1 : 1;
  const ha = load<u64>(a);
  const hb = load<u64>(b);
  if (ha != hb) return ha < hb ? -1 : 1;
  if (ka <= K_SHARED) return 0; // the hash is the value
  return compareContent(ka, base + <usize>load<u32>(a, 8), base + <usize>load<u32>(b, 8));
}

// Two readers of a key's content bytes, across chunks, for keys whose hashes are equal.
class Stream {
  at: usize = 0; // next byte
  segmentEnd: usize = 0;
  chunked: bool = false; // chunks follow, up to a break
  magnitude: bool = false; // drop leading zeros
}
const streamA = new Stream();
const streamB = new Stream();

/** Positions a stream on the content of the key item at `at` (well-formed, of `kind`). */
function streamOpen(s: Stream, kind: u32, at: usize): void {
  let initial = <u32>load<u8>(at);
  if (initial >> 5 == 6) {
    // Tag 273, 2 or 3 around a byte string: skip the tag's head.
    at += 1 + argBytes(initial & 31);
    initial = <u32>load<u8>(at);
  }
  const info = initial & 31;
  s.magnitude = kind == K_BIGINT || kind == K_NEGATIVE_BIGINT;
  if (initial >> 5 <= 1) {
    // A bigint written as a major type 0 or 1 integer: its 8 argument bytes.
    s.at = at + 1;
    s.segmentEnd = at + 9;
    s.chunked = false;
  } else if (info == 31) {
    s.at = at + 1;
    s.segmentEnd = at + 1;
    s.chunked = true;
  } else {
    s.at = at + 1 + argBytes(info);
    s.segmentEnd = s.at + <usize>readArg(at + 1, info);
    s.chunked = false;
  }
  if (s.magnitude) {
    while (true) {
      const b = streamNext(s);
      if (b != 0) {
        if (b > 0) s.at--; // unread it; a chunk boundary never falls between its two reads
        return;
      }
    }
  }
}

/** The next content byte, or -1 at the end. */
function streamNext(s: Stream): i32 {
  while (s.at == s.segmentEnd) {
    if (!s.chunked) return -1;
    const head = <u32>load<u8>(s.at);
    if (head == 0xff) {
      s.chunked = false;
      return -1;
    }
    const info = head & 31;
    const n = <usize>readArg(s.at + 1, info);
    s.at += 1 + argBytes(info);
    s.segmentEnd = s.at + n;
  }
  return <i32>load<u8>(s.at++);
}

function compareContent(kind: u32, a: usize, b: usize): i32 {
  streamOpen(streamA, kind, a);
  streamOpen(streamB, kind, b);
  if (kind == K_BIGINT || kind == K_NEGATIVE_BIGINT) {
    // Without leading zeros, a longer magnitude is a larger one.
    const la = streamLength(streamA);
    const lb = streamLength(streamB);
    if (la != lb) return la < lb ? -1 : 1;
    streamOpen(streamA, kind, a);
    streamOpen(streamB, kind, b);
  }
  while (true) {
    const x = streamNext(streamA);
    const y = streamNext(streamB);
    if (x != y) return x < y ? -1 : 1;
    if (x < 0) return 0;
  }
}

function streamLength(s: Stream): u64 {
  let n: u64 = 0;
  while (streamNext(s) >= 0) n++;
  return n;
}

// ---- text -----------------------------------------------------------------------------------

// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points above U+10FFFF.
export function validUtf8(at: usize, stop: usize): bool {
  while (at < stop) {
    // ASCII runs 32 bytes per step: one branch for four words.
    if (stop - at >= 32 && ((load<u64>(at) | load<u64>(at, 8) | load<u64>(at, 16) | load<u64>(at, 24)) & 0x8080808080808080) == 0) {
      at += 32;
      continue;
    }
    if (stop - at >= 8 && (load<u64>(at) & 0x8080808080808080) == 0) {
      at += 8;
      continue;
    }
    if (load<u8>(at) < 0x80) {
      at++;
      continue;
    }
    const size = sequenceSize(at, stop, false);
    if (size == 0) return false;
    at += size;
  }
  return true;
}

/**
 * WTF-8: UTF-8 that may also encode unpaired surrogates (U+D800-U+DFFF as three bytes), but never
 * a lead surrogate followed by a trail one (that pair is one four-byte code point).
 */
function validWtf8(at: usize, n: usize): bool {
  const stop = at + n;
  let afterLead = false;
  while (at < stop) {
    const size = sequenceSize(at, stop, true);
    if (size == 0) return false;
    const b0 = <u32>load<u8>(at);
    const isSurrogate = b0 == 0xed && <u32>load<u8>(at + 1) >= 0xa0;
    if (isSurrogate) {
      const trail = <u32>load<u8>(at + 1) >= 0xb0;
      if (trail && afterLead) return false;
      afterLead = !trail;
    } else {
      afterLead = false;
    }
    at += size;
  }
  return true;
}

/** Length of the UTF-8 (or, with surrogates, WTF-8) sequence at `at`, or 0 when invalid. */
function sequenceSize(at: usize, stop: usize, surrogates: bool): usize {
  const b = <u32>load<u8>(at);
  if (b < 0x80) return 1;
  // Sequence length and the allowed range of the second byte, which is where overlong,
  // surrogate and out-of-range forms show.
  let size: usize, lo: u32 = 0x80, hi: u32 = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    size = 2;
  } else if (b >= 0xe0 && b <= 0xef) {
    size = 3;
    if (b == 0xe0) lo = 0xa0;
    else if (b == 0xed && !surrogates) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    size = 4;
    if (b == 0xf0) lo = 0x90;
    else if (b == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (stop - at < size) return 0;
  const b1 = <u32>load<u8>(at + 1);
  if (b1 < lo || b1 > hi) return 0;
  for (let i: usize = 2; i < size; i++) {
    if ((<u32>load<u8>(at + i) & 0xc0) != 0x80) return 0;
  }
  return size;
}

// RFC 3339 date-time (section 5.6): YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), T and Z in
// either case, a real calendar day, seconds 00-59 (a JavaScript Date has no leap second).
function rfc3339(at: usize, n: usize): bool {
  if (n < 20) return false;
  const year = digits(at, 4);
  const month = digits(at + 5, 2);
  const day = digits(at + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (load<u8>(at + 4) != 0x2d || load<u8>(at + 7) != 0x2d || (load<u8>(at + 10) | 0x20) != 0x74) return false;
  if (!clock(at + 11)) return false;
  let i: usize = 19;
  if (load<u8>(at + i) == 0x2e) {
    i++;
    const first = i;
    while (i < n && digits(at + i, 1) >= 0) i++;
    if (i == first) return false;
  }
  if (i == n) return false;
  const zone = <u32>load<u8>(at + i);
  if ((zone | 0x20) == 0x7a) return i + 1 == n;
  if (zone != 0x2b && zone != 0x2d) return false;
  if (i + 6 != n) return false;
  const hours = digits(at + i + 1, 2);
  const minutes = digits(at + i + 4, 2);
  return load<u8>(at + i + 3) == 0x3a && hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59;
}

function clock(at: usize): bool {
  const h = digits(at, 2);
  const m = digits(at + 3, 2);
  const s = digits(at + 6, 2);
  return load<u8>(at + 2) == 0x3a && load<u8>(at + 5) == 0x3a && h >= 0 && h <= 23 && m >= 0 && m <= 59 && s >= 0 && s <= 59;
}

/** The decimal number in [at, at + n), or -1 when a byte is not a digit. */
function digits(at: usize, n: usize): i32 {
  let v = 0;
  for (let i: usize = 0; i < n; i++) {
    const c = <i32>load<u8>(at + i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function daysInMonth(year: i32, month: i32): i32 {
  if (month == 2) return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

// ---- JSON (codec 1) ---------------------------------------------------------------------------

// The stack of open JSON containers: one bit each, 1 for an object.
const jsonStack = memory.data(MAX_DEPTH / 8);

/**
 * A JSON text (RFC 8259) in UTF-8, as JSON.parse reads it: one value, with whitespace around;
 * no byte order mark. Arrays and objects count towards the nesting limit and the memory budget.
 */
function checkJson(ptr: usize, len: usize): i32 {
  end = ptr + len;
  p = ptr;
  weight = 0;
  if (!validUtf8(ptr, end)) return fail(VALUE_BAD_UTF8, ptr);
  let level = 0;
  let inObject = false;
  skipSpace();
  while (true) {
    // A value.
    if (p >= end) return fail(VALUE_TRUNCATED, p);
    const c = <u32>load<u8>(p);
    if (c == 0x5b || c == 0x7b) {
      if (level == MAX_DEPTH) return fail(VALUE_TOO_DEEP, p);
      inObject = c == 0x7b;
      const bit = <usize>1 << (<usize>level & 7);
      const byte = jsonStack + (<usize>level >> 3);
      store<u8>(byte, inObject ? load<u8>(byte) | bit : load<u8>(byte) & ~bit);
      level++;
      weight += inObject ? W_OBJECT : W_ARRAY;
      p++;
      skipSpace();
      if (p < end && <u32>load<u8>(p) == (inObject ? 0x7d : 0x5d)) {
        p++;
        level--;
      } else {
        if (inObject) {
          const r = jsonMember();
          if (r != VALUE_OK) return r;
        }
        continue;
      }
    } else {
      const r = jsonScalar();
      if (r != VALUE_OK) return r;
    }
    // After a value: a comma, the end of the container, or the end of the text.
    while (true) {
      skipSpace();
      if (level == 0) return p == end ? (weight > budget(len) ? overBudget(p) : VALUE_OK) : fail(VALUE_BAD_JSON, p);
      if (p >= end) return fail(VALUE_TRUNCATED, p);
      const l = <usize>(level - 1);
      inObject = (load<u8>(jsonStack + (l >> 3)) & (1 << <i32>(l & 7))) != 0;
      const d = <u32>load<u8>(p++);
      if (d == 0x2c) {
        skipSpace();
        if (inObject) {
          const r = jsonMember();
          if (r != VALUE_OK) return r;
        }
        break;
      }
      if (d != (inObject ? 0x7d : 0x5d)) return fail(VALUE_BAD_JSON, p - 1);
      level--;
    }
  }
}

/** An object member's name and colon. */
function jsonMember(): i32 {
  if (p >= end) return fail(VALUE_TRUNCATED, p);
  if (load<u8>(p) != 0x22) return fail(VALUE_BAD_JSON, p);
  const r = jsonString();
  if (r != VALUE_OK) return r;
  weight += W_SLOT;
  skipSpace();
  if (p >= end) return fail(VALUE_TRUNCATED, p);
  if (load<u8>(p) != 0x3a) return fail(VALUE_BAD_JSON, p);
  p++;
  skipSpace();
  return VALUE_OK;
}

function skipSpace(): void {
  while (p < end) {
    const c = load<u8>(p);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return;
    p++;
  }
}

function jsonScalar(): i32 {
  const c = <u32>load<u8>(p);
  if (c == 0x22) return jsonString();
  weight += W_SLOT;
  if (literal('true') || literal('false') || literal('null')) return VALUE_OK;
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  const start = p;
  if (p < end && load<u8>(p) == 0x2d) p++;
  if (p >= end) return fail(VALUE_TRUNCATED, p);
  if (load<u8>(p) == 0x30) p++;
  else if (runOfDigits() == 0) return fail(VALUE_BAD_JSON, start);
  if (p < end && load<u8>(p) == 0x2e) {
    p++;
    if (runOfDigits() == 0) return fail(p >= end ? VALUE_TRUNCATED : VALUE_BAD_JSON, p);
  }
  if (p < end && (load<u8>(p) | 0x20) == 0x65) {
    p++;
    if (p < end && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) p++;
    if (runOfDigits() == 0) return fail(p >= end ? VALUE_TRUNCATED : VALUE_BAD_JSON, p);
  }
  return VALUE_OK;
}

function runOfDigits(): usize {
  const start = p;
  while (p < end && <u32>load<u8>(p) - 0x30 < 10) p++;
  return p - start;
}

function literal(word: string): bool {
  const n = <usize>word.length;
  if (end - p < n) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(p + i) != <u32>word.charCodeAt(<i32>i)) return false;
  p += n;
  return true;
}

/** A string (the UTF-8 was checked as a whole): no raw control characters, valid escapes. */
function jsonString(): i32 {
  const start = p++;
  while (true) {
    if (p >= end) return fail(VALUE_TRUNCATED, p);
    const c = <u32>load<u8>(p++);
    if (c == 0x22) break;
    if (c < 0x20) return fail(VALUE_BAD_JSON, p - 1);
    if (c != 0x5c) continue;
    if (p >= end) return fail(VALUE_TRUNCATED, p);
    const e = <u32>load<u8>(p++);
    if (e == 0x75) {
      if (end - p < 4) return fail(VALUE_TRUNCATED, end);
      for (let i = 0; i < 4; i++) {
        const h = <u32>load<u8>(p++) | 0x20;
        if (!(h - 0x30 < 10 || h - 0x61 < 6)) return fail(VALUE_BAD_JSON, p - 1);
      }
    } else if (e != 0x22 && e != 0x5c && e != 0x2f && e != 0x62 && e != 0x66 && e != 0x6e && e != 0x72 && e != 0x74) {
      return fail(VALUE_BAD_JSON, p - 1);
    }
  }
  const n = <u64>(p - start - 2);
  weight += n <= 1 ? W_SLOT : W_STRING + 2 * n;
  return VALUE_OK;
}
