// Node and Bun on the same stores, as real child processes of each runtime: what one writes the
// other reads, the record files they write for the same operations are the same bytes, their
// flocks exclude each other, and a DurableQueue shared by both delivers every item once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { IODict, DurableQueue, cbor, memoryHost, nodeHost, OpenFlags, LockMode, Errno } from '../dist/index.js';
import { storePath, tempDir } from './support/tmp.mjs';
import { runChild } from './support/children.mjs';
import { runtimes } from './support/runtimes.mjs';
import { storeOperations } from './support/operations.mjs';
import { readRecord, crc32c } from './support/format-reader.mjs';
import { readXattr } from './support/xattr.mjs';

const worker = new URL('./workers/runtime-worker.mjs', import.meta.url).pathname;
const queueWorker = new URL('./workers/queue-worker.mjs', import.meta.url).pathname;
const run = (runtime, args, options = {}) => runChild(worker, args, { runtime: runtimes[runtime], ...options });

/** What storeOperations leaves, computed in this process on an in-memory store. */
function expectedEntries() {
  const host = memoryHost();
  storeOperations('/expected', { host });
  const d = new IODict('/expected', { host });
  const entries = [...d];
  d.close();
  return entries;
}

async function writtenBy(runtime) {
  const path = storePath();
  assert.is((await run(runtime, { role: 'write', path })).runtime, runtime);
  return path;
}

for (const [writer, reader] of [['node', 'bun'], ['bun', 'node']]) {
  test(`a store written by ${writer} is read by ${reader}: same keys, values and order; then each writes on`, async () => {
    const path = await writtenBy(writer);
    const read = await run(reader, { role: 'read', path });
    assert.is(read.runtime, reader);
    const expected = expectedEntries();
    assert.equal(cbor.decode(Buffer.from(read.entries, 'hex')), expected);
    // And back: the writer's runtime sees what the reader added, last.
    const back = await run(writer, { role: 'read', path });
    assert.equal(cbor.decode(Buffer.from(back.entries, 'hex')), [...expected, [`appended by ${reader}`, reader]]);
  });
}

/** A record with its birth stamp (bytes 8..16) zeroed and its CRC-32C recomputed to match. */
function withoutBirth(file) {
  const bytes = Buffer.from(fs.readFileSync(file));
  bytes.fill(0, 8, 16);
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
  return bytes;
}

test('Node and Bun write byte-identical records for the same operations (birth stamps aside), with the same xattrs', async () => {
  const [byNode, byBun] = await Promise.all([writtenBy('node'), writtenBy('bun')]);
  const records = (dir) => fs.readdirSync(dir).filter((n) => /^[0-9a-f]{56}$/.test(n)).sort();
  const names = records(byNode);
  assert.is(names.length, expectedEntries().length);
  assert.equal(records(byBun), names);
  for (const name of names) {
    const [n, b] = [`${byNode}/${name}`, `${byBun}/${name}`];
    readRecord(n); // each is a valid record with a correct checksum before masking
    readRecord(b);
    assert.ok(withoutBirth(n).equals(withoutBirth(b)), `record ${name} differs beyond its birth stamp`);
    assert.equal(readXattr(b, 'user.key'), readXattr(n, 'user.key'), `user.key of ${name}`);
    assert.is(readXattr(n, 'user.birthtime')?.length, 8, 'the Node binding mirrors the birth stamp');
    assert.is(readXattr(b, 'user.birthtime')?.length, 8, 'the Bun binding mirrors the birth stamp');
  }
});

/** A child of `runtime` holding an exclusive flock on `file` until release() closes its stdin. */
function holdLock(runtime, file) {
  return new Promise((resolve, reject) => {
    const child = spawn(runtimes[runtime], [worker, JSON.stringify({ role: 'hold-lock', path: file })], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((done) => child.on('exit', done));
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      const { locked } = JSON.parse(out);
      resolve({ locked, release: () => (child.stdin.end(), exited) });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
}

test('flock: a lock held by Bun (bun:ffi) excludes Node (koffi) and the reverse', async () => {
  const file = `${tempDir()}/lock`;
  const host = nodeHost();
  const fd = host.open(file, OpenFlags.READ | OpenFlags.WRITE | OpenFlags.CREATE);
  assert.is(host.lock(fd, LockMode.EXCLUSIVE | LockMode.NONBLOCKING), 0);
  assert.is((await run('bun', { role: 'try-lock', path: file })).locked, -Errno.EAGAIN);
  assert.is(host.lock(fd, LockMode.UNLOCK), 0);
  assert.is((await run('bun', { role: 'try-lock', path: file })).locked, 0);
  const bun = await holdLock('bun', file);
  assert.is(bun.locked, 0);
  assert.is(host.lock(fd, LockMode.EXCLUSIVE | LockMode.NONBLOCKING), -Errno.EAGAIN);
  assert.is(await bun.release(), 0);
  assert.is(host.lock(fd, LockMode.EXCLUSIVE | LockMode.NONBLOCKING), 0, 'free once the Bun process let go');
  assert.is(host.close(fd), 0);
});

test('one DurableQueue, 2 Node and 2 Bun processes (a producer and a consumer each): every item delivered exactly once', async () => {
  const path = storePath();
  new DurableQueue(path).close();
  const count = 3000;
  const producers = ['node', 'bun'];
  const consumers = ['node', 'bun'];
  const runs = [
    ...producers.map((runtime, id) => runChild(queueWorker, { role: 'produce', path, id, count }, { runtime: runtimes[runtime] })),
    ...consumers.map((runtime) => runChild(queueWorker, { role: 'consume', path, producers: producers.length }, { runtime: runtimes[runtime] })),
  ];
  const results = await Promise.all(runs);
  const consumed = results.slice(producers.length).map((r) => r.got);
  const all = consumed.flat().map(([p, i]) => `${p}:${i}`);
  assert.is(all.length, producers.length * count, 'nothing lost, nothing twice');
  assert.is(new Set(all).size, producers.length * count);
  for (const got of consumed) {
    const last = new Map();
    for (const [p, i] of got) {
      assert.ok(i > (last.get(p) ?? -1), `a consumer saw producer ${p}'s items out of order`);
      last.set(p, i);
    }
  }
  consumers.forEach((runtime, c) => assert.ok(consumed[c].length > 0, `the ${runtime} consumer got items`));
  const q = new DurableQueue(path);
  assert.is(q.qsize(), 0);
  q.close();
});

test.run();
