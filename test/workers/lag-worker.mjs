// Child for test/async-dict.test.mjs: how late a 10 ms timer fires while 10,000 AsyncIODict sets
// run, in a process of its own (the suite's heap and leftovers would be measured otherwise).
import { AsyncIODict, IODict } from '../../dist/index.js';
import { timerLagDuringSets } from '../../bench/async-lag.mjs';

const { path, inline } = JSON.parse(process.argv[2]);
// `inline`: the same calls made by a synchronous IODict on this thread, which the test must catch.
const d = inline ? promised(new IODict(path)) : new AsyncIODict(path);
const worstLag = await timerLagDuringSets(d, 10_000, 'k');
const asyncSize = await d.size;
await d.close();
const check = new IODict(path);
const result = { worstLag, asyncSize, syncSize: check.size, last: check.get('k9999') };
check.close();
process.stdout.write(JSON.stringify(result));

function promised(dict) {
  return {
    set: async (key, value) => dict.set(key, value),
    get size() {
      return Promise.resolve(dict.size);
    },
    close: async () => dict.close(),
  };
}
