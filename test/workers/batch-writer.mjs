// A thread that puts `items` into the queue at `path` with one putMany, and stops right after
// its record renames (temp file into the store root) numbered in `pauses` (1 is the first) until
// the main thread lets it go on: races.test.mjs lists the directory there.
import { workerData } from 'node:worker_threads';
import { DurableQueue, nodeHost } from '../../dist/index.js';
import { pauser } from './pauses.mjs';

const { path, items, pauses, shared, done } = workerData;
const thread = pauser(shared, done);
const base = nodeHost();
const host = Object.create(base);
let renamed = 0;
for (const method of ['rename', 'renameIfAbsent']) {
  if (!base[method]) continue;
  host[method] = (from, to) => {
    const result = base[method](from, to);
    if (from.includes('/.iodict/tmp/') && !to.includes('/.iodict/') && pauses.includes(++renamed)) thread.pause();
    return result;
  };
}
const producer = new DurableQueue(path, { host });
producer.putMany(items);
producer.close();
thread.finished();
