// A thread whose put (or, with kind 'dict', set of 'x') rotates the journal of the store at `path`
// (rotateAfter 1), and stops right after the rotation renamed the new journal in, before the old
// one's seal, until the main thread lets it go on (workers/pauses.mjs): races.test.mjs opens a
// handle, or a watch, in that window.
import { workerData } from 'node:worker_threads';
import { DurableQueue, IODict, nodeHost } from '../../dist/index.js';
import { pauser } from './pauses.mjs';

const { path, kind = 'queue', shared, done } = workerData;
const thread = pauser(shared, done);
const base = nodeHost();
const host = Object.create(base);
for (const method of ['rename', 'renameIfAbsent', 'link', 'exchange']) {
  if (!base[method]) continue;
  host[method] = (from, to) => {
    const result = base[method](from, to);
    if (to.endsWith('/.iodict/changes')) thread.pause();
    return result;
  };
}
if (kind === 'dict') {
  const rotator = new IODict(path, { host, rotateAfter: 1 });
  rotator.size; // its index is loaded: its next set rotates
  rotator.set('x', 1);
  rotator.close();
} else {
  const rotator = new DurableQueue(path, { host, rotateAfter: 1 }); // counting at open loads its index: its next put rotates
  rotator.putNowait('x');
  rotator.close();
}
thread.finished();
