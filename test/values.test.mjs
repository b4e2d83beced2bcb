// FORMAT.md section 4's rules for reading values, one by one, and the one definition of a valid
// value: what `iodict verify` accepts is exactly what `get` decodes (assembly/format/value.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { runCli as cli } from './support/cli.mjs';
import { IODict, cbor, jsonCodec, CorruptRecordError, StoreError } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import fc from 'fast-check';
import { writeRecord, stringKey } from './support/record-writer.mjs';
import { nearlyValues } from './fuzz/values.mjs';

const { decode, encode, CborError } = cbor;
const unhex = (h) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const refused = (h, pattern) =>
  assert.throws(() => decode(typeof h === 'string' ? unhex(h) : h), (e) => e instanceof CborError && (!pattern || pattern.test(e.message)), String(h).slice(0, 80));

test('Date (tag 1): milliseconds are seconds x 1000 in float64, rounded half up, then clipped to the Date range', () => {
  const date = (secondsHex) => decode(unhex(`c1 ${secondsHex}`)).getTime();
  const f64 = (x) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(x);
    return `fb${b.toString('hex')}`;
  };
  assert.is(date(f64(0.0005)), 1);
  assert.ok(Object.is(date(f64(-0.0005)), 0), 'half up: -0.5 ms is -0, which the Date range keeps as 0');
  assert.is(date(f64(-0.0015)), -1);
  assert.is(date(f64(8.0125)), 8012, '8.0125 x 1000 is 8012.499999999999 in float64');
  assert.is(date('20'), -1000);
  assert.is(date(f64(8.64e12)), 8.64e15);
  assert.ok(Number.isNaN(date(f64(8.64e12 + 0.001))), 'beyond the range: an invalid Date');
  assert.ok(Number.isNaN(date('1b001fffffffffffff')), 'the largest safe integer of seconds is out of range, but valid');
  assert.ok(Number.isNaN(date('f97e00')) && Number.isNaN(date('f97c00')));
  refused('c1 1b0020000000000000', /tag 1/); // 2^53 decodes as a bigint, not a number
  refused('c1 c240', /tag 1/);
});

test('Date (tag 0): the RFC 3339 grammar, real calendar days, no leap second, milliseconds cut off', () => {
  const time = (s) => decode(new Uint8Array([0xc0, ...encode(s)])).getTime();
  assert.is(time('2013-03-21T20:04:00Z'), Date.UTC(2013, 2, 21, 20, 4, 0));
  assert.is(time('2013-03-21t20:04:00.5+01:30'), Date.UTC(2013, 2, 21, 18, 34, 0, 500));
  assert.is(time('2013-03-21T20:04:00.1239999-00:00'), Date.UTC(2013, 2, 21, 20, 4, 0, 123));
  assert.is(time('2024-02-29T23:59:59.999z'), Date.UTC(2024, 1, 29, 23, 59, 59, 999));
  assert.is(time('0000-01-01T00:00:00+23:59'), -62167219200000 - (23 * 60 + 59) * 60000);
  assert.is(time('9999-12-31T23:59:59-23:59'), 253402300799000 + (23 * 60 + 59) * 60000);
  assert.is(time('0099-06-15T00:00:00Z'), new Date('0099-06-15T00:00:00Z').getTime(), 'years below 100 are not 19xx');
  for (const bad of ['2100-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2013-13-01T00:00:00Z', '2013-04-31T00:00:00Z', '2013-00-10T00:00:00Z',
    '2013-03-21T24:00:00Z', '2013-03-21T23:60:00Z', '2013-03-21T23:59:60Z', '2013-03-21T20:04:00', '2013-03-21T20:04:00Zz',
    '2013-03-21T20:04:00+24:00', '2013-03-21T20:04:00+05:60', '2013-03-21T20:04:00+0530', ' 2013-03-21T20:04:00Z',
    '2013-3-21T20:04:00Z', '+02013-03-21T20:04:00Z', '2013-03-21T20:04:00.Z', '2013-03-21T20:04:00,5Z', '2013-03-21 20:04:00Z']) {
    refused(new Uint8Array([0xc0, ...encode(bad)]), /RFC 3339/);
  }
  refused('c0 f6', /tag 0/);
});

test('bigint: tag 2/3 magnitudes of at most 1 MiB (leading zeros count); major 0/1 beyond 2^53 - 1', () => {
  const bignum = (tag, bytes) => new Uint8Array([tag, 0x5a, ...new Uint8Array(new Uint32Array([bytes.length]).buffer).reverse(), ...bytes]);
  const max = new Uint8Array(2 ** 20).fill(0xff);
  assert.is(decode(bignum(0xc2, max)), 2n ** (8n * 2n ** 20n) - 1n);
  refused(bignum(0xc2, new Uint8Array(2 ** 20 + 1)), /tag 2/);
  assert.is(encode(2n ** (8n * 2n ** 20n) - 1n).length, 2 ** 20 + 6);
  assert.throws(() => encode(2n ** (8n * 2n ** 20n)), (e) => e instanceof RangeError && /bigint of 8388616 bits/.test(e.message));
  assert.is(decode(unhex('1b001fffffffffffff')), 2 ** 53 - 1);
  assert.is(decode(unhex('1b0020000000000000')), 2n ** 53n);
  assert.is(decode(unhex('3b001ffffffffffffe')), -(2 ** 53 - 1));
  assert.is(decode(unhex('3b001fffffffffffff')), -(2n ** 53n));
  assert.is(decode(unhex('c24100')), 0n);
});

test('duplicates: map keys and Set elements JavaScript cannot tell apart are refused; objects are never equal', () => {
  const dup = /duplicate map key or Set element/;
  for (const h of [
    'a2 6161 01 7f6161ff 02', // a text key, in one piece and in chunks
    'a2 01 01 f93c00 02', // 1 and 1.0
    'a2 00 01 f98000 02', // 0 and -0.0
    'a2 f97e00 01 fb7ff8000000000001 02', // NaN and another NaN
    'a2 1b0020000000000000 01 c2 47 20000000000000 02', // 2^53 as an integer and as a bignum
    'a2 c2 42 0001 01 c2 41 01 02', // leading zeros
    'a2 3b0020000000000000 01 c3 47 20000000000000 02', // -(2^53) - 1, both ways
    'a2 d90111 43 eda080 01 d90111 5f 41 ed 42 a080 ff 02', // a lone surrogate, in one piece and in chunks
    'a2 f5 01 f5 02', // true twice
    'd90102 82 d81c 80 d81d 00', // a Set holding a shared array and a reference to it
    'd90102 83 d81c 80 d81d 00 d81d 00',
  ]) refused(h, dup);
  for (const h of [
    'a2 01 01 c2 41 01 02', // 1 and 1n
    'a2 6131 01 01 02', // "1" and 1
    'a2 f6 01 f7 02', // null and undefined
    'd90102 82 80 80', // two arrays
    'd90102 82 41 00 41 00', // two Uint8Arrays with the same bytes
    'a2 c1 00 01 c1 00 02', // two Dates
  ]) assert.not.throws(() => decode(unhex(h)), h);
  // Large maps and Sets (sorted by hash, then compared in full), the duplicate anywhere.
  const head = (major, n) => (n < 24 ? [major | n] : n < 256 ? [major | 24, n] : [major | 25, n >> 8, n & 255]);
  const f64 = (x) => [0xfb, ...new Uint8Array(new Float64Array([x]).buffer).reverse()];
  for (const n of [9, 100, 3000]) {
    for (const at of [0, n >> 1, n - 2]) {
      const texts = Array.from({ length: n - 1 }, (_, i) => [...encode(`key ${i}`), 0x01]);
      refused(new Uint8Array([...head(0xa0, n), ...texts.flat(), ...encode(`key ${at}`), 0x01]), dup);
      const ints = Array.from({ length: n - 1 }, (_, i) => [...encode(i), 0x00]);
      refused(new Uint8Array([0xd9, 0x01, 0x03, ...head(0xa0, n), ...ints.flat(), ...f64(at), 0x00]), dup);
      const items = Array.from({ length: n - 1 }, (_, i) => [...encode(i % 2 ? `s${i}` : i)]);
      refused(new Uint8Array([0xd9, 0x01, 0x02, ...head(0x80, n), ...items.flat(), ...encode(at % 2 ? `s${at}` : at)]), dup);
    }
    const keys = Array.from({ length: n }, (_, i) => `key ${i}`);
    assert.not.throws(() => decode(encode(new Set(keys))));
    assert.not.throws(() => decode(encode(new Map(keys.map((k, i) => [i % 2 ? k : i, i])))));
    assert.not.throws(() => decode(encode(Object.fromEntries(keys.map((k) => [k, 1])))));
  }
});

test('maps: string keys make an object; any other key a Map in wire order, array-index keys read before it first', () => {
  assert.equal(Object.getPrototypeOf(decode(unhex('a1 6161 01'))), Object.prototype);
  const m = decode(unhex('a4 6162 01 6131 02 f5 03 6130 04'));
  assert.instance(m, Map);
  assert.equal([...m.keys()], ['1', 'b', true, '0']);
  assert.equal([...decode(unhex('a2 01 02 6161 03')).keys()], [1, 'a']);
  assert.equal(Object.keys(decode(unhex('a2 d90111 43 eda080 01 6161 02'))), ['\ud800', 'a'], 'WTF-8 keys are strings');
  assert.instance(decode(unhex('d90103 a1 6161 01')), Map, 'tag 259 is a Map whatever its keys');
  // A shared map (tag 28) must say which it is: string keys only, or tag 259.
  refused('d81c a1 01 02', /tag 28/);
  assert.instance(decode(unhex('d81c d90103 a1 01 02')), Map);
});

test('depth: at most 512 arrays and maps, however tagged (a Map or Set is one, an Error two)', () => {
  const nest = (n, open, leaf) => unhex(open.repeat(n) + leaf);
  assert.not.throws(() => decode(nest(512, 'd90103a100', '00')));
  refused(nest(513, 'd90103a100', '00'), /nesting deeper than 512/);
  assert.not.throws(() => decode(nest(512, 'd9010281', '00')));
  refused(nest(513, 'd9010281', '00'), /nesting deeper than 512/);
  let maps = 0;
  for (let i = 0; i < 512; i++) maps = new Map([[0, maps]]);
  assert.not.throws(() => encode(maps));
  assert.throws(() => encode(new Map([[0, maps]])), (e) => e instanceof RangeError);
  let errors = 'leaf';
  for (let i = 0; i < 256; i++) errors = new Error('e', { cause: errors });
  assert.not.throws(() => decode(encode(errors)));
  assert.throws(() => encode(new Error('one more', { cause: errors })), (e) => e instanceof RangeError);
});

test('the tags of section 4: holes only in arrays, marks on objects only, references to marks met before', () => {
  refused('d81f f7', /tag 31/);
  refused('a1 6161 d81f f7', /tag 31/);
  refused('d90102 81 d81f f7', /tag 31/);
  refused('82 d81f f6 01', /tag 31/);
  assert.equal(Object.keys(decode(unhex('83 01 d81f f7 d9001f f7'))), ['0'], 'a hole in any head form');
  refused('82 d81d 00 d81c 80', /reference/);
  refused('82 d81c 80 d81d 01', /reference/);
  refused('d81c 01', /tag 28/);
  refused('d81c 6161', /tag 28/);
  refused('d81c d81c 80', /reference|tag 28/);
  for (const [h, pattern] of [
    ['d81b 82 66 4e756d626572 6161', /tag 27/], // Number of a string
    ['d81b 82 66 4e756d626572 1b0020000000000000', /tag 27/], // Number of a bigint-range integer
    ['d81b 83 66 4e756d626572 01 02', /tag 27/], // one item too many
    ['d81b 82 65 4f74686572 01', /tag 27/], // an unknown type
    ['d81b 82 7f 64 54797065 65 4572726f72 ff a0', /tag 27/], // "TypeError" in chunks: not a name
    ['d81b 82 65 4572726f72 a1 63 666f6f 01', /tag 27/], // an error field that is not message, stack or cause
    ['d81b 83 6b 417272617942756666 6572 41 00 00', /tag 27/], // a resizable buffer smaller than its bytes
    ['d81b 83 65 4172726179 02 a1 02 01', /tag 27/], // a sparse index beyond the length
    ['d81b 83 65 4172726179 05 a2 02 01 01 01', /tag 27/], // indices out of order
    ['d9524a 82 6161 6267 67', /tag 21066/], // a flag twice
    ['d9524a 82 6161 6275 76', /tag 21066/], // u and v
    ['d9524a 82 6161 6178', /tag 21066/], // an unknown flag
    ['d9524a 83 6161 60 60', /tag 21066/],
  ]) refused(h, pattern);
  assert.is(decode(unhex('d81b 83 6b 4172726179427566666572 41 00 05')).maxByteLength, 5);
  // A pattern is any string: one this runtime cannot compile is valid, and a TypeError to read.
  assert.throws(() => decode(unhex('d9524a 82 61 28 60')), (e) => e instanceof TypeError && /this runtime cannot compile the stored RegExp/.test(e.message));
});

test('memory: a value may decode to at most 32 times its size plus 4 MiB (estimated)', () => {
  const emptyObjects = (n) => new Uint8Array([0x9a, ...new Uint8Array(new Uint32Array([n]).buffer).reverse(), ...new Uint8Array(n).fill(0xa0)]);
  assert.not.throws(() => decode(emptyObjects(50000)));
  refused(emptyObjects(500000), /decoding would take more than \d+ MiB: over 32 times/);
  assert.throws(() => new IODict(storePath(), { temporary: true }).set('k', Array.from({ length: 500000 }, () => ({}))),
    (e) => e instanceof RangeError && /cannot store this value: decoding would take more than/.test(e.message));
  const ints = encode(Array.from({ length: 500000 }, (_, i) => i & 15));
  assert.is(decode(ints).length, 500000);
});

test('codec ids: 2-127 are corrupt records; 128-255 need their codec; JSON values are checked as JSON.parse reads them', () => {
  const path = storePath();
  const d = new IODict(path);
  d.set('ok', 1);
  writeRecord(path, 'reserved', unhex('01'), { codec: 7 });
  writeRecord(path, 'mine', unhex('01'), { codec: 200 });
  writeRecord(path, 'json', Buffer.from('{"a": [1, 2]}'), { codec: 1 });
  writeRecord(path, 'bad json', Buffer.from('{"a": [1, 2}'), { codec: 1 });
  writeRecord(path, 'bom json', Buffer.from('\ufeff1'), { codec: 1 });
  assert.throws(() => d.get('reserved'), (e) => e instanceof CorruptRecordError && /codec 7 is reserved/.test(e.message));
  assert.throws(() => d.get('mine'), (e) => e instanceof StoreError && e.code === 'ECODEC');
  assert.ok(fs.readdirSync(path).length >= 4, 'a record of an application codec stays');
  assert.equal(d.get('json'), { a: [1, 2] });
  assert.throws(() => d.get('bad json'), (e) => e instanceof CorruptRecordError && /not JSON text/.test(e.message));
  assert.throws(() => d.get('bom json'), (e) => e instanceof CorruptRecordError);
  assert.throws(() => jsonCodec.decode(Buffer.from('\ufeff1')), (e) => e instanceof SyntaxError);
  d.close();
});

// Values valid and not, each as the value of a record: verify and get must agree on every one.
const CORPUS = [
  ...['00', 'a16161 01', '83 01 d81f f7 03', 'd90103 a1 01 02', 'c0 74 323031332d30332d32315432303a30343a30305a', 'd9524a 82 6161 6167',
    'd81b 82 65 4572726f72 a1 67 6d657373616765 6161', 'd81c 81 d81d 00', 'd90111 43 eda080', 'bf 6161 9f 01 ff ff'],
  ...['a2 6161 01 6161 02', '1c', 'ff', '81', 'c6 00', 'f0', 'd81f f7', 'a2 01 01 f93c00 02', '82 d81d 00 d81c 80', 'c0 63 323031',
    'd90111 43 616263', 'd81b 82 63 466f6f 01', '9a ffffffff', 'c2 5a 00100001' + '00'.repeat(2 ** 20 + 1), '81'.repeat(513) + '00'],
];

test('verify accepts exactly what get decodes (the same bytes as records of a store)', () => {
  const path = storePath();
  // Opened before the records appear: each is met by its own get (opening would quarantine the bad ones in passing).
  const reported = [];
  const d = new IODict(path, { onCorrupt: (e) => reported.push(e) });
  CORPUS.forEach((h, i) => writeRecord(path, `v${i}`, unhex(h)));
  const verify = cli(['verify', path, '--json']);
  assert.is(verify.code, 1, verify.stderr);
  const report = JSON.parse(verify.stdout);
  const badNames = new Set(report.bad.map((b) => b.name));
  assert.is(report.checked, CORPUS.length);
  CORPUS.forEach((h, i) => {
    const { name } = stringKey(`v${i}`);
    const file = `${path}/${name}`;
    let decoded = true;
    try {
      d.get(`v${i}`);
    } catch (e) {
      assert.instance(e, CorruptRecordError, h);
      assert.is(e.path, file, 'names the file');
      assert.ok(fs.existsSync(e.quarantinedTo), 'and where it went');
      decoded = false;
    }
    assert.is(decoded, !badNames.has(name), `${h.slice(0, 60)}: verify and get agree`);
    assert.is(decoded, (() => { try { decode(unhex(h)); return true; } catch { return false; } })(), `${h.slice(0, 60)}: and cbor.decode`);
  });
  assert.is(reported.length, 0, 'nothing corrupt met in passing: each was thrown to its get');
  d.close();
});

test('property: for random and mutated bytes, `iodict verify` accepts a record exactly when get decodes it', () => {
  const samples = fc.sample(nearlyValues(fc, encode), { numRuns: 400, seed: 20261130 });
  const path = storePath();
  const d = new IODict(path);
  samples.forEach((bytes, i) => writeRecord(path, `p${i}`, bytes));
  const verify = cli(['verify', path, '--json']);
  const bad = new Set(JSON.parse(verify.stdout).bad.map((b) => b.name));
  let valid = 0;
  samples.forEach((bytes, i) => {
    let decodes = true;
    try {
      d.get(`p${i}`);
    } catch (e) {
      if (!(e instanceof CorruptRecordError)) {
        // Valid, but beyond this runtime (FORMAT.md 4.2, rules 10 and 11): verify accepts it too.
        assert.match(e.message, /this runtime/, hex(bytes));
      } else {
        decodes = false;
      }
    }
    assert.is(decodes, !bad.has(stringKey(`p${i}`).name), hex(bytes));
    if (decodes) valid++;
  });
  assert.ok(valid > 40 && valid < samples.length - 40, `${valid} of ${samples.length} valid: both kinds are tried`);
  d.close();
});

test.run();
