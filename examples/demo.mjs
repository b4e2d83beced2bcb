// npm run demo: builds a store in a temporary directory, uses it from two processes, and
// prints what happened at each step.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { IODict } from '../dist/index.js';

const here = fileURLToPath(import.meta.url);

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

fs.rmSync(dir, { recursive: true, force: true });
console.log('\nDone; the temporary directory was removed.');
