// Checks trials off the harness's main thread: that thread's event loop times every trial's kills,
// and a check of a long trial takes seconds, during which the other job's children would run on
// unkilled (to their step limit, making the next check longer still).
import { parentPort } from 'node:worker_threads';
import { checkTrial } from './check.mjs';
import { baseHost } from './ops.mjs';

parentPort.on('message', ({ root, logPath, host, durability }) => {
  try {
    parentPort.postMessage({ violations: checkTrial({ root, logPath, host: baseHost(host), durability, exchange: host === 'native' }) });
  } catch (error) {
    parentPort.postMessage({ error: error.stack });
  }
});
