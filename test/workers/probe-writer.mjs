// A thread that overwrites `key` in the store at `path` without exchange (no native helper), and
// stops right after each of its calls named in `pauses` ('link': its probe, FORMAT.md 7.3 step 2;
// 'rename': its record moved in) until the main thread lets it go on: races.test.mjs puts a
// take's steps there. flags[0]: the pauses reached (`done` once the overwrite returned); flags[1]:
// the pauses the main thread let go.
import { workerData } from 'node:worker_threads';
import { IODict, nodeHost } from '../../dist/index.js';

const { path, key, value, pauses, shared, done } = workerData;
const flags = new Int32Array(shared);
const base = nodeHost({ native: false });
const host = Object.create(base);
let reached = 0;
for (const method of new Set(pauses)) {
  host[method] = (...args) => {
    const result = base[method](...args);
    if (pauses[reached] === method) {
      Atomics.store(flags, 0, ++reached);
      Atomics.notify(flags, 0);
      while (Atomics.load(flags, 1) < reached) Atomics.wait(flags, 1, reached - 1, 30_000);
    }
    return result;
  };
}
const writer = new IODict(path, { host });
if (writer.size !== 2) throw new Error('the writer should know both keys before its overwrite');
writer.set(key, value);
writer.close();
Atomics.store(flags, 0, done);
Atomics.notify(flags, 0);
