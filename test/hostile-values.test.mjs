// Issue 9's findings about values and keys (3, first case; 4; 5; 9; 10), as an attacker tried
// them on 73b0349: crafted records reach no other record's bytes, abort nothing, expand boundedly,
// and are quarantined like any corrupt record; oversized writes are clear RangeErrors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runCli as cli } from './support/cli.mjs';
import { IODict, CorruptRecordError, KeyError } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { writeRecord, bigintKey, stringKey } from './support/record-writer.mjs';

const unhex = (h) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const SECRET = 'SECRET-OF-ANOTHER-KEY';
const secretHex = Buffer.from(SECRET).toString('hex');

function storeWithSecret() {
  const path = storePath();
  const d = new IODict(path);
  d.set('other', SECRET.repeat(4));
  d.close();
  return path;
}

test('finding 4: a record whose CBOR runs past its end is a corrupt record: get, get --diag and dump --diag show no other bytes', () => {
  for (const args of [(p) => ['get', p, 'x', '--diag'], (p) => ['get', p, 'x'], (p) => ['dump', p, '--diag']]) {
    const path = storeWithSecret();
    const file = writeRecord(path, 'x', unhex('9a00001000 00')); // an array of 4096 items holding one
    const r = cli(args(path));
    const lines = r.stdout.split('\n').filter(Boolean);
    // On 73b0349 `get --diag` printed [[8, [7(h'4554...: the other record's bytes.
    if (args(path)[0] === 'get') assert.equal(lines, [], r.stdout.slice(0, 200));
    else assert.equal(lines.map((l) => l.split('\t')[0]), ['other'], r.stdout.slice(0, 200));
    assert.not.ok(r.stdout.includes(secretHex));
    assert.not.match(r.stderr, /internal error|at \S+:\d+/);
    assert.ok(!fs.existsSync(file), 'quarantined');
    assert.is(fs.readdirSync(`${path}/.iodict/quarantine`).length, 1);
  }
  const path = storeWithSecret();
  const d = new IODict(path);
  const file = writeRecord(path, 'x', unhex('9a00001000 00'));
  assert.throws(() => d.get('x'), (e) => e instanceof CorruptRecordError && e.path === file && /unexpected end of input/.test(e.message));
  d.close();
});

test('finding 4: deep nesting and a huge count in a record neither overflow a stack nor trap: the record is corrupt', () => {
  for (const value of [new Uint8Array(100000).fill(0x81), unhex('9bffffffffffffff00'), unhex('9a7fffffff'), new Uint8Array(100000).fill(0xc1)]) {
    for (const command of ['dump', 'get']) {
      const path = storeWithSecret();
      writeRecord(path, 'x', value);
      const r = cli(command === 'dump' ? ['dump', path, '--diag'] : ['get', path, 'x', '--diag']);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      assert.not.match(r.stderr, /internal error|Maximum call stack|aborted|RuntimeError|at \S+:\d+/);
      assert.match(r.stderr, /corrupt record/);
      assert.is(fs.readdirSync(`${path}/.iodict/quarantine`).length, 1);
    }
  }
});

test('finding 5: an unknown tag or duplicate keys fail verify, and get quarantines them with the file path', () => {
  const path = storePath();
  const d = new IODict(path);
  d.set('a', 1).set('c', 3);
  const tagged = writeRecord(path, 'b', unhex('c6 00'));
  const duplicated = writeRecord(path, 'b2', unhex('a2 6161 01 6161 02'));
  const report = JSON.parse(cli(['verify', path, '--json']).stdout);
  assert.equal(report.bad.map((b) => b.name).sort(), [tagged, duplicated].map((f) => f.split('/').pop()).sort());
  assert.match(report.bad.find((b) => tagged.endsWith(b.name)).problem, /unsupported tag 6/);
  assert.match(report.bad.find((b) => duplicated.endsWith(b.name)).problem, /duplicate map key/);
  for (const [key, file] of [['b', tagged], ['b2', duplicated]]) {
    const e = assert.throws(() => d.get(key), (e) => e instanceof CorruptRecordError && e.path === file && e.quarantinedTo.startsWith(`${path}/.iodict/quarantine/`));
    assert.ok(!fs.existsSync(file) && fs.readdirSync(`${path}/.iodict/quarantine`).length > 0);
  }
  assert.ok(JSON.parse(cli(['verify', path, '--json']).stdout).ok);
  d.close();
});

test('finding 5: entries() and values() do not stop at a record whose value fails: reported, quarantined, skipped', () => {
  const path = storePath();
  const reported = [];
  const d = new IODict(path, { onCorrupt: (error) => reported.push(error) });
  d.set('a', 1).set('b', 2).set('c', 3);
  const seen = [];
  const e = new IODict(path, { onCorrupt: (error) => seen.push(error) });
  assert.is(d.size + e.size, 6, 'both indexes loaded');
  // Both handles knew "b" as valid: the walk meets the bad value when it reads it.
  const file = writeRecord(path, 'b', unhex('a2 6161 01 6161 02'));
  assert.equal([...d.entries()], [['a', 1], ['c', 3]]);
  assert.is(reported.length, 1);
  assert.ok(reported[0] instanceof CorruptRecordError && reported[0].path === file && /duplicate map key/.test(reported[0].message));
  assert.ok(!fs.existsSync(file) && fs.existsSync(reported[0].quarantinedTo));
  assert.equal([...e.values()], [1, 3]);
  assert.is(seen.length, 0, 'the other handle just finds it gone');
  d.close();
  e.close();
});

test('finding 9: a bigint key of 200,000 digits is a corrupt record (over 64 KiB): keys() and popItem work, nothing lost', () => {
  const path = storePath();
  const d = new IODict(path, { xattrs: 'off' });
  d.set('first', 1);
  d.close();
  const huge = 10n ** 200000n - 1n;
  writeRecord(path, bigintKey(huge), unhex('6568756765'));
  const near = 10n ** 60000n + 7n; // within the limit: 60,001 digits
  writeRecord(path, bigintKey(near), unhex('646e656172'));
  const reported = [];
  const fresh = new IODict(path, { onCorrupt: (e) => reported.push(e) });
  assert.equal([...fresh.keys()], ['first', near]);
  assert.is(reported.length, 1, 'the oversized one, quarantined when opening');
  assert.equal(fresh.popItem(), ['first', 1]);
  assert.equal(fresh.popItem(), [near, 'near']);
  assert.throws(() => fresh.popItem(), (e) => e instanceof KeyError);
  assert.is(fs.readdirSync(`${path}/.iodict/quarantine`).length, 1, 'the oversized record is kept, not deleted');
  assert.throws(() => fresh.set(10n ** 70000n, 1), (e) => e instanceof RangeError && /a key of 70001 bytes is longer than the 64 KiB limit/.test(e.message));
  fresh.close();
});

test('finding 10: a 10 MB record of empty maps does not decode to ~1 GB: corrupt, and memory stays bounded', () => {
  const path = storePath();
  const script = `
    import { IODict } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
    import { writeRecord } from ${JSON.stringify(new URL('./support/record-writer.mjs', import.meta.url).href)};
    const d = new IODict(${JSON.stringify(path)});
    const n = 10_000_000;
    const value = new Uint8Array(5 + n).fill(0xa0);
    value.set([0x9a, ...new Uint8Array(new Uint32Array([n]).buffer).reverse()]);
    writeRecord(${JSON.stringify(path)}, 'maps', value);
    const before = process.memoryUsage().rss;
    let thrown = '';
    try { d.get('maps'); } catch (e) { thrown = e.constructor.name + ': ' + e.message; }
    console.log(JSON.stringify({ grew: process.memoryUsage().rss - before, thrown }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.ok(out.grew < 200e6, `RSS grew by ${out.grew} bytes`);
  assert.match(r.stdout, /decoding would take more than \d+ MiB: over 32 times the value's size plus 4 MiB/);
  assert.is(fs.readdirSync(`${path}/.iodict/quarantine`).length, 1);
});

test('finding 3 (first case): a 520 MB value is a clear RangeError, and the handle goes on working', () => {
  const path = storePath();
  const d = new IODict(path);
  const big = new Uint8Array(520e6);
  assert.throws(() => d.set('big', big), (e) => e instanceof RangeError && /larger than the 256 MiB limit/.test(e.message));
  const raw = { id: 200, encode: () => big, decode: (b) => b };
  const viaCodec = new IODict(path, { codec: raw });
  assert.throws(() => viaCodec.set('big', 0), (e) => e instanceof RangeError && /a value of 520000000 bytes is larger than the 256 MiB limit/.test(e.message));
  viaCodec.close();
  assert.throws(() => d.set('k'.repeat(65537), 1), (e) => e instanceof RangeError && /64 KiB/.test(e.message));
  d.set('small', 1);
  assert.is(d.get('small'), 1);
  assert.not.ok(d.has('big'));
  d.close();
});

test('records beyond the format\'s limits are corrupt, not read: a header claiming a 64 KiB + 1 key', () => {
  const path = storePath();
  const d = new IODict(path, { xattrs: 'off' });
  const key = stringKey('k'.repeat(65537));
  const file = writeRecord(path, key, unhex('01'));
  d.set('k'.repeat(65536), 'the longest key');
  assert.is(d.get('k'.repeat(65536)), 'the longest key');
  assert.throws(() => d.get('k'.repeat(65537)), (e) => e instanceof RangeError, 'too long to look up');
  const reported = [];
  const e = new IODict(path, { onCorrupt: (error) => reported.push(error), xattrs: 'off' });
  assert.is(e.size, 1);
  assert.is(reported.length, 1);
  assert.ok(!fs.existsSync(file));
  e.close();
  d.close();
});

test.run();
