import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { IODict, AsyncIODict, DurableQueue, StoreError } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { journalEntry, JOURNAL } from './support/format-reader.mjs';
import { runChild } from './support/children.mjs';

const worker = new URL('./workers/watch-worker.mjs', import.meta.url).pathname;

/** A child that prints JSON lines: every complete line so far, and a wait for the nth. */
function lineChild(args) {
  const child = spawn(process.execPath, [worker, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let partial = '';
  let err = '';
  let waiter;
  child.stdout.on('data', (d) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop();
    for (const p of parts) lines.push(JSON.parse(p));
    waiter?.();
  });
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('close', resolve));
  return {
    lines,
    /** Resolves once `n` lines (that `counts`) arrived; rejects if the child exits first. */
    until(n, counts = () => true) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (lines.filter(counts).length >= n) {
            waiter = undefined;
            resolve(lines);
          }
        };
        waiter = check;
        check();
        exited.then(() => lines.filter(counts).length < n && reject(new Error(`watcher exited after ${lines.length} lines: ${err}`)));
      });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** SET and DELETE digests of the journal, in order, read straight from .iodict/changes (FORMAT.md 8). */
function journalDigests(path) {
  const buf = fs.readFileSync(`${path}/.iodict/changes`);
  const out = [];
  for (let at = 0; at + 64 <= buf.length; at += 64) {
    if (buf[at + 4] === 2 || buf[at + 4] === 3) out.push(buf.subarray(at + 24, at + 52).toString('hex'));
  }
  return out;
}
const digestOf = (key) => createHash('sha3-224').update(key).digest('hex');

for (const batch of [undefined, 100]) {
  test(`a watcher sees every change of a 10,000-write burst from two other processes${batch ? ', in batches of 100 (journal read per 32 items)' : ''}, in journal order`, async () => {
    const path = storePath();
    const d = new IODict(path);
    const changes = d.watch();
    const count = 5000;
    const writers = Promise.all(['a', 'b'].map((prefix) => runChild(worker, { role: 'write', path, prefix, count, batch })));
    const seen = [];
    for await (const change of changes) {
      seen.push(change);
      if (seen.length === 2 * count) break;
    }
    await writers;
    assert.ok(seen.every((c) => c.type === 'set'));
    assert.equal(seen.map((c) => digestOf(c.key)), journalDigests(path), 'the journal order, every entry once');
    for (const prefix of ['a', 'b']) {
      const mine = seen.filter((c) => c.key.startsWith(prefix)).map((c) => Number(c.key.slice(1)));
      assert.equal(mine, Array.from({ length: count }, (_, i) => i), `every write of ${prefix}, in its order`);
    }
    d.close();
  });
}

test('a watcher killed and restarted from its last position misses nothing and repeats nothing', async () => {
  const path = storePath();
  new IODict(path).close();
  const first = lineChild({ role: 'watch', path });
  await first.until(1); // its cursor started
  const count = 3000;
  const writing = runChild(worker, { role: 'write', path, prefix: 'k', count });
  await first.until(1 + 500);
  await first.kill();
  const before = first.lines.slice(1);
  const since = before.at(-1).position;
  const second = lineChild({ role: 'watch', path, since });
  await writing;
  const isSet = (line) => line.type === 'set';
  await second.until(count - before.filter(isSet).length, isSet);
  await second.kill();
  const all = [...before, ...second.lines.slice(1)];
  // The killed watcher's handle left its registration: a writer that finds it lists the
  // directory and says so in the journal (FORMAT.md 7.2), which watchers report as 'rescan'.
  assert.ok(all.every((c) => c.type === 'set' || c.type === 'rescan'), 'only sets and rescans');
  const keys = all.filter((c) => c.type === 'set').map((c) => c.key);
  assert.equal(keys, Array.from({ length: count }, (_, i) => `k${i}`));
  assert.is(new Set(all.map((c) => c.position)).size, all.length, 'no position twice');
});

test('watch({ since }) says plainly when its position was compacted away, and refuses a malformed one', async () => {
  const path = storePath();
  const d = new IODict(path, { rotateAfter: 1 });
  const changes = d.watch();
  d.set('a', 1);
  const { value } = await changes.next();
  assert.is(value.key, 'a');
  await changes.return();
  assert.is(d.size, 1); // a handle rotates once its index is loaded
  for (let i = 0; i < 8; i++) d.set(`r${i}`, i); // rotates the journal
  try {
    d.watch({ since: value.position });
    assert.unreachable('a rotated-away position must not resume');
  } catch (error) {
    assert.instance(error, StoreError);
    assert.is(error.code, 'ECOMPACTED');
  }
  assert.throws(() => d.watch({ since: 'nowhere' }), RangeError);
  d.close();
});

test('a watcher follows the journal across rotations without losing or repeating a change', async () => {
  const path = storePath();
  const d = new IODict(path, { rotateAfter: 4 });
  const changes = d.watch();
  const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
  for (const key of keys) d.set(key, 1);
  d.delete('k0');
  const seen = [];
  for await (const change of changes) {
    seen.push(`${change.type} ${change.key}`);
    if (seen.length === keys.length + 1) break;
  }
  assert.equal(seen, [...keys.map((k) => `set ${k}`), 'delete k0']);
  d.close();
});

/** A journal's BEGIN (FORMAT.md 8): its id, its predecessor's id and its generation. */
function beginEntry(id, predecessor, generation) {
  const fields = Buffer.alloc(28);
  fields.writeBigUInt64LE(predecessor, 0);
  fields.writeBigUInt64LE(generation, 8);
  return journalEntry(JOURNAL.BEGIN, { stamp: id, digest: fields });
}

/** A SEALED entry naming the successor's id and generation. */
function sealEntry(successor, generation) {
  const fields = Buffer.alloc(28);
  fields.writeBigUInt64LE(generation, 0);
  return journalEntry(JOURNAL.SEALED, { stamp: successor, digest: fields });
}

/** An event-loop turn: every microtask before it has run (a watch's read after its last change). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

for (const holder of ['async', 'none']) {
  const what = holder === 'async'
    ? 'a watch whose journal is renamed over while another handle holds the store lock (a rotator before its seal) waits for the seal: every change, no rescan'
    : 'a watch whose journal is renamed over with no seal and the store lock free (the rotator died) moves on and says rescan';
  test(what, async () => {
    const path = storePath();
    const writer = new IODict(path);
    const stop = new AbortController();
    const watcher = new IODict(path);
    const changes = watcher.watch({ signal: stop.signal });
    let next = changes.next();
    const hear = async () => {
      let timer;
      const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no change within 20 s')), 20_000)));
      const { value } = await Promise.race([next, late]).finally(() => clearTimeout(timer));
      next = changes.next();
      return `${value.type} ${value.key}`;
    };
    writer.set('ready', 0);
    assert.is(await hear(), 'set ready');
    const locker = holder === 'async' ? new AsyncIODict(path, { threads: 1 }) : undefined;
    const rotate = async () => {
      // FORMAT.md 8.4 step 2, by hand: a new journal renamed over the old one, which the writer
      // (and the watch) still have open; the writer has not noticed and appends to the old file.
      const journal = `${path}/.iodict/changes`;
      const old = fs.readFileSync(journal);
      const [oldId, generation] = [old.readBigUInt64LE(16), old.readBigUInt64LE(32)];
      const newId = 0x0123456789abcdefn;
      fs.writeFileSync(`${journal}.next`, beginEntry(newId, oldId, generation + 1n));
      const oldFile = fs.openSync(journal, 'a');
      fs.renameSync(`${journal}.next`, journal);
      writer.set('during', 1);
      assert.is(await hear(), 'set during', 'the old file\'s entry');
      await turn(); // the watch reads again: nothing new, and its journal renamed over
      if (locker) {
        // Step 3: the seal, while the lock is still held.
        fs.writeSync(oldFile, sealEntry(newId, generation + 1n));
      }
      fs.closeSync(oldFile);
    };
    if (locker) await locker.transact(rotate);
    else await rotate();
    const fresh = new IODict(path); // opens the new journal (the writer notices it later, 8.2)
    fresh.set('after', 2);
    fresh.close();
    const heard = [await hear()];
    if (heard[0] === 'rescan undefined') heard.push(await hear());
    assert.equal(heard, locker ? ['set after'] : ['rescan undefined', 'set after']);
    stop.abort();
    await next.catch(() => {});
    await locker?.close();
    watcher.close();
    writer.close();
  });
}

test('an aborted watch ends its iteration with the signal reason; evictions and expiries show with their cause', async () => {
  const path = storePath();
  let now = 1_700_000_000_000;
  const d = new IODict(path, { maxItems: 2, clock: () => now });
  const controller = new AbortController();
  const changes = d.watch({ signal: controller.signal });
  d.set('a', 1).set('b', 2, { ttl: 10 });
  d.set('c', 3); // evicts a
  now += 10;
  assert.is(d.get('b'), undefined); // expired: removed on the way
  const seen = [];
  for await (const { type, key } of changes) {
    seen.push(`${type} ${key}`);
    if (seen.length === 5) break;
  }
  assert.equal(seen, ['set a', 'set b', 'set c', 'evict a', 'expire b']);
  const waiting = d.watch({ signal: controller.signal });
  const pending = waiting.next();
  controller.abort(new Error('enough'));
  try {
    await pending;
    assert.unreachable('abort must end the iteration');
  } catch (error) {
    assert.is(error.message, 'enough');
  }
  d.close();
});

test('a batch (setMany) shows as one set per item, with its key, in order, across its journal groups', async () => {
  const path = storePath();
  const d = new IODict(path);
  const controller = new AbortController();
  const changes = d.watch({ signal: controller.signal });
  // 70 items: read back in groups of 32, 32 and 6; one key takes three KEY entries (100 bytes).
  const keys = Array.from({ length: 70 }, (_, i) => (i === 40 ? 'long'.repeat(25) : `k${i}`));
  d.setMany(keys.map((key, i) => [key, i]));
  d.delete('k1');
  const expected = [...keys.map((key) => `set ${key}`), 'delete k1'];
  const seen = [];
  for await (const { type, key } of changes) {
    seen.push(`${type} ${key}`);
    if (seen.length === expected.length) break;
  }
  assert.equal(seen, expected);
  d.close();
});

test('DurableQueue.watch() reports puts and gets from other handles', async () => {
  const path = storePath();
  const q = new DurableQueue(path);
  const changes = q.watch();
  const other = new DurableQueue(path);
  other.putNowait('x');
  other.putNowait('y');
  assert.is(q.getNowait(), 'x');
  const seen = [];
  for await (const change of changes) {
    seen.push(change);
    if (seen.length === 3) break;
  }
  assert.equal(seen.map((c) => c.type), ['set', 'set', 'delete']);
  assert.instance(seen[0].key, Uint8Array);
  assert.equal(seen[2].key, seen[0].key, 'the get names the item the first put made');
  other.close();
  q.close();
});

test.run();
