// Index caches (.iodict/index) damaged anywhere, cut, padded, with entries swapped or a count
// that lies, the CRC made right or left wrong, opened by a store: nothing throws or aborts,
// every [key, value] it gives is a true pair, and a cache whose CRC fails is never used (the
// listing gives exactly the store's items, in order).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IODict } from '../../../dist/index.js';
import { parseCache, cacheBytes } from '../../support/cache-file.mjs';
import { crc32c } from '../../support/format-reader.mjs';

export const name = 'index-cache';

// One key of every type, short and long (over the 16 bytes a slot holds inline).
const ITEMS = [
  ['alpha', 1],
  ['ünïcødé ключ', 'two'],
  [42, { three: 3 }],
  [-0.5, [4]],
  [12345678901234567890n, 5n],
  [true, 'six'],
  [new Uint8Array([7, 7, 7]), 7],
  ['x'.repeat(40), 'eight'],
];

/** A key as text that tells every key type apart (Uint8Array keys by content). */
const idOf = (key) => `${typeof key}:${key instanceof Uint8Array ? Buffer.from(key).toString('hex') : String(key)}`;
const truth = new Map(ITEMS.map(([k, v]) => [idOf(k), JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x))]));
const same = (value) => JSON.stringify(value, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

let dir;
let good;

export function setup() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-fuzz-cache-'));
  const d = new IODict(dir, { xattrs: 'off' });
  for (const [k, v] of ITEMS) d.set(k, v);
  d.close();
  const lister = new IODict(dir, { xattrs: 'off' });
  if (lister.size !== ITEMS.length) throw new Error('setup: the store does not hold its items');
  lister.close();
  good = fs.readFileSync(`${dir}/.iodict/index`);
}

export function teardown() {
  fs.rmSync(dir, { recursive: true, force: true });
}

export const arbitrary = (fc) =>
  fc.record({
    swap: fc.option(fc.tuple(fc.nat(ITEMS.length - 1), fc.nat(ITEMS.length - 1)), { freq: 3 }),
    count: fc.option(fc.oneof(fc.nat(20), fc.constant(0xffffffff), fc.nat()), { freq: 5 }),
    keyLength: fc.option(fc.tuple(fc.nat(ITEMS.length - 1), fc.oneof(fc.nat(70000), fc.constant(0xffffffff), fc.nat())), { freq: 5 }),
    flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
    splice: fc.option(fc.record({ at: fc.nat(), remove: fc.nat(80), insert: fc.uint8Array({ maxLength: 80 }) }), { freq: 4 }),
    fixCrc: fc.boolean(),
  });

function craft({ swap, count, keyLength, flips, splice, fixCrc }) {
  const cache = parseCache(good);
  if (swap) {
    const [a, b] = swap;
    [cache.entries[a].key, cache.entries[b].key] = [cache.entries[b].key, cache.entries[a].key];
    [cache.entries[a].keyType, cache.entries[b].keyType] = [cache.entries[b].keyType, cache.entries[a].keyType];
    for (const e of cache.entries) delete e.keyLength;
  }
  if (keyLength) cache.entries[keyLength[0]].keyLength = keyLength[1];
  let bytes = cacheBytes({ ...cache, count: count ?? cache.entries.length });
  for (const [at, value] of flips) bytes[at % bytes.length] = value;
  if (splice) {
    const at = splice.at % (bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, at), splice.insert, bytes.subarray(at + splice.remove)]);
  }
  if (fixCrc && bytes.length >= 4) bytes.writeUInt32LE(crc32c(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
  return bytes;
}

export function check(input) {
  const bytes = craft(input);
  const crcHolds = bytes.length >= 4 && bytes.readUInt32LE(bytes.length - 4) === crc32c(bytes.subarray(0, bytes.length - 4));
  fs.writeFileSync(`${dir}/.iodict/index`, bytes);
  const d = new IODict(dir, { xattrs: 'off', onCorrupt() {} });
  try {
    const keys = [...d.keys()];
    if (keys.length > 2 ** 16) throw new Error(`keys() lists ${keys.length} keys`);
    for (let walk = 0; walk < 2; walk++) {
      const pairs = [...d.entries()];
      for (const [key, value] of pairs) {
        const want = truth.get(idOf(key));
        if (want === undefined || want !== same(value)) throw new Error(`entries() paired ${idOf(key)} with ${same(value)}`);
      }
      // Without a valid CRC the cache is never used: the listing is the store, in birth order.
      if (!crcHolds && pairs.map(([k]) => idOf(k)).join() !== ITEMS.map(([k]) => idOf(k)).join()) {
        throw new Error(`a cache failing its CRC was used: ${pairs.map(([k]) => idOf(k)).join()}`);
      }
    }
  } finally {
    d.close();
  }
}
