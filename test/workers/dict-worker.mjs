// Child process for test/multiprocess.test.mjs: writes its own keys, then pops until the
// store is empty and every writer is done, and reports what it popped.
import { IODict } from '../../dist/index.js';
import fs from 'node:fs';

const { path, id, count, writers } = JSON.parse(process.argv[2]);
const d = new IODict(path);
const popped = [];
for (let i = 0; i < count; i++) {
  d.set(`w${id}-${i}`, { id, i });
  // Interleave pops with writes so claims race against other processes' writes.
  if (i % 3 === 0) {
    try {
      popped.push(d.popItem()[0]);
    } catch {}
  }
}
fs.writeFileSync(`${path}.done-${id}`, '');
const allDone = () => Array.from({ length: writers }, (_, w) => fs.existsSync(`${path}.done-${w}`)).every(Boolean);
while (true) {
  const finished = allDone(); // read before popping: an empty store after every writer finished is final
  try {
    const [key, value] = d.popItem();
    if (value.id === undefined) throw new Error('bad value');
    popped.push(key);
  } catch (e) {
    if (e.name !== 'KeyError') throw e;
    if (finished) break;
  }
}
d.close();
process.stdout.write(JSON.stringify({ popped }));
