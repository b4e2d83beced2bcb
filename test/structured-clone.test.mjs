// The value contract is the structured clone algorithm (README "Values", FORMAT.md section 4):
// every type structuredClone accepts comes back from a store as structuredClone would return it,
// and every type it refuses is a TypeError naming the path inside the value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDeepStrictEqual } from 'node:util';
import { MessageChannel } from 'node:worker_threads';
import { runCli } from './support/cli.mjs';
import { generateKeyPairSync } from 'node:crypto';
import { IODict, cbor } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

const store = new IODict(storePath());
let n = 0;
/** The value as a store gives it back (set, then get in the same handle). */
function throughStore(value) {
  const key = `k${n++}`;
  store.set(key, value);
  return store.get(key);
}

/** Compares with the runtime's own structuredClone (deep, strict: prototypes, holes, boxed values, lastIndex). */
function likeStructuredClone(value, label) {
  const expected = structuredClone(value);
  for (const actual of [cbor.decode(cbor.encode(value)), throughStore(value)]) {
    if (expected instanceof Date) {
      // An invalid Date equals no Date, itself included: compare the times.
      assert.instance(actual, Date, label);
      assert.ok(Object.is(actual.getTime(), expected.getTime()), label);
      continue;
    }
    if (expected instanceof RegExp) {
      // Bun's isDeepStrictEqual tells new RegExp('') from new RegExp('(?:)'): compare what a RegExp is.
      assert.equal([actual.source, actual.flags, actual.lastIndex], [expected.source, expected.flags, expected.lastIndex], label);
      assert.is(Object.getPrototypeOf(actual), RegExp.prototype, label);
      continue;
    }
    assert.ok(isDeepStrictEqual(actual, expected), `${label}: ${JSON.stringify(String(actual))}`);
    if (typeof expected === 'object' && expected !== null) assert.is(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), `${label}: prototype`);
  }
}

const Float16 = globalThis.Float16Array;

const CASES = {
  primitives: [undefined, null, true, false, 0, -0, NaN, Infinity, -Infinity, 1.5, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 53 - 1)],
  bigints: [0n, -1n, 2n ** 64n, -(2n ** 64n) - 1n, 2n ** 4000n, -(3n ** 900n)],
  strings: ['', 'ascii', 'Grüße 😀 日本語', 'x'.repeat(100000), '\ud800', 'a\udfff', '\udc00\ud800', 'ok\ud83d\ude00 then \ud83d'],
  'boxed primitives': [new Boolean(false), new Boolean(true), new Number(-0), new Number(NaN), new Number(42.5), new String(''), new String('boxed \ud800'), Object(5n), Object(-(2n ** 70n))],
  dates: [new Date(0), new Date(-1), new Date(1700000000123), new Date(8.64e15), new Date(-8.64e15), new Date(NaN)],
  regexps: [/a+b/giu, /(?<year>\d{4})-(?<month>\d\d)/d, /[\p{L}--[a-z]]/v, new RegExp(''), new RegExp('\ud800'), /\//sy, Object.assign(/x/g, { lastIndex: 3 })],
  'array buffers': [new ArrayBuffer(0), new Uint8Array([1, 2, 3]).buffer, new ArrayBuffer(4, { maxByteLength: 16 })],
  'typed arrays': [
    new Uint8Array([0, 255]), new Uint8ClampedArray([7]), new Int8Array([-128, 127]), new Uint16Array([65535]), new Int16Array([-2]),
    new Uint32Array([2 ** 32 - 1]), new Int32Array([-(2 ** 31)]), new Float32Array([1.5, -0, NaN]), new Float64Array([Math.PI, -0]),
    new BigUint64Array([2n ** 64n - 1n]), new BigInt64Array([-(2n ** 63n)]), new Float64Array(0), Buffer.from('a Buffer comes back as a Uint8Array'),
    ...(Float16 ? [new Float16 ([1.5, -2])] : []),
  ],
  'data views': [new DataView(new ArrayBuffer(0)), new DataView(new Uint8Array([9, 8, 7, 6]).buffer)],
  arrays: [[], [1, [2, [3]]], [, 1], [1, , 2], new Array(5), [undefined, , null], Array.from({ length: 70 }, (_, i) => (i % 3 ? i : undefined))],
  objects: [{}, { a: 1, b: { c: [true, null] } }, { 2: 'b', 1: 'a', x: 'z' }, JSON.parse('{"__proto__": 1, "a": 2}'), { '\ud800': 'lone surrogate key' }],
  maps: [new Map(), new Map([[1, 'one'], ['1', 'string one'], [NaN, 'nan'], [-0, 'zero'], [null, 0], [{ k: 1 }, 'object key'], [2n, 'bigint']])],
  sets: [new Set(), new Set([1, '1', NaN, 0, null, undefined, 2n, [1], { a: 1 }])],
};

for (const [kind, values] of Object.entries(CASES)) {
  test(`${kind} round-trip as structuredClone gives them`, () => {
    values.forEach((value, i) => likeStructuredClone(value, `${kind}[${i}]`));
  });
}

test('a RegExp comes back with lastIndex 0; an ArrayBuffer keeps maxByteLength; typed arrays keep their type', () => {
  const r = throughStore(Object.assign(/x/g, { lastIndex: 3 }));
  assert.is(r.lastIndex, 0);
  assert.is(r.flags, 'g');
  const b = throughStore(new ArrayBuffer(4, { maxByteLength: 16 }));
  assert.ok(b.resizable);
  assert.is(b.maxByteLength, 16);
  b.resize(16);
  assert.is(throughStore(new ArrayBuffer(2)).resizable, false);
  for (const v of CASES['typed arrays']) assert.is(Object.getPrototypeOf(throughStore(v)), Object.getPrototypeOf(structuredClone(v)));
});

test('holes stay holes; a very long sparse array keeps its length and elements', () => {
  const holes = throughStore([, 1, , 3]);
  assert.equal(Object.keys(holes), ['1', '3']);
  assert.is(holes.length, 4);
  const sparse = [];
  sparse.length = 2 ** 30;
  sparse[5] = 'five';
  sparse[2 ** 30 - 1] = 'last';
  const back = throughStore(sparse);
  assert.is(back.length, 2 ** 30);
  assert.equal(Object.keys(back), ['5', String(2 ** 30 - 1)]);
  assert.is(back[2 ** 30 - 1], 'last');
  assert.ok(cbor.encode(sparse).length < 40, 'written as its elements, not its length');
});

test('objects with a null prototype and class instances come back as plain objects', () => {
  likeStructuredClone(Object.assign(Object.create(null), { a: 1 }), 'null prototype');
  class Point {
    constructor() {
      this.x = 1;
      this.y = 2;
      Object.defineProperty(this, 'hidden', { value: 3, enumerable: false });
    }
    get norm() {
      return 5;
    }
  }
  likeStructuredClone(new Point(), 'class instance');
  likeStructuredClone({ get computed() { return 'getters are read' }, [Symbol('skipped')]: 1 }, 'getter and symbol key');
  likeStructuredClone(new (class extends Array {})(1, 2), 'Array subclass');
  likeStructuredClone(new (class extends Map {})([[1, 2]]), 'Map subclass');
  likeStructuredClone(new (class extends Uint16Array {})([1, 2]), 'typed array subclass');
});

test('errors: the seven constructors, message, stack and cause (any value, even the error itself)', () => {
  for (const Type of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]) {
    const e = throughStore(new Type('boom'));
    assert.is(Object.getPrototypeOf(e), Type.prototype);
    assert.is(e.message, 'boom');
    assert.ok(!Object.keys(e).length, 'nothing enumerable');
  }
  const original = new TypeError('with cause', { cause: { code: 42, list: [1n] } });
  const e = throughStore(original);
  assert.equal(e.cause, { code: 42, list: [1n] });
  assert.is(e.stack, original.stack);
  assert.not.ok(Object.getOwnPropertyDescriptor(e, 'cause').enumerable);
  class HttpError extends RangeError {}
  assert.is(Object.getPrototypeOf(throughStore(new HttpError('x'))), RangeError.prototype, 'a subclass: its standard ancestor');
  const renamed = new Error('x');
  renamed.name = 'Custom';
  assert.is(Object.getPrototypeOf(throughStore(renamed)), Error.prototype, 'an unknown name: Error');
  assert.is(Object.getPrototypeOf(throughStore(new AggregateError([1], 'agg'))), Error.prototype);
  assert.not.ok(Object.hasOwn(throughStore(new Error()), 'message'), 'no message: none comes back');
  const self = new Error('self');
  self.cause = self;
  const s = throughStore(self);
  assert.is(s.cause, s);
});

test('shared references and cycles keep their shape, across every container', () => {
  const leaf = { shared: true };
  const date = new Date(5);
  const bytes = new Uint8Array([1]);
  const value = { a: leaf, b: [leaf, date, bytes], c: new Map([[leaf, date]]), d: new Set([bytes]) };
  value.self = value;
  value.b.push(value.b);
  const back = throughStore(value);
  assert.is(back.self, back);
  assert.is(back.b[0], back.a);
  assert.is(back.b[1], back.c.get(back.a));
  assert.ok(back.d.has(back.b[2]));
  assert.is(back.b[3], back.b);
  assert.ok(isDeepStrictEqual(back, structuredClone(value)));
});

// What structuredClone refuses for storage (as IndexedDB does), each with where it sits. A
// SharedArrayBuffer is refused only for storage; a Blob (whose bytes can only be read
// asynchronously: store `await blob.arrayBuffer()`) and a crypto key (export it) only by iodict
// (Node's or Bun's structuredClone copy them in memory).
const channel = new MessageChannel();
const { publicKey } = generateKeyPairSync('ed25519');
const detached = new ArrayBuffer(8);
structuredClone(detached, { transfer: [detached] });
const REFUSED = [
  ['a function', () => {}],
  ['a function', async function named() {}],
  ['a function', class Klass {}],
  ['a symbol', Symbol('s')],
  ['a Symbol object', Object(Symbol('boxed'))],
  ['a Promise', Promise.resolve(1)],
  ['a WeakMap', new WeakMap()],
  ['a WeakSet', new WeakSet()],
  ['a WeakRef', new WeakRef({})],
  ['a FinalizationRegistry', new FinalizationRegistry(() => {})],
  ['a generator', (function* gen() {})()],
  ['an iterator', new Map().keys()],
  ['an iterator', new Set().values()],
  ['a Array Iterator', [].values()],
  ['a SharedArrayBuffer', new SharedArrayBuffer(4), 'storage'],
  ['a detached ArrayBuffer', detached],
  ['a Blob', new Blob(['x']), 'iodict'],
  ['a MessagePort', channel.port1],
  ['a crypto key', publicKey, 'iodict'],
];

test('each type structuredClone refuses is a TypeError naming its path, and nothing is written', () => {
  for (const [what, bad, onlyBy] of REFUSED) {
    for (const [wrap, path] of [
      [(v) => v, ''],
      [(v) => ({ items: [0, 1, 2, { then: v }] }), ' at value.items[3].then'],
      [(v) => new Map([['k', new Set([v])]]), ' at value.get("k").values()[0]'],
    ]) {
      const message = `iodict: cannot store ${what}${path}`;
      assert.throws(() => cbor.encode(wrap(bad)), (e) => e instanceof TypeError && e.message.startsWith(message), message);
      assert.throws(() => store.set('refused', wrap(bad)), (e) => e instanceof TypeError && e.message.startsWith(message), message);
      if (!onlyBy) assert.throws(() => structuredClone(wrap(bad)), undefined, `structuredClone refuses ${what} too`);
    }
  }
  assert.not.ok(store.has('refused'));
  // The first refusal on the way ends the walk: a shared object is named where it was first met.
  assert.throws(() => store.set('k', { first: { ok: 1 }, second: [1, Symbol.iterator] }), /a symbol at value\.second\[1\]$/);
});

test('the CLI writes values its JSON mapping cannot express raw, and import brings them back', () => {
  const from = storePath();
  const d = new IODict(from);
  const cyclic = { name: 'loop' };
  cyclic.self = cyclic;
  const values = [/a+/gi, new TypeError('t'), [1, , 3], cyclic, new Number(4), new Uint8Array([1]).buffer, { plain: [1, 2] }];
  values.forEach((v, i) => d.set(`k${i}`, v));
  d.close();
  const cli = (...args) => runCli(args);
  const dump = cli('dump', from);
  assert.is(dump.code, 0, dump.stderr);
  const lines = dump.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.map((l) => ('raw' in l ? 'raw' : 'value')), ['raw', 'raw', 'raw', 'raw', 'raw', 'raw', 'value']);
  assert.match(cli('get', from, 'k0').stderr, /no JSON form for a RegExp/);
  const file = `${storePath()}.ndjson`;
  assert.is(cli('export', from, file).code, 0);
  const to = storePath();
  assert.is(cli('import', to, file).code, 0);
  const e = new IODict(to);
  for (const [i, v] of values.entries()) {
    const back = e.get(`k${i}`);
    if (i === 3) assert.is(back.self, back);
    else if (i === 1) assert.ok(back instanceof TypeError && back.message === 't');
    else assert.ok(isDeepStrictEqual(back, structuredClone(v)), `k${i}`);
  }
  e.close();
});

test.after(() => {
  store.close();
  // Closed only now: Node 20's structuredClone of a closed MessagePort crashes the process.
  channel.port1.close();
  channel.port2.close();
});
test.run();
