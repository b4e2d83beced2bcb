// Child for test/async-dict.test.mjs: a process whose AsyncIODict handles are left open, or closed
// with their threads idle in the pool, must still exit when its work is done.
import { AsyncIODict } from '../../dist/index.js';

const { path } = JSON.parse(process.argv[2]);
const open = new AsyncIODict(`${path}/open`); // two threads; one set reaches only one of them
await open.set('k', 1);
const closed = new AsyncIODict(`${path}/closed`);
await closed.set('k', 2);
await closed.close(); // its threads wait in the pool
process.stdout.write(JSON.stringify({ value: await open.get('k') }));
