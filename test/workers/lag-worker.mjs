// Child for test/async-dict.test.mjs: how late a 10 ms timer fires while 10,000 AsyncIODict sets
// run, in a process of its own (the suite's heap and leftovers would be measured otherwise).
import { AsyncIODict, IODict } from '../../dist/index.js';

const { path } = JSON.parse(process.argv[2]);
const d = new AsyncIODict(path);
// Warm up (workers started, hot paths compiled): the bar is about the I/O, not JIT warm-up.
await Promise.all(Array.from({ length: 500 }, (_, i) => d.set(`warm${i}`, i)));
await d.clear();
let last = performance.now();
let worstLag = 0;
const timer = setInterval(() => {
  const now = performance.now();
  worstLag = Math.max(worstLag, now - last - 10);
  last = now;
}, 10);
// A server's pattern: 100 calls in flight at any time.
let next = 0;
await Promise.all(Array.from({ length: 100 }, async () => {
  while (next < 10_000) {
    const i = next++;
    await d.set(`k${i}`, { i });
  }
}));
clearInterval(timer);
const asyncSize = await d.size;
await d.close();
const check = new IODict(path);
const result = { worstLag, asyncSize, syncSize: check.size, last: check.get('k9999') };
check.close();
process.stdout.write(JSON.stringify(result));
