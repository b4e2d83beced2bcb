// Child process for test/multiprocess.test.mjs: sets, deletes, pops and reads keys that every
// worker shares, on a handle of its own, and reports what it wrote and took; then, once the test
// says so (every worker is done), what its handle sees, still open.
import readline from 'node:readline';
import { IODict } from '../../dist/index.js';

const { path, id, count, keys, rotateAfter, seed } = JSON.parse(process.argv[2]);
const d = new IODict(path, { rotateAfter });
let state = seed;
const random = (n) => {
  state = (state * 1103515245 + 12345) >>> 0;
  return state % n;
};
const written = [];
const taken = [];
for (let i = 0; i < count; i++) {
  const key = `k${random(keys)}`;
  const op = random(100);
  if (op < 45) {
    const value = `${id}:${i}`; // every value written once, anywhere
    d.set(key, value);
    written.push(value);
  } else if (op < 60) {
    d.delete(key);
  } else if (op < 75) {
    const value = d.pop(key, undefined);
    if (value !== undefined) taken.push(value);
  } else if (op < 85) {
    try {
      taken.push(d.popItem()[1]);
    } catch (e) {
      if (e.name !== 'KeyError') throw e;
    }
  } else if (op < 95) {
    d.get(key);
  } else {
    [...d.keys()];
  }
}
process.stdout.write(JSON.stringify({ written, taken }) + '\n');
readline.createInterface({ input: process.stdin }).once('line', () => {
  process.stdout.write(JSON.stringify({ entries: [...d.entries()] }) + '\n');
  d.close();
  process.exit(0);
});
