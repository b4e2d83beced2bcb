// Child for test/transact.test.mjs: enters a transaction, says so, and never leaves (it is killed).
import fs from 'node:fs';
import { IODict } from '../../dist/index.js';

const { path, ready } = JSON.parse(process.argv[2]);
const d = new IODict(path);
d.transact((t) => {
  t.set('holder', process.pid);
  fs.writeFileSync(ready, String(process.pid));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // until killed
});
