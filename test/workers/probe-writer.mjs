// A thread that overwrites `key` in the store at `path` without exchange (no native helper), and
// stops right after each of its calls named in `pauses` ('link': its probe, FORMAT.md 7.3 step 2;
// 'rename': its record moved in) until the main thread lets it go on: races.test.mjs puts a
// take's steps there.
import { workerData } from 'node:worker_threads';
import { IODict, nodeHost } from '../../dist/index.js';
import { pauser } from './pauses.mjs';

const { path, key, value, pauses, shared, done } = workerData;
const thread = pauser(shared, done);
const base = nodeHost({ native: false });
const host = Object.create(base);
let next = 0;
for (const method of new Set(pauses)) {
  host[method] = (...args) => {
    const result = base[method](...args);
    if (pauses[next] === method) {
      next++;
      thread.pause();
    }
    return result;
  };
}
const writer = new IODict(path, { host });
if (writer.size !== 2) throw new Error('the writer should know both keys before its overwrite');
writer.set(key, value);
writer.close();
thread.finished();
