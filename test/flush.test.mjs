// FlushQueue and withFlush against the real DurableQueue (the unit tests in queue.test.mjs use a fake).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { FlushQueue, withFlush, DurableQueue } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

test('flush then ingest restores every item in its original order and removes the directory', async () => {
  const path = storePath();
  const before = new FlushQueue({ path });
  const items = [1, 'two', { three: [3] }, new Map([[4, 'four']]), 5n];
  for (const item of items) before.putNowait(item);
  assert.is(await before.flush(), items.length);
  assert.ok(before.empty());
  const onDisk = new DurableQueue(path);
  assert.is(onDisk.qsize(), items.length, 'the items are a DurableQueue on disk');
  onDisk.close();
  const after = new FlushQueue({ path });
  assert.is(await after.ingest(), items.length);
  assert.equal(Array.from(items, () => after.getNowait()), items);
  assert.not.ok(fs.existsSync(path));
});

test('ingest of a missing directory is a no-op', async () => {
  const q = new FlushQueue({ path: storePath() });
  assert.is(await q.ingest(), 0);
  assert.ok(q.empty());
});

test('withFlush adds flush/ingest to any class with putNowait/getNowait', async () => {
  class ArrayQueue {
    items = [];
    putNowait(x) {
      this.items.push(x);
    }
    getNowait() {
      if (this.items.length === 0) throw new Error('empty');
      return this.items.shift();
    }
    qsize() {
      return this.items.length;
    }
  }
  const Flushing = withFlush(ArrayQueue);
  const path = storePath();
  const a = new Flushing();
  a.putNowait('x');
  a.putNowait('y');
  assert.is(await a.flush(path), 2);
  const b = new Flushing();
  assert.is(await b.ingest(path), 2);
  assert.equal(b.items, ['x', 'y']);
});

test.run();
