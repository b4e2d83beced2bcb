import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { encode as cborxEncode } from 'cbor-x';
import { IODict, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { readStore, readRecord, crc32c } from './support/format-reader.mjs';
import { readXattr } from './support/xattr.mjs';

const sample = [
  ['str', 'text ✓'], [7, { a: [1, 2.5, null, true] }], [-1.5, new Map([[1, 'x']])], [10n, new Set([1, 'b'])],
  [false, new Date(1700000000123)], [new Uint8Array([9, 8]), new Uint8Array([1, 2, 3])], ['big', 2n ** 80n],
  ['floats', new Float64Array([0.5, -1])], ['undef', undefined],
];

test('records follow FORMAT.md: an independent reader gets keys, order and values (decoded by cbor-x)', () => {
  const path = storePath();
  const d = new IODict(path);
  for (const [k, v] of sample) d.set(k, v);
  d.close();
  const records = readStore(path);
  assert.is(records.length, sample.length);
  records.forEach((r, i) => {
    const [key, value] = sample[i];
    const expectedType = typeof key === 'string' ? 0 : typeof key === 'number' ? 1 : typeof key === 'bigint' ? 2 : typeof key === 'boolean' ? 3 : 4;
    assert.is(r.keyType, expectedType);
    if (value instanceof Map || value instanceof Set || value instanceof Date) {
      assert.is(r.decoded.constructor, value.constructor, `cbor-x decodes the tag of ${String(key)}`);
    }
  });
  assert.equal(records[1].decoded, { a: [1, 2.5, null, true] });
  assert.is(records[4].decoded.getTime(), 1700000000123);
  assert.is(records[6].decoded, 2n ** 80n);
  assert.is(records[8].decoded, undefined);
  assert.is(records[0].key.toString(), 'str');
});

test('values written by cbor-x are read by iodict', () => {
  const path = storePath();
  const d = new IODict(path);
  d.set('k', 'placeholder');
  const [file] = fs.readdirSync(path).filter((n) => n.length === 56);
  const record = readRecord(`${path}/${file}`);
  // Rebuild the record around a cbor-x encoded value, per FORMAT.md.
  const value = cborxEncode({ list: [1, 'two', { three: 3 }], nested: { flag: false } });
  const body = Buffer.alloc(24 + record.key.length + value.length);
  fs.readFileSync(`${path}/${file}`).copy(body, 0, 0, 24);
  body.writeUInt32LE(value.length, 20);
  record.key.copy(body, 24);
  value.copy(body, 24 + record.key.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32c(body));
  fs.writeFileSync(`${path}/${file}`, Buffer.concat([body, crc]));
  assert.equal(d.get('k'), { list: [1, 'two', { three: 3 }], nested: { flag: false } });
  d.close();
});

test('xattrs mirror user.key and user.birthtime (big-endian float64 seconds) with the native helper', () => {
  const path = storePath();
  const d = new IODict(path, { host: nodeHost() });
  d.set('πkey', 1);
  d.set(5, 2);
  assert.ok(d.xattrs);
  d.close();
  for (const r of readStore(path)) {
    const file = `${path}/${r.name}`;
    const key = readXattr(file, 'user.key');
    const expected = r.keyType === 0 ? r.key : Buffer.concat([Buffer.from([0xff, r.keyType]), r.key]);
    assert.equal([...key], [...expected]);
    const seconds = readXattr(file, 'user.birthtime').readDoubleBE(0);
    assert.ok(Math.abs(seconds * 1e6 - r.birth) < 1, 'birthtime mirrors the record birth');
  }
});

test('no xattrs without the native helper or with xattrs: off; the store works the same', () => {
  for (const options of [{ host: nodeHost({ native: false }) }, { xattrs: 'off' }]) {
    const path = storePath();
    const d = new IODict(path, options);
    d.set('k', 1);
    assert.not.ok(d.xattrs);
    d.close();
    const [r] = readStore(path);
    assert.is(readXattr(`${path}/${r.name}`, 'user.key'), null);
  }
});

test('written with the native helper, read without it, and the reverse: same keys, values, order', () => {
  for (const [writer, reader] of [[true, false], [false, true]]) {
    const path = storePath();
    const w = new IODict(path, { host: nodeHost({ native: writer }) });
    for (const [k, v] of sample) w.set(k, v);
    w.delete('big');
    w.set('big', 'moved to the end');
    const expected = [...w];
    w.close();
    const r = new IODict(path, { host: nodeHost({ native: reader }) });
    assert.equal([...r], expected);
    r.set('added', 1);
    assert.is([...r.keys()].at(-1), 'added');
    r.close();
  }
});

test.run();
