import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, memoryHost, nodeHost, Errno } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { runChild } from './support/children.mjs';
import { readStore } from './support/format-reader.mjs';
import { runCli } from './support/cli.mjs';

const worker = new URL('./workers/watch-worker.mjs', import.meta.url).pathname;
const T0 = 1_800_000_000_000; // the injected clock's start (ms)
const ops = (path, now, list) => runChild(worker, { role: 'ops', path, now, ops: list });
const recordFiles = (path) => fs.readdirSync(path).filter((n) => /^[0-9a-f]{56}$/.test(n));

test('an expired item is invisible to every read in another process at once, and removed lazily', async () => {
  const path = storePath();
  let now = T0;
  const d = new IODict(path, { clock: () => now });
  d.set('a', 1, { ttl: 1000 }).set('b', 2).set('c', 3, { ttl: 5000 });
  assert.equal(d.size, 3);
  const reads = [['get', 'a'], ['has', 'a'], ['size'], ['keys']];
  assert.equal(await ops(path, T0 + 999, reads), [1, true, 3, ['a', 'b', 'c']]);
  assert.equal(await ops(path, T0 + 1000, reads), [null, false, 2, ['b', 'c']]);
  // The other process's reads removed a's record; this handle (index loaded) agrees at once.
  now = T0 + 1000;
  assert.equal([...d.keys()], ['b', 'c']);
  assert.is(d.size, 2);
  assert.is(recordFiles(path).length, 2);
  // The expiry stamp is in the record, for any reader of the format.
  const c = readStore(path).find((r) => r.decoded === 3);
  assert.is(c.expiry, (T0 + 5000) * 1000);
  d.close();
});

test('a key set again with a longer ttl by another process stays visible here (the journal carries the expiry)', async () => {
  const path = storePath();
  let now = T0;
  const d = new IODict(path, { clock: () => now });
  d.set('k', 'short', { ttl: 100 });
  assert.is(d.size, 1);
  await ops(path, T0 + 50, [['set', 'k', 'long', 10_000]]);
  now = T0 + 200;
  assert.is(d.size, 1);
  assert.equal([...d.entries()], [['k', 'long']]);
  await ops(path, T0 + 60, [['set', 'k', 'forever']]);
  now = T0 + 1e9;
  assert.equal([...d.entries()], [['k', 'forever']], 'a set without ttl clears the expiry');
  d.close();
});

test('purgeExpired() removes what has expired, the default ttl applies, popItem skips expired items', async () => {
  const path = storePath();
  let now = T0;
  const d = new IODict(path, { clock: () => now, ttl: 100 });
  for (let i = 0; i < 10; i++) d.set(`t${i}`, i);
  d.set('kept', 1, { ttl: 10_000 });
  assert.is(d.size, 11);
  now += 100;
  assert.is(d.size, 1);
  assert.is(recordFiles(path).length, 11, 'expired records wait for a reader or a purge');
  assert.is(d.purgeExpired(), 10);
  assert.is(recordFiles(path).length, 1);
  assert.is(d.purgeExpired(), 0);
  d.set('x', 1, { ttl: 5 });
  now += 5;
  assert.equal(d.popItem(), ['kept', 1]);
  assert.throws(() => d.popItem(), (e) => e.name === 'KeyError', 'the expired x is not popped');
  assert.throws(() => d.set('k', 1, { ttl: -1 }), RangeError);
  assert.throws(() => new IODict(path, { ttl: 'soon' }), RangeError);
  assert.throws(() => new IODict(path, { clock: 5 }), TypeError);
  d.close();
});

// Full size (the figures) with IODICT_FULL=1 (npm run test:limits); a quarter of it in npm test.
const FULL = process.env.IODICT_FULL === '1';
const LIMIT = FULL ? 1000 : 250;
const PER_WRITER = FULL ? 5000 : 1250;

/**
 * The number of live items after every announced change, replaying the journal (FORMAT.md 8):
 * the store's changes in their one total order, so every point of it is an observation.
 */
function liveCounts(path) {
  const buf = fs.readFileSync(`${path}/.iodict/changes`);
  const live = new Set();
  const counts = [];
  for (let at = 64; at + 64 <= buf.length; at += 64) {
    const kind = buf[at + 4];
    assert.ok(kind !== 4 && kind !== 5, 'no rotation and no rescan: the journal holds every change');
    const digest = buf.subarray(at + 24, at + 52).toString('hex');
    if (kind === 2) live.add(digest);
    else if (kind === 3) live.delete(digest);
    else continue;
    counts.push(live.size);
  }
  return counts;
}

test(`four writers on a store with maxItems ${LIMIT} writing ${4 * PER_WRITER} items: never more than ${LIMIT + 4} items, the newest kept`, async () => {
  const path = storePath();
  new IODict(path).close();
  const maxItems = LIMIT;
  const writers = 4;
  const count = PER_WRITER;
  await Promise.all(Array.from({ length: writers }, (_, w) => runChild(worker, { role: 'write', path, prefix: `w${w}-`, count, maxItems })));
  const counts = liveCounts(path);
  assert.ok(counts.length >= writers * count * 2 - maxItems, 'every set and eviction is in the journal');
  const most = Math.max(...counts);
  assert.ok(most <= maxItems + writers, `at most ${maxItems + writers} items after any change, saw ${most}`);
  const d = new IODict(path);
  const keys = [...d.keys()];
  assert.is(recordFiles(path).length, keys.length);
  assert.ok(keys.length <= maxItems && keys.length >= maxItems - writers, `about ${maxItems} left: ${keys.length}`);
  // Eviction is by birth: each writer's surviving keys are its last ones (a writer that finished
  // long before the others may have none left), and the last item written is kept.
  for (let w = 0; w < writers; w++) {
    const mine = keys.filter((k) => k.startsWith(`w${w}-`)).map((k) => Number(k.slice(`w${w}-`.length)));
    assert.equal(mine, Array.from({ length: mine.length }, (_, i) => count - mine.length + i));
  }
  assert.ok(keys.at(-1).endsWith(`-${count - 1}`), `the youngest item kept is a writer's last, not ${keys.at(-1)}`);
  d.close();
});

test('maxBytes evicts the oldest items until the record files fit', () => {
  const path = storePath();
  const d = new IODict(path, { maxBytes: 4096 });
  const value = 'x'.repeat(900);
  for (let i = 0; i < 10; i++) d.set(`k${i}`, value);
  const bytes = recordFiles(path).reduce((sum, n) => sum + fs.statSync(`${path}/${n}`).size, 0);
  assert.ok(bytes <= 4096, `${bytes} bytes on disk`);
  assert.equal([...d.keys()], ['k6', 'k7', 'k8', 'k9']);
  assert.throws(() => new IODict(path, { maxItems: 0 }), RangeError);
  d.close();
});

test('a set never evicts its own record, also on a handle whose index is not loaded yet', () => {
  // Overwriting the oldest key with a larger value takes the store past maxBytes: others go, not it.
  for (const loaded of [false, true]) {
    const path = storePath();
    const seed = new IODict(path);
    seed.set('oldest', 'x').set('b', 'y').set('c', 'z');
    seed.close();
    const bytes = recordFiles(path).reduce((sum, n) => sum + fs.statSync(`${path}/${n}`).size, 0);
    const d = new IODict(path, { maxBytes: bytes + 2 });
    if (loaded) assert.is(d.size, 3);
    d.set('oldest', 'v'.repeat(20));
    const state = `index ${loaded ? 'loaded' : 'not loaded'} before the set`;
    assert.is(d.get('oldest'), 'v'.repeat(20), state);
    assert.equal([...d.keys()], ['oldest', 'c'], `${state}: the next oldest went`);
    d.close();
  }
});

test('setMany: items carry the ttl (its own or the store default) and a batch past maxItems evicts the oldest', () => {
  const path = storePath();
  let now = T0;
  const d = new IODict(path, { clock: () => now, ttl: 1000, maxItems: 5 });
  d.setMany([['a', 1], ['b', 2]]);
  d.setMany([['c', 3]], { ttl: 5000 });
  assert.equal(readStore(path).map((r) => [r.decoded, r.expiry]), [[1, (T0 + 1000) * 1000], [2, (T0 + 1000) * 1000], [3, (T0 + 5000) * 1000]]);
  now += 1000;
  assert.equal([...d.keys()], ['c']);
  d.setMany(Array.from({ length: 8 }, (_, i) => [`n${i}`, i]), { ttl: 10_000 });
  assert.is(d.size, 5);
  assert.equal([...d.keys()], ['n3', 'n4', 'n5', 'n6', 'n7']);
  assert.equal([...new IODict(path, { clock: () => now }).keys()], ['n3', 'n4', 'n5', 'n6', 'n7'], 'another handle agrees (journal)');
  assert.throws(() => d.setMany([['x', 1]], { ttl: -1 }), RangeError);
  assert.not.ok(d.has('x'));
  d.close();
});

test('a key set again after it expired is a new key, at the end: its index loaded or not, by set or batch, with or without the native helper', () => {
  for (const native of [true, false]) {
    for (const how of ['set', 'setMany', 'set (index not loaded)']) {
      const path = storePath();
      let now = T0;
      const d = new IODict(path, { clock: () => now, host: nodeHost({ native }) });
      d.set('a', 1, { ttl: 10 }).set('b', 2);
      now += 10; // a has expired: absent, though its record is still there
      const writer = how.endsWith('not loaded)') ? new IODict(path, { clock: () => now, host: nodeHost({ native }) }) : d;
      if (how === 'setMany') writer.setMany([['a', 3]]);
      else writer.set('a', 3);
      const label = `${how}, ${native ? 'native helper' : 'no native helper'}`;
      assert.equal([...d.entries()], [['b', 2], ['a', 3]], label);
      const fresh = new IODict(path, { clock: () => now });
      assert.equal([...fresh.keys()], ['b', 'a'], `${label}: a fresh handle agrees`);
      fresh.close();
      if (writer !== d) writer.close();
      d.close();
    }
  }
});

test('a set or batch that overwrites the oldest key past maxItems evicts the next oldest, never its own record', () => {
  const path = storePath();
  const d = new IODict(path, { maxItems: 3 });
  d.set('a', 1).set('b', 1).set('c', 1);
  d.update([['d', 1], ['a', 2]]); // one new key, and the oldest overwritten last
  assert.equal([...d.entries()], [['a', 2], ['c', 1], ['d', 1]]);
  // A store over its limit (writers at once may leave it so): a set of its oldest key brings it back.
  const over = new IODict(path);
  over.set('e', 1);
  d.set('a', 3);
  assert.equal([...d.entries()], [['a', 3], ['d', 1], ['e', 1]]);
  assert.equal([...over.keys()], ['a', 'd', 'e'], 'another handle agrees (journal)');
  over.close();
  d.close();
});

/** A memory host whose renames into .iodict/claimed/ fail with EACCES while `failing.on`. */
function claimFailingHost() {
  const base = memoryHost();
  const failing = { on: false };
  const host = Object.create(base);
  host.rename = (from, to) => (failing.on && to.includes('/claimed/') ? -Errno.EACCES : base.rename(from, to));
  return { host, failing };
}
const memoryRecords = (host, root) => host.readdir(root).filter((n) => /^[0-9a-f]{56}$/.test(n));

test('an expired item stays absent when its removal fails, and is removed by a later purge', () => {
  const { host, failing } = claimFailingHost();
  let now = T0;
  const d = new IODict('/s', { host, clock: () => now });
  d.set('a', 1, { ttl: 10 }).set('b', 2);
  now += 10;
  failing.on = true;
  assert.is(d.get('a'), undefined, 'no error: the reader only tried to tidy up');
  assert.is(d.has('a'), false);
  assert.equal([...d.keys()], ['b']);
  assert.is(d.purgeExpired(), 0);
  assert.is(memoryRecords(host, '/s').length, 2, 'the expired record is still there');
  failing.on = false;
  assert.is(d.purgeExpired(), 1);
  assert.equal(memoryRecords(host, '/s').length, 1);
  d.close();
});

test('a set whose eviction fails stands (with a warning); the next set evicts', async () => {
  const { host, failing } = claimFailingHost();
  const d = new IODict('/s', { host, maxItems: 2 });
  d.set('a', 1).set('b', 2);
  failing.on = true;
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  d.set('c', 3); // an error would mean it did not happen
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  assert.ok(warnings.some((w) => w.name === 'StoreWarning' && /EACCES/.test(w.message)), 'the failed eviction is reported');
  assert.equal([...d.keys()], ['a', 'b', 'c'], 'the set itself stands');
  failing.on = false;
  d.set('d', 4);
  assert.equal([...d.keys()], ['c', 'd']);
  d.close();
});

test('the CLI shows when an item expires, and an archive keeps the expiry stamp', () => {
  const path = storePath();
  const d = new IODict(path);
  const expires = Date.now() + 3_600_000;
  d.set('a', 1, { ttl: 3_600_000 }).set('b', 2);
  d.close();
  const cli = (...args) => {
    const r = runCli(args);
    assert.is(r.code, 0, r.stderr);
    return r.stdout;
  };
  const listed = JSON.parse(cli('ls', path, '--json'));
  assert.is(listed[1].expires, undefined);
  const shown = Date.parse(listed[0].expires);
  assert.ok(Math.abs(shown - expires) < 1000, `expires ${listed[0].expires}`);
  const archive = `${storePath()}.arc`;
  cli('export', path, archive, '--format', 'archive');
  const copy = storePath();
  cli('import', copy, archive);
  assert.equal(JSON.parse(cli('ls', copy, '--json')).map((k) => k.expires), [listed[0].expires, undefined]);
});

test.run();
