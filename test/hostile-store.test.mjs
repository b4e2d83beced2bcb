// Finding 6 of issue 9: what a store reads besides its records (the index cache, the journal, the
// marker) is checked before use and read with a bound. A crafted or damaged cache never pairs a
// key with another key's value and never aborts the core; a journal longer than rotation lets one
// grow is not replayed; a sparse file is never read whole.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { runCli } from './support/cli.mjs';
import { IODict, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { readCache, writeCache, cacheBytes } from './support/cache-file.mjs';
import { journalEntry, keyEntry, JOURNAL } from './support/format-reader.mjs';

const dist = new URL('../dist/index.js', import.meta.url).href;

/** A store of `n` items (key `k<i>`, value `v<i>`) whose index cache is current. */
function storeWithCache(n = 3) {
  const path = storePath();
  const d = new IODict(path);
  for (let i = 0; i < n; i++) d.set(`k${i}`, `v${i}`);
  d.close();
  // A handle that loads its index by listing leaves a cache behind.
  const lister = new IODict(path);
  assert.is(lister.size, n);
  lister.close();
  assert.is(readCache(path).entries.length, n);
  return path;
}

/** A Node host that counts the bytes its reads return: what a bounded read is measured by. */
function countingHost() {
  const base = nodeHost();
  const host = Object.create(base);
  host.bytesRead = 0;
  host.read = (fd, buf, pos) => {
    const n = base.read(fd, buf, pos);
    if (n > 0) host.bytesRead += n;
    return n;
  };
  return host;
}

const MiB = 2 ** 20;

const truth = (n) => Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]);

/** Runs code in a fresh process (a core abort or a hang there fails the test, not the runner). */
function inChild(code, path) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { IODict } from ${JSON.stringify(dist)}; const path = ${JSON.stringify(path)}; ${code}`], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('a cache whose keys were swapped (CRC made right): entries() pairs every key with its own value, then the index is rebuilt', () => {
  const path = storeWithCache(3);
  const cache = readCache(path);
  // k0's slot now says k1 and the reverse: what a crafted cache showed as ['k1', 'v0'].
  [cache.entries[0].key, cache.entries[1].key] = [cache.entries[1].key, cache.entries[0].key];
  for (const e of cache.entries) delete e.keyLength;
  writeCache(path, cache);
  const d = new IODict(path);
  const pairs = [...d.entries()];
  for (const [key, value] of pairs) assert.is(value, `v${key.slice(1)}`, `${key} paired with its own value`);
  assert.equal(pairs.map(([k]) => k).sort(), ['k0', 'k1', 'k2']);
  // The walk found the lie: the index came from the directory, and a true cache replaced the crafted one.
  assert.equal([...d.entries()], truth(3));
  assert.equal(readCache(path).entries.map((e) => e.key.toString()), ['k0', 'k1', 'k2']);
  d.close();
});

test('a crafted cache with a key that does not exist: entries() never gives it a value; popItem pairs from the record', () => {
  const path = storeWithCache(2);
  const cache = readCache(path);
  cache.entries[0].key = Buffer.from('ghost');
  delete cache.entries[0].keyLength;
  writeCache(path, cache);
  const d = new IODict(path);
  assert.equal([...d.keys()], ['ghost', 'k1'], 'what the lie says, until a read through its slot finds it out');
  // 'ghost' is read under its own name (absent); k0, hidden by the lie, is seen from the next walk on.
  assert.equal([...d.entries()], [['k1', 'v1']]);
  assert.equal([...d.entries()], truth(2));
  d.close();
  writeCache(path, cache); // the walk replaced it; craft it again
  const q = new IODict(path);
  assert.equal(q.popItem(), ['k0', 'v0'], 'the key comes from the record taken, never from the slot');
  assert.equal([...q.entries()], [['k1', 'v1']]);
  q.close();
});

test('a cache entry whose key length overflows (2^32 - 1, 64 KiB + 1, past the end) never aborts: the cache is ignored and the directory listed', () => {
  for (const keyLength of [0xffffffff, 0xfffffff0, 65537, 1000]) {
    const path = storeWithCache(3);
    const cache = readCache(path);
    cache.entries[1].keyLength = keyLength;
    writeCache(path, cache);
    const seen = inChild(`const d = new IODict(path); const entries = [...d.entries()]; d.close(); console.log(JSON.stringify(entries));`, path);
    assert.equal(seen, truth(3), `key length ${keyLength}`);
  }
});

test('a cache entry with a key no record could hold (bad UTF-8, unknown type, a non-canonical number): the directory is listed, keys() does not throw', () => {
  const damage = [
    (e) => { e.key = Buffer.from([0x6b, 0xff, 0xfe]); },
    (e) => { e.keyType = 9; },
    (e) => { e.keyType = 1; e.key = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]); }, // -0
    (e) => { e.keyType = 2; e.key = Buffer.from('007'); },
  ];
  for (const craft of damage) {
    const path = storeWithCache(2);
    const cache = readCache(path);
    craft(cache.entries[0]);
    delete cache.entries[0].keyLength;
    writeCache(path, cache);
    const d = new IODict(path);
    assert.equal([...d.keys()], ['k0', 'k1']);
    d.close();
  }
});

test('a damaged cache (any byte flipped, cut short, a count it cannot hold, a digest twice, extra bytes) is never used', () => {
  const path = storeWithCache(4);
  const good = fs.readFileSync(`${path}/.iodict/index`);
  const cache = readCache(path);
  const variants = [];
  for (let at = 0; at < good.length; at += 7) {
    const flipped = Buffer.from(good);
    flipped[at] ^= 0x41;
    variants.push(flipped);
  }
  for (const cut of [0, 3, 31, 32, 40, good.length - 5, good.length - 1]) variants.push(good.subarray(0, cut));
  variants.push(cacheBytes({ ...cache, count: 1_000_000 }), cacheBytes({ ...cache, count: 3 }), cacheBytes({ ...cache, count: 5 }));
  variants.push(cacheBytes({ ...cache, entries: [cache.entries[0], ...cache.entries] }));
  variants.push(Buffer.concat([good, Buffer.alloc(8)]));
  for (const bytes of variants) {
    fs.writeFileSync(`${path}/.iodict/index`, bytes);
    const d = new IODict(path);
    assert.equal([...d.entries()], truth(4));
    d.close();
  }
});

test('a cache whose journal offset is past the journal\'s end, or no entry boundary, is not used: writes after it are seen', () => {
  for (const offset of [1n << 40n, 100n, 0n]) {
    const path = storeWithCache(2);
    const cache = readCache(path);
    const writer = new IODict(path);
    writer.set('later', 1); // a journal entry after the cache's offset
    writer.close();
    writeCache(path, { ...cache, offset });
    const d = new IODict(path);
    assert.equal([...d.keys()], ['k0', 'k1', 'later'], `offset ${offset}`);
    d.close();
  }
});

test('a sparse 4 GiB cache is not read whole: the directory is listed and memory stays small', () => {
  const path = storeWithCache(3);
  const cache = readCache(path);
  // A true header claiming many entries, then nothing but a hole.
  const head = cacheBytes({ ...cache, entries: [], count: 70_000_000 }).subarray(0, 32);
  fs.writeFileSync(`${path}/.iodict/index`, head);
  fs.truncateSync(`${path}/.iodict/index`, 4 * 2 ** 30);
  const host = countingHost();
  const d = new IODict(path, { host });
  assert.equal([...d.keys()], ['k0', 'k1', 'k2']);
  assert.ok(host.bytesRead < MiB, `read ${host.bytesRead} bytes of a 4 GiB cache`);
  d.close();
  fs.writeFileSync(`${path}/.iodict/index`, head);
  fs.truncateSync(`${path}/.iodict/index`, 4 * 2 ** 30);
  const seen = inChild(`const d = new IODict(path); const keys = [...d.keys()]; d.close(); console.log(JSON.stringify({ keys, rss: process.memoryUsage().rss }));`, path);
  assert.equal(seen.keys, ['k0', 'k1', 'k2']);
  assert.ok(seen.rss < 300 * 2 ** 20, `RSS ${Math.round(seen.rss / 2 ** 20)} MiB`);
  assert.ok(fs.statSync(`${path}/.iodict/index`).size < 4096, 'a true cache replaced it');
});

test('a journaled SET that says more KEY entries follow than its key needs (crafted, each entry valid) is reported with its key: the watch reads no more than the key', async () => {
  const path = storePath();
  const d = new IODict(path);
  d.set('k', 1);
  const feed = d.watch();
  const digest = Buffer.from(createHash('sha3-224').update('a').digest());
  fs.appendFileSync(`${path}/.iodict/changes`, Buffer.concat([journalEntry(JOURNAL.SET, { stamp: 1n, digest, keyEntries: 3 }), keyEntry('a', 0), keyEntry('a', 1), keyEntry('a', 2)]));
  d.set('end', 0);
  const heard = [];
  for (let change; (change = (await feed.next()).value).key !== 'end';) heard.push(`${change.type} ${change.key}`);
  await feed.return();
  assert.equal(heard, ['set a']);
  d.close();
});

/** 2M valid SET entries of records that do not exist, appended to the store's journal. */
function padJournal(path, count) {
  const entries = Buffer.alloc(64 * count);
  const digest = Buffer.alloc(28);
  for (let i = 0; i < count; i++) {
    digest.writeUInt32LE(i); // a distinct digest each (no record has it)
    journalEntry(JOURNAL.SET, { stamp: BigInt(i + 1), digest }).copy(entries, i * 64);
  }
  fs.appendFileSync(`${path}/.iodict/changes`, entries);
}

test('a journal of 2M entries after the cache is not replayed: the directory is listed, the keys are right, the next write rotates', () => {
  const path = storeWithCache(3);
  padJournal(path, 2_000_000);
  const host = countingHost();
  const d = new IODict(path, { host });
  assert.equal([...d.entries()], truth(3));
  assert.ok(host.bytesRead < 4 * MiB, `read ${host.bytesRead} bytes of a 128 MB journal`);
  assert.is(readCache(path).offset, BigInt(fs.statSync(`${path}/.iodict/changes`).size), 'listed: a cache at the journal\'s end replaced the old one');
  d.set('after', 1);
  assert.is(fs.statSync(`${path}/.iodict/changes`).size < 64 * 16, true, 'the write rotated the journal');
  d.close();
  const again = new IODict(path);
  assert.equal([...again.keys()], ['k0', 'k1', 'k2', 'after']);
  again.close();
});

test('a journal made sparse to 4 GiB: an opener and a handle already open both list instead of reading it, and stay right', () => {
  const path = storeWithCache(3);
  const host = countingHost();
  const live = new IODict(path, { host });
  assert.is(live.size, 3);
  fs.truncateSync(`${path}/.iodict/changes`, 4 * 2 ** 30);
  const writer = new IODict(path);
  writer.set('fresh', 1);
  writer.delete('k0');
  writer.close();
  const before = host.bytesRead;
  assert.equal([...live.keys()], ['k1', 'k2', 'fresh'], 'the open handle skipped the hole and listed');
  assert.ok(host.bytesRead - before < 16 * MiB, `read ${host.bytesRead - before} bytes of a 4 GiB journal`);
  const seen = inChild(`const d = new IODict(path); const keys = [...d.keys()]; d.set('more', 2); d.close(); console.log(JSON.stringify({ keys, rss: process.memoryUsage().rss }));`, path);
  assert.equal(seen.keys, ['k1', 'k2', 'fresh']);
  assert.ok(seen.rss < 300 * 2 ** 20, `RSS ${Math.round(seen.rss / 2 ** 20)} MiB`);
  assert.ok(fs.statSync(`${path}/.iodict/changes`).size < 2 ** 20, 'a write rotated the sparse journal away');
  assert.equal([...live.keys()], ['k1', 'k2', 'fresh', 'more']);
  live.close();
});

test('a watcher whose journal is made sparse to 4 GiB skips the hole: a rescan or two, then the next change', async () => {
  const path = storeWithCache(1);
  const host = countingHost();
  const d = new IODict(path, { host });
  // The signal only turns a missing change into a failure instead of a stuck test run.
  const changes = d.watch({ pollInterval: 10, signal: AbortSignal.timeout(60_000) });
  const first = changes.next(); // the cursor starts at the journal's end
  fs.truncateSync(`${path}/.iodict/changes`, 4 * 2 ** 30);
  const writer = new IODict(path);
  writer.set('after', 1);
  writer.close();
  const before = host.bytesRead;
  const seen = [(await first).value];
  while (seen.at(-1).type !== 'set' && seen.length < 10) seen.push((await changes.next()).value);
  await changes.return();
  assert.ok(seen.length <= 3 && seen.slice(0, -1).every((c) => c.type === 'rescan'), JSON.stringify(seen.map((c) => c.type)));
  assert.is(seen.at(-1).key, 'after');
  assert.ok(host.bytesRead - before < 16 * MiB, `read ${host.bytesRead - before} bytes of a 4 GiB journal`);
  d.close();
});

test('iodict stat and verify of a store whose journal and cache are sparse 4 GiB files read only their first bytes', () => {
  const path = storeWithCache(3);
  fs.truncateSync(`${path}/.iodict/changes`, 4 * 2 ** 30);
  fs.truncateSync(`${path}/.iodict/index`, 4 * 2 ** 30);
  const run = (args) => runCli(args, { timeout: 60_000 });
  const stat = run(['stat', path, '--json']);
  assert.is(stat.code, 0, stat.stderr);
  const s = JSON.parse(stat.stdout);
  assert.is(s.items, 3);
  assert.equal(s.journal, { bytes: 4 * 2 ** 30, entries: 2 ** 26 });
  // Counting the items loaded the index, which listed the directory and wrote a true cache.
  assert.equal({ ...s.cache, bytes: s.cache.bytes < 4096 }, { bytes: true, entries: 3, current: true });
  const verify = run(['verify', path]);
  assert.is(verify.code, 0, verify.stderr);
});

test('a journal that grew past the replay bound while rotation was held off is still followed: every change is seen', () => {
  const path = storeWithCache(0);
  const reader = new IODict(path, { rotateAfter: 1 });
  assert.is(reader.size, 0);
  // Another handle holds the store lock, so no one rotates; 300 changes exceed the reader's bound (2 * (1 + items)).
  const writer = new IODict(path);
  writer.transact(() => {
    for (let i = 0; i < 300; i++) writer.set(`w${i}`, i);
    for (let i = 0; i < 100; i++) writer.delete(`w${i}`);
  });
  assert.equal([...reader.keys()], Array.from({ length: 200 }, (_, i) => `w${i + 100}`));
  writer.close();
  reader.close();
});

test('a SEALED entry naming the journal it is in (crafted) sends no reader or watcher round that journal forever', () => {
  const path = storeWithCache(2);
  // In a child with a time limit: before the fix, keys() there never returned.
  const seen = inChild(`
    import('node:fs').then(async ({ default: fs }) => {
      const { journalEntry, JOURNAL } = await import(${JSON.stringify(new URL('./support/format-reader.mjs', import.meta.url).href)});
      const live = new IODict(path);
      live.size;
      const changes = live.watch({ pollInterval: 10 });
      const journal = path + '/.iodict/changes';
      // SEALED, naming this journal's own id as its successor
      fs.appendFileSync(journal, journalEntry(JOURNAL.SEALED, { stamp: fs.readFileSync(journal).readBigUInt64LE(16) }));
      const writer = new IODict(path);
      writer.set('after', 1);
      writer.close();
      const keys = [...live.keys()];
      const types = [];
      for await (const change of changes) {
        types.push(change.type);
        if (change.type === 'set') break;
      }
      const fresh = new IODict(path);
      const freshKeys = [...fresh.keys()];
      fresh.close();
      live.close();
      console.log(JSON.stringify({ keys, types, freshKeys }));
    });`, path);
  assert.equal(seen.keys, ['k0', 'k1', 'after']);
  assert.equal(seen.freshKeys, ['k0', 'k1', 'after']);
  assert.equal(seen.types, ['rescan', 'set'], 'the seal is damage: one rescan, then the write after it');
});

test('finding 6: the marker\'s version is a bounded number (4294967297 never wraps to 1), and only the marker\'s first bytes are read', () => {
  const path = storePath();
  new IODict(path).set('a', 1).close();
  fs.writeFileSync(`${path}/.iodict/format`, 'iodict-store 4294967297\n');
  const seen = inChild(`try { new IODict(path); console.log(JSON.stringify('opened')); } catch (e) { console.log(JSON.stringify(e.code)); }`, path);
  assert.is(seen, 'EFORMAT');
  // A marker padded to 4 GiB (sparse) is read no further than its lines.
  fs.writeFileSync(`${path}/.iodict/format`, 'iodict-store 2\nkind dict\n');
  fs.truncateSync(`${path}/.iodict/format`, 4 * 2 ** 30);
  const host = countingHost();
  const d = new IODict(path, { host });
  assert.equal([...d.keys()], ['a']);
  assert.ok(host.bytesRead < MiB, `read ${host.bytesRead} bytes`);
  d.close();
  const opened = inChild(`const d = new IODict(path); const keys = [...d.keys()]; d.close(); console.log(JSON.stringify({ keys, rss: process.memoryUsage().rss }));`, path);
  assert.equal(opened.keys, ['a']);
  assert.ok(opened.rss < 300 * 2 ** 20, `RSS ${Math.round(opened.rss / 2 ** 20)} MiB`);
});

test.run();
