// Per-operation cost on a directory (the GlusterFS mount against the local disk): ms and host
// calls (each a round trip on a network file system) per set, get, popItem and getNowait.
// Usage: [XATTRS=off] node test/multihost/cost.mjs <dir> [count]
import fs from 'node:fs';
import path from 'node:path';
import { IODict, DurableQueue, nodeHost } from '../../dist/index.js';

const [dir, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 300);
const root = fs.mkdtempSync(path.join(dir, 'iodict-cost-'));

/** nodeHost, counting the calls that reach the file system. */
const calls = { n: 0 };
const base = nodeHost();
const host = Object.create(base);
for (const m of ['open', 'close', 'read', 'write', 'fsync', 'fstat', 'stat', 'rename', 'unlink', 'mkdir', 'rmdir', 'readdir', 'getxattr', 'setxattr', 'lock']) {
  host[m] = (...a) => (calls.n++, base[m](...a));
}

function measure(name, op) {
  const startCalls = calls.n;
  const start = performance.now();
  for (let i = 0; i < count; i++) op(i);
  const ms = (performance.now() - start) / count;
  console.log(`${name.padEnd(10)} ${ms.toFixed(3)} ms/op  ${((calls.n - startCalls) / count).toFixed(1)} calls/op`);
}

const xattrs = process.env.XATTRS ?? 'auto';
const d = new IODict(path.join(root, 'd'), { host, xattrs });
measure('set', (i) => d.set(`k${i}`, { i }));
measure('get', (i) => d.get(`k${i}`));
measure('popItem', () => d.popItem());
d.close();
const q = new DurableQueue(path.join(root, 'q'), { host, xattrs });
for (let i = 0; i < count; i++) q.putNowait(i);
measure('getNowait', () => q.getNowait());
q.close();
fs.rmSync(root, { recursive: true, force: true });
