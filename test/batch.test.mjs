// Batches: setMany/update/fromKeys on IODict and putMany on DurableQueue give the result of the
// single calls in order, with one group commit; a failure part way says which items landed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, DurableQueue, BatchError, StoreError, Full, nodeHost, Errno, jsonCodec } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { faultyHost } from './support/faulty-host.mjs';

const tempFiles = (path) => fs.readdirSync(`${path}/.iodict/tmp`);

for (const durability of ['none', 'fsync']) {
  test(`setMany [${durability}] gives what set() one by one gives: order, overwrites in place, repeated keys`, () => {
    const steps = [['a', 1], ['b', 2], ['a', 3], [7, 'seven'], [new Uint8Array([1, 2]), 'bytes'], ['c', { deep: [1] }], ['b', 4]];
    const one = new IODict(storePath(), { durability });
    one.set('z', 0).set('b', -1);
    for (const [k, v] of steps) one.set(k, v);
    const path = storePath();
    const many = new IODict(path, { durability });
    many.set('z', 0).set('b', -1);
    assert.is(many.setMany(steps), many);
    assert.equal([...many], [...one]);
    const fresh = new IODict(path);
    assert.equal([...fresh], [...one], 'on disk, through a fresh handle');
    assert.equal(tempFiles(path), [], 'no temp file left');
    for (const d of [one, many, fresh]) d.close();
  });
}

/** nodeHost with a count of its fsync calls, and of its syncfs calls by what each returned. */
function countingHost(base) {
  const counts = { fsync: 0, syncfs: 0, declined: 0 };
  const host = Object.create(base);
  host.fsync = (fd) => (counts.fsync++, base.fsync(fd));
  host.syncfs = (fd, files) => {
    const r = base.syncfs(fd, files);
    counts[r === 0 ? 'syncfs' : 'declined']++;
    return r;
  };
  return { host, counts };
}

/** 100 fsync'd items in one setMany: the host calls it made. */
function batchCalls(hostOptions) {
  const { host, counts } = countingHost(nodeHost(hostOptions));
  const d = new IODict(storePath(), { host, durability: 'fsync' });
  d.set('one', 1);
  assert.is(d.size, 1); // the index loaded (loading it can write its cache)
  Object.assign(counts, { fsync: 0, syncfs: 0, declined: 0 });
  d.setMany(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
  assert.is(d.size, 101);
  d.close();
  return counts;
}

test('group commit under fsync: 100 items cost one syncfs and one root fsync (native), or an fsync per temp without it', () => {
  const native = batchCalls();
  // The native helper's syncfs may decline (much unwritten data on this machine, next test).
  assert.equal(native, native.syncfs ? { fsync: 1, syncfs: 1, declined: 0 } : { fsync: 101, syncfs: 0, declined: 1 });
  // Without it the host has syncfs too, and says ENOTSUP.
  assert.equal(batchCalls({ native: false }), { fsync: 101, syncfs: 0, declined: 1 });
});

const unwrittenBytes = () => {
  const info = fs.readFileSync('/proc/meminfo', 'latin1');
  return (Number(/^Dirty:\s+(\d+)/m.exec(info)[1]) + Number(/^Writeback:\s+(\d+)/m.exec(info)[1])) * 1024;
};

test('syncfs is declined while the system holds more unwritten data than the fsyncs it replaces would write: the batch fsyncs each file', () => {
  const host = nodeHost();
  const fd = host.open(storePath('..'), 64);
  const supported = host.syncfs(fd, 1e6) === 0; // room for any amount: declined only where unsupported
  const dirty = `${storePath()}.dirty`;
  try {
    if (!supported) return console.log('  (skipped: no syncfs here)');
    // 96 MiB written and not synced: more than 100 files' allowance (16 MiB + 256 KiB each).
    fs.writeFileSync(dirty, Buffer.alloc(96 << 20, 1));
    if (unwrittenBytes() < 64 << 20) return console.log('  (skipped: this file system keeps no unwritten pages, as tmpfs)');
    assert.is(host.syncfs(fd, 100), -Errno.ENOTSUP);
    assert.equal(batchCalls(), { fsync: 101, syncfs: 0, declined: 1 });
    assert.is(host.syncfs(fd, 1e6), 0, 'a batch large enough to be worth it still flushes all');
  } finally {
    host.close(fd);
    fs.rmSync(dirty, { force: true });
  }
});

test('setMany on a handle whose index is not loaded yet, and seen by another open handle', () => {
  const path = storePath();
  const first = new IODict(path);
  first.set('old', 1);
  const watcher = new IODict(path);
  assert.equal([...watcher.keys()], ['old']);
  const writer = new IODict(path); // never needed its index: births come from the records
  writer.setMany([['new', 2], ['old', 3]]);
  assert.equal([...watcher], [['old', 3], ['new', 2]]);
  assert.equal([...writer], [['old', 3], ['new', 2]]);
  for (const d of [first, watcher, writer]) d.close();
});

test('a batch appends each item\'s entries as it lands and reads the journal once per 32 (four times for 100), which a live handle follows without listing the directory', () => {
  const path = storePath();
  const base = nodeHost();
  const host = Object.create(base);
  let journalFd = -1;
  const calls = [];
  host.open = (file, ...rest) => {
    const fd = base.open(file, ...rest);
    if (file.endsWith('/.iodict/changes')) journalFd = fd;
    return fd;
  };
  host.write = (fd, buf, pos) => {
    if (fd === journalFd) calls.push(buf.length / 64);
    return base.write(fd, buf, pos);
  };
  for (const name of ['rename', 'renameIfAbsent']) {
    host[name] = (from, to) => (calls.push('rename'), base[name](from, to));
  }
  host.read = (fd, buf, pos) => {
    const n = base.read(fd, buf, pos);
    // A read that fills the buffer is followed by one that finds the end: one read, as a set makes.
    if (fd === journalFd && calls.at(-1) !== 'read') calls.push('read');
    return n;
  };
  const writer = new IODict(path, { host });
  writer.set('first', 0);
  const observerBase = nodeHost();
  const observerHost = Object.create(observerBase);
  let listings = 0;
  observerHost.readdir = (dir) => (listings++, observerBase.readdir(dir));
  const observer = new IODict(path, { host: observerHost });
  assert.is(observer.size, 1);
  listings = 0;
  calls.length = 0;
  const entries = Array.from({ length: 100 }, (_, i) => [`k${i}`, i]);
  writer.setMany(entries);
  // First the journal's tail (the index the births are chosen from); then each item's rename and
  // one append of its SET entry and one KEY entry (keys up to 44 bytes); a read after each group.
  const group = (n) => [...Array.from({ length: n }, () => ['rename', 2]).flat(), 'read'];
  assert.equal(calls, ['read', ...group(32), ...group(32), ...group(32), ...group(4)]);
  assert.equal([...observer], [['first', 0], ...entries]);
  assert.is(listings, 0, 'followed from the journal alone');
  writer.close();
  observer.close();
});

test('a bounded store keeps its newest items through a batch of 100: evictions after each group, never of the last item', () => {
  const path = storePath();
  const d = new IODict(path, { maxItems: 10 });
  d.set('old', 0);
  const entries = Array.from({ length: 100 }, (_, i) => [`k${i}`, i]);
  d.setMany(entries);
  assert.equal([...d], entries.slice(90));
  const fresh = new IODict(path);
  assert.equal([...fresh], entries.slice(90), 'on disk, through a fresh handle');
  fresh.close();
  // A limit smaller than one record: the batch's last item stays, as a set's does.
  const tiny = new IODict(storePath(), { maxBytes: 1 });
  tiny.setMany(entries.slice(0, 70));
  assert.equal([...tiny], [['k69', 69]]);
  tiny.close();
  d.close();
});

test('update() takes a generator, a Map or an object; fromKeys; bad keys and values change nothing', () => {
  const d = new IODict(storePath());
  d.update((function* () {
    yield ['g1', 1];
    yield ['g2', 2];
  })());
  d.update(new Map([['m', 3]])).update({ o: 4 }).fromKeys(['f1', 'f2'], 0);
  assert.equal([...d], [['g1', 1], ['g2', 2], ['m', 3], ['o', 4], ['f1', 0], ['f2', 0]]);
  assert.throws(() => d.setMany([['ok', 1], [{}, 2]]), (e) => e instanceof TypeError);
  assert.not.ok(d.has('ok'), 'nothing of a refused batch was written');
  const json = new IODict(storePath(), { codec: jsonCodec });
  assert.throws(() => json.setMany([['ok', 1], ['bad', undefined]]), (e) => e instanceof TypeError);
  assert.is(json.size, 0, 'a value the codec refuses: nothing written');
  json.close();
  d.setMany([]);
  assert.is(d.size, 6);
  d.close();
});

test('a batch larger than one chunk (2500 items) lands whole and in order', () => {
  const d = new IODict(storePath());
  const entries = Array.from({ length: 2500 }, (_, i) => [`k${i}`, i]);
  d.setMany(entries);
  assert.is(d.size, 2500);
  assert.equal([...d.keys()].slice(1020, 1030), entries.slice(1020, 1030).map(([k]) => k));
  d.close();
});

test('a rename failing part way: BatchError says how many landed; those are stored, the rest not; no temp left', () => {
  const path = storePath();
  let renames = 0;
  // New keys move in by renameIfAbsent where the host has it, by rename otherwise.
  const thirdMoveFails = (from, to) => (/tmp\//.test(from) && !to.includes('.iodict') && ++renames === 3 ? Errno.ENOSPC : 0);
  const host = faultyHost(nodeHost(), { rename: thirdMoveFails, renameIfAbsent: thirdMoveFails });
  const d = new IODict(path, { host, durability: 'fsync' });
  d.set('before', 0);
  renames = 0;
  let thrown;
  try {
    d.setMany([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
  } catch (e) {
    thrown = e;
  }
  assert.instance(thrown, BatchError);
  assert.instance(thrown, StoreError);
  assert.is(thrown.landed, 2);
  assert.is(thrown.code, 'ENOSPC');
  assert.match(thrown.message, /after 2 of 4/);
  assert.equal([...d.keys()], ['before', 'a', 'b']);
  assert.equal([...new IODict(path).keys()], ['before', 'a', 'b']);
  assert.equal(tempFiles(path), []);
  d.set('later', 5);
  assert.is(d.get('later'), 5, 'the handle keeps working');
  d.close();
});

test('a failed write or temp sync: nothing of the batch lands', () => {
  let calls = 0;
  for (const fault of [{ write: (fd, buf) => (buf.length !== 64 && ++calls === 2 ? Errno.ENOSPC : 0) }, { fsync: () => (++calls === 1 ? Errno.EIO : 0), syncfs: () => (++calls === 1 ? Errno.EIO : 0) }]) {
    const path = storePath();
    const d = new IODict(path, { host: faultyHost(nodeHost(), fault), durability: 'fsync', xattrs: 'off' });
    calls = 0;
    let thrown;
    try {
      d.setMany([['a', 1], ['b', 2], ['c', 3]]);
    } catch (e) {
      thrown = e;
    }
    assert.instance(thrown, BatchError);
    assert.is(thrown.landed, 0);
    assert.is(d.size, 0);
    assert.equal(tempFiles(path), []);
    d.close();
  }
});

test('putMany: in order after earlier puts, counted for join(); Full with nothing written when they do not fit', async () => {
  const path = storePath();
  const q = new DurableQueue(path, { maxsize: 5 });
  q.putNowait('first');
  q.putMany(['a', 'b', 'c']);
  assert.is(q.qsize(), 4);
  assert.throws(() => q.putMany(['x', 'y']), (e) => e instanceof Full);
  assert.is(q.qsize(), 4);
  const other = new DurableQueue(path);
  assert.is(other.getNowait(), 'first');
  other.close();
  const got = [];
  while (q.qsize()) {
    got.push(await q.get());
    q.taskDone();
  }
  q.taskDone();
  assert.equal(got, ['a', 'b', 'c']);
  await q.join();
  q.putMany([]);
  q.close();
});

test.run();
