// The pickle decoder behind `iodict import --from-python`, checked against pickles made by the real
// python3, and against a store laid out as Python iodict 0.0.8 writes one (fixtures/make_python_store.py).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSync } from 'esbuild';
import { hostBundleOptions } from './support/bundle.mjs';
import { runPython } from './support/python.mjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const tmp = mkdtempSync(join(tmpdir(), 'iodict-pickle-test-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
buildSync({
  ...hostBundleOptions,
  entryPoints: [fileURLToPath(new URL('../host/cli/pickle.ts', import.meta.url))],
  format: 'esm',
  sourcemap: 'inline',
  outfile: join(tmp, 'pickle.mjs'),
});
const { unpickle, UnpicklingError } = await import(pathToFileURL(join(tmp, 'pickle.mjs')).href);

const FIXTURE = fileURLToPath(new URL('./fixtures/make_python_store.py', import.meta.url));
const PROTOCOLS = [0, 1, 2, 3, 4, 5];

const python = (script, ...args) => runPython(['-c', script, ...args]);
const fromBase64 = (b) => new Uint8Array(Buffer.from(b, 'base64'));

/** { expr: [pickle in protocol 0, ..., protocol 5] } for Python expressions. */
function pickles(exprs) {
  const out = python(
    `import base64, json, pickle, sys
print(json.dumps({e: [base64.b64encode(pickle.dumps(eval(e), p)).decode() for p in range(6)]
                  for e in json.loads(sys.argv[1])}))`,
    JSON.stringify(exprs),
  );
  return Object.fromEntries(Object.entries(JSON.parse(out)).map(([e, list]) => [e, list.map(fromBase64)]));
}

const bytes = (s) => new Uint8Array(Buffer.from(s, 'latin1'));
const range = (n) => Array.from({ length: n }, (_, i) => i);
const isUnpicklingError = (pattern) => (err) => err instanceof UnpicklingError && pattern.test(err.message);

// [Python expression, the value unpickle must return]
const CASES = [
  ['None', null],
  ['True', true],
  ['False', false],
  ...[0, 1, 255, 256, 65535, 65536, -1, -256, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1]
    .map((n) => [String(n), n]),
  ['2**53 - 1', Number.MAX_SAFE_INTEGER],
  ['-(2**53 - 1)', Number.MIN_SAFE_INTEGER],
  ['2**53', 2n ** 53n],
  ['-(2**53)', -(2n ** 53n)],
  ['-(2**63)', -(2n ** 63n)],
  ['2**64', 2n ** 64n],
  ['2**2100 + 1', 2n ** 2100n + 1n], // > 255 bytes: LONG4
  ['1.5', 1.5],
  ['0.1', 0.1],
  ['-2.5e-300', -2.5e-300],
  ['1e300', 1e300],
  ['5e-324', 5e-324],
  ["float('inf')", Infinity],
  ["float('-inf')", -Infinity],
  ["float('nan')", NaN],
  ["''", ''],
  ["'ascii'", 'ascii'],
  [String.raw`'h\xe9\x80\xff \u20ac \U0001f40d'`, 'hé\x80ÿ € 🐍'],
  [String.raw`'\\ \\u0041 \\\\U00000041 \n \r \x00 \x1a \ufeff'`, '\\ \\u0041 \\\\U00000041 \n \r \x00 \x1a \ufeff'],
  [String.raw`'a\ud800b\udcff'`, 'a\ud800b\udcff'],
  ["'x' * 300", 'x'.repeat(300)],
  ["b''", new Uint8Array()],
  ["b'abc'", bytes('abc')],
  ['bytes(range(256))', Uint8Array.from(range(256))],
  ["b'z' * 300", bytes('z'.repeat(300))],
  ['bytearray()', new Uint8Array()],
  [String.raw`bytearray(b'\x00\x80\xff')`, bytes('\x00\x80\xff')],
  ['[]', []],
  ['[1, [2, [3, []]]]', [1, [2, [3, []]]]],
  ['list(range(2500))', range(2500)], // APPENDS batches of 1000
  ['()', []],
  ['(1,)', [1]],
  ['(1, 2)', [1, 2]],
  ['(1, 2, 3)', [1, 2, 3]],
  ["(1, 'a', None, 4.5)", [1, 'a', null, 4.5]],
  ['([1], {})', [[1], {}]],
  ['{}', {}],
  ["{'a': 1, 'b': [2]}", { a: 1, b: [2] }],
  ["{'__proto__': 1, 'constructor': 2}", JSON.parse('{"__proto__": 1, "constructor": 2}')],
  ["{1: 'a', 'b': 2}", new Map([[1, 'a'], ['b', 2]])],
  ["{(1, 2): None, 2**64: b'x', b'y': 3}", new Map([[[1, 2], null], [2n ** 64n, bytes('x')], [bytes('y'), 3]])],
  ['{i: -i for i in range(1500)}', new Map(range(1500).map((i) => [i, -i]))], // SETITEMS batches
  ['{str(i): i for i in range(1500)}', Object.fromEntries(range(1500).map((i) => [String(i), i]))],
  ['set()', new Set()],
  ["{1, 'a', (2, 3), 2**70}", new Set([1, 'a', [2, 3], 2n ** 70n])],
  ['set(range(1500))', new Set(range(1500))],
  ['frozenset()', new Set()],
  ["frozenset({b'x', frozenset({1}), ()})", new Set([bytes('x'), new Set([1]), []])],
  [
    "{'a': [1, (2, {'b': {3: frozenset({4})}})], 'c': {'d': bytearray(b'e'), 'f': {None: True}}}",
    { a: [1, [2, { b: new Map([[3, new Set([4])]]) }]], c: { d: bytes('e'), f: new Map([[null, true]]) } },
  ],
];

test('plain values round-trip from every protocol', () => {
  const all = pickles(CASES.map(([expr]) => expr));
  for (const [expr, expected] of CASES) {
    for (const p of PROTOCOLS) assert.equal(unpickle(all[expr][p]), expected, `${expr}, protocol ${p}`);
  }
});

test('dicts with string keys are plain objects; __proto__ is an own property', () => {
  for (const b of pickles(["{'__proto__': {'polluted': 1}}"])["{'__proto__': {'polluted': 1}}"]) {
    const v = unpickle(b);
    assert.is(Object.getPrototypeOf(v), Object.prototype);
    assert.ok(Object.hasOwn(v, '__proto__'));
    assert.equal(v.__proto__, { polluted: 1 });
    assert.is({}.polluted, undefined);
  }
});

test('shared and recursive references keep their identity', () => {
  const exprs = [
    '(lambda x: [x, x, (x,)])([1])',
    '(lambda l: (l.append(l), l)[1])([])',
    "(lambda d: (d.__setitem__('self', d), d)[1])({})",
    '(lambda d: (d.__setitem__(2, d), d)[1])({1: None})',
    '(lambda l: (l.append((l,)), l[0])[1])([])', // a tuple reached again inside itself: POP / POP_MARK
  ];
  const all = pickles(exprs);
  for (const p of PROTOCOLS) {
    const [shared, list, object, map, tuple] = exprs.map((e) => unpickle(all[e][p]));
    assert.ok(shared[0] === shared[1] && shared[2][0] === shared[0], `shared, protocol ${p}`);
    assert.ok(list[0] === list, `list, protocol ${p}`);
    assert.ok(object.self === object && Object.getPrototypeOf(object) === Object.prototype, `dict, protocol ${p}`);
    assert.ok(map instanceof Map && map.get(2) === map && map.get(1) === null, `Map, protocol ${p}`);
    assert.ok(tuple.length === 1 && tuple[0][0] === tuple, `tuple, protocol ${p}`);
  }
});

test('results never alias the input buffer', () => {
  const input = Buffer.from(pickles(["[b'abc', bytearray(b'de')]"])["[b'abc', bytearray(b'de')]"][5]);
  const [b, ba] = unpickle(input);
  input.fill(0);
  assert.equal([b, ba], [bytes('abc'), bytes('de')]);
  assert.is(b.constructor, Uint8Array);
});

test('forms Python 3 writes only for values over 4 GiB, or only Python 2 wrote, decode too', () => {
  assert.is(unpickle(bytes('\x8d\x03\x00\x00\x00\x00\x00\x00\x00abc.')), 'abc');
  assert.equal(unpickle(bytes('\x8e\x01\x00\x00\x00\x00\x00\x00\x00\xff.')), bytes('\xff'));
  assert.equal(unpickle(bytes('\x80\x02U\x03abc.')), bytes('abc')); // str, kept as bytes
  assert.equal(unpickle(bytes('T\x02\x00\x00\x00\xff\x00.')), bytes('\xff\x00'));
  assert.equal(unpickle(bytes('(I1\nI4294967296\nL-2L\nI00\nI01\nl.')), [1, 4294967296, -2, false, true]);
});

test('UNICODE escapes follow raw-unicode-escape: only after an odd run of backslashes', () => {
  // Expected values are what python3's pickle.loads returns for the same bytes.
  assert.is(unpickle(bytes('V\\\\u0041\n.')), '\\\\u0041');
  assert.is(unpickle(bytes('V\\\\\\u0041 \\x41 \\u00411 \\U0001F40D\n.')), '\\\\A \\x41 A1 🐍');
});

const NESTED = "{'a': [1, (2, 'x' * 300, b'y' * 300)], 'b': {1: {frozenset({1}), 2**100}}, 'c': bytearray(b'z'), 'd': -1.5, 'e': {b''}}";

test('truncation at every byte throws UnpicklingError', () => {
  for (const b of pickles([NESTED])[NESTED]) {
    for (let i = 0; i < b.length; i++) {
      assert.throws(() => unpickle(b.subarray(0, i)), isUnpicklingError(/./), `cut at ${i} of ${b.length}`);
    }
  }
});

test('random corruption throws UnpicklingError or decodes, never anything else', () => {
  let seed = 42;
  const random = (n) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % n;
  for (const b of pickles([NESTED])[NESTED]) {
    for (let round = 0; round < 3000; round++) {
      const c = b.slice();
      for (let k = 1 + random(3); k > 0; k--) c[random(c.length)] = random(256);
      try {
        unpickle(c);
      } catch (err) {
        if (!(err instanceof UnpicklingError)) throw err;
      }
    }
  }
});

test('globals outside the whitelist are refused by name, and nothing runs', () => {
  const marker = join(tmp, 'pwned');
  const out = JSON.parse(
    python(
      `import base64, datetime, json, os, pickle, sys
class System:
    def __reduce__(self): return (os.system, ('touch ' + sys.argv[1],))
class Eval:
    def __reduce__(self): return (eval, ('open(sys.argv[1], "w")',))
enc = lambda v: [base64.b64encode(pickle.dumps(v, p)).decode() for p in range(6)]
print(json.dumps([enc(datetime.datetime(2020, 1, 2)), enc(System()), enc(Eval()), enc(set)]))`,
      marker,
    ),
  );
  const [datetime, system, evil, setType] = out.map((list) => list.map(fromBase64));
  for (const p of PROTOCOLS) {
    assert.throws(() => unpickle(datetime[p]), isUnpicklingError(/^unsupported global datetime\.datetime$/));
    assert.throws(() => unpickle(system[p]), isUnpicklingError(/^unsupported global posix\.system$/));
    assert.throws(() => unpickle(evil[p]), isUnpicklingError(/^unsupported global (__builtin__|builtins)\.eval$/));
    assert.throws(() => unpickle(setType[p]), isUnpicklingError(/global (__builtin__|builtins)\.set as a value/));
  }
  assert.not.ok(existsSync(marker));
});

test('whitelisted globals only accept the arguments the pickler writes', () => {
  const refused = [
    ['c_codecs\nencode\n(Vx\nVrot13\ntR.', /unsupported arguments to _codecs\.encode/],
    ['c_codecs\nencode\n(V\\u20ac\nVlatin1\ntR.', /not latin-1/],
    ['c__builtin__\nset\n(lR.', /arguments are not a tuple/],
    ['c__builtin__\nset\n((l(latR.', /unhashable/],
    ['c__builtin__\nbytes\n(I1\ntR.', /unsupported arguments to __builtin__\.bytes/],
    ['NN)R.', /REDUCE target/],
  ];
  for (const [pickle, pattern] of refused) assert.throws(() => unpickle(bytes(pickle)), isUnpicklingError(pattern), pickle);
});

test('malformed pickles throw UnpicklingError naming the problem', () => {
  const refused = [
    ['', /truncated/],
    ['N', /truncated/],
    ['N..', /trailing data/],
    ['\x80\x06N.', /protocol: 6/],
    ['h\x05.', /memo value not found at index 5/],
    ['g1\n.', /memo value not found at index 1/],
    ['p-1\n.', /invalid memo index/],
    ['a.', /stack underflow/],
    ['0.', /stack underflow/],
    ['(N.', /STOP/],
    ['NN.', /STOP/],
    ['(Na.', /stack underflow/], // items below a MARK are out of reach
    ['e.', /MARK/],
    [')Na.', /not a list/],
    [']NNs.', /not a dict/],
    ['}(]Nu.', /unhashable/],
    ['(\x91(\x90.', /not a set/],
    ['(NNNd.', /odd number/],
    ['\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.', /truncated/],
    ['\x95\x00\x00\x00\x00\x01\x00\x00\x00N.', /truncated/],
    ['\x8b\xff\xff\xff\xff.', /negative byte count/],
    ['X\x02\x00\x00\x00\xc3\x28.', /invalid UTF-8/],
    ['V\\u12\n.', /invalid \\u escape/],
    ['V\\U00110000\n.', /invalid \\U escape/],
    ['I12x\n.', /invalid int/],
    [`L${'9'.repeat(5000)}L\n.`, /invalid int/],
    ['F1.5.5\n.', /invalid float/],
    ["S'abc'\n.", /unsupported opcode STRING at offset 0/],
    ['Nb.', /unsupported opcode BUILD at offset 1/],
    ['\x8c\x03abc\x8c\x01d\x93.', /unsupported global abc\.d/],
    ['\x8c\x03abcN\x93.', /STACK_GLOBAL requires str/],
    ['\xff', /invalid opcode 0xff at offset 0/],
  ];
  for (const [pickle, pattern] of refused) {
    assert.throws(() => unpickle(bytes(pickle)), isUnpicklingError(pattern), JSON.stringify(pickle));
  }
});

test('text forms decode in linear time', () => {
  assert.is(unpickle(bytes(`V${'\\'.repeat(1e6)}\n.`)), '\\'.repeat(1e6));
  assert.throws(() => unpickle(bytes(`F${'1'.repeat(1e6)}x\n.`)), isUnpicklingError(/invalid float/));
});

test('a memoized argument reused by REDUCE cannot amplify the input', () => {
  const n = 100_000;
  const length = Buffer.alloc(4);
  length.writeUInt32LE(n);
  const make = (repeats) =>
    Buffer.concat([
      bytes('\x80\x04\x8c\x08builtins\x94\x8c\x09bytearray\x94\x93\x940B'), // memo 2: bytearray, popped
      length,
      Buffer.alloc(n),
      bytes('\x940](' + 'h\x02h\x03\x85R'.repeat(repeats) + 'e.'), // memo 3: the bytes, popped; then the copies
    ]);
  assert.is(unpickle(make(1))[0].length, n);
  assert.throws(() => unpickle(make(1000)), isUnpicklingError(/expands/));
});

test('shared references count against the output budget: "billion laughs" of every container, in every protocol, is refused', () => {
  // Each level references the one below ten times: 10^10 leaves from a few hundred bytes.
  const laughs = (wrap) => `(lambda f: f(f, 'lol', 10))(lambda f, a, n: a if n == 0 else f(f, ${wrap}, n - 1))`;
  const exprs = [laughs('[a] * 10'), laughs('(a,) * 10'), laughs('{str(i): a for i in range(10)}'), laughs('{i: a for i in range(10)}'),
    laughs('frozenset((i, a) for i in range(10))'), laughs('[a, [a, [a, [a, a]]]]')];
  const all = pickles(exprs);
  for (const e of exprs) {
    for (const p of PROTOCOLS) {
      assert.ok(all[e][p].length < 2000, `${e}: a small pickle`);
      assert.throws(() => unpickle(all[e][p]), isUnpicklingError(/^the value could take more than \d+ bytes once its shared references are written out/), `${e}, protocol ${p}`);
    }
  }
  // The budget is what the value takes written out: within it, shared references decode (and still share).
  const shared = pickles(['(lambda s: [s] * 100)("x" * 1000)'])['(lambda s: [s] * 100)("x" * 1000)'];
  for (const p of PROTOCOLS) {
    assert.is(unpickle(shared[p], 301_000).length, 100); // each str written out: 9 + 3 bytes per character at most
    assert.throws(() => unpickle(shared[p], 300_000), isUnpicklingError(/could take more than 300000 bytes/));
  }
  // Cycles count once: a list that contains itself still decodes (the encoder refuses it later).
  const cyclic = pickles(['(lambda l: (l.extend([l] * 50), l)[1])([])'])['(lambda l: (l.extend([l] * 50), l)[1])([])'];
  for (const p of PROTOCOLS) {
    const v = unpickle(cyclic[p]);
    assert.ok(v.length === 50 && v.every((x) => x === v), `protocol ${p}`);
  }
});

/** The value a manifest `expected` description stands for (see make_python_store.py). */
function fromDescription(d) {
  if (Array.isArray(d)) return d.map(fromDescription);
  if (d === null || typeof d !== 'object') return d;
  const [[tag, v]] = Object.entries(d);
  switch (tag) {
    case '$int':
      return BigInt(v);
    case '$bytes':
    case '$bytearray':
      return new Uint8Array(Buffer.from(v, 'hex'));
    case '$tuple':
      return v.map(fromDescription);
    case '$set':
    case '$frozenset':
      return new Set(v.map(fromDescription));
    case '$dict': {
      const entries = v.map(([k, x]) => [fromDescription(k), fromDescription(x)]);
      return entries.every(([k]) => typeof k === 'string') ? Object.fromEntries(entries) : new Map(entries);
    }
  }
  throw new Error(`unknown description ${tag}`);
}

const XATTRS = `import json, os, struct, sys
def xattrs(path):
    names = [n for n in os.listxattr(path) if n.startswith('user.')]
    if not names: return None
    return [os.getxattr(path, 'user.key').decode(), struct.unpack('>d', os.getxattr(path, 'user.birthtime'))[0], sorted(names)]
print(json.dumps({f: xattrs(os.path.join(sys.argv[1], f)) for f in os.listdir(sys.argv[1])}))`;

test('a store written as Python iodict 0.0.8 lays it out decodes entry by entry', () => {
  const dir = join(tmp, 'store');
  const manifest = JSON.parse(runPython([FIXTURE, dir]));
  assert.equal(readdirSync(dir).sort(), manifest.map((e) => e.file).sort());
  assert.equal(
    manifest.filter((e) => e.protocol !== 4).map((e) => [e.key, e.protocol]),
    [['bytearray', 5], ['protocol 2', 2]],
  );
  assert.equal(manifest.at(-1).expected, { $unsupported: 'datetime.datetime' });
  for (const e of manifest) {
    assert.is(e.file, createHash('sha3-224').update(e.key, 'utf8').digest('hex'), e.key);
    const data = readFileSync(join(dir, e.file));
    assert.equal([data[0], data[1]], [0x80, e.protocol], e.key);
    if (e.expected?.$unsupported) {
      assert.throws(() => unpickle(data), isUnpicklingError(/^unsupported global datetime\.datetime$/));
    } else {
      assert.equal(unpickle(data), fromDescription(e.expected), e.key);
    }
  }

  const xattrs = JSON.parse(python(XATTRS, dir));
  for (const e of manifest) {
    assert.equal(xattrs[e.file], [e.key, e.birthtime, ['user.birthtime', 'user.key']], e.key);
  }
  const births = manifest.map((e) => e.birthtime);
  assert.ok(births.every((b, i) => i === 0 || b > births[i - 1]), 'births increase in insertion order');
});

test('--no-xattrs writes the same files without extended attributes', () => {
  const dir = join(tmp, 'store-no-xattrs');
  const manifest = JSON.parse(runPython([FIXTURE, dir, '--no-xattrs']));
  assert.equal(readdirSync(dir).sort(), manifest.map((e) => e.file).sort());
  assert.ok(Object.values(JSON.parse(python(XATTRS, dir))).every((x) => x === null));
});

test.run();
