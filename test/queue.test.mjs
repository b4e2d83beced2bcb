// Tests for host/queue/queue.ts (Queue) and host/queue/flush.ts (withFlush, FlushQueue).
// The TypeScript sources are bundled on the fly with esbuild, then imported.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSync } from 'esbuild';
import { hostBundleOptions } from './support/bundle.mjs';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-queue-test-'));
const bundle = path.join(tmp, 'queue.bundle.mjs');
buildSync({
  stdin: {
    contents: [
      "export * from './host/errors.ts';",
      "export * from './host/queue/queue.ts';",
      "export * from './host/queue/flush.ts';",
    ].join('\n'),
    resolveDir: root,
    sourcefile: 'queue-entry.ts',
    loader: 'ts',
  },
  ...hostBundleOptions,
  outfile: bundle,
  format: 'esm',
  sourcemap: 'inline', // lets c8 attribute coverage to host/queue/*.ts
});
const { Queue, QueueClosed, Empty, Full, ValueError, FlushQueue, FlushError, withFlush, setDiskQueueFactory } =
  await import(pathToFileURL(bundle).href);

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Resolves with the error a promise rejects with; fails if it resolves. */
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new assert.Assertion({ message: 'expected a rejection', generated: false });
}

/** Settled state of a promise after pending microtasks and one macrotask turn. */
async function state(promise) {
  let s = 'pending';
  promise.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return s;
}

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

// ---------------------------------------------------------------- Queue

test('FIFO order, qsize/empty/full', async () => {
  const q = new Queue();
  assert.is(q.maxsize, 0);
  assert.ok(q.empty());
  assert.not.ok(q.full());
  for (let i = 0; i < 5; i++) await q.put(i);
  q.putNowait(5);
  assert.is(q.qsize(), 6);
  assert.not.ok(q.empty());
  const out = [];
  for (let i = 0; i < 3; i++) out.push(q.getNowait());
  for (let i = 0; i < 3; i++) out.push(await q.get());
  assert.equal(out, [0, 1, 2, 3, 4, 5]);
  assert.ok(q.empty());
});

test('FIFO holds across head-index compaction (large interleaved traffic)', () => {
  const q = new Queue();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3000; i++) q.putNowait(next++);
    for (let i = 0; i < 2500; i++) assert.is(q.getNowait(), expected++);
  }
  while (!q.empty()) assert.is(q.getNowait(), expected++);
  assert.is(expected, next);
  q.putNowait(undefined); // undefined is a valid item
  assert.is(q.qsize(), 1);
  assert.is(q.getNowait(), undefined);
});

test('maxsize: full(), putNowait throws Full, put({block:false}) rejects Full', async () => {
  const q = new Queue({ maxsize: 2 });
  assert.is(q.maxsize, 2);
  q.putNowait('a');
  await q.put('b');
  assert.ok(q.full());
  assert.throws(() => q.putNowait('c'), (e) => e instanceof Full);
  assert.instance(await rejection(q.put('c', { block: false })), Full);
  assert.is(q.qsize(), 2);
  assert.ok(new Queue({ maxsize: -1 }).maxsize <= 0);
  const unbounded = new Queue({ maxsize: -1 });
  for (let i = 0; i < 100; i++) unbounded.putNowait(i);
  assert.not.ok(unbounded.full());
  assert.throws(() => new Queue({ maxsize: NaN }), (e) => e instanceof RangeError);
});

test('getNowait throws Empty, get({block:false}) rejects Empty', async () => {
  const q = new Queue();
  assert.throws(() => q.getNowait(), (e) => e instanceof Empty);
  assert.instance(await rejection(q.get({ block: false })), Empty);
});

test('get timeout rejects Empty after >= timeout', async () => {
  const q = new Queue();
  const t0 = performance.now();
  const error = await rejection(q.get({ timeout: 50 }));
  const elapsed = performance.now() - t0;
  assert.instance(error, Empty);
  assert.ok(elapsed >= 48, `elapsed ${elapsed}`);
  assert.ok(elapsed < 2000, `elapsed ${elapsed}`);
  assert.is(timers(), 0);
});

test('put timeout rejects Full after >= timeout, item not added', async () => {
  const q = new Queue({ maxsize: 1 });
  q.putNowait(1);
  const t0 = performance.now();
  const error = await rejection(q.put(2, { timeout: 30 }));
  const elapsed = performance.now() - t0;
  assert.instance(error, Full);
  assert.ok(elapsed >= 28 && elapsed < 2000, `elapsed ${elapsed}`);
  assert.is(q.qsize(), 1);
  assert.is(q.getNowait(), 1);
  assert.ok(q.empty());
});

test('negative or NaN timeout -> RangeError', async () => {
  const q = new Queue({ maxsize: 1 });
  assert.instance(await rejection(q.get({ timeout: -1 })), RangeError);
  assert.instance(await rejection(q.get({ timeout: NaN })), RangeError);
  assert.instance(await rejection(q.put(1, { timeout: -5 })), RangeError);
  assert.is(q.qsize(), 0);
});

test('timeout 0: tries now, then waits one timer tick', async () => {
  const q = new Queue();
  q.putNowait('ready');
  assert.is(await q.get({ timeout: 0 }), 'ready');
  // An item put later in the same tick still satisfies it ...
  const p = q.get({ timeout: 0 });
  queueMicrotask(() => q.putNowait('soon'));
  assert.is(await p, 'soon');
  // ... otherwise it rejects Empty.
  assert.instance(await rejection(q.get({ timeout: 0 })), Empty);
});

test('fairness: blocked gets are served oldest first; getNowait cannot jump the line', async () => {
  const q = new Queue();
  const order = [];
  const gets = [1, 2, 3].map((n) => q.get().then((v) => (order.push(n), v)));
  assert.is(await state(gets[0]), 'pending');
  q.putNowait('a');
  assert.throws(() => q.getNowait(), (e) => e instanceof Empty); // 'a' already belongs to the 1st waiter
  q.putNowait('b');
  await q.put('c');
  assert.equal(await Promise.all(gets), ['a', 'b', 'c']);
  assert.equal(order, [1, 2, 3]);
});

test('a timed-out waiter leaves the line without disturbing the others', async () => {
  const q = new Queue();
  const g1 = q.get();
  const g2 = q.get({ timeout: 10 });
  const g3 = q.get();
  assert.instance(await rejection(g2), Empty);
  q.putNowait(1);
  q.putNowait(2);
  assert.equal(await Promise.all([g1, g3]), [1, 2]);
});

test('blocked put is released by a get; blocked puts are served in order', async () => {
  const q = new Queue({ maxsize: 1 });
  q.putNowait(0);
  const p1 = q.put(1);
  const p2 = q.put(2);
  assert.is(await state(p1), 'pending');
  assert.is(q.getNowait(), 0);
  await p1;
  assert.is(await state(p2), 'pending');
  assert.throws(() => q.putNowait(9), (e) => e instanceof Full); // the freed slot went to p1
  assert.is(await q.get(), 1);
  await p2;
  assert.is(q.getNowait(), 2);
  assert.ok(q.empty());
});

test('no timers left after a timed get/put is satisfied', async () => {
  const q = new Queue({ maxsize: 1 });
  assert.is(timers(), 0);
  const g = q.get({ timeout: 60_000 });
  assert.is(timers(), 1);
  q.putNowait('x');
  assert.is(await g, 'x');
  assert.not.ok(process.getActiveResourcesInfo().includes('Timeout'));
  q.putNowait('y');
  const p = q.put('z', { timeout: 60_000 });
  assert.is(timers(), 1);
  assert.is(q.getNowait(), 'y');
  await p;
  assert.not.ok(process.getActiveResourcesInfo().includes('Timeout'));
});

test('taskDone/join', async () => {
  const q = new Queue();
  await q.join(); // nothing put yet
  q.putNowait(1);
  q.putNowait(2);
  const joined = q.join();
  q.getNowait();
  q.getNowait();
  assert.is(await state(joined), 'pending'); // got but not done
  q.taskDone();
  assert.is(await state(joined), 'pending');
  q.taskDone();
  await joined;
  assert.throws(() => q.taskDone(), (e) => e instanceof ValueError && /too many times/.test(e.message));
});

test('close: puts fail, queued items drain, then gets reject QueueClosed; idempotent', async () => {
  const q = new Queue();
  q.putNowait(1);
  q.putNowait(2);
  q.close();
  q.close();
  assert.ok(q.closed);
  assert.throws(() => q.putNowait(3), (e) => e instanceof QueueClosed);
  assert.instance(await rejection(q.put(3)), QueueClosed);
  assert.is(q.getNowait(), 1);
  assert.is(await q.get(), 2);
  assert.throws(() => q.getNowait(), (e) => e instanceof QueueClosed);
  assert.instance(await rejection(q.get()), QueueClosed);
  assert.instance(await rejection(q.get({ timeout: 10 })), QueueClosed);
});

test('close rejects pending blocked gets and puts', async () => {
  const q = new Queue();
  const g1 = q.get();
  const g2 = q.get({ timeout: 60_000 });
  q.close();
  assert.instance(await rejection(g1), QueueClosed);
  assert.instance(await rejection(g2), QueueClosed);
  assert.is(timers(), 0);

  const b = new Queue({ maxsize: 1 });
  b.putNowait('kept');
  const p = b.put('dropped', { timeout: 60_000 });
  b.close();
  assert.instance(await rejection(p), QueueClosed);
  assert.is(timers(), 0);
  assert.is(b.getNowait(), 'kept');
  assert.throws(() => b.getNowait(), (e) => e instanceof QueueClosed);
});

test('async iteration yields in order and ends on close once drained', async () => {
  const q = new Queue({ maxsize: 2 });
  const seen = [];
  const consumer = (async () => {
    for await (const item of q) {
      seen.push(item);
      q.taskDone();
    }
  })();
  for (let i = 0; i < 10; i++) await q.put(i);
  await q.join();
  await q.put(10);
  q.close();
  await consumer;
  assert.equal(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('subclass swaps the storage through the protected hooks', async () => {
  // A LIFO stack fed from outside: the waiter logic is inherited.
  class Stack extends Queue {
    items = [];
    qsize() {
      return this.items.length;
    }
    _tryPut(item) {
      if (this.full()) return false;
      this.items.push(item);
      return true;
    }
    _tryGet() {
      return this.items.length ? { ok: true, value: this.items.pop() } : { ok: false };
    }
    external(item) {
      this.items.push(item);
      this._notifyItem();
    }
  }
  const s = new Stack({ maxsize: 2 });
  s.putNowait(1);
  s.putNowait(2);
  assert.ok(s.full());
  assert.is(s.getNowait(), 2);
  const g = new Stack();
  const waiting = g.get();
  g.external('from outside');
  assert.is(await waiting, 'from outside');
});

// ---------------------------------------------------------------- flush / ingest

/** In-memory disk: path -> array; records calls. */
const disk = new Map();
const calls = [];
class FakeDiskQueue {
  constructor(p) {
    this.path = p;
    if (!disk.has(p)) disk.set(p, []);
    calls.push(['open', p]);
  }
  get items() {
    return disk.get(this.path);
  }
  putNowait(item) {
    if (item === 'poison') throw new Error('disk full');
    this.items.push(item);
  }
  getNowait() {
    if (!this.items.length) throw new Empty();
    return this.items.shift();
  }
  qsize() {
    return this.items.length;
  }
  close() {
    calls.push(['close', this.path]);
  }
  destroy() {
    calls.push(['destroy', this.path]);
    disk.delete(this.path);
    fs.rmSync(this.path, { recursive: true, force: true });
  }
}
setDiskQueueFactory((p) => new FakeDiskQueue(p));
const reset = () => {
  disk.clear();
  calls.length = 0;
};

test('flush moves items in order to the default path and closes the disk queue', async () => {
  reset();
  const dir = path.join(tmp, 'flush-default');
  const q = new FlushQueue({ maxsize: 10, path: dir });
  assert.is(q.maxsize, 10);
  assert.is(q.flushPath, dir);
  for (const x of ['a', 'b', 'c']) q.putNowait(x);
  assert.is(await q.flush(), 3);
  assert.ok(q.empty());
  assert.equal(disk.get(dir), ['a', 'b', 'c']);
  assert.equal(calls, [['open', dir], ['close', dir]]);
  await q.join(); // flushed items count as done
});

test('flush to an explicit path; empty queue opens nothing; no path -> TypeError', async () => {
  reset();
  const q = new FlushQueue();
  assert.is(await q.flush(path.join(tmp, 'nothing')), 0);
  assert.equal(calls, []);
  q.putNowait(1);
  assert.instance(await rejection(q.flush()), TypeError);
  assert.instance(await rejection(q.ingest()), TypeError);
  assert.throws(() => q.flushOnExit(), (e) => e instanceof TypeError);
  const dir = path.join(tmp, 'explicit');
  assert.is(await q.flush(dir), 1);
  assert.equal(disk.get(dir), [1]);
});

test('flush works on a closed queue and reports a disk failure with the item in hand', async () => {
  reset();
  const dir = path.join(tmp, 'poisoned');
  const q = new FlushQueue({ path: dir });
  for (const x of [1, 'poison', 3]) q.putNowait(x);
  q.close();
  const error = await rejection(q.flush());
  assert.instance(error, FlushError);
  assert.is(error.item, 'poison');
  assert.is(error.count, 1);
  assert.is(error.cause.message, 'disk full');
  assert.equal(disk.get(dir), [1]);
  assert.equal(calls.at(-1), ['close', dir]);
  assert.is(q.getNowait(), 3);
});

test('ingest of a missing directory is a no-op returning 0', async () => {
  reset();
  const q = new FlushQueue({ path: path.join(tmp, 'does-not-exist') });
  assert.is(await q.ingest(), 0);
  assert.equal(calls, []);
  assert.ok(q.empty());
});

test('ingest moves items back in order and destroys the disk queue', async () => {
  reset();
  const dir = fs.mkdtempSync(path.join(tmp, 'ingest-'));
  const q = new FlushQueue({ path: dir });
  for (const x of [1, 2, 3]) q.putNowait(x);
  assert.is(await q.flush(), 3);
  q.putNowait(0); // items already in memory stay first
  assert.is(await q.ingest(), 3);
  assert.equal([q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()], [0, 1, 2, 3]);
  assert.not.ok(fs.existsSync(dir));
  assert.not.ok(disk.has(dir));
  assert.equal(calls.at(-1), ['destroy', dir]);
});

test('ingest stops with Full, leaving the rest on disk in order', async () => {
  reset();
  const dir = fs.mkdtempSync(path.join(tmp, 'ingest-full-'));
  disk.set(dir, [1, 2, 3, 4]);
  const q = new FlushQueue({ maxsize: 2, path: dir });
  assert.instance(await rejection(q.ingest()), Full);
  assert.equal(disk.get(dir), [3, 4]);
  assert.ok(fs.existsSync(dir));
  assert.equal(calls.at(-1), ['close', dir]);
  assert.equal([q.getNowait(), q.getNowait()], [1, 2]);
  assert.is(await q.ingest(), 2);
  assert.equal([q.getNowait(), q.getNowait()], [3, 4]);
  assert.not.ok(fs.existsSync(dir));
});

test('withFlush works on other Flushable bases', async () => {
  reset();
  class Plain {
    items = [];
    constructor(opts) {
      this.opts = opts;
    }
    putNowait(x) {
      if (this.items.length >= 2) throw new Full();
      this.items.push(x);
    }
    getNowait() {
      if (!this.items.length) throw new Empty();
      return this.items.shift();
    }
  }
  const Flushed = withFlush(Plain);
  const dir = fs.mkdtempSync(path.join(tmp, 'plain-'));
  const p = new Flushed({ path: dir });
  assert.equal(p.opts, { path: dir });
  p.putNowait('x');
  assert.is(await p.flush(), 1);
  disk.get(dir).push('y', 'z');
  // No full(): the item refused by putNowait goes back to disk (last) instead of being lost.
  assert.instance(await rejection(p.ingest()), Full);
  assert.equal(p.items, ['x', 'y']);
  assert.equal(disk.get(dir), ['z']);
});

test('flushOnExit registers handlers, flushes on beforeExit, and unregisters', async () => {
  reset();
  const dir = path.join(tmp, 'on-exit');
  const q = new FlushQueue({ path: dir });
  const events = ['beforeExit', 'exit', 'SIGINT', 'SIGTERM'];
  const before = events.map((e) => process.listenerCount(e));
  const unregister = q.flushOnExit();
  assert.equal(
    events.map((e) => process.listenerCount(e)),
    before.map((n) => n + 1),
  );
  q.putNowait('a');
  q.putNowait('b');
  process.listeners('beforeExit').at(-1)(0); // call our handler only
  assert.equal(disk.get(dir), ['a', 'b']);
  unregister();
  unregister();
  assert.equal(
    events.map((e) => process.listenerCount(e)),
    before,
  );
});

test('flushOnExit flushes on SIGTERM and the process still dies by the signal', () => {
  const out = path.join(tmp, 'sigterm.json');
  const script = `
    import fs from 'node:fs';
    const { FlushQueue, setDiskQueueFactory } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const items = [];
    setDiskQueueFactory(() => ({
      putNowait: (x) => items.push(x), getNowait() {}, qsize: () => items.length,
      close: () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify(items)), destroy() {},
    }));
    const q = new FlushQueue({ path: 'unused' });
    q.flushOnExit();
    for (let i = 0; i < 3; i++) q.putNowait(i);
    setInterval(() => {}, 1000); // keep alive
    process.kill(process.pid, 'SIGTERM');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  assert.is(r.stderr, '');
  assert.is(r.signal, 'SIGTERM');
  assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')), [0, 1, 2]);
});

test.run();
