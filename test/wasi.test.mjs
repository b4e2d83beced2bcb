// The WASI build (dist/iodict.wasi.wasm, docs/WASI.md) against the host build, on real
// directories: under node:wasi, Bun's node:wasi and @wasmer/wasi (MemFS), through the runner
// (`iodict/wasi`, dist/wasi.js) and through the raw interface.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { decodeMultiple } from 'cbor-x';
import { IODict, cbor, StoreError, CorruptRecordError, nodeHost } from '../dist/index.js';
import { storePath, tempDir } from './support/tmp.mjs';
import { runChild } from './support/children.mjs';
import { runtimes } from './support/runtimes.mjs';
import { readStore, crc32c, journalGeneration, canonicalBytes } from './support/format-reader.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const wasmBytes = fs.readFileSync(path.join(root, 'dist/iodict.wasi.wasm'));

// The runner as the package exports it (`iodict/wasi`): its error classes are the package's, so
// instanceof holds across the two entries.
const runnerFile = path.join(root, 'dist/wasi.js');
const { openWasiStore } = await import(runnerFile);

// Canonical key bytes (FORMAT.md 3.1), written from the format, not from the package.
const utf8 = new TextEncoder();
const sample = [
  ['str', 'text ✓'], [7, { a: [1, 2.5, null, true] }], [-1.5, new Map([[1, 'x']])], [10n, new Set([1, 'b'])],
  [false, new Date(1700000000123)], [new Uint8Array([9, 8]), new Uint8Array([1, 2, 3])], ['big', 2n ** 80n],
  ['πkey', [undefined, -0, 0.1]],
];
const expectedDiag = new Map([
  ['str', '"text ✓"'], [7, '{"a": [1, 2.5, null, true]}'], [-1.5, '259({1: "x"})'], [10n, '258([1, "b"])'],
  [false, '1(1700000000.123)'], ['πkey', '[undefined, -0.0, 0.1]'], ['big', '"moved to the end"'],
]);

/** A store written by the host build: the sample, then 'big' deleted and set again (it moves to the end). */
function hostStore(dir = storePath()) {
  const d = new IODict(dir);
  for (const [k, v] of sample) d.set(k, v);
  d.delete('big');
  d.set('big', 'moved to the end');
  const entries = [...d];
  d.close();
  return { dir, entries };
}

/** What a store holds, by an independent reader of the files: [type, key hex, birth, codec, value hex] in order. */
function filesOf(dir) {
  return readStore(dir).map((r) => [r.keyType, r.key.toString('hex'), r.birth, r.codec, r.value.toString('hex')]);
}
const hex = (bytes) => Buffer.from(bytes).toString('hex');

async function listedBy(store) {
  return store.list().map(({ keyType, key, birth }) => {
    const got = store.get(keyType, key);
    return [keyType, hex(key), birth, got.codec, hex(got.value)];
  });
}

test('a store written by IODict is listed and read by the WASI build under node:wasi: same keys, order, births and values', async () => {
  const { dir } = hostStore();
  const store = await openWasiStore(dir);
  assert.equal(await listedBy(store), filesOf(dir));
  assert.is(store.list().at(-1).key.length, 3, "'big' moved to the end");
  for (const [k, text] of expectedDiag) {
    const { keyType, key } = canonicalBytes(k);
    assert.is(store.diag(keyType, key), text, `diag of ${String(k)}`);
  }
  assert.is(store.get(0, utf8.encode('missing')), undefined);
  assert.is(store.diag(0, utf8.encode('missing')), undefined);
  assert.is(store.delete(0, utf8.encode('missing')), false);
  store.close();
  assert.throws(() => store.list(), (e) => e.name === 'ClosedError' && /closed/.test(e.message));
});

test('stores opened, listed and closed 400 times in a row in one process do not crash it (node:wasi\'s functions reach the module through JS calls)', () => {
  // Handed to the instances as they are, they crashed Node 20 (SIGSEGV or an abort) within a few
  // hundred; in a child, so that a crash fails this test instead of ending the run.
  const dir = tempDir();
  const wasiEntry = new URL('../dist/wasi.js', import.meta.url).href;
  const script = `const { openWasiStore } = await import(${JSON.stringify(wasiEntry)});
    for (let i = 0; i < 400; i++) { const s = await openWasiStore(${JSON.stringify(dir)}); s.set(0, new Uint8Array([107, i % 7]), 0, new Uint8Array([i % 24])); s.list(); s.close(); }
    console.log('done');`;
  let out;
  try {
    out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    assert.unreachable(`the child ended by ${error.signal ?? `exit code ${error.status}`}`);
  }
  assert.is(out.trim(), 'done');
  const d = new IODict(dir);
  assert.is(d.size, 7);
  d.close();
});

test('written through the WASI build, read by IODict (and both open at once see each other)', async () => {
  const dir = tempDir();
  const store = await openWasiStore(dir);
  const values = [['a', 1], ['b', { nested: [1, 'two'] }], [3, new Map([['k', 2n]])], [true, new Uint8Array([5])]];
  for (const [k, v] of values) {
    const { keyType, key } = canonicalBytes(k);
    store.set(keyType, key, 0, cbor.encode(v));
  }
  store.set(0, utf8.encode('json'), 1, utf8.encode('{"x":[1]}'));
  assert.ok(store.delete(0, utf8.encode('a')));
  store.set(0, utf8.encode('a'), 0, cbor.encode('again'));
  const d = new IODict(dir);
  assert.equal([...d], [['b', { nested: [1, 'two'] }], [3, new Map([['k', 2n]])], [true, new Uint8Array([5])], ['json', { x: [1] }], ['a', 'again']]);
  // Coherence across builds through the shared journal.
  d.set('from-host', 42);
  assert.equal(store.list().at(-1).key, utf8.encode('from-host'));
  store.set(0, utf8.encode('from-wasi'), 0, cbor.encode(43));
  assert.is([...d.keys()].at(-1), 'from-wasi');
  assert.is(d.get('from-wasi'), 43);
  // A rotation by the WASI writer (under the lock file: WASI has no flock), followed by the host.
  const journal = `${dir}/.iodict/changes`;
  const generation = journalGeneration(dir);
  fs.appendFileSync(journal, Buffer.alloc(16384 * 64));
  store.set(0, utf8.encode('from-wasi'), 0, cbor.encode(44));
  assert.ok(journalGeneration(dir) > generation, 'the WASI writer rotated the journal');
  assert.not.ok(fs.existsSync(`${dir}/.iodict/lock.owner`), 'and released the store lock');
  assert.ok(fs.statSync(journal).size < 4096);
  d.size; // reads the replaced journal to its end
  store.set(0, utf8.encode('after rotation'), 0, cbor.encode(45));
  assert.is([...d.keys()].at(-1), 'after rotation');
  d.close();
  store.close();
  assert.is(filesOf(dir).length, 8, 'every record is valid per FORMAT.md');
  const births = readStore(dir).map((r) => r.birth);
  assert.ok(Math.abs(births.at(-1) - Date.now() * 1000) < 60e6, 'births are wall-clock microseconds');
});

test('the WASI reader follows a journal rotation by the host (nlink 0 on the renamed-over journal)', async () => {
  const { dir } = hostStore();
  const store = await openWasiStore(dir);
  store.list();
  const generation = journalGeneration(dir);
  const d = new IODict(dir, { rotateAfter: 16 });
  d.size; // rotation is for handles whose index is loaded (it writes the index cache)
  for (let i = 0; i < 24; i++) d.set('counter', i);
  assert.ok(journalGeneration(dir) > generation, 'the host rotated the journal');
  store.list(); // reads the replaced journal to its end
  d.set('after rotation', 1);
  d.close();
  // Nothing new in the old file now: only its nlink of 0 tells the WASI handle to move on.
  const keys = store.list().map((e) => Buffer.from(e.key).toString());
  assert.equal(keys.slice(-2), ['counter', 'after rotation']);
  store.close();
});

test('verify finds corrupt records and moves nothing; reading one throws CorruptRecordError like the host build', async () => {
  const { dir } = hostStore();
  const store = await openWasiStore(dir);
  const records = readStore(dir); // in sample order: 'str', 7, -1.5, 10n, ...
  const file = (i) => `${dir}/${records[i].name}`;
  const bytes = (i) => fs.readFileSync(file(i));
  // Both open before the damage: opening quarantines (in passing) what it finds bad.
  store.list();
  const d = new IODict(dir);
  // A flipped value byte (checksum), a truncated file (lengths), a record under another name,
  // and a value that is not CBOR under a valid checksum.
  const flipped = bytes(0);
  flipped[flipped.length - 5] ^= 0xff;
  fs.writeFileSync(file(0), flipped);
  fs.writeFileSync(file(1), bytes(1).subarray(0, 30));
  const misnamed = 'ab'.repeat(28);
  fs.writeFileSync(`${dir}/${misnamed}`, bytes(2));
  const body = bytes(3);
  const notCbor = Buffer.concat([body.subarray(0, body.length - 4 - records[3].value.length), Buffer.from([0x1c])]);
  notCbor.writeUInt32LE(1, 20);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32c(notCbor));
  fs.writeFileSync(file(3), Buffer.concat([notCbor, crc]));

  const report = store.verify();
  assert.is(report.checked, records.length + 1);
  const problems = Object.fromEntries(report.bad.map((b) => [b.name, b.problem]));
  assert.equal(problems, {
    [records[0].name]: 'checksum mismatch',
    [records[1].name]: 'lengths do not add up',
    [misnamed]: 'key does not match the file name',
    [records[3].name]: 'the value is not valid for its codec',
  });
  assert.ok(fs.existsSync(file(0)) && fs.existsSync(`${dir}/${misnamed}`), 'verify moves nothing');

  // The same record through each build: the same error, wording and quarantine.
  const { keyType, key } = { keyType: records[0].keyType, key: records[0].key };
  const wasiError = catching(() => store.get(keyType, key));
  assert.instance(wasiError, CorruptRecordError);
  assert.is(wasiError.path, file(0));
  assert.match(wasiError.message, /checksum mismatch; moved to .*\.iodict\/quarantine\//);
  assert.ok(fs.existsSync(wasiError.quarantinedTo) && !fs.existsSync(file(0)));
  const hostError = catching(() => d.get(7));
  d.close();
  assert.instance(hostError, CorruptRecordError);
  assert.match(hostError.message, /lengths do not add up/);
  // A value that is not valid is a corrupt record on every read, diag's too: quarantined.
  assert.throws(() => store.diag(records[3].keyType, records[3].key), (e) => e instanceof CorruptRecordError && /the value is not valid for its codec; moved to/.test(e.message));
  assert.ok(!fs.existsSync(file(3)));
  store.close();
});

function catching(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

test('errors: the host build\'s StoreError codes; bad keys and values are TypeErrors', async () => {
  const missing = await openWasiStore(path.join(tempDir(), 'missing')).catch((e) => e);
  assert.instance(missing, StoreError);
  assert.is(missing.code, 'ENOENT');

  const foreign = tempDir();
  fs.writeFileSync(`${foreign}/notes.txt`, 'mine');
  const notStore = await openWasiStore(foreign);
  assert.is(catching(() => notStore.list()).code, 'ENOTSTORE');
  assert.is(catching(() => notStore.verify()).code, 'ENOTSTORE', 'verify refuses what is not a store');
  notStore.close();
  assert.equal(fs.readdirSync(foreign), ['notes.txt'], 'nothing written into a foreign directory');

  const { dir } = hostStore();
  fs.writeFileSync(`${dir}/.iodict/format`, 'iodict-store 3\n');
  const newer = await openWasiStore(dir);
  assert.is(catching(() => newer.list()).code, 'EFORMAT');
  newer.close();
  fs.writeFileSync(`${dir}/.iodict/format`, 'iodict-store 1\n');

  const store = await openWasiStore(dir);
  assert.instance(catching(() => store.set(2, utf8.encode('007'), 0, cbor.encode(1))), TypeError, 'bigint keys have no leading zeros');
  assert.instance(catching(() => store.set(0, new Uint8Array([0xc0, 0x80]), 0, cbor.encode(1))), TypeError, 'overlong UTF-8');
  assert.instance(catching(() => store.set(9, utf8.encode('k'), 0, cbor.encode(1))), TypeError, 'unknown key type');
  assert.instance(catching(() => store.set(0, utf8.encode('k'), 0, new Uint8Array([0x82, 0x01]))), TypeError, 'truncated CBOR');
  assert.instance(catching(() => store.get(3, new Uint8Array([2]))), TypeError);
  store.set(0, utf8.encode('k'), 200, new Uint8Array([1, 2, 0xff]));
  assert.equal(store.get(0, utf8.encode('k')), { codec: 200, value: new Uint8Array([1, 2, 0xff]) });
  assert.is(store.diag(0, utf8.encode('k')), "h'0102ff'", 'an application codec shows its bytes');
  store.close();

  // A read-only store: reads work, a write fails with the errno the host build reports.
  if (process.getuid?.() !== 0) {
    fs.chmodSync(dir, 0o555);
    const readOnly = await openWasiStore(dir);
    assert.ok(readOnly.list().length > 0);
    const denied = catching(() => readOnly.set(0, utf8.encode('new'), 0, cbor.encode(1)));
    assert.instance(denied, StoreError);
    assert.is(denied.code, 'EACCES');
    readOnly.close();
    fs.chmodSync(dir, 0o755);
  }
});

test('under Bun\'s node:wasi: reads what Node wrote, writes what IODict reads', async () => {
  const { dir } = hostStore();
  const script = path.join(tempDir(), 'bun-wasi.mjs');
  fs.writeFileSync(script, `
    const { openWasiStore } = await import(${JSON.stringify(runnerFile)});
    const { dir } = JSON.parse(process.argv[2]);
    const store = await openWasiStore(dir);
    const hex = (b) => Buffer.from(b).toString('hex');
    const listed = store.list().map(({ keyType, key, birth }) => {
      const got = store.get(keyType, key);
      return [keyType, hex(key), birth, got.codec, hex(got.value)];
    });
    const missing = store.get(0, new TextEncoder().encode('missing'));
    store.set(0, new TextEncoder().encode('from bun'), 0, new Uint8Array([0x63, 0x62, 0x75, 0x6e]));
    const deleted = store.delete(0, new TextEncoder().encode('str'));
    const verify = store.verify();
    // A rotation by a host handle in this process: Bun's WASI must report nlink 0 too.
    const { IODict, nodeHost } = await import(${JSON.stringify(path.join(root, 'dist/index.js'))});
    const fs = await import('node:fs');
    const d = new IODict(dir, { host: nodeHost({ native: false }) });
    fs.appendFileSync(dir + '/.iodict/changes', Buffer.alloc(16384 * 64));
    d.set('counter', 1);
    store.list();
    d.set('after rotation', 1);
    d.close();
    const last = Buffer.from(store.list().at(-1).key).toString();
    store.close();
    console.log(JSON.stringify({ bun: process.versions.bun, listed, missing: missing === undefined, deleted, verify, last }));
  `);
  const before = filesOf(dir);
  const result = await runChild(script, { dir }, { runtime: runtimes.bun });
  assert.type(result.bun, 'string');
  assert.equal(result.listed, before);
  assert.ok(result.missing && result.deleted);
  assert.equal(result.verify, { checked: before.length, bad: [] });
  assert.is(result.last, 'after rotation');
  const d = new IODict(dir);
  assert.equal([...d.keys()].slice(-3), ['from bun', 'counter', 'after rotation']);
  assert.is(d.get('from bun'), 'bun');
  assert.not.ok(d.has('str'));
  d.close();
});

/** Every file under a directory with its bytes and mtime. */
function snapshot(dir) {
  const out = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    out[path.relative(dir, file)] = [fs.readFileSync(file).toString('hex'), fs.statSync(file).mtimeMs];
  }
  return out;
}

test('under @wasmer/wasi (MemFS): copied in, operated on, copied out; IODict reads the result', async () => {
  const { dir } = hostStore();
  const untouched = snapshot(dir);
  const reader = await openWasiStore(dir, { runtime: 'wasmer' });
  assert.equal(await listedBy(reader), filesOf(dir));
  assert.is(reader.verify().bad.length, 0);
  reader.close();
  assert.equal(snapshot(dir), untouched, 'nothing written back when nothing changed');

  const store = await openWasiStore(dir, { runtime: 'wasmer' });
  store.set(0, utf8.encode('from wasmer'), 0, cbor.encode({ ok: true }));
  assert.ok(store.delete(1, canonicalBytes(7).key));
  store.set(0, utf8.encode('str'), 0, cbor.encode('overwritten'));
  assert.equal(snapshot(dir), untouched, 'nothing reaches the disk before close');
  store.close();
  const d = new IODict(dir);
  const keys = [...d.keys()];
  assert.is(keys.at(-1), 'from wasmer');
  assert.is(keys[0], 'str', 'an overwrite keeps its place');
  assert.is(d.get('str'), 'overwritten');
  assert.equal(d.get('from wasmer'), { ok: true });
  assert.not.ok(d.has(7));
  d.set('after', 1);
  d.close();
  assert.is(filesOf(dir).length, sample.length + 1);
  assert.equal(fs.readdirSync(`${dir}/.iodict/tmp`), [], 'no temp files left behind');

  // A new store made in the MemFS lands on disk whole.
  const fresh = tempDir();
  const made = await openWasiStore(fresh, { runtime: 'wasmer' });
  made.set(0, utf8.encode('k'), 0, cbor.encode([1, 2]));
  made.close();
  const e = new IODict(fresh);
  assert.equal([...e], [['k', [1, 2]]]);
  e.close();
});

// ---- the raw interface -------------------------------------------------------------------------

/**
 * An instance under node:wasi whose path calls are all recorded (preopen fd and path), with
 * `preopens` as given; `api` wraps the documented exports.
 */
function rawInstance(preopens) {
  const wasi = new WASI({ version: 'preview1', preopens, returnOnExit: true });
  const imports = wasi.getImportObject();
  const calls = [];
  let memory;
  const pathArgs = { path_open: [0, 2, 3], path_filestat_get: [0, 2, 3], path_create_directory: [0, 1, 2],
    path_remove_directory: [0, 1, 2], path_unlink_file: [0, 1, 2], path_rename: [0, 1, 2, 3, 4, 5] };
  const traced = {};
  for (const [name, fn] of Object.entries(imports.wasi_snapshot_preview1)) {
    traced[name] = (...args) => {
      const spec = pathArgs[name];
      if (spec) {
        const text = (p, l) => Buffer.from(memory.buffer, p, l).toString();
        calls.push({ name, fd: args[spec[0]], path: text(args[spec[1]], args[spec[2]]) });
        if (name === 'path_rename') calls.push({ name, fd: args[spec[3]], path: text(args[spec[4]], args[spec[5]]) });
      }
      return fn(...args);
    };
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), { wasi_snapshot_preview1: traced });
  memory = instance.exports.memory;
  wasi.initialize(instance);
  const x = instance.exports;
  const put = (...parts) => {
    const total = parts.reduce((n, p) => n + p.length, 0);
    let at = x.iodict_buffer(total);
    for (const p of parts) {
      new Uint8Array(memory.buffer).set(p, at);
      at += p.length;
    }
    return total;
  };
  const output = () => Buffer.from(memory.buffer, x.iodict_output_ptr(), x.iodict_output_len());
  return { x, put, output, calls };
}

test('the raw interface: subdirectories of a preopen, export as a CBOR sequence, and nothing touched outside the preopen', () => {
  const parent = tempDir();
  const data = path.join(parent, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(parent, 'secret'), 'outside');
  fs.writeFileSync(path.join(data, 'neighbour'), 'inside, not the store');
  const { x, put, output, calls } = rawInstance({ '/data': data, '/other': parent });
  const name = (s) => put(utf8.encode(s));
  assert.is(x.iodict_open(name('/nowhere'), 0), 9, 'no preopen of that name: NO_ROOT');
  assert.is(x.iodict_open(name('/data/../secret'), 0), 10, 'no way out through ..');
  assert.is(x.iodict_get(0, name('k')), 6, 'CLOSED before a store is open');
  assert.is(x.iodict_open(name('/data/stores/one/'), 0), 0, 'a store below the preopen, created with its parents');
  const set = (k, v) => x.iodict_set(0, put(utf8.encode(k), v) - v.length, v.length, 0);
  assert.is(set('a', cbor.encode('first')), 0);
  assert.is(set('b', cbor.encode([1, 2])), 0);
  assert.is(x.iodict_delete(0, name('a')), 0);
  assert.is(set('a', cbor.encode('moved')), 0);
  assert.is(x.iodict_set(0, name('a'), 5, 0), 10, 'a value beyond the buffer: BAD_ARGUMENT');
  assert.is(x.iodict_open(0, 4), 10, 'unknown flags');
  assert.is(x.iodict_open(name('/data/stores/one'), 0), 0, 'reopen');
  assert.is(x.iodict_export(), 2);
  const items = decodeMultiple(Buffer.from(output()));
  assert.equal(items.map(([type, key, , codec, value]) => [type, Buffer.from(key).toString(), codec, cbor.decode(value)]),
    [[0, 'b', 0, [1, 2]], [0, 'a', 0, 'moved']]);
  assert.ok(items[0][2] < items[1][2], 'births in order');
  assert.is(x.iodict_list(), 2);
  assert.is(x.iodict_list_key(1), 0);
  assert.is(x.iodict_birth(), BigInt(items[1][2]));
  assert.is(x.iodict_list_key(2), 1, 'past the end: MISSING');
  assert.is(x.iodict_verify_begin(), 0);
  assert.equal([x.iodict_verify_next(), x.iodict_verify_next(), x.iodict_verify_next()], [0, 0, -1]);
  x.iodict_close();
  const d = new IODict(path.join(data, 'stores/one'));
  assert.equal([...d], [['b', [1, 2]], ['a', 'moved']]);
  d.close();

  // Every path the module used was relative, without "..", and under the /data preopen.
  const preopenFds = new Set(calls.map((c) => c.fd));
  assert.is(preopenFds.size, 1, `one preopen used: ${[...preopenFds]}`);
  assert.ok(calls.length > 20);
  for (const c of calls) assert.ok(/^stores(\/|$)/.test(c.path) && !c.path.split('/').includes('..'), c.path);
  assert.equal(fs.readdirSync(parent).sort(), ['data', 'secret']);
  assert.is(fs.readFileSync(path.join(parent, 'secret'), 'utf8'), 'outside');
  assert.equal(fs.readdirSync(data).sort(), ['neighbour', 'stores']);

  // Without a name: the first preopen that is not "/".
  const { x: y, put: put2 } = rawInstance({ '/': parent, '/first': data });
  assert.is(y.iodict_open(0, 2), 3, 'the first non-"/" preopen, /first, inspected: not a store itself');
  assert.is(y.iodict_open(put2(utf8.encode('first/stores/one')), 2), 0, 'names compare without their leading slash');
});

test('WASI writers are never judged dead by a host: their temp files carry their own identity and a pid with bit 31 set', () => {
  const dir = tempDir();
  const { x, put, calls } = rawInstance({ '/s': dir });
  assert.is(x.iodict_open(put(utf8.encode('/s')), 0), 0);
  assert.is(x.iodict_set(0, put(utf8.encode('k'), cbor.encode(1)) - 1, 1, 0), 0);
  x.iodict_close();
  const temp = calls.find((c) => c.name === 'path_open' && c.path.startsWith('.iodict/tmp/')).path.slice('.iodict/tmp/'.length);
  assert.match(temp, /^[0-9a-f]{28}-[0-9a-f]{8}$/);
  assert.is.not(temp.slice(0, 12), nodeHost().identity().toString(16).padStart(12, '0'), 'not the host\'s identity');
  assert.ok(parseInt(temp.slice(12, 20), 16) >= 0x80000000, `owner ${temp.slice(0, 28)}`);
  // As if that write were still in flight when a host opens the store; next to it, a dead process's leftover.
  fs.writeFileSync(`${dir}/.iodict/tmp/${temp}`, 'in flight');
  const dead = `${(0x7ffffff0).toString(16)}00000001-00000000`;
  fs.writeFileSync(`${dir}/.iodict/tmp/${dead}`, 'orphan');
  new IODict(dir).close();
  assert.equal(fs.readdirSync(`${dir}/.iodict/tmp`), [temp]);
});

test('examples/wasi-node.mjs runs on the documented interface alone', () => {
  const dir = tempDir();
  const out = execFileSync(process.execPath, ['--no-warnings', path.join(root, 'examples/wasi-node.mjs'), dir], { encoding: 'utf8' });
  assert.match(out, /get count: codec 0, value bytes 182a/);
  assert.match(out, /diag greeting: "hello"/);
  assert.match(out, /delete temp again: MISSING/);
  assert.match(out, /verified 2 records/);
  const d = new IODict(dir);
  assert.equal([...d], [['greeting', 'hello'], ['count', 42]]);
  d.close();
});

test.run();
