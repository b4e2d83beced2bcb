// The optional checksum helper (@node-rs/crc32, offered as host.crc32c): the core hands it the
// checksums of long records and of index caches, and keeps short ones. Either way the bytes on
// disk are the same, so a store written with it reads without it, and the other way round.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, nodeHost, bunHost, Errno } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { faultyHost } from './support/faulty-host.mjs';
import { checksumHelperInstalled } from './support/hosts.mjs';
import { readStore, crc32c as referenceCrc } from './support/format-reader.mjs';

const runtimeHost = (options) => (process.versions.bun ? bunHost(options) : nodeHost(options));
/** The runtime's host with the helper, the length of each input of its crc32c recorded; `errno` answers instead. */
function recordingHost(errno) {
  const lengths = [];
  return Object.assign(faultyHost(runtimeHost(), { crc32c: (bytes) => (lengths.push(bytes.length), errno) }), { lengths });
}

const small = { text: 'x'.repeat(100) };
const long = { text: 'y'.repeat(10_000), n: 1 };

test('the host offers crc32c with its native helper installed, and not without the helper', () => {
  assert.is(typeof runtimeHost().crc32c, checksumHelperInstalled() ? 'function' : 'undefined');
  assert.is(runtimeHost({ native: false }).crc32c, undefined);
});

test('a long record is checksummed by the host, when written and when read; a short one by the core', () => {
  const host = recordingHost();
  const d = new IODict(storePath(), { host });
  d.set('short', small);
  assert.equal(d.get('short'), small);
  assert.equal(host.lengths, [], 'a 100-byte value: no call');
  d.set('long', long);
  assert.is(host.lengths.length, 1, 'the write');
  assert.ok(host.lengths[0] > 10_000, `the whole record: ${host.lengths[0]} bytes`);
  assert.equal(d.get('long'), long);
  assert.is(host.lengths.length, 2, 'the read');
  assert.is(host.lengths[1], host.lengths[0]);
  d.close();
});

test('with and without the helper the bytes on disk are the same: each reads what the other wrote', () => {
  const path = storePath();
  const withHelper = new IODict(path, { host: runtimeHost() });
  withHelper.set('a', long).set('b', small);
  withHelper.close();
  const without = new IODict(path, { host: runtimeHost({ native: false }) });
  assert.equal([...without.entries()], [['a', long], ['b', small]]);
  without.set('c', { ...long, n: 3 });
  without.close();
  const again = new IODict(path, { host: runtimeHost() });
  assert.equal(again.get('c'), { ...long, n: 3 });
  again.close();
  // The reader written from FORMAT.md checks every record's CRC-32C.
  assert.equal(readStore(path).map((r) => r.key.toString()).sort(), ['a', 'b', 'c']);
});

test('a host whose crc32c answers ENOTSUP: the core computes the checksum itself', () => {
  const host = recordingHost(Errno.ENOTSUP);
  const path = storePath();
  const d = new IODict(path, { host });
  d.set('long', long);
  assert.equal(d.get('long'), long);
  assert.is(host.lengths.length, 2, 'asked, and answered by the core');
  d.close();
  assert.equal(readStore(path).map((r) => r.key.toString()), ['long']);
});

test('an index cache is checksummed by the host; a handle without the helper loads it without listing', () => {
  const path = storePath();
  const host = recordingHost();
  const writer = new IODict(path, { host });
  const keys = Array.from({ length: 100 }, (_, i) => `key-${String(i).padStart(16, '0')}`);
  for (const key of keys) writer.set(key, 1);
  writer.close(); // leaves the index cache behind
  const cache = fs.readFileSync(`${path}/.iodict/index`);
  assert.ok(host.lengths.includes(cache.length - 4), `the cache, all but its trailer, went to the host: ${host.lengths}`);
  assert.ok(host.lengths.every((n) => n >= 1024), `no short record did: ${host.lengths}`);
  assert.is(cache.readUInt32LE(cache.length - 4), referenceCrc(cache.subarray(0, cache.length - 4)));
  const base = runtimeHost({ native: false });
  const counting = Object.create(base);
  let listings = 0;
  counting.readdir = (dir) => {
    if (dir === path) listings++;
    return base.readdir(dir);
  };
  const reader = new IODict(path, { host: counting });
  assert.equal([...reader.keys()], keys);
  assert.is(listings, 0, 'the cache was taken as it is');
  reader.close();
});

test.run();
