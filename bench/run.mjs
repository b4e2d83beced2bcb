// npm run bench: iodict against the bare fs calls doing the same work (the floor) and against
// the packages users would pick instead, side by side in one run. Prints µs/op and ratios.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { IODict } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const N = quick ? 500 : 2000;
const BIG = quick ? 20000 : 100000;
// --dir DIR: where the bench's stores go (e.g. a tmpfs, to take the disk's noise out of the ratios).
const dirArg = process.argv.indexOf('--dir');
const root = fs.mkdtempSync(path.join(dirArg > 0 ? process.argv[dirArg + 1] : os.tmpdir(), 'iodict-bench-'));
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = () => {
  const dir = path.join(root, `d${dirCount++}`);
  fs.mkdirSync(dir);
  return dir;
};
const name = (key) => createHash('sha3-224').update(key).digest('hex');
const small = { id: 12345, name: 'a small record', tags: ['x', 'y'], score: 0.75, ok: true };
const kib = { blob: 'x'.repeat(900), n: [1, 2, 3, 4, 5, 6, 7, 8] };
const now = () => process.hrtime.bigint();
const usPer = (t0, n) => Number(now() - t0) / 1e3 / n;

/** Runs each contender `rounds` times, interleaved, and keeps each one's median µs/op. */
async function compare(contenders, rounds = 5) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [label, run] of Object.entries(contenders)) samples[label].push(await run(r));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]]));
}

const rows = [];
function row(op, result, floorLabel = 'floor') {
  rows.push({ op, ...result, floorLabel });
  const floor = result[floorLabel];
  const parts = Object.entries(result).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  console.log(`${op.padEnd(38)} ${parts.join('  ')}  ->  iodict/floor ${(result.iodict / floor).toFixed(2)}x`);
}

// ---- set, new key ----
for (const [label, value] of [['100 B', small], ['1 KiB', kib]]) {
  const bytes = Buffer.from(JSON.stringify(value));
  row(`set new key, ${label} value`, await compare({
    // The fastest bare atomic write measured here: a uniquely named temp file in a side
    // folder, renamed over the target (reusing one temp name in the target folder is slower).
    floor: () => {
      const dir = freshDir();
      fs.mkdirSync(path.join(dir, 'tmp'));
      const names = Array.from({ length: N }, (_, i) => path.join(dir, name(`k${i}`)));
      const t0 = now();
      for (let i = 0; i < N; i++) {
        const tmp = path.join(dir, 'tmp', String(i));
        fs.writeFileSync(tmp, bytes);
        fs.renameSync(tmp, names[i]);
      }
      return usPer(t0, N);
    },
    iodict: () => {
      const d = new IODict(freshDir() + '/s');
      const t0 = now();
      for (let i = 0; i < N; i++) d.set(`k${i}`, value);
      const us = usPer(t0, N);
      d.close();
      return us;
    },
    'iodict xattrs:off': () => {
      const d = new IODict(freshDir() + '/s', { xattrs: 'off' });
      const t0 = now();
      for (let i = 0; i < N; i++) d.set(`k${i}`, value);
      const us = usPer(t0, N);
      d.close();
      return us;
    },
  }));
}

// ---- get ----
{
  const floorDir = freshDir();
  const bytes = Buffer.from(JSON.stringify(small));
  const files = Array.from({ length: N }, (_, i) => path.join(floorDir, name(`k${i}`)));
  for (const f of files) fs.writeFileSync(f, bytes);
  const d = new IODict(freshDir() + '/s');
  for (let i = 0; i < N; i++) d.set(`k${i}`, small);
  row('get, 100 B value', await compare({
    floor: () => {
      const t0 = now();
      for (let i = 0; i < N; i++) fs.readFileSync(files[i]);
      return usPer(t0, N);
    },
    'floor+JSON.parse': () => {
      const t0 = now();
      for (let i = 0; i < N; i++) JSON.parse(fs.readFileSync(files[i], 'utf8'));
      return usPer(t0, N);
    },
    iodict: () => {
      const t0 = now();
      for (let i = 0; i < N; i++) d.get(`k${i}`);
      return usPer(t0, N);
    },
  }, 5));
  d.close();
}

// ---- a big store: ordered keys, values, popItem depth, cold open ----
const bigPath = freshDir() + '/big';
{
  const d = new IODict(bigPath);
  const t0 = now();
  for (let i = 0; i < BIG; i++) d.set(`key-${i}`, i);
  console.log(`(built a ${BIG}-item store in ${(Number(now() - t0) / 1e9).toFixed(1)} s)`);
  const keysUs = await compare({
    iodict: () => {
      const t1 = now();
      let n = 0;
      for (const _ of d.keys()) n++;
      return usPer(t1, n);
    },
  }, 5);
  console.log(`${'warm ordered keys(), per key'.padEnd(38)} iodict ${keysUs.iodict.toFixed(3)} µs   (bar <= 0.3)`);
  rows.push({ op: 'warm keys() per key', iodict: keysUs.iodict });
  const names = fs.readdirSync(bigPath).filter((n) => n.length === 56).slice(0, N);
  row('values(), per item', await compare({
    floor: () => {
      const t1 = now();
      for (const n of names) fs.readFileSync(path.join(bigPath, n));
      return usPer(t1, names.length);
    },
    iodict: () => {
      const t1 = now();
      let n = 0;
      for (const _ of d.values()) if (++n === names.length) break;
      return usPer(t1, n);
    },
  }));
  const stats = d.stats();
  console.log(`index memory: ${(stats.indexBytes / stats.size).toFixed(1)} bytes per item at ${stats.size} items (bar <= 100)`);
  rows.push({ op: 'index bytes per item', iodict: stats.indexBytes / stats.size });
  d.close();
}

for (const withCache of [true, false]) {
  if (!withCache) fs.rmSync(path.join(bigPath, '.iodict/index'), { force: true });
  const t0 = now();
  const d = new IODict(bigPath);
  const keys = [...d.keys()];
  const ms = Number(now() - t0) / 1e6;
  console.log(`${`cold open + ordered keys, ${keys.length} items${withCache ? '' : ', no cache'}`.padEnd(38)} ${ms.toFixed(0)} ms   (bar <= 500)`);
  rows.push({ op: `cold open ${withCache ? 'cached' : 'rebuild'}`, iodict: ms * 1000 });
  d.close();
}

// popItem at n = 1k and n = BIG: the same pops from a shallow and a deep store.
{
  const pops = 500;
  const floorDir = freshDir();
  fs.mkdirSync(path.join(floorDir, 'claimed'));
  const floorFiles = Array.from({ length: pops * 6 }, (_, i) => name(`k${i}`));
  for (const f of floorFiles) fs.writeFileSync(path.join(floorDir, f), 'v'.repeat(40));
  const shallow = new IODict(freshDir() + '/shallow');
  for (let i = 0; i < 1000 + pops * 6; i++) shallow.set(`k${i}`, i);
  const deep = new IODict(bigPath);
  let f = 0;
  const popRow = await compare({
    floor: () => {
      const t0 = now();
      for (let i = 0; i < pops; i++, f++) {
        const from = path.join(floorDir, floorFiles[f]);
        const to = path.join(floorDir, 'claimed', floorFiles[f]);
        fs.renameSync(from, to);
        fs.readFileSync(to);
        fs.unlinkSync(to);
      }
      return usPer(t0, pops);
    },
    iodict: () => {
      const t0 = now();
      for (let i = 0; i < pops; i++) shallow.popItem();
      return usPer(t0, pops);
    },
    [`iodict n=${BIG / 1000}k`]: () => {
      const t0 = now();
      for (let i = 0; i < pops; i++) deep.popItem();
      return usPer(t0, pops);
    },
  });
  row('popItem, n=1k (and deep)', popRow);
  console.log(`${''.padEnd(38)} popItem n=${BIG / 1000}k / n=1k: ${(popRow[`iodict n=${BIG / 1000}k`] / popRow.iodict).toFixed(2)}x (bar <= 1.5)`);
  shallow.close();
  deep.close();
}

// ---- queue ----
{
  const { DurableQueue } = await import('../dist/index.js');
  const item = { job: 'resize', id: 12345, args: ['a.png', 640, 480] };
  const bytes = Buffer.from(JSON.stringify(item));
  const floorDir = freshDir();
  fs.mkdirSync(path.join(floorDir, 'tmp'));
  fs.mkdirSync(path.join(floorDir, 'claimed'));
  let f = 0;
  const q = new DurableQueue(freshDir() + '/q');
  const putRow = await compare({
    floor: () => {
      const t0 = now();
      for (let i = 0; i < N; i++, f++) {
        const tmp = path.join(floorDir, 'tmp', String(f));
        fs.writeFileSync(tmp, bytes);
        fs.renameSync(tmp, path.join(floorDir, String(f)));
      }
      return usPer(t0, N);
    },
    iodict: () => {
      const t0 = now();
      for (let i = 0; i < N; i++) q.putNowait(item);
      return usPer(t0, N);
    },
  });
  row('queue putNowait', putRow);
  let g = 0;
  const getRow = await compare({
    floor: () => {
      const t0 = now();
      for (let i = 0; i < N; i++, g++) {
        const claimed = path.join(floorDir, 'claimed', String(g));
        fs.renameSync(path.join(floorDir, String(g)), claimed);
        fs.readFileSync(claimed);
        fs.unlinkSync(claimed);
      }
      return usPer(t0, N);
    },
    iodict: () => {
      const t0 = now();
      for (let i = 0; i < N; i++) q.getNowait();
      return usPer(t0, N);
    },
  });
  row('queue getNowait', getRow);
  const trip = await compare({
    iodict: () => {
      const t0 = now();
      for (let i = 0; i < N; i++) {
        q.putNowait(item);
        q.getNowait();
      }
      return usPer(t0, N);
    },
  });
  console.log(`${'queue put+get round trip, per item'.padEnd(38)} iodict ${trip.iodict.toFixed(1)} µs  (reference, Python here: diskcache.Deque 97, persist-queue 572)`);
  rows.push({ op: 'queue round trip', ...trip });
  q.close();

  // Depth: the same gets from a queue of 1k and one of BIG items.
  const shallow = new DurableQueue(freshDir() + '/q1k');
  const deep = new DurableQueue(freshDir() + '/qbig');
  const gets = 300;
  for (let i = 0; i < 1000 + gets * 5; i++) shallow.putNowait(item);
  for (let i = 0; i < BIG; i++) deep.putNowait(item);
  const depth = await compare({
    'n=1k': () => {
      const t0 = now();
      for (let i = 0; i < gets; i++) shallow.getNowait();
      return usPer(t0, gets);
    },
    [`n=${BIG / 1000}k`]: () => {
      const t0 = now();
      for (let i = 0; i < gets; i++) deep.getNowait();
      return usPer(t0, gets);
    },
  });
  console.log(`${'queue getNowait by depth'.padEnd(38)} ${Object.entries(depth).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('  ')}  ->  ${(depth[`n=${BIG / 1000}k`] / depth['n=1k']).toFixed(2)}x (bar <= 1.5)`);
  rows.push({ op: 'queue depth', ...depth });
  shallow.close();
  deep.close();
}

// ---- peers ----
{
  const { default: storage } = await import('node-persist');
  const { default: Keyv } = await import('keyv');
  const { KeyvFile } = await import('keyv-file');
  const cacache = (await import('cacache')).default;
  const M = Math.min(N, 1000);
  const persistDir = freshDir();
  await storage.init({ dir: persistDir });
  const keyv = new Keyv({ store: new KeyvFile({ filename: path.join(freshDir(), 'db.json') }) });
  const cache = freshDir();
  const d = new IODict(freshDir() + '/s');
  let round = 0;
  const setRow = await compare({
    iodict: () => {
      const t0 = now();
      for (let i = 0; i < M; i++) d.set(`r${round}-${i}`, small);
      return usPer(t0, M);
    },
    'node-persist': async () => {
      const t0 = now();
      for (let i = 0; i < M; i++) await storage.setItem(`r${round}-${i}`, small);
      return usPer(t0, M);
    },
    // keyv-file rewrites its whole JSON file after a 100 ms debounce that each set awaits: a few
    // sets measure it as well as a thousand would.
    'keyv-file': async () => {
      const sets = 10;
      const t0 = now();
      for (let i = 0; i < sets; i++) await keyv.set(`r${round}-${i}`, small);
      return usPer(t0, sets);
    },
    cacache: async () => {
      const t0 = now();
      for (let i = 0; i < M; i++) await cacache.put(cache, `r${round}-${i}`, JSON.stringify(small));
      round++;
      return usPer(t0, M);
    },
  });
  console.log(`peers: set   ${Object.entries(setRow).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('  ')}`);
  rows.push({ op: 'peers set', ...setRow });
  const getRow = await compare({
    iodict: () => {
      const t0 = now();
      for (let i = 0; i < M; i++) d.get(`r0-${i}`);
      return usPer(t0, M);
    },
    'node-persist': async () => {
      const t0 = now();
      for (let i = 0; i < M; i++) await storage.getItem(`r0-${i}`);
      return usPer(t0, M);
    },
    'keyv-file': async () => {
      const t0 = now();
      for (let i = 0; i < M; i++) await keyv.get(`r0-${i}`);
      return usPer(t0, M);
    },
    cacache: async () => {
      const t0 = now();
      for (let i = 0; i < M; i++) await cacache.get(cache, `r0-${i}`);
      return usPer(t0, M);
    },
  });
  console.log(`peers: get   ${Object.entries(getRow).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('  ')}`);
  rows.push({ op: 'peers get', ...getRow });
  const keysRow = await compare({
    iodict: () => {
      const t0 = now();
      const n = [...d.keys()].length;
      return usPer(t0, n);
    },
    'node-persist': async () => {
      const t0 = now();
      const n = (await storage.keys()).length;
      return usPer(t0, n);
    },
    cacache: async () => {
      const t0 = now();
      const n = Object.keys(await cacache.ls(cache)).length;
      return usPer(t0, n);
    },
  });
  console.log(`peers: keys  ${Object.entries(keysRow).map(([k, v]) => `${k} ${v.toFixed(2)}`).join('  ')} (per key)`);
  rows.push({ op: 'peers keys per key', ...keysRow });
  d.close();
}

if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
