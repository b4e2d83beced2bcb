// Tests for host/codec/cbor.ts, through the package's `cbor` export.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Decoder, Encoder } from 'cbor-x';
import { cbor } from '../dist/index.js';

const { CborError, decode, encode, encodeInto } = cbor;

const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const unhex = (h) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const utf8 = (s) => new TextEncoder().encode(s);
const roundTrip = (v) => decode(encode(v));

/** Deep equality that also tells -0 from 0 and compares byte views by content and type. */
function same(actual, expected, path = '$') {
  if (typeof expected === 'number') {
    assert.ok(Object.is(actual, expected), `${path}: ${String(actual)} !== ${String(expected)}`);
  } else if (ArrayBuffer.isView(expected)) {
    assert.is(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), `${path}: view type`);
    assert.equal([...actual], [...expected], path);
  } else if (expected instanceof Date) {
    assert.instance(actual, Date, path);
    assert.ok(Object.is(actual.getTime(), expected.getTime()), `${path}: ${actual.getTime()} !== ${expected.getTime()}`);
  } else if (expected instanceof Map) {
    assert.instance(actual, Map, path);
    const a = [...actual];
    const e = [...expected];
    assert.is(a.length, e.length, `${path}: size`);
    e.forEach(([k, v], i) => {
      same(a[i][0], k, `${path}.key[${i}]`);
      same(a[i][1], v, `${path}.get(${String(k)})`);
    });
  } else if (expected instanceof Set) {
    assert.instance(actual, Set, path);
    same([...actual], [...expected], path);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: not an array`);
    assert.is(actual.length, expected.length, `${path}: length`);
    expected.forEach((v, i) => same(actual[i], v, `${path}[${i}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    assert.is(Object.getPrototypeOf(actual), Object.prototype, `${path}: prototype`);
    assert.equal(Object.keys(actual), Object.keys(expected), `${path}: keys`);
    for (const k of Object.keys(expected)) same(actual[k], expected[k], `${path}.${k}`);
  } else {
    assert.is(actual, expected, path);
  }
}

function throwsCbor(bytes, pattern) {
  try {
    decode(bytes);
  } catch (e) {
    assert.instance(e, CborError, `${hex(bytes)}: ${e}`);
    assert.is(e.name, 'CborError');
    if (pattern) assert.match(e.message, pattern);
    return;
  }
  assert.unreachable(`decoding ${hex(bytes)} did not throw`);
}

function throwsType(value, pattern) {
  assert.throws(
    () => encode(value),
    (e) => e instanceof TypeError && (!pattern || pattern.test(e.message)),
  );
}

/** Value of a float16 bit pattern, computed independently of the codec. */
function half(h) {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const v = exp === 0 ? mant / 2 ** 24 : exp === 31 ? (mant ? NaN : Infinity) : (1 + mant / 1024) * 2 ** (exp - 15);
  return h & 0x8000 ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// Round trips

test('simple values', () => {
  for (const [v, h] of [
    [false, 'f4'],
    [true, 'f5'],
    [null, 'f6'],
    [undefined, 'f7'],
  ]) {
    assert.is(hex(encode(v)), h);
    assert.is(decode(unhex(h)), v);
  }
});

test('integers use the shortest head', () => {
  for (const [v, h] of [
    [0, '00'],
    [23, '17'],
    [24, '1818'],
    [255, '18ff'],
    [256, '190100'],
    [65535, '19ffff'],
    [65536, '1a00010000'],
    [2 ** 32 - 1, '1affffffff'],
    [2 ** 32, '1b0000000100000000'],
    [2 ** 53 - 1, '1b001fffffffffffff'],
    [-1, '20'],
    [-24, '37'],
    [-25, '3818'],
    [-256, '38ff'],
    [-257, '390100'],
    [-(2 ** 32), '3affffffff'],
    [-(2 ** 32) - 1, '3b0000000100000000'],
    [-(2 ** 53 - 1), '3b001ffffffffffffe'],
  ]) {
    assert.is(hex(encode(v)), h, String(v));
    same(decode(unhex(h)), v);
  }
});

test('edge numbers round-trip exactly', () => {
  const values = [
    0, -0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), -(2 ** 53), 2 ** 53, 2 ** 64, 1.5, -1.5, 0.1, 1 / 3, 1e300, -1e-300,
    Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, Number.EPSILON, NaN, Infinity, -Infinity, 65504, 65504.5,
    3.4028234663852886e38, 2 ** -24, 2 ** -25, 2 ** -14, 2 ** -149, 123456.789,
  ];
  for (const v of values) same(roundTrip(v), v, `round trip of ${v}`);
  assert.is(typeof roundTrip(-(2 ** 53)), 'number');
});

test('floats use the shortest exact width', () => {
  for (const [v, h] of [
    [-0, 'f98000'],
    [1.5, 'f93e00'],
    [0.5, 'f93800'],
    [-4.5, 'f9c480'],
    [NaN, 'f97e00'],
    [Infinity, 'f97c00'],
    [-Infinity, 'f9fc00'],
    [5.960464477539063e-8, 'f90001'],
    [2 ** -24 * 3, 'f90003'],
    [0.00006103515625, 'f90400'],
    [2 ** -14 * (1 + 2 ** -10), 'f90401'],
    [65504.5, 'fa477fe080'],
    [2 ** -25, 'fa33000000'],
    [1 + 2 ** -11, 'fa3f801000'],
    [100000.5, 'fa47c35040'],
    [3.4028234663852886e38, 'fa7f7fffff'],
    [2 ** 53, 'fa5a000000'],
    [-(2 ** 53), 'fada000000'],
    [1.1, 'fb3ff199999999999a'],
    [1e300, 'fb7e37e43c8800759c'],
    [Number.MIN_VALUE, 'fb0000000000000001'],
  ]) {
    assert.is(hex(encode(v)), h, String(v));
  }
});

test('every float16 value encodes as itself and decodes exactly', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = half(h);
    const bits = h.toString(16).padStart(4, '0');
    same(decode(unhex('f9' + bits)), v, `f9${bits}`);
    if (v !== v) continue; // every NaN payload is written as the canonical f97e00
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) continue; // integers use major 0/1
    assert.is(hex(encode(v)), 'f9' + bits);
  }
});

test('random float32 and float64 values round-trip at the expected width', () => {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const f64 = new Float64Array(1);
  const u64 = new Uint32Array(f64.buffer);
  for (let i = 0; i < 20000; i++) {
    u32[0] = (Math.random() * 2 ** 32) >>> 0;
    const a = f32[0];
    const ea = encode(a);
    same(decode(ea), a);
    if (a === a && !Number.isSafeInteger(a)) assert.ok(ea.length <= 5, `${a} took ${ea.length} bytes`);
    u64[0] = (Math.random() * 2 ** 32) >>> 0;
    u64[1] = (Math.random() * 2 ** 32) >>> 0;
    const b = f64[0];
    const eb = encode(b);
    same(decode(eb), b);
    if (Math.fround(b) !== b && b === b) assert.is(eb.length, 9);
  }
});

test('bigint is always a bignum tag and round-trips as bigint', () => {
  for (const [v, h] of [
    [0n, 'c240'],
    [1n, 'c24101'],
    [255n, 'c241ff'],
    [256n, 'c2420100'],
    [-1n, 'c340'],
    [-256n, 'c341ff'],
    [2n ** 64n, 'c249010000000000000000'],
    [-(2n ** 64n) - 1n, 'c349010000000000000000'],
  ]) {
    assert.is(hex(encode(v)), h, String(v));
    assert.is(decode(unhex(h)), v);
  }
  for (const v of [2n ** 200n, -(2n ** 200n), 12345678901234567890n, -(2n ** 63n), 2n ** 53n - 1n]) assert.is(roundTrip(v), v);
  // Leading zeros and indefinite-length content are accepted.
  assert.is(decode(unhex('c243000001')), 1n);
  assert.is(decode(unhex('c25f4101420203ff')), 0x010203n);
});

test('major 0/1 integers outside the safe range decode as bigint', () => {
  assert.is(decode(unhex('1b001fffffffffffff')), 2 ** 53 - 1);
  assert.is(decode(unhex('1b0020000000000000')), 2n ** 53n);
  assert.is(decode(unhex('1bffffffffffffffff')), 2n ** 64n - 1n);
  assert.is(decode(unhex('3b001ffffffffffffe')), -(2 ** 53 - 1));
  assert.is(decode(unhex('3b001fffffffffffff')), -(2n ** 53n));
  assert.is(decode(unhex('3bffffffffffffffff')), -(2n ** 64n));
  // Non-shortest heads are well-formed.
  assert.is(decode(unhex('1b0000000000000005')), 5);
  assert.is(decode(unhex('3a00000004')), -5);
});

test('strings: ASCII, non-ASCII, emoji, header boundaries', () => {
  const strings = [
    '', 'a', 'IETF', '"\\', '\u00fc', '\u6c34', '\ud800\udd51', '😀', '\u0000', '\ufeff', '\ufeffBOM kept',
    'a'.repeat(23), 'a'.repeat(24), 'a'.repeat(31), 'a'.repeat(32), 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(255),
    'a'.repeat(256), 'a'.repeat(65535), 'a'.repeat(65536), 'é'.repeat(11), 'é'.repeat(12), 'é'.repeat(31), 'é'.repeat(32),
    '€'.repeat(7), '€'.repeat(8), '€'.repeat(21), '€'.repeat(22), '€'.repeat(85), '€'.repeat(86), '😀'.repeat(31),
    '😀'.repeat(32), '😀'.repeat(1000), 'a'.repeat(62) + '€', 'a'.repeat(63) + '€', 'Grüße, Jürgen — 日本語 ✓ 🚀',
    'x'.repeat(100000) + '😀', '\ufeff'.repeat(40),
  ];
  for (const s of strings) {
    const bytes = utf8(s);
    const enc = encode(s);
    const headLength = enc.length - bytes.length;
    assert.is(hex(enc.subarray(headLength)), hex(bytes), `payload of ${JSON.stringify(s.slice(0, 20))}`);
    const n = bytes.length;
    assert.is(headLength, n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5, `head of a ${n}-byte string`);
    assert.is(decode(enc), s);
  }
});

test('strings larger than the encoder buffer: encoded in parts where their UTF-8 outgrows it, read back whole', () => {
  // Each starts with room for one byte per UTF-16 unit (more than 4 MiB, so no kept buffer has it
  // all) and takes more as its UTF-8 needs; an emoji may straddle the end of the first part.
  const MiB = 1 << 20;
  const strings = [
    'x'.repeat(5 * MiB),
    'é'.repeat(3 * MiB),
    'x'.repeat(4 * MiB + 1) + '😀'.repeat(MiB),
    '😀'.repeat(3 * MiB),
    'x'.repeat(5 * MiB) + 'é', // long, but not ASCII: the UTF-8 read, not the Latin-1 one
    'x'.repeat(16383), 'x'.repeat(16384), 'x'.repeat(16383) + 'ÿ', // around the Latin-1 read's threshold
  ];
  for (const s of strings) {
    const bytes = utf8(s);
    const enc = encode(s);
    assert.is(enc.length - bytes.length, bytes.length < 65536 ? 3 : 5, `head of a ${bytes.length}-byte string`);
    assert.ok(Buffer.from(bytes).equals(Buffer.from(enc.buffer, enc.byteOffset + enc.length - bytes.length, bytes.length)), `payload of ${bytes.length} bytes`);
    assert.ok(decode(enc) === s, `read back: ${bytes.length} bytes`);
  }
});

test('random strings match TextEncoder byte for byte', () => {
  const pick = () => {
    const r = Math.random();
    if (r < 0.5) return String.fromCharCode(32 + Math.floor(Math.random() * 95));
    if (r < 0.7) return String.fromCharCode(0x80 + Math.floor(Math.random() * 0x780));
    if (r < 0.9) return String.fromCharCode(0x800 + Math.floor(Math.random() * (0xd800 - 0x800)));
    return String.fromCodePoint(0x10000 + Math.floor(Math.random() * 0x100000));
  };
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let n = Math.floor(Math.random() * 90); n > 0; n--) s += pick();
    const enc = encode(s);
    const bytes = utf8(s);
    assert.is(hex(enc.subarray(enc.length - bytes.length)), hex(bytes));
    assert.is(decode(enc), s);
  }
});

test('strings with lone surrogates are tag 273 + WTF-8, as values and as keys', () => {
  assert.is(hex(encode('\ud800')), 'd9011143eda080');
  assert.is(hex(encode('a\udc00')), 'd901114461edb080');
  for (const s of ['\ud800', '\udc00', 'a\ud83db', 'ab\ud83d', '\ude00\ud83d', 'x'.repeat(100) + '\ud83d', '\udc00' + 'x'.repeat(100), '\ud83d\ude00\ud83d']) {
    assert.is(roundTrip(s), s);
    same(roundTrip({ [s]: 1, plain: 2 }), { [s]: 1, plain: 2 });
    same(roundTrip(new Map([[s, 1], ['\ud800x', 2]])), new Map([[s, 1], ['\ud800x', 2]]));
  }
  // Tag 273 is only for what UTF-8 cannot hold, and must be WTF-8: a surrogate pair is one code point.
  throwsCbor(unhex('d9011143616263'), /tag 273/);
  throwsCbor(unhex('d9011146eda0bdedb880'), /tag 273/);
  throwsCbor(unhex('d9011142c328'), /tag 273/);
});

test('byte strings decode as fresh Uint8Array copies', () => {
  for (const v of [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(1000).map((_, i) => i)]) {
    same(roundTrip(v), v);
  }
  same(roundTrip(Buffer.from('hi')), new Uint8Array([0x68, 0x69]));
  const view = new Uint8Array([9, 1, 2, 9]).subarray(1, 3);
  assert.is(hex(encode(view)), '420102');

  const input = Buffer.from(encode(new Uint8Array([7, 8, 9])));
  const out = decode(input);
  assert.is(Object.getPrototypeOf(out), Uint8Array.prototype);
  assert.is.not(out.buffer, input.buffer);
  input[1] = 0;
  same(out, new Uint8Array([7, 8, 9]));
  same(decode(unhex('5f42010243030405ff')), new Uint8Array([1, 2, 3, 4, 5]));
  same(decode(unhex('d840420102')), new Uint8Array([1, 2]));
});

test('arrays and nested structures', () => {
  const values = [
    [],
    [[]],
    [1, [2, 3], [4, [5, [6]]]],
    Array.from({ length: 24 }, (_, i) => i),
    Array.from({ length: 70000 }, (_, i) => i % 7),
    [null, undefined, true, 'x', 1.5, -0, { a: [{ b: new Map([[1, new Set(['s'])]]) }] }],
    { a: { b: { c: { d: [1, { e: 'deep' }] } } } },
  ];
  for (const v of values) same(roundTrip(v), v);
  // eslint-disable-next-line no-sparse-arrays
  same(roundTrip([, 1]), [undefined, 1]);
});

test('plain objects', () => {
  const values = [
    {},
    { a: 1, b: [2, 3] },
    Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`k${i}`, i])),
    { ключ: 'значение', '😀': 1, '': 0, 'a long key that is longer than twenty-three bytes': true },
    { 2: 'numeric-like keys', 1: 'come first in JS order', x: undefined, y: null },
    { constructor: 1, toString: 2, hasOwnProperty: 3 },
  ];
  for (const v of values) same(roundTrip(v), v);
  same(roundTrip(Object.assign(Object.create(null), { a: 1 })), { a: 1 });
  same(roundTrip({ [Symbol('skipped')]: 1, a: 2 }), { a: 2 });
});

test('__proto__ key becomes an own property, never the prototype', () => {
  const v = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
  const out = roundTrip(v);
  assert.is(Object.getPrototypeOf(out), Object.prototype);
  assert.ok(Object.hasOwn(out, '__proto__'));
  assert.equal(Object.keys(out), ['__proto__', 'a']);
  assert.is(out.polluted, undefined);
  assert.is({}.polluted, undefined);
  same(Object.getOwnPropertyDescriptor(out, '__proto__').value, { polluted: true });
});

test('Map, Set, Date', () => {
  const values = [
    new Map(),
    new Set(),
    new Map([['only', 'text keys']]),
    new Map([[1, 'one'], ['1', 'string one'], [null, 0], [1.5, 2], [10n, 'big'], [true, false], [[1, 2], 'array key'], [{ k: 1 }, 'object key']]),
    new Set([1, '1', null, undefined, 2n, [1], { a: 1 }]),
    new Date(0),
    new Date(1363896240000),
    new Date(1363896240500),
    new Date(-1500),
    new Date(-1000),
    new Date(8.64e15),
    new Date(-8.64e15),
    new Date(1700000000123),
    new Date(NaN),
    // Far from 1970 seconds x 1000 is itself rounded: the encoder picks seconds that read back exactly.
    new Date(-4426573975375269),
    new Date(8.64e15 - 1),
    new Date(-8.64e15 + 1),
    ...Array.from({ length: 2000 }, (_, i) => new Date(Math.round((i / 1000 - 1) * 8.64e15) + (i % 999))),
  ];
  for (const v of values) same(roundTrip(v), v);
  assert.is(hex(encode(new Map())), 'd90103a0');
  assert.is(hex(encode(new Set([1]))), 'd901028101');
  assert.is(hex(encode(new Date(0))), 'c100');
  assert.is(hex(encode(new Date(-1000))), 'c120');
  assert.is(hex(encode(new Date(1363896240000))), 'c11a514b67b0');
  assert.is(hex(encode(new Date(1363896240500))), 'c1fb41d452d9ec200000');
});

test('typed arrays use RFC 8746 little-endian tags', () => {
  const cases = [
    [new Uint8ClampedArray([0, 255]), 'd8444200ff'],
    [new Uint16Array([1, 0x0203]), 'd845440100 0302'],
    [new Uint32Array([1]), 'd8464401000000'],
    [new BigUint64Array([2n ** 64n - 1n]), 'd84748ffffffffffffffff'],
    [new Int8Array([-1, 1]), 'd84842ff01'],
    [new Int16Array([-2]), 'd84d42feff'],
    [new Int32Array([-2]), 'd84e44feffffff'],
    [new BigInt64Array([-2n]), 'd84f48feffffffffffffff'],
    [new Float32Array([1.5]), 'd855440000c03f'],
    [new Float64Array([1.5]), 'd85648000000000000f83f'],
  ];
  for (const [v, h] of cases) {
    assert.is(hex(encode(v)), h.replace(/ /g, ''), v.constructor.name);
    same(decode(unhex(h)), v);
  }
  for (const T of [Uint16Array, Uint32Array, Int16Array, Int32Array, Float32Array, Float64Array]) {
    const v = T.from({ length: 100 }, (_, i) => (i - 50) * 3.25);
    same(roundTrip(v), v);
    same(roundTrip(new T(0)), new T(0));
  }
  same(roundTrip(new Float64Array([1, 2, 3, 4]).subarray(1, 3)), new Float64Array([2, 3]));
  // Decoding copies, so a payload at an odd offset of the input still yields aligned elements.
  const shifted = new Uint8Array([0xff, ...encode(new Float64Array([Math.PI, -0]))]);
  same(decode(shifted, 1), new Float64Array([Math.PI, -0]));
});

test('decode honours start and end, and validates them', () => {
  const bytes = new Uint8Array([0xaa, ...encode({ a: [1, 2] }), 0xbb]);
  same(decode(bytes, 1, bytes.length - 1), { a: [1, 2] });
  assert.throws(() => decode(bytes, 2, 1), (e) => e instanceof RangeError);
  assert.throws(() => decode(bytes, -1), (e) => e instanceof RangeError);
  assert.throws(() => decode(bytes, 0, bytes.length + 1), (e) => e instanceof RangeError);
  assert.throws(() => decode(bytes, 0.5), (e) => e instanceof RangeError);
  assert.throws(() => decode([0]), (e) => e instanceof TypeError);
  throwsCbor(bytes.subarray(0, 0), /unexpected end/);
  throwsCbor(new Uint8Array(0), /unexpected end/);
});

// ---------------------------------------------------------------------------------------------
// Encoder buffer behaviour

test('encodeInto reuses its buffer; encode returns independent copies', () => {
  const first = encodeInto('first');
  const copy = encode('first');
  encodeInto('other');
  assert.is(decode(first), 'other');
  assert.is(decode(copy), 'first');
  const kept = Array.from({ length: 5000 }, (_, i) => [i, encode({ i, s: 'x'.repeat(i % 300) })]);
  for (const [i, bytes] of kept) same(decode(bytes), { i, s: 'x'.repeat(i % 300) });
  const big = encode('y'.repeat(100000));
  assert.is(big.byteLength, 100005);
  assert.is(decode(big).length, 100000);
});

test('the buffer grows for huge values and shrinks back afterwards', () => {
  // 5 MB of encoding: more than the 4 MiB the encoder keeps.
  const huge = Array.from({ length: 5000 }, (_, i) => ({ i, s: 'é'.repeat(500) }));
  same(roundTrip(huge), huge);
  same(roundTrip({ small: true }), { small: true });
  assert.is(encodeInto({ small: true }).buffer.byteLength < 1 << 20, true);
});

test('a getter that re-enters encode does not corrupt the outer value', () => {
  let inner;
  const v = {
    a: 'before',
    get b() {
      inner = encode(['inner', 1]);
      return 'getter';
    },
    c: 'after',
  };
  same(roundTrip(v), { a: 'before', b: 'getter', c: 'after' });
  same(decode(inner), ['inner', 1]);
});

test('a failed encode leaves the encoder usable', () => {
  throwsType({ a: 'x'.repeat(1000), f() {} }, /function/);
  assert.is(hex(encode({ a: 1 })), 'a1616101');
  const cyclic = [];
  cyclic.push(cyclic, () => {});
  throwsType(cyclic, /function at value\[1\]/);
  assert.is(hex(encode([[], []])), '828080');
});

test('unsupported values throw TypeError naming their path', () => {
  throwsType(() => {}, /^iodict: cannot store a function$/);
  throwsType(Symbol('s'), /^iodict: cannot store a symbol$/);
  throwsType([1, { nested: Symbol.iterator }], /a symbol at value\[1\]\.nested$/);
  throwsType(new Map([[() => {}, 1]]), /a function at value\.keys\(\)\[0\]$/);
  throwsType(new Map([['k', () => {}]]), /a function at value\.get\("k"\)$/);
  throwsType({ items: [0, 1, 2, { then() {} }] }, /a function at value\.items\[3\]\.then$/);
  throwsType({ 'odd key': new Set([1, Promise.resolve()]) }, /a Promise at value\["odd key"\]\.values\(\)\[1\]$/);
});

test('shared and cyclic objects keep their identity (tags 28 and 29)', () => {
  const leaf = { x: 1 };
  const dag = [leaf, leaf];
  assert.is(hex(encode(dag)), '82d81ca1617801d81d00');
  const back = roundTrip(dag);
  assert.is(back[0], back[1]);
  same(back[0], { x: 1 });

  const arr = [];
  arr.push(arr);
  const a = roundTrip(arr);
  assert.is(a[0], a);
  const obj = { a: 1 };
  obj.self = obj;
  const o = roundTrip(obj);
  assert.is(o.self, o);
  const map = new Map();
  map.set(map, map);
  const m = roundTrip(map);
  assert.is(m.get(m), m);
  const set = new Set();
  set.add(set);
  const s = roundTrip(set);
  assert.ok(s.has(s));
  // References are numbered in the order of the marks in the output, not of their discovery.
  const first = { f: 1 };
  const second = { s: 2 };
  const late = roundTrip({ one: [second, first], two: first, three: second });
  assert.is(late.one[0], late.three);
  assert.is(late.one[1], late.two);
  // A billion-laughs shape stays linear.
  let laughs = ['lol'];
  for (let i = 0; i < 40; i++) laughs = [laughs, laughs];
  const bytes = encode(laughs);
  assert.ok(bytes.length < 400, `${bytes.length} bytes`);
  const l = decode(bytes);
  assert.is(l[0], l[1]);
});

test('nesting deeper than 512 arrays and maps is a RangeError', () => {
  let ok = 'leaf';
  for (let i = 0; i < 512; i++) ok = [ok];
  same(roundTrip(ok), ok);
  assert.throws(() => encode([ok]), (e) => e instanceof RangeError && /nested deeper than 512/.test(e.message));
  // Leaves do not count toward the depth.
  let withDate = new Date(0);
  for (let i = 0; i < 512; i++) withDate = { d: withDate };
  same(roundTrip(withDate), withDate);
});

// ---------------------------------------------------------------------------------------------
// Conformance with cbor-x

test('cbor-x decodes our output to the same values', () => {
  const cx = new Decoder({ mapsAsObjects: true, int64AsNumber: true });
  const values = [
    null, undefined, true, false, 0, -1, 23, 24, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), -0, 1.5, 0.1, 65504.5, 1e300,
    NaN, Infinity, -Infinity, 'ascii', 'Grüße 😀', 'z'.repeat(1000), [], [1, [2, [3]]], {}, { a: 1, b: { c: [true, null] } },
    new Uint8Array([1, 2, 3]), 2n ** 64n, -(2n ** 64n) - 1n, 5n, new Date(1363896240500), new Date(1363896240000),
    new Set([1, 'a']), new Map([[1, 'one'], ['k', [2]]]), new Float32Array([1.5, -2]), new Float64Array([Math.E]),
    new Int16Array([-3, 4]), new Uint32Array([7]), new BigInt64Array([-5n]), new BigUint64Array([5n]), new Int8Array([-1]),
    new Uint8ClampedArray([200]), new Uint16Array([65535]), new Int32Array([-70000]),
    { nested: [{ map: new Map([[2, new Set([new Date(0)])]]) }] },
  ];
  for (const v of values) {
    const theirs = cx.decode(encode(v));
    same(Buffer.isBuffer(theirs) ? new Uint8Array(theirs) : theirs, v);
  }
});

test('we decode cbor-x output to the same values', () => {
  const encoders = [new Encoder({ useRecords: false }), new Encoder({ useRecords: false, variableMapSize: true })];
  const values = [
    null, undefined, true, 0, -1, 24, 1000000, 2 ** 40, -(2 ** 40), 1.5, 0.1, 1e300, NaN, -Infinity, '', 'ascii',
    'Grüße 😀', 'z'.repeat(5000), [], [1, [2, [3]]], {}, { a: 1, b: { c: [true, null] } },
    Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`field${i}`, i * 1.25])),
    new Uint8Array([1, 2, 3]), new Date(1363896240500), new Date(1363896240000), new Set([1, 'a']),
    new Map([[1, 'one'], ['k', [2]]]), new Map([['text', 'keys']]), new Float32Array([1.5, -2]),
    new Float64Array([Math.E]), new Int16Array([-3, 4]), new Uint32Array([7]), new BigInt64Array([-5n]),
    new BigUint64Array([5n]), new Int8Array([-1]), new Uint8ClampedArray([200]), new Uint16Array([65535]),
    new Int32Array([-70000]),
  ];
  for (const cx of encoders) {
    for (const v of values) same(decode(cx.encode(v)), v);
    same(decode(cx.encode(Buffer.from([4, 5]))), new Uint8Array([4, 5]));
    // cbor-x writes bigints as 64-bit integers when they fit; ours returns a number when safe.
    for (const v of [5n, -5n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 64n), 2n ** 100n, -(2n ** 100n)]) {
      assert.is(BigInt(decode(cx.encode(v))), v);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// RFC 8949 Appendix A

test('RFC 8949 Appendix A examples decode to the expected values', () => {
  const letters25 = Array.from({ length: 25 }, (_, i) => i + 1);
  const examples = [
    ['00', 0], ['01', 1], ['0a', 10], ['17', 23], ['1818', 24], ['1819', 25], ['1864', 100], ['1903e8', 1000],
    ['1a000f4240', 1000000], ['1b000000e8d4a51000', 1000000000000], ['1bffffffffffffffff', 18446744073709551615n],
    ['c249010000000000000000', 18446744073709551616n], ['3bffffffffffffffff', -18446744073709551616n],
    ['c349010000000000000000', -18446744073709551617n], ['20', -1], ['29', -10], ['3863', -100], ['3903e7', -1000],
    ['f90000', 0], ['f98000', -0], ['f93c00', 1], ['fb3ff199999999999a', 1.1], ['f93e00', 1.5], ['f97bff', 65504],
    ['fa47c35000', 100000], ['fa7f7fffff', 3.4028234663852886e38], ['fb7e37e43c8800759c', 1e300],
    ['f90001', 5.960464477539063e-8], ['f90400', 0.00006103515625], ['f9c400', -4], ['fbc010666666666666', -4.1],
    ['f97c00', Infinity], ['f97e00', NaN], ['f9fc00', -Infinity], ['fa7f800000', Infinity], ['fa7fc00000', NaN],
    ['faff800000', -Infinity], ['fb7ff0000000000000', Infinity], ['fb7ff8000000000000', NaN],
    ['fbfff0000000000000', -Infinity], ['f4', false], ['f5', true], ['f6', null], ['f7', undefined],
    ['c074323031332d30332d32315432303a30343a30305a', new Date('2013-03-21T20:04:00Z')],
    ['c11a514b67b0', new Date(1363896240000)], ['c1fb41d452d9ec200000', new Date(1363896240500)],
    ['40', new Uint8Array(0)], ['4401020304', new Uint8Array([1, 2, 3, 4])], ['60', ''], ['6161', 'a'],
    ['6449455446', 'IETF'], ['62225c', '"\\'], ['62c3bc', '\u00fc'], ['63e6b0b4', '\u6c34'],
    ['64f0908591', '\ud800\udd51'], ['80', []], ['83010203', [1, 2, 3]], ['8301820203820405', [1, [2, 3], [4, 5]]],
    ['98190102030405060708090a0b0c0d0e0f101112131415161718181819', letters25], ['a0', {}],
    ['a201020304', new Map([[1, 2], [3, 4]])], ['a26161016162820203', { a: 1, b: [2, 3] }],
    ['826161a161626163', ['a', { b: 'c' }]],
    ['a56161614161626142616361436164614461656145', { a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }],
    ['5f42010243030405ff', new Uint8Array([1, 2, 3, 4, 5])], ['7f657374726561646d696e67ff', 'streaming'],
    ['9fff', []], ['9f018202039f0405ffff', [1, [2, 3], [4, 5]]], ['9f01820203820405ff', [1, [2, 3], [4, 5]]],
    ['83018202039f0405ff', [1, [2, 3], [4, 5]]], ['83019f0203ff820405', [1, [2, 3], [4, 5]]],
    ['9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff', letters25],
    ['bf61610161629f0203ffff', { a: 1, b: [2, 3] }], ['826161bf61626163ff', ['a', { b: 'c' }]],
    ['bf6346756ef563416d7421ff', { Fun: true, Amt: -2 }],
  ];
  for (const [h, v] of examples) same(decode(unhex(h)), v, h);
});

test('RFC 8949 Appendix A examples we produce are byte-identical', () => {
  const examples = [
    [0, '00'], [10, '0a'], [25, '1819'], [1000000, '1a000f4240'], [1000000000000, '1b000000e8d4a51000'], [-10, '29'],
    [-1000, '3903e7'], [-0, 'f98000'], [1.1, 'fb3ff199999999999a'], [1.5, 'f93e00'], [100000.5 - 0.5, '1a000186a0'],
    [3.4028234663852886e38, 'fa7f7fffff'], [1e300, 'fb7e37e43c8800759c'], [5.960464477539063e-8, 'f90001'],
    [0.00006103515625, 'f90400'], [-4.1, 'fbc010666666666666'], [Infinity, 'f97c00'], [NaN, 'f97e00'],
    [-Infinity, 'f9fc00'], [false, 'f4'], [true, 'f5'], [null, 'f6'], [undefined, 'f7'],
    [new Date(1363896240000), 'c11a514b67b0'], [new Date(1363896240500), 'c1fb41d452d9ec200000'],
    [18446744073709551616n, 'c249010000000000000000'], [-18446744073709551617n, 'c349010000000000000000'],
    [new Uint8Array(0), '40'], [new Uint8Array([1, 2, 3, 4]), '4401020304'], ['', '60'], ['a', '6161'],
    ['IETF', '6449455446'], ['"\\', '62225c'], ['\u00fc', '62c3bc'], ['\u6c34', '63e6b0b4'], ['\ud800\udd51', '64f0908591'],
    [[], '80'], [[1, [2, 3], [4, 5]], '8301820203820405'],
    [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
    [{}, 'a0'], [{ a: 1, b: [2, 3] }, 'a26161016162820203'], [['a', { b: 'c' }], '826161a161626163'],
    [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
  ];
  for (const [v, h] of examples) assert.is(hex(encode(v)), h);
});

test('RFC 8949 Appendix A examples with unsupported tags or simple values are rejected', () => {
  throwsCbor(unhex('d74401020304'), /unsupported tag 23 at offset 0/);
  throwsCbor(unhex('d818456449455446'), /unsupported tag 24/);
  throwsCbor(unhex('d82076687474703a2f2f7777772e6578616d706c652e636f6d'), /unsupported tag 32/);
  throwsCbor(unhex('f0'), /unsupported simple value at offset 0/);
  throwsCbor(unhex('f8ff'), /unsupported simple value/);
});

// ---------------------------------------------------------------------------------------------
// Malformed input

test('truncation at every byte position throws CborError', () => {
  const samples = [
    {
      id: 123456,
      name: 'Ada Lovelace — 数学',
      score: 97.25,
      big: 2n ** 80n,
      tags: ['math', 'x'.repeat(40), new Uint8Array([1, 2, 3])],
      when: new Date(1700000000123),
      map: new Map([[1, new Set([-1, 0.1])]]),
      f32: new Float32Array([1, 2]),
      nested: { a: [{ b: [null, undefined, true, 1e300, -0] }], long: 'y'.repeat(300) },
    },
    unhex('9f018202039f0405ffff'),
    unhex('bf61610161629f0203ffff'),
    unhex('7f657374726561646d696e67ff'),
    unhex('c25f4101420203ff'),
    unhex('c074323031332d30332d32315432303a30343a30305a'),
  ];
  for (const sample of samples) {
    const bytes = sample instanceof Uint8Array ? sample : encode(sample);
    for (let i = 0; i < bytes.length; i++) throwsCbor(bytes.subarray(0, i), /unexpected end/);
  }
});

test('trailing bytes throw CborError', () => {
  throwsCbor(unhex('0000'), /trailing bytes after the data item at offset 1/);
  throwsCbor(unhex('8101ff'), /trailing/);
  throwsCbor(new Uint8Array([...encode({ a: [1, 'x'] }), 0xf6, 0xf6]), /trailing bytes after the data item at offset 7/);
});

test('reserved additional information 28-30 throws CborError', () => {
  for (let major = 0; major < 8; major++) {
    for (const info of [28, 29, 30]) throwsCbor(new Uint8Array([(major << 5) | info, 0, 0, 0, 0, 0, 0, 0, 0]), /reserved/);
  }
  throwsCbor(unhex('811c'), /reserved/);
  throwsCbor(unhex('c25c'), /reserved/);
});

test('misplaced breaks and indefinite lengths throw CborError', () => {
  throwsCbor(unhex('ff'), /misplaced break/);
  throwsCbor(unhex('81ff'), /misplaced break/);
  throwsCbor(unhex('a16161ff'), /misplaced break/);
  throwsCbor(unhex('bf6161ff'), /misplaced break/);
  throwsCbor(unhex('bfff01'), /trailing/);
  throwsCbor(unhex('1f'), /indefinite length/);
  throwsCbor(unhex('3f'), /indefinite length/);
  throwsCbor(unhex('df00'), /indefinite length/);
  throwsCbor(unhex('5f6161ff'), /invalid chunk/);
  throwsCbor(unhex('7f4161ff'), /invalid chunk/);
  throwsCbor(unhex('5f5f4101ffff'), /invalid chunk/);
  throwsCbor(unhex('7f7f6161ffff'), /invalid chunk/);
  throwsCbor(unhex('5f01ff'), /invalid chunk/);
});

test('invalid UTF-8 throws CborError', () => {
  const bad = ['c328', 'c080', 'e08080', 'eda080', 'f4908080', 'f8', 'ff', '80', 'c3', 'e6b0', 'efbf'];
  for (const b of bad) {
    const short = (0x60 | (b.length / 2)).toString(16) + b;
    throwsCbor(unhex(short), /invalid UTF-8/);
    throwsCbor(unhex(`a1${short}01`), /invalid UTF-8/); // as a map key
    // The same bytes after 40 ASCII ones, past the hand-written fast path.
    const long = '61'.repeat(40) + b;
    throwsCbor(unhex('78' + (long.length / 2).toString(16) + long), /invalid UTF-8/);
  }
  // A chunk of an indefinite-length string must not split a character.
  throwsCbor(unhex('7f61c361bcff'), /invalid UTF-8/);
  assert.is(decode(unhex('7f62c3bcff')), 'ü');
});

test('unknown tags, bad tag content and unassigned simple values throw CborError', () => {
  throwsCbor(unhex('c600'), /unsupported tag 6/);
  throwsCbor(unhex('d9ffff00'), /unsupported tag 65535/);
  throwsCbor(unhex('dbffffffffffffffff00'), /unsupported tag/);
  throwsCbor(unhex('d84100'), /unsupported tag 65/);
  throwsCbor(unhex('c201'), /tag 2/);
  throwsCbor(unhex('c36161'), /tag 3/);
  throwsCbor(unhex('c0f6'), /tag 0/);
  throwsCbor(unhex('c06a323031332d30332d3231'), /RFC 3339/);
  throwsCbor(unhex('c074323031332d31332d32315432303a30343a30305a'), /RFC 3339/);
  throwsCbor(unhex('c16161'), /tag 1/);
  throwsCbor(unhex('c1f5'), /tag 1/);
  throwsCbor(unhex('c1c11a514b67b0'), /tag 1/);
  throwsCbor(unhex('c11bffffffffffffffff'), /tag 1/);
  throwsCbor(unhex('d9010201'), /tag 258/);
  throwsCbor(unhex('d90102820101'), /duplicate map key or Set element/);
  throwsCbor(unhex('d9010380'), /tag 259/);
  throwsCbor(unhex('d8458101'), /tag 69/);
  throwsCbor(unhex('d84543010203'), /tag 69: content of the wrong type or shape/);
  throwsCbor(unhex('d8564401020304'), /tag 86/);
  throwsCbor(unhex('e0'), /unsupported simple value/);
  throwsCbor(unhex('f3'), /unsupported simple value/);
  throwsCbor(unhex('f814'), /unsupported simple value/);
  throwsCbor(unhex('f820'), /unsupported simple value/);
  // Nested tags are rejected before recursing, so a long chain cannot exhaust the stack.
  throwsCbor(new Uint8Array(100000).fill(0xc1), /tag 1/);
  throwsCbor(new Uint8Array(100000).fill(0xc2), /tag 2/);
});

test('tag 0 accepts RFC 3339 offsets and fractions', () => {
  const t = (s) => decode(new Uint8Array([0xc0, ...encode(s)])).getTime();
  assert.is(t('2013-03-21T20:04:00Z'), 1363896240000);
  assert.is(t('2013-03-21t20:04:00.5+01:30'), 1363896240500 - 5400000);
  assert.is(t('2013-03-21T20:04:00.123z'), 1363896240123);
});

test('duplicate map keys throw CborError', () => {
  throwsCbor(unhex('a2616101616102'), /duplicate map key or Set element \(equal in JavaScript\) at offset 4/);
  throwsCbor(unhex('a201010101'), /duplicate map key/);
  throwsCbor(unhex('d90103a2616101616102'), /duplicate map key/);
  throwsCbor(unhex('bf616101616102ff'), /duplicate map key/);
  // 0 and -0.0 are distinct CBOR keys but the same JS Map key.
  throwsCbor(unhex('a20001f9800002'), /duplicate map key/);
  throwsCbor(unhex('a2615f01615f02'), /duplicate map key/);
  throwsCbor(unhex('a2695f5f70726f746f5f5f01695f5f70726f746f5f5f02'), /duplicate map key/);
});

test('maps with non-text keys decode to Map in wire order', () => {
  same(decode(unhex('a36162010102616103')), new Map([['b', 1], [1, 2], ['a', 3]]));
  same(decode(unhex('bf6162010102616103ff')), new Map([['b', 1], [1, 2], ['a', 3]]));
  same(decode(unhex('a2f6f5820102f4')), new Map([[null, true], [[1, 2], false]]));
  // Integer-like text keys read before the first non-text key come first, as in a JS object.
  same(decode(unhex('a3616201613102f503')), new Map([['1', 2], ['b', 1], [true, 3]]));
  // Switching to a Map must not re-read nested maps (that would take exponential time).
  same(decode(unhex('a26161'.repeat(500) + '00' + '0100'.repeat(500))).get(1), 0);
});

test('declared lengths beyond the input throw CborError without allocating', () => {
  throwsCbor(unhex('9bffffffffffffffff'), /more than 16,777,215 items/);
  throwsCbor(unhex('bbffffffffffffffff'), /more than 16,777,215 items/);
  throwsCbor(unhex('9a00ffffff'), /unexpected end/);
  throwsCbor(unhex('5bffffffffffffffff'), /unexpected end/);
  throwsCbor(unhex('7b7fffffffffffffff'), /unexpected end/);
  throwsCbor(unhex('9affffffff00'), /more than 16,777,215 items/);
  throwsCbor(unhex('a2000000'), /unexpected end/);
});

test('nesting deeper than 512 throws CborError', () => {
  const deep = (n, open, close = '') => unhex(open.repeat(n) + '00' + close.repeat(n));
  same(decode(deep(512, '81')), JSON.parse('['.repeat(512) + '0' + ']'.repeat(512)));
  throwsCbor(deep(513, '81'), /nesting deeper than 512/);
  throwsCbor(deep(513, '9f', 'ff'), /nesting deeper than 512/);
  throwsCbor(deep(513, 'a16161'), /nesting deeper than 512/);
  throwsCbor(unhex('81'.repeat(100000)), /nesting deeper than 512/);
  throwsCbor(unhex('d90102'.repeat(600) + '80'), /nesting deeper than 512|tag 258/);
});

test('random corruption of valid input throws nothing but CborError (or a runtime limit)', () => {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const samples = [
    { id: 1, name: 'Ada', score: 97.25, big: -(2n ** 70n), at: new Date(1700000000123), f: new Float32Array([1, 2]) },
    [new Map([[1, 'a'], ['b', [true, null]]]), new Set([0.5, 'x']), new Uint8Array([1, 2, 3]), 'é'.repeat(30)],
    unhex('bf61610161629f0203ffff'),
    unhex('9f018202039f0405ffff'),
  ].map((v) => (v instanceof Uint8Array ? v : encode(v)));
  for (let i = 0; i < 20000; i++) {
    const bytes = samples[i % samples.length].slice();
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    }
    try {
      decode(bytes);
    } catch (e) {
      // A valid value this runtime cannot build (a Float16Array on Node 20) is a TypeError that says so.
      if (!(e instanceof CborError) && !/this runtime/.test(e.message)) assert.unreachable(`${hex(bytes)} threw ${e}`);
    }
  }
});

test.run();
