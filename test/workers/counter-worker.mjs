// Increments one counter `count` times through transact(), as a child process (argv) or a worker
// thread (workerData): for test/transact.test.mjs. `async` uses AsyncIODict instead of IODict.
import { isMainThread, workerData, parentPort } from 'node:worker_threads';
import * as iodict from '../../dist/index.js';

const { path, count, async: useAsync } = isMainThread ? JSON.parse(process.argv[2]) : workerData;

async function main() {
  if (useAsync) {
    const d = new iodict.AsyncIODict(path);
    for (let i = 0; i < count; i++) {
      await d.transact(async (t) => {
        await t.set('counter', ((await t.get('counter')) ?? 0) + 1);
      });
    }
    await d.close();
  } else {
    const d = new iodict.IODict(path);
    for (let i = 0; i < count; i++) d.transact((t) => t.set('counter', (t.get('counter') ?? 0) + 1));
    d.close();
  }
  return { done: count };
}

main().then((result) => {
  if (isMainThread) process.stdout.write(JSON.stringify(result));
  else parentPort.postMessage(result);
});
