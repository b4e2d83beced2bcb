import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { DurableQueue, Empty } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { runChild } from './support/children.mjs';

const worker = new URL('./workers/queue-worker.mjs', import.meta.url).pathname;

/** Producers and consumers in processes of their own: each item received exactly once, FIFO per producer. */
async function moveItems({ producers, consumers, count, batch, rotateAfter }) {
  const path = storePath();
  new DurableQueue(path).close();
  const runs = [
    ...Array.from({ length: producers }, (_, id) => runChild(worker, { role: 'produce', path, id, count, batch, rotateAfter })),
    ...Array.from({ length: consumers }, () => runChild(worker, { role: 'consume', path, producers, rotateAfter })),
  ];
  const results = await Promise.all(runs);
  const consumed = results.slice(producers).map((r) => r.got);
  const all = consumed.flat().map(([p, i]) => `${p}:${i}`);
  assert.is(all.length, producers * count, 'nothing lost, nothing twice');
  assert.is(new Set(all).size, producers * count);
  for (const got of consumed) {
    const last = new Map();
    for (const [p, i] of got) {
      assert.ok(i > (last.get(p) ?? -1), `consumer saw producer ${p}'s items out of order`);
      last.set(p, i);
    }
  }
  assert.ok(consumed.filter((got) => got.length > 0).length >= 2, 'the work was shared');
}

// The figure under Node; a quarter under Bun, whose processes also share a queue with
// Node's in cross-runtime.test.mjs (6,000 items), to keep npm test's Bun run within its time.
const perProducer = process.versions.bun ? 1250 : 5000;
test(`4 producers and 4 consumers move ${(4 * perProducer).toLocaleString('en-US')} items: each received exactly once, FIFO per producer`, () => moveItems({ producers: 4, consumers: 4, count: perProducer }));

// Rotations every few dozen changes: consumers that sleep through some, or find the journal
// renamed over before its seal, must still take each producer's items in order (FORMAT.md 8.4).
test('4 producers and 4 consumers through a journal rotation every few dozen changes: each item once, FIFO per producer', () => moveItems({ producers: 4, consumers: 4, count: 1000, rotateAfter: 32 }));

// The same claim for batches, in real processes. The race of a listing with a landing batch
// (FORMAT.md 8.1) is rare here: races.test.mjs reproduces it deterministically.
test('2 producers putting batches of 50 and 2 consumers move 4,000 items: each received exactly once, FIFO per producer', () => moveItems({ producers: 2, consumers: 2, count: 2000, batch: 50 }));

function startClaimer(path) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, JSON.stringify({ role: 'claim', path })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, claimed: JSON.parse(out).claimed });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`claimer exited early (${code})`)));
  });
}

test('3 processes filling one queue with maxsize and a shared FileLock: exactly maxsize items, never more', async () => {
  const path = storePath();
  const lockPath = `${path}.lock`;
  new DurableQueue(path).close();
  const fillers = Array.from({ length: 3 }, (_, id) => runChild(worker, { role: 'fill', path, id, maxsize: 10, lockPath, fulls: 50 }));
  const puts = (await Promise.all(fillers)).map((r) => r.put);
  const q = new DurableQueue(path);
  assert.is(q.qsize(), 10, `items put: ${puts.join(' + ')}`);
  assert.is(puts.reduce((a, b) => a + b, 0), 10);
  q.close();
});

test('SIGKILL of a consumer holding an unacknowledged item: the item goes to another consumer', async () => {
  const path = storePath();
  const q = new DurableQueue(path);
  q.putNowait('precious');
  q.putNowait('next');
  const { child, claimed } = await startClaimer(path);
  assert.is(claimed, 'precious');
  // While its owner lives, the claim is respected.
  const other = new DurableQueue(path);
  assert.is(other.getNowait(), 'next');
  assert.throws(() => other.getNowait(), (e) => e instanceof Empty);
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  assert.is(await exited, 'SIGKILL');
  // A waiting consumer notices the dead owner and gets the item.
  assert.is(await other.get({ timeout: 5000 }), 'precious');
  other.close();
  q.close();
});

test('a blocked get in one process is woken by a put from another process', async () => {
  const path = storePath();
  const q = new DurableQueue(path);
  const started = performance.now();
  const waiting = q.get({ timeout: 10000 });
  await runChild(worker, { role: 'put', path, item: { from: 'child' } });
  assert.equal(await waiting, { from: 'child' });
  const latency = performance.now() - started;
  assert.ok(latency < 5000, `woke after ${latency} ms`);
  q.close();
});

test('an idle blocked get does not spin: a second of waiting costs little CPU', async () => {
  const q = new DurableQueue(storePath());
  const before = process.cpuUsage();
  await q.get({ timeout: 1000 }).then(() => assert.unreachable(), (e) => assert.ok(e instanceof Empty));
  const used = process.cpuUsage(before);
  const ms = (used.user + used.system) / 1000;
  // A busy loop would burn about 1000 ms; polling with back-off (up to 250 ms apart) costs a few.
  assert.ok(ms < 250, `used ${ms} ms of CPU while waiting`);
  q.close();
});

test.run();
