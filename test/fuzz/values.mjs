// Fuzzing inputs shared by targets: values the structured clone algorithm accepts (README
// "Values"), and byte strings that are CBOR, nearly CBOR, or noise.
import { isDeepStrictEqual } from 'node:util';

const ERRORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];
const PATTERNS = ['a+b', '(?<year>\\d{4})', '[\\p{L}]', '\\ud800', 'x|y', '^$'];
const FLAGS = ['', 'g', 'iu', 'dmsy', 'v'];

/** A string of any UTF-16 units: lone surrogates included. */
const anyString = (fc, maxLength) => fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength });

/** Values of every type the structured clone algorithm carries, nested, some of them shared or cyclic. */
export function cloneable(fc) {
  const leaf = fc.oneof(
    fc.constantFrom(undefined, null, true, false, 0, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53)),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }),
    anyString(fc, 40),
    fc.string({ maxLength: 80 }),
    fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15) }),
    fc.uint8Array({ maxLength: 24 }),
    fc.oneof(fc.int8Array(), fc.uint16Array(), fc.int32Array(), fc.uint8ClampedArray(), fc.float32Array(), fc.float64Array(), fc.bigInt64Array(), fc.bigUint64Array()),
    fc.uint8Array({ maxLength: 16 }).map((bytes) => bytes.slice().buffer),
    fc.uint8Array({ maxLength: 16 }).map((bytes) => new DataView(bytes.slice().buffer)),
    fc.tuple(fc.constantFrom(...PATTERNS), fc.constantFrom(...FLAGS)).map(([source, flags]) => new RegExp(source, flags)),
    fc.oneof(fc.double().map((n) => new Number(n)), anyString(fc, 10).map((s) => new String(s)), fc.boolean().map((b) => new Boolean(b)), fc.bigInt().map(Object)),
    fc.tuple(fc.constantFrom(...ERRORS), fc.string({ maxLength: 20 })).map(([Type, message]) => new Type(message)),
  );
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, leaf, tie('node')),
    node: fc.oneof(
      fc.array(tie('tree'), { maxLength: 5 }),
      fc.sparseArray(tie('tree'), { maxLength: 8 }),
      fc.dictionary(anyString(fc, 6), tie('tree'), { maxKeys: 5 }),
      fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 4 }).map((entries) => new Map(entries)),
      fc.array(tie('tree'), { maxLength: 4 }).map((items) => new Set(items)),
    ),
  }));
  // Some containers then get references to others (possibly their own ancestors: cycles).
  return fc.tuple(tree, fc.array(fc.nat(), { maxLength: 4 })).map(([value, links]) => share(value, links));
}

function share(root, links) {
  const containers = [];
  const walk = (v, seen) => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype) containers.push(v);
    if (v instanceof Map) for (const [k, x] of v) (walk(k, seen), walk(x, seen));
    else if (v instanceof Set) for (const x of v) walk(x, seen);
    else if (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype) for (const k of Object.keys(v)) walk(v[k], seen);
  };
  walk(root, new Set());
  if (containers.length === 0) return root;
  links.forEach((link, i) => {
    const from = containers[link % containers.length];
    const to = containers[(link >>> 3) % containers.length];
    if (Array.isArray(from)) from.push(to);
    else from[`link${i}`] = to;
  });
  return root;
}

/**
 * Whether `actual` is what structuredClone(original) gives: the same types and prototypes, holes,
 * contents, and the same sharing (a one-to-one match of objects, cycles included).
 */
export function sameAsClone(actual, original) {
  return equal(actual, structuredClone(original), new Map(), new Map());
}

function equal(a, b, matched, matchedBack) {
  if (typeof b !== 'object' || b === null) return Object.is(a, b);
  if (typeof a !== 'object' || a === null) return false;
  if (matched.has(b) || matchedBack.has(a)) return matched.get(b) === a;
  matched.set(b, a);
  matchedBack.set(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (b instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (b instanceof RegExp) return a.source === b.source && a.flags === b.flags && a.lastIndex === b.lastIndex;
  // Runtimes add their own properties to a cloned error (Bun: line, column): compare what the contract keeps.
  if (b instanceof Error) return a.message === b.message && Object.hasOwn(a, 'message') === Object.hasOwn(b, 'message');
  if (b instanceof Map || b instanceof Set || Array.isArray(b) || Object.getPrototypeOf(b) === Object.prototype) {
    const ka = keysOf(a);
    const kb = keysOf(b);
    if (ka.length !== kb.length || (Array.isArray(b) && a.length !== b.length)) return false;
    return kb.every((k, i) => (b instanceof Map || b instanceof Set ? true : ka[i] === k) && equal(childOf(a, ka[i]), childOf(b, k), matched, matchedBack));
  }
  return isDeepStrictEqual(a, b); // typed arrays, buffers, views, boxed primitives
}

// A container's children in order: own enumerable keys, or a Map's keys and values, a Set's items.
function keysOf(v) {
  if (v instanceof Map) return [...v.keys()].flatMap((k, i) => [{ key: i }, { value: i }]);
  if (v instanceof Set) return [...v].map((_, i) => ({ item: i }));
  return Object.keys(v);
}

function childOf(v, k) {
  if (v instanceof Map) return 'key' in k ? [...v.keys()][k.key] : [...v.values()][k.value];
  if (v instanceof Set) return [...v][k.item];
  return v[k];
}

/** CBOR heads and items from the grammar of FORMAT.md section 4 (valid or almost), as bytes. */
export function cborish(fc) {
  const TAGS = [0, 1, 2, 3, 27, 28, 29, 31, 64, 68, 69, 70, 71, 72, 77, 78, 79, 84, 85, 86, 258, 259, 273, 21066, 6, 32];
  const head = (major, n) => {
    if (n < 24) return [(major << 5) | n];
    if (n < 0x100) return [(major << 5) | 24, n];
    if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  };
  const { item } = fc.letrec((tie) => ({
    item: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('map'), tie('tagged')),
    leaf: fc.oneof(
      fc.nat(300).map((n) => head(0, n)),
      fc.nat(300).map((n) => head(1, n)),
      fc.uint8Array({ maxLength: 10 }).map((b) => [...head(2, b.length), ...b]),
      fc.string({ maxLength: 10 }).map((s) => [...head(3, Buffer.byteLength(s)), ...Buffer.from(s)]),
      fc.constantFrom([0xf4], [0xf5], [0xf6], [0xf7], [0xf9, 0x7e, 0x00], [0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], [0xff], [0x5f, 0x41, 0xed, 0x42, 0xa0, 0x80, 0xff]),
      fc.constantFrom(...['Number', 'String', 'Array', 'Error', 'TypeError', 'ArrayBuffer', 'DataView', 'message', 'cause', 'gi', '2013-03-21T20:04:00Z'].map((s) => [...head(3, s.length), ...Buffer.from(s)])),
    ),
    array: fc.array(tie('item'), { maxLength: 4 }).map((items) => [...head(4, items.length), ...items.flat()]),
    map: fc.array(tie('item'), { maxLength: 6 }).map((items) => [...head(5, items.length >> 1), ...items.slice(0, items.length & ~1).flat()]),
    tagged: fc.tuple(fc.constantFrom(...TAGS), tie('item')).map(([tag, content]) => [...head(6, tag), ...content]),
  }));
  return item.map((bytes) => new Uint8Array(bytes));
}

/** Bytes near valid values: encodings of values, CBOR from the grammar, mutated, cut, or noise. */
export function nearlyValues(fc, encode) {
  const seed = fc.oneof(cloneable(fc).map((v) => encode(v)), cborish(fc), fc.uint8Array({ maxLength: 48 }));
  return fc.tuple(seed, fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('set', 'insert', 'delete', 'cut')), { maxLength: 3 })).map(([bytes, edits]) => {
    let out = [...bytes];
    for (const [at, byte, kind] of edits) {
      const i = out.length ? at % out.length : 0;
      if (kind === 'set' && out.length) out[i] = byte;
      else if (kind === 'insert') out.splice(i, 0, byte);
      else if (kind === 'delete') out.splice(i, 1);
      else out = out.slice(0, i);
    }
    return new Uint8Array(out);
  });
}
