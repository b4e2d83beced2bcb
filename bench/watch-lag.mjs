// Watch lag: how long after another process's set returns a watcher in this process hears of
// it, for iodict's watch() and for a bare fs.watch on the store directory (the floor: one
// inotify event per record renamed in, with no journal read, key or order). A writer child sets
// keys at a steady pace and reports when each set returned (wall-clock ms); the two watchers
// run one after the other against the same kind of writer.
//
//   node bench/watch-lag.mjs --writer DIR N      (the child)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const wallMs = () => performance.timeOrigin + performance.now();
const PACE_MS = 2; // between two sets: lag, not throughput, is measured

async function writer(dir, n) {
  const { IODict } = await import('../dist/index.js');
  const d = new IODict(dir);
  const sent = {};
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < n; i++) {
    d.set(`w${i}`, i);
    sent[`w${i}`] = wallMs();
    Atomics.wait(pause, 0, 0, PACE_MS);
  }
  d.close();
  process.stdout.write(JSON.stringify(sent));
}

function runWriter(dir, n) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here, '--writer', dir, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`watch-lag writer exited ${code}`))));
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

function summary(lags) {
  const sorted = lags.sort((a, b) => a - b);
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
  return { available: true, sets: n, paceMs: PACE_MS, iodict, bareFsWatch: bare };
}

if (process.argv[2] === '--writer') await writer(process.argv[3], Number(process.argv[4]));
