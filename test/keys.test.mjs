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

test('a listing after other handles\' changes: cached keys kept, the changed and new ones read (packed, or one by one when few)', () => {
  const path = storePath();
  const reader = new IODict(path);
  const keys = Array.from({ length: 100 }, (_, i) => `old-${i}`);
  const writer = new IODict(path);
  keys.forEach((key, i) => writer.set(key, i));
  assert.equal([...reader.keys()], keys, 'cold, then every key cached');
  for (const [added, removed] of [[40, 3], [5, 2]]) { // 40 new keys: packed; 5: read one by one
    const fresh = Array.from({ length: added }, (_, i) => `new-${keys.length}-${i}-é`);
    fresh.forEach((key, i) => writer.set(key, i));
    for (const key of keys.splice(7, removed)) writer.delete(key);
    writer.set(keys[0], 'overwritten'); // keeps its place
    keys.push(...fresh);
    assert.equal([...reader.keys()], keys, `${added} new keys, ${removed} deleted`);
  }
  writer.close();
  reader.close();
});

test('a cold listing whose slots are not in birth order (freed slots taken by later keys) comes back in birth order', () => {
  const path = storePath();
  const writer = new IODict(path);
  for (let i = 0; i < 100; i++) writer.set(`first-${i}`, i);
  writer.close(); // its index cached: slots 0 to 99 in birth order
  const changer = new IODict(path);
  changer.size; // an index, so its changes go after the cache in the journal
  for (let i = 0; i < 60; i++) changer.delete(`first-${i}`);
  for (let i = 0; i < 60; i++) changer.set(`later-${i}`, i); // they take the freed slots
  changer.close();
  const expected = [...Array.from({ length: 40 }, (_, i) => `first-${i + 60}`), ...Array.from({ length: 60 }, (_, i) => `later-${i}`)];
  const reader = new IODict(path);
  assert.equal([...reader.keys()], expected, 'cold');
  assert.equal([...reader.keys()], expected, 'warm');
  reader.close();
});

test.run();
