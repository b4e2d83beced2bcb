// Watch lag: how long after another process's set returns a watcher in this process hears of
// it, for iodict's watch() and for a bare fs.watch on the store directory (the floor: one
// inotify event per record renamed in, with no journal read, key or order). A writer child sets
// keys at a steady pace and reports when each set returned (wall-clock ms); the two watchers
// run one after the other against the same kind of writer. Then a burst: two writers set 5,000
// keys each as fast as they can, and iodict's watch() must hear all 10,000, each writer's in order.
//
//   node bench/watch-lag.mjs --writer DIR N PREFIX PACE_MS      (the child)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const wallMs = () => performance.timeOrigin + performance.now();
const PACE_MS = 2; // between two sets: lag, not throughput, is measured

async function writer(dir, n, prefix, pace) {
  const { IODict } = await import('../dist/index.js');
  const d = new IODict(dir);
  const sent = {};
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < n; i++) {
    d.set(`${prefix}${i}`, i);
    sent[`${prefix}${i}`] = wallMs();
    if (pace) Atomics.wait(pause, 0, 0, pace);
  }
  d.close();
  process.stdout.write(JSON.stringify(sent));
}

function runWriter(dir, n, prefix = 'w', pace = PACE_MS) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here, '--writer', dir, String(n), prefix, String(pace)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`watch-lag writer exited ${code}`))));
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

function summary(lags) {
  const sorted = lags.sort((a, b) => a - b);
  if (!sorted.length) return { count: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN }; // nothing heard (a file system without events)
  return { count: sorted.length, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) };
}

/** iodict's watch(): every change heard, its lag from the writer's return. */
async function iodictLag(dir, n) {
  const { IODict } = await import('../dist/index.js');
  const d = new IODict(dir);
  const heard = {};
  const changes = d.watch();
  const writing = runWriter(dir, n);
  for await (const { type, key } of changes) {
    if (type !== 'set') continue;
    heard[key] = wallMs();
    if (Object.keys(heard).length === n) break;
  }
  const sent = await writing;
  d.close();
  return summary(Object.keys(sent).map((key) => heard[key] - sent[key]));
}

/** A burst from two writers at full speed: every change heard, each writer's in its order, and the lags. */
async function burstLag(dir, perWriter) {
  const { IODict } = await import('../dist/index.js');
  const d = new IODict(dir);
  const heard = new Map();
  const changes = d.watch();
  const writing = Promise.all(['a', 'b'].map((prefix) => runWriter(dir, perWriter, prefix, 0)));
  for await (const { type, key } of changes) {
    if (type === 'set') heard.set(key, wallMs());
    if (heard.size === 2 * perWriter) break;
  }
  const sent = Object.assign({}, ...(await writing));
  d.close();
  const order = [...heard.keys()];
  const inOrder = ['a', 'b'].every((prefix) => order.filter((k) => k.startsWith(prefix)).every((k, i) => k === `${prefix}${i}`));
  return { writers: 2, ...summary(Object.keys(sent).map((key) => heard.get(key) - sent[key])), inOrder };
}

/** The floor: fs.watch on the store directory, the first event naming each record file. */
async function bareLag(dir, n) {
  const { IODict } = await import('../dist/index.js');
  new IODict(dir).close();
  const names = new Map(Array.from({ length: n }, (_, i) => [createHash('sha3-224').update(`w${i}`).digest('hex'), `w${i}`]));
  const heard = {};
  let all;
  const done = new Promise((resolve) => (all = resolve));
  const watcher = fs.watch(dir, (_event, name) => {
    const key = names.get(name);
    if (key === undefined || heard[key] !== undefined) return;
    heard[key] = wallMs();
    if (Object.keys(heard).length === n) all();
  });
  const sent = await runWriter(dir, n);
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 2000))]);
  watcher.close();
  // A set returns after its rename: an event can come before the writer noted the time (negative lag).
  return summary(Object.keys(sent).filter((key) => heard[key] !== undefined).map((key) => heard[key] - sent[key]));
}

/** Both lags, in fresh stores under `freshDir()`. */
export async function measureWatchLag({ quick, freshDir }) {
  const n = quick ? 300 : 2000;
  const iodict = await iodictLag(path.join(freshDir(), 'store'), n);
  const bare = await bareLag(path.join(freshDir(), 'store'), n);
  const burst = await burstLag(path.join(freshDir(), 'store'), quick ? 500 : 5000);
  return { available: true, sets: n, paceMs: PACE_MS, iodict, bareFsWatch: bare, burst };
}

if (process.argv[2] === '--writer') await writer(process.argv[3], Number(process.argv[4]), process.argv[5], Number(process.argv[6]));
