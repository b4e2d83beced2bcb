// The iodict CLI against real stores in fresh temp directories: in-process through run(argv, io)
// (test/support/cli.mjs), and as the built executable (dist/cli.js) where a process matters
// (Bun, a terminal, a pipe's reader going away). Stores are built and read back through the
// library (dist/index.js) and, for raw bytes, through the independent format reader.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IODict, jsonCodec } from '../dist/index.js';
import { storePath, tempDir } from './support/tmp.mjs';
import { readRecord } from './support/format-reader.mjs';
import { CLI, cliEnv, runCli as cli } from './support/cli.mjs';
import { runPython } from './support/python.mjs';

const FIXTURE = fileURLToPath(new URL('./fixtures/make_python_store.py', import.meta.url));
const WASI_RUNNER = new URL('../host/wasi/runner.ts', import.meta.url);
const BUN = fileURLToPath(new URL('../node_modules/.bin/bun', import.meta.url));
const DEAD_PID = 2 ** 22 + 12345; // above pid_max's default: no such process

/** Runs the CLI and expects exit code 0. */
function ok(args, options) {
  const r = cli(args, options);
  assert.is(r.code, 0, `iodict ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const lines = (text) => text.split('\n').filter((l) => l !== '');
const ndjson = (text) => lines(text).map((l) => JSON.parse(l));
const noStack = (stderr) => assert.not.match(stderr, /\n\s+at /, `a stack trace: ${stderr}`);
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const recordFiles = (path) => fs.readdirSync(path).filter((n) => /^[0-9a-f]{56}$/.test(n));

/** A canonical text of a value that tells apart everything the codecs keep: -0, NaN, types, order. */
function canon(v) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? 'n:-0' : `n:${v}`;
    case 'bigint':
      return `b:${v}`;
    case 'string':
      return `s:${JSON.stringify(v)}`;
    case 'boolean':
    case 'undefined':
      return String(v);
  }
  if (Array.isArray(v)) return `[${Array.from(v, canon).join(',')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}:${hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))}`;
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${canon(k)}=>${canon(x)}`).join(',')}}`;
  if (v instanceof Set) return `Set{${[...v].map(canon).join(',')}}`;
  if (v instanceof Date) return `Date:${v.getTime()}`;
  assert.is(Object.getPrototypeOf(v), Object.prototype, 'a plain object');
  return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
}

/** The dump's JSON mapping, decoded independently of the CLI, from its documentation. */
const TYPED = { Uint8ClampedArray, Uint16Array, Uint32Array, BigUint64Array, Int8Array, Int16Array, Int32Array, BigInt64Array, Float32Array, Float64Array };
function fromDump(j) {
  if (j === null || typeof j !== 'object') return j;
  if (Array.isArray(j)) return j.map(fromDump);
  const keys = Object.keys(j);
  const plain = (o) => Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromDump(x)]));
  if (keys.length !== 1 || !keys[0].startsWith('$')) return plain(j);
  const [tag] = keys;
  const v = j[tag];
  const bytes = () => new Uint8Array(Buffer.from(v, 'base64'));
  switch (tag) {
    case '$object': return plain(v);
    case '$bigint': return BigInt(v);
    case '$number': return Number(v);
    case '$undefined': return undefined;
    case '$bytes': return bytes();
    case '$date': return new Date(v ?? NaN);
    case '$map': return new Map(v.map(([k, x]) => [fromDump(k), fromDump(x)]));
    case '$set': return new Set(v.map(fromDump));
  }
  const T = TYPED[tag.slice(1)];
  if (!T) throw new Error(`unknown tag ${tag}`);
  return new T(bytes().buffer);
}

// Every kind of value the CBOR codec keeps, including objects that look like the mapping's tags.
const VALUES = [
  ['null', null], ['undefined', undefined], ['true', true], ['int', 42], ['negative', -7], ['float', 1.5],
  ['minus zero', -0], ['nan', NaN], ['infinity', Infinity], ['minus infinity', -Infinity],
  ['bigint', 2n ** 70n], ['negative bigint', -(2n ** 64n)], ['small bigint', 5n],
  ['string', 'héllo\n\u0000✓ 🐍'], ['bytes', new Uint8Array([0, 1, 255])], ['array', [1, [2, [3]], 'x']],
  ['object', { a: 1, b: { c: [true] } }], ['tag lookalike', { $bytes: 'not base64!' }], ['object lookalike', { $object: 1 }],
  ['two dollar keys', { $a: 1, $b: 2 }], ['proto', JSON.parse('{"__proto__": 1, "x": 2}')],
  ['map', new Map([[1, 'a'], ['k', { z: 1 }], [new Uint8Array([1]), null], [2n, new Set([3])]])],
  ['set', new Set([1, 'a', [2], new Map()])], ['date', new Date(1700000000123)], ['invalid date', new Date(NaN)],
  ['float32', new Float32Array([1.5, NaN, -0])], ['int16', new Int16Array([-1, 2])], ['biguint64', new BigUint64Array([2n ** 64n - 1n])],
  ['clamped', new Uint8ClampedArray([255, 0])], ['float64', new Float64Array([Math.PI])], ['empty object', {}],
];
// Keys of every type, in insertion order.
const KEYS = ['first', 7, -0.5, 3n, -12345678901234567890n, false, new Uint8Array([9, 9]), 'line\nbreak', '', 'ключ 🔑'];

/** A store with every kind of key and value, written through the library. */
function richStore() {
  const path = storePath();
  const d = new IODict(path);
  for (const [key, value] of VALUES) d.set(key, value);
  KEYS.forEach((key, i) => d.set(key, { i }));
  d.close();
  // A value in the JSON codec and one in an application codec this tool does not know.
  const j = new IODict(path, { codec: jsonCodec });
  j.set('json codec', { via: 'json' });
  j.close();
  const custom = { id: 200, encode: (v) => new TextEncoder().encode(v), decode: (b) => new TextDecoder().decode(b) };
  const c = new IODict(path, { codec: custom });
  c.set('app codec', 'opaque to the cli');
  c.close();
  return path;
}

/** [key, value] pairs in order, read back by the library (application-codec values as raw bytes). */
function entries(path) {
  const custom = { id: 200, encode: () => new Uint8Array(), decode: (b) => ({ raw: hex(b) }) };
  const d = new IODict(path, { codec: custom });
  try {
    return [...d.entries()];
  } finally {
    d.close();
  }
}

/** Every record's (key type, key, codec, value bytes), in birth order, straight from the files. */
function records(path) {
  return recordFiles(path)
    .map((n) => readRecord(`${path}/${n}`))
    .sort((a, b) => a.birth - b.birth || (a.name < b.name ? -1 : 1))
    .map((r) => `${r.keyType}:${hex(r.key)}:${r.codec}:${hex(r.value)}`);
}

// ---- usage -----------------------------------------------------------------------------------

test('usage errors exit 2 with a usage line, never a stack trace', () => {
  const path = storePath();
  const cases = [
    [],
    ['bogus'],
    ['get', path],
    ['ls'],
    ['ls', path, 'extra'],
    ['ls', path, '--bogus'],
    ['export', path, '--format', 'zip'],
    ['get', path, 'abc', '--key-type', 'number'],
    ['get', path, '1.5', '--key-type', 'float'],
    ['get', path, '12x', '--key-type', 'bigint'],
    ['get', path, 'yes', '--key-type', 'boolean'],
    ['get', path, 'abc', '--key-type', 'bytes-hex'],
    ['set', path, 'k', 'not json'],
    ['set', path, 'k', '{"$nosuchtag": 1}'],
    ['set', path, 'k', '{"$bigint": "1.5"}'],
    ['import', path, 'file', '--from-python', path],
    ['import', path, 'file', '--skip-unsupported'],
  ];
  for (const args of cases) {
    const r = cli(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage|iodict --help/, args.join(' '));
    noStack(r.stderr);
    assert.is(r.stdout, '', args.join(' '));
  }
  assert.not.ok(fs.existsSync(path), 'no usage error created the store');
  const json = cli(['get', path, '--json']);
  assert.is(json.code, 2);
  assert.is(JSON.parse(json.stderr).error.type, 'UsageError');
  assert.match(ok(['--help']).stdout, /iodict ls PATH/);
  assert.match(ok(['export', '--help']).stdout, /--format FORMAT/);
});

test('a path that is no store is a data error (exit 1) and is never created', () => {
  const path = storePath();
  for (const command of ['ls', 'dump', 'verify', 'stat', 'repair', 'compact', 'export']) {
    const r = cli([command, path]);
    assert.is(r.code, 1, command);
    assert.match(r.stderr, /no such store/, command);
    noStack(r.stderr);
  }
  assert.not.ok(fs.existsSync(path));
  const r = cli(['ls', path, '--json']);
  assert.equal(JSON.parse(r.stderr).error, { type: 'StoreError', message: `${path}: no such store`, code: 'ENOENT', path });
  // A directory of other files is left alone.
  const other = tempDir();
  fs.writeFileSync(`${other}/notes.txt`, 'mine');
  assert.match(cli(['ls', other]).stderr, /not an iodict store/);
  assert.is(cli(['set', other, 'k', '1']).code, 1);
  assert.equal(fs.readdirSync(other), ['notes.txt']);
});

// ---- single keys -----------------------------------------------------------------------------

test('set, get, rm and ls with typed keys; --json output parses', () => {
  const path = storePath();
  const typed = [
    [['s'], '"a string"'],
    [['1.5', '--key-type', 'number'], '1.5'],
    [['NaN', '-k', 'number'], '{"$number":"NaN"}'],
    [['-42', '--key-type', 'bigint'], '{"$bigint":"99999999999999999999"}'],
    [['true', '--key-type', 'boolean'], '[true,false]'],
    [['00ff', '--key-type', 'bytes-hex'], '{"$bytes":"AQI="}'],
    [['{"$bytes":"AQ=="}', '--key-type', 'json'], '{"$map":[[1,{"$set":[2]}]]}'],
    [['"tab\\there"', '--key-type', 'json'], '{"$undefined":true}'],
  ];
  for (const [args, value] of typed) {
    const r = ok(['set', path, args[0], value, ...args.slice(1), '--json']);
    assert.equal(JSON.parse(r.stdout), { key: JSON.parse(ok(['get', path, ...args, '--json']).stdout).key, created: true });
  }
  assert.equal(JSON.parse(ok(['set', path, 's', '"again"', '--json']).stdout), { key: 's', created: false });

  // The library sees the same keys and values, in order.
  assert.equal(entries(path).map(([k]) => k), ['s', 1.5, NaN, -42n, true, new Uint8Array([0, 0xff]), new Uint8Array([1]), 'tab\there']);
  assert.equal(entries(path)[3][1], 99999999999999999999n);

  // get prints the value in the JSON mapping; --json as a dump line; --diag in diagnostic notation.
  assert.is(ok(['get', path, 's']).stdout, '"again"\n');
  assert.is(ok(['get', path, '-42', '-k', 'bigint']).stdout, '{"$bigint":"99999999999999999999"}\n');
  assert.equal(JSON.parse(ok(['get', path, '00ff', '-k', 'bytes-hex', '--json']).stdout), { key: { $bytes: 'AP8=' }, value: { $bytes: 'AQI=' } });
  assert.is(ok(['get', path, '1.5', '-k', 'number', '--diag']).stdout, '1.5\n');
  assert.is(ok(['get', path, '{"$bytes":"AQ=="}', '-k', 'json', '--diag']).stdout, '259({1: 258([2])})\n');
  assert.equal(JSON.parse(ok(['get', path, 'true', '-k', 'boolean', '--diag', '--json']).stdout), { key: true, diag: '[true, false]' });

  // ls: text, with types (each line reads back with that --key-type), and JSON with births in order.
  assert.equal(lines(ok(['ls', path]).stdout), ['s', '1.5', 'NaN', '-42', 'true', '00ff', '01', '"tab\\there"']);
  const withTypes = lines(ok(['ls', path, '--types']).stdout).map((l) => l.split('\t'));
  assert.equal(withTypes.map(([t]) => t), ['string', 'number', 'number', 'bigint', 'boolean', 'bytes-hex', 'bytes-hex', 'json']);
  for (const [type, text] of withTypes) ok(['get', path, text, '--key-type', type]);
  const listed = JSON.parse(ok(['ls', path, '--json']).stdout);
  assert.equal(listed.map((e) => e.type), ['string', 'number', 'number', 'bigint', 'boolean', 'bytes', 'bytes', 'string']);
  assert.equal(listed[3].key, { $bigint: '-42' });
  assert.ok(listed.every((e, i) => Number.isSafeInteger(e.birth) && (i === 0 || e.birth > listed[i - 1].birth)), 'births ascend');

  // rm: exit 1 on a missing key unless --force; a missing get is exit 1 too.
  assert.equal(JSON.parse(ok(['rm', path, 'NaN', '-k', 'number', '--json']).stdout), { key: { $number: 'NaN' }, deleted: true });
  const missing = cli(['rm', path, 'NaN', '-k', 'number']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /key not found: NaN/);
  noStack(missing.stderr);
  assert.equal(JSON.parse(ok(['rm', path, 'NaN', '-k', 'number', '-f', '--json']).stdout), { key: { $number: 'NaN' }, deleted: false });
  const get = cli(['get', path, 'nope', '--json']);
  assert.is(get.code, 1);
  assert.is(JSON.parse(get.stderr).error.type, 'KeyError');

  // VALUE from stdin.
  ok(['set', path, 'piped', '-'], { input: '{"from": "stdin"}' });
  assert.is(ok(['get', path, 'piped']).stdout, '{"from":"stdin"}\n');
});

// ---- dump ------------------------------------------------------------------------------------

test('dump writes every item as NDJSON in the documented mapping, and --diag in diagnostic notation', () => {
  const path = richStore();
  const dumped = ndjson(ok(['dump', path]).stdout);
  const expected = entries(path);
  assert.is(dumped.length, expected.length);
  dumped.forEach((line, i) => {
    const [key, value] = expected[i];
    assert.is(canon(fromDump(line.key)), canon(key), `key ${i}`);
    if (key === 'app codec') {
      assert.equal(line, { key: 'app codec', codec: 200, raw: Buffer.from('opaque to the cli').toString('base64') });
    } else {
      assert.is(canon(fromDump(line.value)), canon(value), `value of ${String(key)}`);
      assert.is(line.codec, key === 'json codec' ? 1 : undefined, `codec of ${String(key)}`);
    }
  });
  const byKey = new Map(dumped.map((l) => [JSON.stringify(l.key), l.value]));
  assert.equal(byKey.get('"bigint"'), { $bigint: '1180591620717411303424' });
  assert.equal(byKey.get('"minus zero"'), { $number: '-0' });
  assert.equal(byKey.get('"tag lookalike"'), { $object: { $bytes: 'not base64!' } });
  assert.equal(byKey.get('"two dollar keys"'), { $a: 1, $b: 2 });
  assert.equal(byKey.get('"invalid date"'), { $date: null });
  assert.equal(byKey.get('"date"'), { $date: '2023-11-14T22:13:20.123Z' });
  assert.equal(byKey.get('"int16"'), { $Int16Array: Buffer.from([0xff, 0xff, 2, 0]).toString('base64') });
  assert.ok(byKey.has('{"$bigint":"-12345678901234567890"}') && byKey.has('{"$bytes":"CQk="}'), 'typed keys');

  const diag = lines(ok(['dump', path, '--diag']).stdout);
  assert.is(diag.length, expected.length);
  assert.ok(diag.includes('int\t42'));
  assert.ok(diag.includes('bigint\t2(h\'400000000000000000\')'));
  assert.ok(diag.includes('"line\\nbreak"\t{"i": 7}'), 'a key with a control character prints as JSON');
  assert.ok(diag.includes('json codec\t/json/ {"via":"json"}'));
  assert.ok(diag.includes(`app codec\t/codec 200/ h'${hex(Buffer.from('opaque to the cli'))}'`));
  const diagJson = ndjson(ok(['dump', path, '--diag', '--json']).stdout);
  assert.equal(diagJson[0], { key: 'null', diag: 'null' });
  assert.equal(diagJson.find((l) => l.key === 'set').diag, '258([1, "a", [2], 259({})])');
});

// ---- export / import -------------------------------------------------------------------------

test('export and import round-trip a store through NDJSON: keys, values, codecs and order unchanged', () => {
  const source = richStore();
  const dir = tempDir();
  const r = ok(['export', source, `${dir}/out.ndjson`, '--json']);
  assert.equal(JSON.parse(r.stdout), { path: source, file: `${dir}/out.ndjson`, format: 'ndjson', items: VALUES.length + KEYS.length + 2 });
  assert.is(fs.readFileSync(`${dir}/out.ndjson`, 'utf8'), ok(['dump', source]).stdout, 'export writes what dump prints');
  assert.equal(fs.readdirSync(dir), ['out.ndjson'], 'no temp file left next to it');

  const target = storePath();
  assert.equal(JSON.parse(ok(['import', target, `${dir}/out.ndjson`, '--json']).stdout), { path: target, format: 'ndjson', imported: VALUES.length + KEYS.length + 2 });
  assert.equal(entries(target).map(([k, v]) => canon(k) + canon(v)), entries(source).map(([k, v]) => canon(k) + canon(v)));
  // Codec ids survive, and the application codec's bytes are written back as they were.
  assert.equal(records(target).map((r) => r.split(':').slice(0, 3).join(':')), records(source).map((r) => r.split(':').slice(0, 3).join(':')));
  assert.ok(records(target).includes(records(source).find((x) => x.includes(hex(Buffer.from('opaque to the cli'))))));

  // Through pipes: export to stdout, import from stdin.
  const piped = storePath();
  ok(['import', piped], { input: ok(['export', source]).bytes });
  assert.is(ok(['dump', piped]).stdout, ok(['dump', source]).stdout);
});

test('export and import round-trip a store through an archive: every record\'s bytes but the birth', () => {
  const source = richStore();
  const file = `${tempDir()}/store.ioda`;
  ok(['export', source, file, '--format', 'archive']);
  const bytes = fs.readFileSync(file);
  assert.is(bytes.subarray(0, 8).toString('latin1'), 'ioda\x01\x00\x00\x00');
  // Each entry is a record file exactly as in the store; then a zero length and the count.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const archived = [];
  let at = 8;
  for (let n; (n = view.getUint32(at, true)) !== 0; at += 4 + n) archived.push(hex(bytes.subarray(at + 4, at + 4 + n)));
  assert.is(Number(view.getBigUint64(at + 4, true)), archived.length);
  assert.is(at + 12, bytes.length);
  const inStore = recordFiles(source).map((n) => fs.readFileSync(`${source}/${n}`).toString('hex'));
  assert.equal([...archived].sort(), inStore.sort());

  const target = storePath();
  assert.equal(JSON.parse(ok(['import', target, file, '--json']).stdout).format, 'archive', 'detected by its header');
  assert.equal(records(target), records(source));
  assert.equal(entries(target).map(([k, v]) => canon(k) + canon(v)), entries(source).map(([k, v]) => canon(k) + canon(v)));
  const fromStdin = storePath();
  ok(['import', fromStdin, '-', '--format', 'archive'], { input: ok(['export', source, '--format', 'archive']).bytes });
  assert.equal(records(fromStdin), records(source));
});

test('import stops at bad input with exit code 1, naming the line or record', () => {
  const dir = tempDir();
  const cases = [
    ['{"key":"a","value":1}\n{"key":"b","value":{"$bytes":"!!"}}\n', /line 2: \$bytes needs a base64 string \(1 item\(s\) were imported before it\)/],
    ['{"key":"a","value":1}\nnot json\n', /line 2 is not JSON/],
    ['{"key":[1],"value":1}\n', /line 1: unsupported key type Array/],
    ['{"value":1}\n', /line 1 is not a \{"key", "value"\} object/],
    ['{"key":"a","codec":200,"value":1}\n', /line 1: codec 200 is not one this tool can encode/],
  ];
  for (const [input, message] of cases) {
    fs.writeFileSync(`${dir}/in.ndjson`, input);
    const r = cli(['import', storePath(), `${dir}/in.ndjson`]);
    assert.is(r.code, 1, input);
    assert.match(r.stderr, message);
    noStack(r.stderr);
  }
  const source = storePath();
  ok(['set', source, 'a', '1']);
  ok(['set', source, 'b', '2']);
  ok(['export', source, `${dir}/a.ioda`, '--format', 'archive']);
  const archive = fs.readFileSync(`${dir}/a.ioda`);
  const damaged = {
    truncated: [archive.subarray(0, archive.length - 5), /truncated/],
    'bit flip in a record': [Buffer.from(archive).fill(0x41, 40, 41), /record 1 of the archive is invalid: checksum mismatch/],
    'trailing bytes': [Buffer.concat([archive, Buffer.from('x')]), /unexpected bytes after the end/],
  };
  for (const [name, [bytes, message]] of Object.entries(damaged)) {
    fs.writeFileSync(`${dir}/bad.ioda`, bytes);
    const r = cli(['import', storePath(), `${dir}/bad.ioda`]);
    assert.is(r.code, 1, name);
    assert.match(r.stderr, message, name);
  }
  assert.is(cli(['import', storePath(), `${dir}/missing.ndjson`]).code, 1);
});

// ---- verify / repair / compact / stat ----------------------------------------------------------

/** A store of n items, one record corrupted (checksum), plus a dead writer's temp file and (unless told) a dead process's claim. */
function damagedStore({ claim = true } = {}) {
  const path = storePath();
  const d = new IODict(path);
  for (let i = 0; i < 6; i++) d.set(`k${i}`, { i });
  d.close();
  const name = (key) => createHash('sha3-224').update(key).digest('hex');
  const bad = `${path}/${name('k2')}`;
  const bytes = fs.readFileSync(bad);
  bytes[bytes.length - 6] ^= 0x10;
  fs.writeFileSync(bad, bytes);
  const owner = DEAD_PID.toString(16).padStart(8, '0') + '00000001';
  if (claim) fs.renameSync(`${path}/${name('k4')}`, `${path}/.iodict/claimed/${name('k4')}.${owner}`);
  fs.writeFileSync(`${path}/.iodict/tmp/${owner}-00000000`, 'half a record');
  return { path, bad };
}

test('verify names a corrupt record and exits 1, moving nothing; repair quarantines it and the store verifies', () => {
  const { path, bad } = damagedStore();
  const r = cli(['verify', path]);
  assert.is(r.code, 1);
  assert.equal(lines(r.stdout), [`${bad}: checksum mismatch`, '5 record(s) checked, 1 bad']);
  assert.ok(fs.existsSync(bad), 'verify moved nothing');
  const json = JSON.parse(cli(['verify', path, '--json']).stdout);
  assert.equal(json, { path, ok: false, checked: 5, bad: [{ file: bad, name: bad.slice(-56), problem: 'checksum mismatch' }] });

  const repaired = JSON.parse(ok(['repair', path, '--json']).stdout);
  assert.is(repaired.ok, true);
  assert.is(repaired.quarantined.length, 1);
  assert.is(repaired.quarantined[0].file, bad);
  assert.match(repaired.quarantined[0].movedTo, new RegExp(`^${path}/\\.iodict/quarantine/${bad.slice(-56)}\\.[0-9a-f]{16}$`));
  assert.ok(fs.existsSync(repaired.quarantined[0].movedTo), 'the bad record is kept in quarantine');
  assert.is(repaired.claimsRecovered, 1);
  assert.is(repaired.tempFilesRemoved, 1);
  assert.is(repaired.compacted, true);
  assert.equal(repaired.verify, { path, ok: true, checked: 5, bad: [] });
  assert.equal(fs.readdirSync(`${path}/.iodict/tmp`), []);
  assert.equal(fs.readdirSync(`${path}/.iodict/claimed`), []);

  assert.equal(lines(ok(['verify', path]).stdout), ['5 record(s) checked, all good']);
  assert.equal(lines(ok(['ls', path]).stdout), ['k0', 'k1', 'k3', 'k4', 'k5'], 'the recovered claim is back in its place');

  // Text output of a repair.
  const again = damagedStore();
  const text = ok(['repair', again.path]).stdout;
  assert.match(text, new RegExp(`quarantined ${again.bad} \\(checksum mismatch\\) -> `));
  assert.match(text, /returned 1 claim\(s\) of dead processes/);
  assert.match(text, /5 record\(s\) checked, all good/);
});

test('a corrupt record found while reading is reported, the rest is listed, and the exit code is 1', () => {
  const { path, bad } = damagedStore();
  const r = cli(['ls', path]);
  assert.is(r.code, 1);
  assert.equal(lines(r.stdout), ['k0', 'k1', 'k3', 'k4', 'k5'], 'the dead process\'s claim is back in its place');
  assert.match(r.stderr, /1 corrupt record\(s\) found/);
  assert.not.ok(fs.existsSync(bad), 'moved to quarantine by the core, as any reader does');
  assert.is(JSON.parse(ok(['stat', path, '--json']).stdout).quarantined, 1);
});

test('compact leaves a journal of just its BEGIN and PREDECESSOR_SEALED entries and a current cache; open handles follow it', () => {
  const path = storePath();
  const d = new IODict(path);
  for (let i = 0; i < 300; i++) d.set(`k${i}`, i);
  for (let i = 0; i < 100; i++) d.delete(`k${i}`);
  const before = JSON.parse(ok(['stat', path, '--json']).stdout);
  assert.is(before.journal.entries, 801, 'BEGIN, then each set and delete with its KEY entry');
  // The handle's index loaded after 64 sets (a listing, which leaves a cache): far behind now.
  assert.is(before.cache.entries, 64);

  const result = JSON.parse(ok(['compact', path, '--json']).stdout);
  assert.equal(result, { path, compacted: true, items: 200, journalBytes: { before: 801 * 64, after: 2 * 64 }, cacheBytes: result.cacheBytes, tempFilesRemoved: 0 });
  const after = JSON.parse(ok(['stat', path, '--json']).stdout);
  assert.equal(after.journal, { bytes: 2 * 64, entries: 2 });
  assert.equal(after.cache, { bytes: result.cacheBytes, entries: 200, current: true });

  // The handle opened before the rotation still sees, and is seen by, everyone else.
  ok(['set', path, 'from cli', '1']);
  assert.is(d.get('from cli'), 1);
  assert.is(d.size, 201);
  d.set('from library', 2);
  assert.is(ok(['get', path, 'from library']).stdout, '2\n');
  d.close();
  assert.match(ok(['compact', path]).stdout, /journal 384 B -> 128 B/);
  assert.equal(lines(ok(['ls', path]).stdout).slice(-2), ['from cli', 'from library']);
});

test('stat reports items, records, bytes, xattrs, journal, cache and control folders', () => {
  const path = richStore();
  const s = JSON.parse(ok(['stat', path, '--json']).stdout);
  const files = recordFiles(path);
  assert.is(s.format, 2);
  assert.is(s.items, files.length);
  assert.equal(s.records, { files: files.length, bytes: files.reduce((n, f) => n + fs.statSync(`${path}/${f}`).size, 0) });
  assert.ok(s.diskBytes >= s.records.bytes);
  assert.equal(s.xattrs, { records: files.length, without: 0 }, 'the library mirrors user.key and user.birthtime');
  assert.equal([s.tempFiles, s.claimed, s.quarantined], [0, 0, 0]);
  const text = ok(['stat', path]).stdout;
  assert.match(text, new RegExp(`^items +${files.length}$`, 'm'));
  assert.match(text, new RegExp(`^xattrs +${files.length} of ${files.length} record`, 'm'));
  // Records written without xattrs are counted as such.
  const plain = new IODict(path, { xattrs: 'off' });
  plain.set('no xattrs', 1);
  plain.close();
  assert.equal(JSON.parse(ok(['stat', path, '--json']).stdout).xattrs, { records: files.length, without: 1 });
});

// ---- Python iodict stores ----------------------------------------------------------------------

/** The value a manifest description stands for (make_python_store.py), as the importer maps Python types. */
function fromDescription(d) {
  if (Array.isArray(d)) return d.map(fromDescription);
  if (d === null || typeof d !== 'object') return d;
  const [[tag, v]] = Object.entries(d);
  switch (tag) {
    case '$int': return BigInt(v);
    case '$bytes':
    case '$bytearray': return new Uint8Array(Buffer.from(v, 'hex'));
    case '$tuple': return v.map(fromDescription);
    case '$set':
    case '$frozenset': return new Set(v.map(fromDescription));
    case '$dict': {
      const pairs = v.map(([k, x]) => [fromDescription(k), fromDescription(x)]);
      return pairs.every(([k]) => typeof k === 'string') ? Object.fromEntries(pairs) : new Map(pairs);
    }
  }
  throw new Error(`unknown description ${tag}`);
}

function pythonStore(...flags) {
  const dir = `${tempDir()}/python`;
  return { dir, manifest: JSON.parse(runPython([FIXTURE, dir, ...flags])) };
}

test('import --from-python refuses everything when a value is unsupported, naming its key', () => {
  const { dir, manifest } = pythonStore();
  const target = storePath();
  const r = cli(['import', target, '--from-python', dir]);
  assert.is(r.code, 1);
  const unsupported = manifest.find((e) => e.expected?.$unsupported);
  assert.match(r.stderr, new RegExp(`cannot import "unsupported" \\(file ${unsupported.file}\\): unsupported value: unsupported global datetime\\.datetime`));
  assert.match(r.stdout, /nothing imported: 1 item\(s\) cannot be/);
  assert.not.ok(fs.existsSync(target), 'nothing written');
  const json = cli(['import', target, '--from-python', dir, '--json']);
  assert.is(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.skipped, [{ key: 'unsupported', file: unsupported.file, problem: 'unsupported value: unsupported global datetime.datetime' }]);
  assert.is(report.written, false);
  assert.equal(ndjson(json.stderr).map((w) => w.key), ['unsupported']);
});

test('import --from-python --skip-unsupported imports the rest: keys, birth order and values', () => {
  const { dir, manifest } = pythonStore();
  const target = storePath();
  const r = ok(['import', target, '--from-python', dir, '--skip-unsupported', '--json']);
  const report = JSON.parse(r.stdout);
  assert.is(report.imported, manifest.length - 1);
  assert.equal(report.skipped.map((s) => s.key), ['unsupported']);
  assert.match(r.stderr, /"key":"unsupported"/);
  const supported = manifest.filter((e) => !e.expected?.$unsupported);
  const dumped = ndjson(ok(['dump', target]).stdout);
  assert.equal(dumped.map((l) => l.key), supported.map((e) => e.key), 'keys in user.birthtime order');
  dumped.forEach((line, i) => assert.equal(fromDump(line.value), fromDescription(supported[i].expected), supported[i].key));
  assert.equal(lines(ok(['verify', target]).stdout), [`${supported.length} record(s) checked, all good`]);
  // The importer reads birth order from the xattr, not from the listing or file times.
  const late = `${dir}/${supported[0].file}`;
  fs.utimesSync(late, new Date(), new Date());
  const again = storePath();
  ok(['import', again, '--from-python', dir, '--skip-unsupported']);
  assert.is(lines(ok(['ls', again]).stdout)[0], supported[0].key);
});

test('import --from-python reports every item whose key is lost (no user.key, hashed names), and reads Python\'s plain layout', () => {
  const { dir, manifest } = pythonStore('--no-xattrs');
  const r = cli(['import', storePath(), '--from-python', dir, '--json']);
  assert.is(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.equal(report.skipped.map((s) => s.file).sort(), manifest.map((e) => e.file).sort());
  assert.ok(report.skipped.every((s) => s.key === null && /key cannot be recovered/.test(s.problem)));

  // Without xattr support Python iodict names each file str(key) and orders by change time.
  const plain = manifest.filter((e) => !e.key.includes('/') && !e.expected?.$unsupported);
  for (const e of manifest) {
    if (plain.includes(e)) fs.renameSync(`${dir}/${e.file}`, `${dir}/${e.key}`);
    else fs.rmSync(`${dir}/${e.file}`);
  }
  const target = storePath();
  const done = ok(['import', target, '--from-python', dir, '--json']);
  assert.is(JSON.parse(done.stdout).orderedByCtime, plain.length);
  assert.match(done.stderr, /ordered by their change time/);
  const dumped = new Map(ndjson(ok(['dump', target]).stdout).map((l) => [l.key, fromDump(l.value)]));
  assert.equal([...dumped.keys()].sort(), plain.map((e) => e.key).sort());
  for (const e of plain) assert.equal(dumped.get(e.key), fromDescription(e.expected), e.key);
});

test('import --from-python refuses an iodict store and a missing directory', () => {
  const store = storePath();
  ok(['set', store, 'k', '1']);
  assert.match(cli(['import', storePath(), '--from-python', store]).stderr, /is an iodict store, not a Python iodict one/);
  assert.match(cli(['import', storePath(), '--from-python', `${store}/nope`]).stderr, /no such directory/);
  // And ls on a Python store points to the importer.
  const { dir } = pythonStore();
  assert.match(cli(['ls', dir]).stderr, /looks like a Python iodict store: use `iodict import NEW_PATH --from-python/);
});

// ---- output plumbing -----------------------------------------------------------------------------

test('piped output carries no progress bar or escape codes; on a terminal the bar is drawn on stderr', () => {
  const path = richStore();
  const file = `${tempDir()}/x.ioda`;
  const runs = [
    cli(['verify', path]), cli(['dump', path]), cli(['stat', path]), cli(['repair', path]),
    cli(['export', path, file, '--format', 'archive']), cli(['import', storePath(), file]),
  ];
  for (const r of runs) {
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout + r.stderr, /\x1b|\r/);
  }
  const script = spawnSync('script', ['--version']);
  if (script.error) return; // no util-linux script(1): no pseudo-terminal to test with
  const tty = (args) => execFileSync('script', ['-qec', [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8', env: cliEnv() });
  assert.match(tty(['verify', path]), /\r\x1b\[2Kverify \[#+-*\] +\d+% \d+\/\d+ 0:\d\d\r\x1b\[2K\d+ record\(s\) checked/);
  assert.not.match(tty(['verify', path, '--no-progress']), /\x1b/);
});

test('a reader that stops early (dump | head) ends the dump quietly', () => {
  const path = storePath();
  const d = new IODict(path);
  for (let i = 0; i < 4000; i++) d.set(`key number ${i}`, { i, padding: 'x'.repeat(40) });
  d.close();
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" dump "${path}" | head -n 1`], { encoding: 'utf8', env: cliEnv() });
  assert.equal(JSON.parse(r.stdout), { key: 'key number 0', value: { i: 0, padding: 'x'.repeat(40) } });
  assert.is(r.stderr, '');
});

// ---- other builds and runtimes ------------------------------------------------------------------

test('ls, dump and verify print the same through the host build and the WASI build (--wasi)', () => {
  if (!fs.existsSync(WASI_RUNNER)) {
    console.log('  (skipped: host/wasi/runner.ts does not exist in this checkout)');
    return;
  }
  const path = richStore();
  const commands = [['ls'], ['ls', '--types'], ['ls', '--json'], ['dump'], ['dump', '--diag'], ['dump', '--diag', '--json'], ['verify'], ['verify', '--json']];
  for (const [command, ...flags] of commands) {
    const host = ok([command, path, ...flags]);
    const wasi = ok([command, path, ...flags, '--wasi']);
    assert.is(wasi.stdout, host.stdout, `${command} ${flags.join(' ')}`);
  }
  // A bad record is reported the same way by both; listing quarantines it in passing, and both say so.
  // (No claim in it: the WASI build cannot tell whether an owner is alive, so it returns none.)
  const { path: damaged } = damagedStore({ claim: false });
  const host = cli(['verify', damaged]);
  const wasi = cli(['verify', damaged, '--wasi']);
  assert.is(host.code, 1);
  assert.equal([wasi.code, wasi.stdout], [host.code, host.stdout]);
  const copy = `${tempDir()}/copy`;
  fs.cpSync(damaged, copy, { recursive: true });
  const hostLs = cli(['ls', damaged]);
  const wasiLs = cli(['ls', copy, '--wasi']);
  assert.equal([wasiLs.code, wasiLs.stdout], [1, hostLs.stdout]);
  assert.match(wasiLs.stderr, /1 corrupt record\(s\) found/);
  assert.is(cli(['ls', damaged, '--wasi-runtime', 'node']).code, 2, '--wasi-runtime needs --wasi');
});

test('the executable (dist/cli.js) exits with the command\'s code: 0, 1 for a missing key, 2 for wrong usage; "-" reads stdin', () => {
  const path = storePath();
  const run = (args, input) => spawnSync(process.execPath, [CLI, ...args], { input, env: cliEnv(), encoding: 'utf8' });
  assert.is(run(['set', path, 'k', '-'], '{"a": 1}').status, 0);
  const got = run(['get', path, 'k']);
  assert.equal([got.status, got.stdout, got.stderr], [0, '{"a":1}\n', '']);
  const missing = run(['get', path, 'nope']);
  assert.equal([missing.status, missing.stderr], [1, 'iodict: key not found: nope\n']);
  const usage = run(['get', path]);
  assert.is(usage.status, 2);
  assert.match(usage.stderr, /^iodict: get needs KEY\nusage: iodict get PATH KEY/);
});

test('the CLI runs under Bun with the same output', () => {
  if (!fs.existsSync(BUN)) {
    console.log('  (skipped: no bun in node_modules/.bin)');
    return;
  }
  const path = richStore();
  for (const args of [['ls', path, '--json'], ['dump', path], ['dump', path, '--diag'], ['verify', path], ['get', path, 'map']]) {
    assert.is(ok(args, { runtime: BUN }).stdout, ok(args).stdout, args.join(' '));
  }
  const target = storePath();
  ok(['import', target], { runtime: BUN, input: ok(['export', path, '--format', 'archive']).bytes });
  assert.equal(records(target), records(path));
  const missing = cli(['get', path, 'nope'], { runtime: BUN });
  assert.is(missing.code, 1);
  noStack(missing.stderr);
});

test.run();
