// Where the floor's fsync'd batch of 100 spends its time, step by step, against one fsync'd write
// (write a temp file, fsync it, rename it in, fsync the directory): the measurement behind the
// batch bar of DESIGN.md section 5 (at most 10x one fsync'd write). Bare node:fs calls and one
// syncfs (through koffi), as the bench's floor makes them; no iodict.
// Usage: node bench/batch-floor.mjs [--dir DIR] [--rounds N]   (DIR on the file system to measure)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncfs } from './contenders.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const parent = option('--dir', os.tmpdir());
const rounds = Number(option('--rounds', 15));
const BATCH = 100;

if (!syncfs) {
  console.error('batch-floor: needs koffi and glibc (for syncfs)');
  process.exit(2);
}

const root = fs.mkdtempSync(path.join(parent, 'iodict-batch-floor-'));
fs.mkdirSync(`${root}/tmp`);
const value = Buffer.alloc(100, 120);
const syncDir = () => {
  const fd = fs.openSync(root, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
};
const writeTemp = (name, sync) => {
  const fd = fs.openSync(`${root}/tmp/${name}`, 'wx');
  fs.writeSync(fd, value);
  if (sync) fs.fsyncSync(fd);
  fs.closeSync(fd);
};
const steps = {
  "one fsync'd write": [],
  [`writing ${BATCH} files`]: [],
  'one syncfs': [],
  [`${BATCH} renames`]: [],
  "the directory's fsync": [],
};
const timed = (step, fn) => {
  const start = performance.now();
  fn();
  steps[step].push(performance.now() - start);
};
const names = Array.from({ length: BATCH }, (_, i) => i);
for (let round = 0; round < rounds; round++) {
  timed("one fsync'd write", () => {
    writeTemp(`one${round}`, true);
    fs.renameSync(`${root}/tmp/one${round}`, `${root}/one${round}`);
    syncDir();
  });
  timed(`writing ${BATCH} files`, () => names.forEach((i) => writeTemp(`b${round}-${i}`, false)));
  timed('one syncfs', () => {
    const fd = fs.openSync(root, 'r');
    syncfs(fd);
    fs.closeSync(fd);
  });
  timed(`${BATCH} renames`, () => names.forEach((i) => fs.renameSync(`${root}/tmp/b${round}-${i}`, `${root}/b${round}-${i}`)));
  timed("the directory's fsync", syncDir);
}
fs.rmSync(root, { recursive: true, force: true });

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];
const one = median(steps["one fsync'd write"]);
let batch = 0;
console.log(`${parent}, medians of ${rounds} rounds:`);
for (const [step, values] of Object.entries(steps)) {
  const ms = median(values);
  if (step !== "one fsync'd write") batch += ms;
  console.log(`  ${step.padEnd(24)} ${ms.toFixed(3)} ms  ${(ms / one).toFixed(1)}x one fsync'd write`);
}
console.log(`  ${`the batch of ${BATCH}`.padEnd(24)} ${batch.toFixed(3)} ms  ${(batch / one).toFixed(1)}x one fsync'd write`);
