// keys() and iteration read the keys of many slots at once from the core (packed in one buffer);
// they must come back exactly, of every key type, in order, whether cached or not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IODict } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

const keyOf = (i) => [`k${i}`, `ключ-${i}-é`, i + 0.5, BigInt(i) * 10n ** 30n, new Uint8Array([i & 255, 0, 7]), ''][i % 6];

test('keys of every type, cold and partly cached, come back exact and in birth order', () => {
  const path = storePath();
  const writer = new IODict(path);
  const keys = [];
  for (let i = 0; i < 300; i++) {
    const key = i === 5 ? true : keyOf(i); // one boolean key, and one empty string (i = 5 is replaced)
    if (keys.some((k) => Object.is(k, key) || (k instanceof Uint8Array && key instanceof Uint8Array && k.join() === key.join()))) continue;
    keys.push(key);
    writer.set(key, i);
  }
  writer.close();
  const reader = new IODict(path);
  assert.equal([...reader.keys()], keys, 'cold: every key from the packed buffer');
  assert.equal([...reader.keys()], keys, 'warm: from the cache');
  reader.set(keys[10], 'again'); // an overwrite keeps the place
  reader.delete(keys[20]);
  const rest = keys.filter((_, i) => i !== 20);
  const other = new IODict(path);
  for (let i = 0; i < rest.length; i += 3) other.get(rest[i]);
  assert.equal([...other.keys()], rest, 'partly cached');
  assert.equal([...other.entries()].map(([k]) => k), rest);
  reader.close();
  other.close();
});

test('ASCII string keys only (one decode for the whole listing), and with one non-ASCII key among them, come back exact', () => {
  const ascii = Array.from({ length: 200 }, (_, i) => (i === 0 ? '' : i === 1 ? 'x'.repeat(300) : `key-${i}-${'~'.repeat(i % 20)}`));
  for (const keys of [ascii, [...ascii.slice(0, 100), 'clé', ...ascii.slice(100)]]) {
    const path = storePath();
    const writer = new IODict(path);
    keys.forEach((key, i) => writer.set(key, i));
    writer.close();
    const reader = new IODict(path);
    assert.equal([...reader.keys()], keys, 'cold');
    assert.equal([...reader.entries()].map(([k, v]) => keys[v] === k), keys.map(() => true), 'each key with its own value');
    reader.close();
  }
});

test.run();
