// The IODict behaviour every host must show (run by test/dict.test.mjs once per host). `files`
// inspects the store where the host keeps it: the real disk, or the host's own file system.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { inspect } from 'node:util';
import { createHash } from 'node:crypto';
import { IODict, KeyError, jsonCodec } from '../../dist/index.js';
import { storePath } from '../support/tmp.mjs';
import { diskFiles } from '../support/files.mjs';

export function dictSuite(label, hostOptions, files = diskFiles) {
  const test = suite(`IODict [${label}]`);
  const open = (path = storePath(), options = {}) => new IODict(path, { ...hostOptions(), ...options });

  test('set/get/has/delete/size like a Map', () => {
    const d = open();
    assert.is(d.size, 0);
    assert.is(d.set('a', 1), d, 'set returns this');
    d.set('b', { nested: [1, 'two', null] });
    assert.is(d.get('a'), 1);
    assert.equal(d.get('b'), { nested: [1, 'two', null] });
    assert.is(d.get('missing'), undefined);
    assert.ok(d.has('a'));
    assert.not.ok(d.has('missing'));
    assert.is(d.size, 2);
    assert.ok(d.delete('a'));
    assert.not.ok(d.delete('a'), 'second delete reports nothing deleted');
    assert.is(d.size, 1);
    assert.is(d.get('a'), undefined);
    d.close();
  });

  test('iteration is in birth order; overwrite keeps position; delete then set moves to the end', () => {
    const d = open();
    for (const k of ['x', 'a', 'm', 'b']) d.set(k, k.toUpperCase());
    d.set('a', 'again');
    assert.equal([...d.keys()], ['x', 'a', 'm', 'b']);
    d.delete('x');
    d.set('x', 'back');
    assert.equal([...d.keys()], ['a', 'm', 'b', 'x']);
    assert.equal([...d.values()], ['again', 'M', 'B', 'back']);
    assert.equal([...d.entries()], [['a', 'again'], ['m', 'M'], ['b', 'B'], ['x', 'back']]);
    assert.equal([...d], [...d.entries()]);
    const seen = [];
    d.forEach(function (value, key, map) {
      seen.push([key, value, map === d, this.tag]);
    }, { tag: 't' });
    assert.equal(seen[0], ['a', 'again', true, 't']);
    assert.is(seen.length, 4);
    d.close();
  });

  test('a closed handle\'s core memory serves the next handle: nothing of the old store shows, and the closed one stays closed', () => {
    const [pathA, pathB] = [storePath(), storePath()];
    const a = open(pathA);
    a.setMany(Array.from({ length: 500 }, (_, i) => [`a${i}`, { i }]));
    assert.is(a.size, 500); // an index in the core's memory
    const walk = a.values();
    walk.next();
    a.close();
    for (let round = 0; round < 3; round++) {
      const b = open(pathB);
      assert.equal([...b.keys()], round ? ['b'] : [], `round ${round}: a fresh store, or what this one holds`);
      assert.is(b.get('a1'), undefined);
      b.set('b', round);
      assert.is(b.size, 1);
      b.close();
    }
    assert.throws(() => a.get('a1'), (e) => e.name === 'ClosedError');
    assert.throws(() => walk.next(), (e) => e.name === 'ClosedError', 'an iteration begun before close');
    const again = open(pathA);
    assert.is(again.size, 500);
    assert.equal(again.get('a499'), { i: 499 });
    assert.equal([...again.keys()].slice(0, 2), ['a0', 'a1']);
    again.close();
    // A temporary store is destroyed at close; its memory too is handed on once, never twice:
    // two handles open at once after it each keep their own.
    const temporary = open(storePath(), { temporary: true });
    temporary.set('t', 1);
    temporary.close();
    temporary.close();
    const [c, d] = [open(storePath()), open(storePath())];
    c.setMany(Array.from({ length: 50 }, (_, i) => [`c${i}`, i]));
    d.setMany(Array.from({ length: 50 }, (_, i) => [`d${i}`, -i]));
    assert.equal([[...c.keys()][49], c.size, c.get('c7')], ['c49', 50, 7]);
    assert.equal([[...d.keys()][49], d.size, d.get('d7')], ['d49', 50, -7]);
    c.close();
    d.close();
  });

  test('a listing is kept only while nothing changes: own and another handle\'s writes, pops, clear, an expiry', () => {
    const path = storePath();
    let now = 1_800_000_000_000;
    const d = open(path, { clock: () => now });
    const other = open(path, { clock: () => now });
    for (const k of ['a', 'b', 'c']) d.set(k, k);
    const first = [...d.keys()];
    assert.equal(first, ['a', 'b', 'c']);
    assert.equal([...d.keys()], first, 'listed again, unchanged');
    const entries = [...d.entries()];
    d.set('b', 'B'); // an overwrite keeps the order...
    assert.equal([...d.keys()], ['a', 'b', 'c']);
    assert.equal([...d.entries()], [['a', 'a'], ['b', 'B'], ['c', 'c']], '...and values are read afresh');
    assert.equal(entries, [['a', 'a'], ['b', 'b'], ['c', 'c']], 'an earlier walk is a snapshot');
    d.set('d', 'd');
    assert.equal([...d.keys()], ['a', 'b', 'c', 'd'], 'own set');
    other.delete('a');
    other.set('e', 'e');
    assert.equal([...d.keys()], ['b', 'c', 'd', 'e'], "another handle's delete and set");
    assert.equal(d.popItem(), ['b', 'B']);
    assert.equal([...d.keys()], ['c', 'd', 'e'], 'own pop');
    assert.equal(other.popItem({ last: true }), ['e', 'e']);
    assert.equal([...d.keys()], ['c', 'd'], "another handle's pop");
    other.delete('c');
    other.set('c', 'again');
    assert.equal([...d.keys()], ['d', 'c'], 'made again elsewhere: a new birth');
    d.set('t', 't', { ttl: 1000 });
    assert.equal([...d.keys()], ['d', 'c', 't']);
    now += 2000;
    assert.equal([...d.keys()], ['d', 'c'], 'expired with no other change');
    other.clear();
    assert.equal([...d.keys()], [], "another handle's clear");
    d.close();
    other.close();
  });

  test('order, keys and values survive a restart', () => {
    const path = storePath();
    const d = open(path);
    const keys = Array.from({ length: 300 }, (_, i) => `key-${(i * 7919) % 1000}`);
    for (const k of keys) d.set(k, { k });
    d.set(keys[10], 'overwritten');
    d.close();
    const e = open(path);
    assert.equal([...e.keys()], keys);
    assert.is(e.get(keys[10]), 'overwritten');
    assert.equal(e.get(keys[11]), { k: keys[11] });
    assert.is(e.size, 300);
    e.close();
  });

  test('a cold open without the index cache rebuilds order from the records', () => {
    const path = storePath();
    const d = open(path);
    // More items than any initial buffer or mark table holds.
    for (let i = 0; i < 5000; i++) d.set(`k${i}`, i);
    d.close();
    files.remove(`${path}/.iodict/index`);
    files.remove(`${path}/.iodict/changes`);
    const e = open(path);
    assert.equal([...e.keys()], Array.from({ length: 5000 }, (_, i) => `k${i}`));
    assert.is(e.get('k4999'), 4999);
    e.close();
  });

  test('every key type; one key for 0 and -0 and for every NaN; bytes by content', () => {
    const d = open();
    const keys = ['', 'ünïcødé ✓ 🎉', 0, 1.5, -7, Infinity, NaN, 12345678901234567890n, -3n, 0n, true, false, new Uint8Array([1, 2, 3])];
    keys.forEach((k, i) => d.set(k, i));
    assert.is(d.size, keys.length);
    d.set(-0, 'zero');
    d.set(Number.NaN * 2, 'nan');
    d.set(new Uint8Array([1, 2, 3]), 'bytes');
    assert.is(d.size, keys.length);
    assert.is(d.get(0), 'zero');
    assert.is(d.get(NaN), 'nan');
    assert.is(d.get(new Uint8Array([1, 2, 3])), 'bytes');
    assert.is(d.get(1n), undefined);
    assert.is(d.get('1.5'), undefined, 'a string never collides with a number');
    assert.is(d.get(1.5), 3);
    const listed = [...d.keys()];
    assert.is(listed[1], 'ünïcødé ✓ 🎉');
    assert.is(listed[7], 12345678901234567890n);
    assert.ok(listed[12] instanceof Uint8Array);
    assert.equal([...listed[12]], [1, 2, 3]);
    d.close();
  });

  test('unsupported keys are a TypeError and change nothing', () => {
    const d = open();
    d.set('kept', 1);
    for (const bad of [null, undefined, {}, [], Symbol('s'), () => 1, new Date(), '\ud800']) {
      assert.throws(() => d.set(bad, 1), (e) => e instanceof TypeError);
      assert.throws(() => d.get(bad), (e) => e instanceof TypeError);
    }
    assert.equal([...d.entries()], [['kept', 1]]);
    d.close();
  });

  test('values: CBOR round trip of the JS types', () => {
    const d = open();
    const value = {
      n: null, u: undefined, t: true, i: -42, f: 3.25, big: 2n ** 70n, s: 'text',
      bytes: new Uint8Array([0, 255]), list: [1, [2, [3]]], map: new Map([[1, 'one'], ['k', { deep: true }]]),
      set: new Set(['a', 1]), date: new Date('2024-01-02T03:04:05.678Z'), f32: new Float32Array([1.5, -2]),
      i16: new Int16Array([-1, 300]),
    };
    d.set('v', value);
    const back = d.get('v');
    assert.equal(back, value);
    assert.ok(back.map instanceof Map && back.set instanceof Set && back.date instanceof Date);
    assert.ok(back.f32 instanceof Float32Array && back.i16 instanceof Int16Array);
    d.set('undef', undefined);
    assert.ok(d.has('undef'));
    assert.is(d.get('undef'), undefined);
    d.close();
  });

  test('pop, popItem (oldest first, or last), setDefault, update, fromKeys', () => {
    const d = open();
    d.update(new Map([['a', 1], ['b', 2]]));
    d.update([['c', 3]]);
    d.update({ d: 4, e: 5 });
    assert.equal([...d.keys()], ['a', 'b', 'c', 'd', 'e']);
    assert.is(d.pop('b'), 2);
    assert.is(d.pop('b', 'dflt'), 'dflt');
    assert.is(d.pop('b', undefined), undefined, 'an explicit undefined is a default, not a KeyError');
    assert.is(d.pop('b', null), null);
    assert.throws(() => d.pop('b'), (e) => e instanceof KeyError && e.key === 'b');
    assert.equal(d.popItem(), ['a', 1]);
    assert.equal(d.popItem({ last: true }), ['e', 5]);
    assert.is(d.setDefault('c', 99), 3, 'keeps an existing value');
    assert.is(d.setDefault('z', 26), 26);
    assert.is(d.get('z'), 26);
    d.set('u', undefined);
    assert.is(d.setDefault('u', 'not used'), undefined, 'an existing undefined is still a value');
    d.fromKeys(['p', 'q'], 0);
    assert.equal([...d.keys()], ['c', 'd', 'z', 'u', 'p', 'q']);
    d.clear();
    assert.is(d.size, 0);
    assert.throws(() => d.popItem(), (e) => e instanceof KeyError);
    d.close();
    const f = IODict.fromKeys(storePath(), ['x', 'y'], true, hostOptions());
    assert.equal([...f], [['x', true], ['y', true]]);
    f.close();
  });

  test('copy() returns the same handle (Python returns self); copyTo() clones it in order', () => {
    const d = open();
    d.set('one', 1).set('two', 2);
    const same = d.copy();
    assert.is(same, d, 'no second handle to close');
    same.set('three', 3);
    assert.is(d.get('three'), 3);
    const target = storePath();
    const clone = d.copyTo(target);
    clone.set('four', 4);
    assert.equal([...clone.keys()], ['one', 'two', 'three', 'four']);
    assert.not.ok(d.has('four'));
    for (const x of [d, clone]) x.close();
  });

  test('temporary stores are removed on dispose; plain close keeps data', () => {
    const path = storePath();
    const t = open(path, { temporary: true });
    t.set('gone', 1);
    t[Symbol.dispose](); // what `using` calls (Node 20 has no `using` syntax yet)
    assert.not.ok(files.exists(path));
    const kept = storePath();
    const d = open(kept);
    d.set('kept', 1);
    d[Symbol.dispose]();
    assert.throws(() => d.get('kept'), /closed/);
    const e = open(kept);
    assert.is(e.get('kept'), 1);
    e.close();
  });

  test('util.inspect, toJSON and Map compatibility', () => {
    const d = open();
    d.set('a', 1).set('b', [2]);
    assert.is(inspect(d), "IODict(2) { 'a' => 1, 'b' => [ 2 ] }");
    assert.is(JSON.stringify(d), '{"a":1,"b":[2]}');
    d.set(3, 'three');
    assert.equal(d.toJSON(), [['a', 1], ['b', [2]], [3, 'three']]);
    assert.is(Object.prototype.toString.call(d), '[object IODict]');
    const asMap = new Map(d);
    assert.is(asMap.get('b')[0], 2);
    d.close();
  });

  test('the lock option wraps every operation', () => {
    const calls = [];
    const lock = { acquire: () => calls.push('acquire'), release: () => calls.push('release') };
    const d = open(storePath(), { lock });
    d.set('k', 1);
    d.get('k');
    assert.equal(calls, ['acquire', 'release', 'acquire', 'release']);
    d.close();
  });

  test('file names are the SHA3-224 of the UTF-8 key, as Python iodict names them', () => {
    const path = storePath();
    const d = open(path);
    d.set('../../etc/passwd', 1);
    d.set('ключ', 2);
    const names = files.list(path).filter((n) => n !== '.iodict').sort();
    const expected = ['../../etc/passwd', 'ключ'].map((k) => createHash('sha3-224').update(k, 'utf8').digest('hex')).sort();
    assert.equal(names, expected);
    d.close();
  });

  test('a JSON codec store; records keep their codec id, readable by a CBOR handle', () => {
    const path = storePath();
    const j = open(path, { codec: jsonCodec });
    j.set('k', { a: [1, 2] });
    j.close();
    const c = open(path);
    assert.equal(c.get('k'), { a: [1, 2] });
    c.close();
  });

  test('durability fsync writes and reads back', () => {
    const d = open(storePath(), { durability: 'fsync' });
    d.set('k', 'v');
    assert.is(d.get('k'), 'v');
    assert.ok(d.delete('k'));
    d.close();
  });

  test('two handles in one process see each other (journal)', () => {
    const path = storePath();
    const a = open(path);
    const b = open(path);
    a.set('one', 1);
    b.set('two', 2);
    a.set('three', 3);
    assert.equal([...b.keys()], ['one', 'two', 'three']);
    assert.is(b.size, 3);
    b.delete('one');
    assert.equal([...a.keys()], ['two', 'three']);
    assert.equal(a.popItem(), ['two', 2]);
    assert.equal([...b], [['three', 3]]);
    a.close();
    b.close();
  });

  test('journal rotation keeps other handles coherent', () => {
    const path = storePath();
    // A low threshold (64 + n entries), passed several times; journal.test.mjs passes the default one.
    const a = open(path, { rotateAfter: 64 });
    const b = open(path, { rotateAfter: 64 });
    const journal = files.hold(`${path}/.iodict/changes`);
    for (let i = 0; i < 3000; i++) a.set(`k${i % 500}`, i);
    for (let i = 0; i < 100; i++) a.delete(`k${i}`);
    assert.is(journal.links(), 0, 'the journal was rotated (renamed over)');
    journal.close();
    assert.ok(files.exists(`${path}/.iodict/index`), 'rotation left an index cache');
    assert.is(b.size, 400);
    assert.equal([...b.keys()].slice(0, 2), ['k100', 'k101']);
    a.close();
    b.close();
    const c = open(path);
    assert.is(c.size, 400);
    c.close();
  });

  return test;
}
