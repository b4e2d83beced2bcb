// transact(): the store lock held across a function, excluding other processes, threads and handles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IODict, StoreError, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { runChild } from './support/children.mjs';

const holdScript = fileURLToPath(new URL('./workers/hold-lock.mjs', import.meta.url));
const counterScript = fileURLToPath(new URL('./workers/counter-worker.mjs', import.meta.url));

function runThread(data) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(counterScript, { workerData: data });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited ${code}`)));
  });
}

async function countTogether({ processes, threads, count, env, envFor = () => env, asyncFor = () => false }) {
  const path = storePath();
  new IODict(path).close();
  const runs = [];
  for (let i = 0; i < processes; i++) runs.push(runChild(counterScript, { path, count, async: asyncFor(i) }, { env: envFor(i) }));
  for (let i = 0; i < threads; i++) runs.push(runThread({ path, count, async: asyncFor(processes + i) }));
  const results = await Promise.all(runs);
  assert.equal(results.map((r) => r.done), runs.map(() => count));
  const d = new IODict(path);
  const total = d.get('counter');
  d.close();
  return total;
}

test('4 processes and 4 worker threads each increment one counter 500 times: exactly 4,000', async () => {
  // Half of each through IODict.transact, half through AsyncIODict.transact.
  const total = await countTogether({ processes: 4, threads: 4, count: 500, asyncFor: (i) => i % 2 === 1 });
  assert.is(total, 4000);
});

test('the same without flock (lock file, FORMAT.md 7.7): no increment is lost', async () => {
  const total = await countTogether({ processes: 2, threads: 0, count: 150, env: { IODICT_NATIVE: '0' } });
  assert.is(total, 300);
});

test('processes without flock beside processes and threads with it: no increment is lost (flock holders take the lock file too)', async () => {
  // Hosts without flock (no native helper, WASI) lock by the lock file alone.
  const total = await countTogether({ processes: 4, threads: 2, count: 150, envFor: (i) => (i % 2 === 0 ? { IODICT_NATIVE: '0' } : undefined) });
  assert.is(total, 900);
});

test('operations inside fn work while the lock is held, a rotation included; nested calls nest', () => {
  const path = storePath();
  const d = new IODict(path, { rotateAfter: 16 });
  const result = d.transact((t) => {
    for (let i = 0; i < 100; i++) t.set(`k${i % 10}`, i); // past the rotation threshold, under the lock
    return t.transact(() => t.size);
  });
  assert.is(result, 10);
  const other = new IODict(path);
  assert.is(other.size, 10);
  assert.is(other.transact(() => other.get('k9')), 99, 'the lock was released');
  other.close();
  d.close();
});

test('the lock is released when fn throws; what fn wrote stays', () => {
  const d = new IODict(storePath());
  assert.throws(() => d.transact((t) => {
    t.set('a', 1);
    throw new Error('boom');
  }), /boom/);
  assert.is(d.get('a'), 1);
  assert.is(d.transact(() => 'again'), 'again');
  d.close();
});

test('another handle of this thread waiting for a held lock is refused (EDEADLK), not hung', () => {
  const path = storePath();
  const a = new IODict(path);
  const b = new IODict(path);
  const error = (() => {
    try {
      a.transact(() => b.transact(() => 'never'));
    } catch (e) {
      return e;
    }
  })();
  assert.instance(error, StoreError);
  assert.is(error.code, 'EDEADLK');
  assert.is(b.transact(() => 'after'), 'after');
  a.close();
  b.close();
});

test('fn returning a promise is a TypeError and leaves the lock free', () => {
  const d = new IODict(storePath());
  assert.throws(() => d.transact(async () => 1), (e) => e instanceof TypeError && /AsyncIODict/.test(e.message));
  assert.is(d.transact(() => 2), 2);
  d.close();
});

test('the `lock` option is held across fn once, not again per operation inside it', () => {
  let depth = 0;
  let most = 0;
  const lock = { acquire: () => (most = Math.max(most, ++depth)), release: () => depth-- };
  const d = new IODict(storePath(), { lock, host: nodeHost() });
  d.transact((t) => t.set('x', t.get('x') ?? 1));
  assert.is(depth, 0);
  assert.is(most, 1);
  d.close();
});

for (const [how, env, host] of [['flock', {}, undefined], ['a lock file', { IODICT_NATIVE: '0' }, () => nodeHost({ native: false })]]) {
  test(`a process killed inside transact() leaves no lock behind (${how})`, async () => {
    const path = storePath();
    const ready = `${path}.ready`;
    new IODict(path).close();
    const child = spawn(process.execPath, [holdScript, JSON.stringify({ path, ready })], { env: { ...process.env, ...env }, stdio: 'inherit' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    while (!fs.existsSync(ready)) await new Promise((resolve) => setTimeout(resolve, 5)); // waits for the child's signal file
    const d = new IODict(path, host ? { host: host() } : {});
    child.kill('SIGKILL');
    await exited;
    assert.is(d.transact((t) => t.get('holder')), child.pid, 'the lock was taken again; what the child wrote stays');
    d.close();
  });
}

test.run();
