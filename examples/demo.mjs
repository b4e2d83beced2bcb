// npm run demo: builds a store in a temporary directory, uses it from two processes, and
// prints what happened at each step.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { IODict, DurableQueue, FlushQueue } from '../dist/index.js';

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === 'producer') {
  // A producer process for the queue part: three jobs, then exit.
  const q = new DurableQueue(process.argv[3]);
  for (let i = 1; i <= 3; i++) q.putNowait({ job: i, from: process.pid });
  console.log(`  [producer ${process.pid}] put 3 jobs`);
  q.close();
  process.exit(0);
}

if (process.argv[2] === 'child') {
  // The second process: adds two keys and takes the oldest item.
  const d = new IODict(process.argv[3]);
  d.set('from-child', { pid: process.pid }).set('counter', 2);
  const [key] = d.popItem();
  console.log(`  [child ${process.pid}] set from-child, overwrote counter, popped the oldest item: ${JSON.stringify(key)}`);
  d.close();
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-demo-'));
const storePath = path.join(dir, 'store');
const show = (label, d) => console.log(`  ${label}: ${JSON.stringify([...d.keys()], (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);

console.log(`iodict demo in ${storePath}\n`);
console.log('1. A persistent, ordered dictionary');
let d = new IODict(storePath);
d.set('first', 1).set('counter', 0).set(42, 'a number key').set(7n, { when: new Date(0), tags: new Set(['x']) });
show('keys in birth order', d);
d.set('first', 'overwritten');
show('after overwriting "first" (keeps its place)', d);
d.delete('counter');
d.set('counter', 1);
show('after delete + set of "counter" (moves to the end)', d);
console.log(`  get(7n) -> ${inspect(d.get(7n))}`);
console.log(`  records carry user.* xattrs: ${d.xattrs}`);
d.close();

console.log('\n2. Survives a restart');
d = new IODict(storePath);
show('reopened', d);
console.log(`  size ${d.size}, get("first") -> ${JSON.stringify(d.get('first'))}`);

console.log('\n3. A second process shares the store');
const child = spawnSync(process.execPath, [here, 'child', storePath], { stdio: 'inherit' });
if (child.status !== 0) throw new Error('child failed');
show('this process now sees', d);
console.log(`  counter -> ${d.get('counter')} (written by the child)`);

console.log('\n4. Python-dict extras');
console.log(`  setDefault("fresh", "v") -> ${JSON.stringify(d.setDefault('fresh', 'v'))}; setDefault("fresh", "w") -> ${JSON.stringify(d.setDefault('fresh', 'w'))}`);
console.log(`  pop(42) -> ${JSON.stringify(d.pop(42))}; pop(42, "gone") -> ${JSON.stringify(d.pop(42, 'gone'))}`);
console.log(`  popItem({ last: true }) -> ${JSON.stringify(d.popItem({ last: true }))}`);
const files = fs.readdirSync(storePath).filter((n) => n !== '.iodict');
console.log(`  on disk: ${files.length} record files named by SHA3-224, e.g. ${files[0]}`);
d.close();

console.log('\n5. A durable queue shared by two processes');
const queuePath = path.join(dir, 'jobs');
const q = new DurableQueue(queuePath);
const started = performance.now();
const waiting = q.get({ timeout: 10000 }); // pending until the other process puts
const producer = spawn(process.execPath, [here, 'producer', queuePath], { stdio: 'inherit' });
const first = await waiting;
console.log(`  a get() waiting since the start woke up after ${(performance.now() - started).toFixed(0)} ms with ${inspect(first)}`);
await new Promise((resolve) => producer.on('exit', resolve));
const delivery = await q.get({ ack: true });
console.log(`  get({ ack: true }) -> ${inspect(delivery.value)}; released back to the queue`);
delivery.release();
console.log(`  then, in order: ${inspect(q.getNowait())}, ${inspect(q.getNowait())}; qsize ${q.qsize()}`);
q.close();

console.log('\n6. FlushQueue: an in-memory queue that flushes to disk and ingests again');
const flushPath = path.join(dir, 'pending');
const fq = new FlushQueue({ path: flushPath });
['a', 'b', 'c'].forEach((x) => fq.putNowait(x));
console.log(`  flushed ${await fq.flush()} items to ${path.basename(flushPath)}/`);
const restarted = new FlushQueue({ path: flushPath });
console.log(`  a new FlushQueue ingested ${await restarted.ingest()}: ${[restarted.getNowait(), restarted.getNowait(), restarted.getNowait()].join(', ')}; directory removed: ${!fs.existsSync(flushPath)}`);

fs.rmSync(dir, { recursive: true, force: true });
console.log('\nDone; the temporary directory was removed.');
