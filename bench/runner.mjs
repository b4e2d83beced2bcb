// Runs the grid: every contender gets the same store and the same samples, interleaved round by
// round (A B C, then B C A, ...) so that the machine's noise hits everyone alike; a row keeps
// each contender's median µs per unit.
import fs from 'node:fs';
import path from 'node:path';
import { OPS, OPEN_OPS, makeValue, prefillKey, rowId, sampleArgs, survivorKey } from './operations.mjs';
import { fill, fillQueue, isNa } from './contenders.mjs';

const FINDS = new Set(['get', 'has']);
// Listings that read every item's file: minutes per pass at 100k items for the slowest peers.
const LISTINGS = new Set(['listKeys', 'values', 'openList']);
const SLOW_LISTING_MAX = 10000;
const now = () => process.hrtime.bigint();
const collectGarbage = globalThis.gc ?? (globalThis.Bun ? () => globalThis.Bun.gc(true) : () => {});
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Why `contender` sits out `op` in `config`, or undefined when it takes part. */
function unsupported(contender, op, config) {
  if (contender.unavailable) return contender.unavailable;
  if (!(contender.durability ?? ['none', 'fsync']).includes(config.durability)) return 'no fsync option';
  if (config.kind === 'queue' && !contender.openQueue) return 'no queue';
  if (isNa(contender[op])) return contender[op]?.na ?? 'no such operation';
  if (contender.slowListing && LISTINGS.has(op) && config.n > SLOW_LISTING_MAX) return `not run above n=${SLOW_LISTING_MAX / 1000}k: one pass reads every item's file (see the smaller n)`;
  return undefined;
}

/** A sample longer than this is not repeated: one pass over 100k files of a slow peer says enough. */
const LONG_SAMPLE_US = 5e6;
/** An open op repeats within one sample until this much time has passed, at most OPEN_SAMPLE_MAX times. */
const OPEN_SAMPLE_US = 20000;
const OPEN_SAMPLE_MAX = 20;

/**
 * Times one call of `run`: its total µs and µs per unit of work it reports. A contender in another
 * process (bench/python.mjs) reports `{ units, us }`, the time its own clock measured.
 */
async function timeSample(run) {
  collectGarbage();
  const t0 = now();
  const result = await run();
  const elapsed = Number(now() - t0) / 1e3;
  const { units, us = elapsed } = typeof result === 'object' ? result : { units: result };
  if (!(units > 0)) throw new Error(`a sample reported ${units} units of work`);
  return { us, perUnit: us / units };
}

/**
 * Runs one configuration for `contenders` and returns its rows (and its memory probes, if any). `options`: rounds, only (a set of
 * op names or undefined), freshDir (makes an empty directory), log, probeMemory(contender, dir, config).
 */
export async function runConfig(config, contenders, options) {
  const { rounds, only, freshDir, log } = options;
  const ops = config.ops.filter((op) => !only || only.has(op));
  if (ops.length === 0) return { rows: [] };
  const value = makeValue(config.value);
  const takesPart = (c) => !c.ops || ops.some((op) => c.ops.includes(op));
  const stores = new Map(); // contender name -> { dir, handle }
  const rows = ops.map((op) => ({
    id: rowId(op, config), op, title: OPS[op].title, unit: OPS[op].unit,
    kind: config.kind, n: config.n, valueBytes: config.value, durability: config.durability, results: {},
  }));
  const rowOf = (op) => rows.find((row) => row.op === op);

  const active = contenders.filter(takesPart);
  for (const c of active) {
    const why = ops.every((op) => unsupported(c, op, config)) ? unsupported(c, ops[0], config) : undefined;
    if (why) continue;
    const dir = freshDir();
    const t0 = now();
    const handle = await (config.kind === 'queue' ? c.openQueue : c.open)(dir, config);
    if (config.kind === 'queue') await fillQueue(c, handle, config.n, value);
    else await fill(c, handle, Array.from({ length: config.n }, (_, i) => prefillKey(i)), value);
    stores.set(c.name, { dir, handle, fillSeconds: Number(now() - t0) / 1e9 });
  }
  log(`${config.kind} n=${config.n} ${value.bytesLabel} ${config.durability}: filled ${[...stores].map(([name, s]) => `${name} ${s.fillSeconds.toFixed(1)} s`).join(', ')}`);

  const participants = (op) =>
    active.filter((c) => {
      if (c.ops && !c.ops.includes(op)) return false;
      const why = unsupported(c, op, config);
      if (why) rowOf(op).results[c.name] = { na: why };
      return !why && stores.has(c.name);
    });

  const measure = async (op, sample) => {
    const row = rowOf(op);
    const who = participants(op);
    const samples = new Map(who.map((c) => [c.name, []]));
    const n = OPEN_OPS.has(op) || !['keys', 'listKeys', 'values'].includes(op) || config.n < 100000 ? rounds : Math.min(rounds, 3);
    const long = new Set();
    for (const c of who) for (let pass = 0; pass < (OPS[op].warm ?? 0); pass++) await sample(c, 0, n);
    for (let round = 0; round < n; round++) {
      for (let i = 0; i < who.length; i++) {
        const c = who[(i + round) % who.length];
        if (long.has(c.name)) continue;
        const { us, perUnit } = await timeSample(() => sample(c, round, n));
        samples.get(c.name).push(perUnit);
        if (us > LONG_SAMPLE_US) long.add(c.name);
      }
    }
    for (const [name, values] of samples) row.results[name] = { us: median(values), samples: values };
    log(`  ${row.id.padEnd(34)} ${Object.entries(row.results).map(([name, r]) => `${name} ${'na' in r ? 'n/a' : fmt(r.us)}`).join('  ')}`);
  };

  for (const op of ops.filter((op) => !OPEN_OPS.has(op))) {
    await measure(op, async (c, round, n) => {
      const limit = c.maxOps?.[op] && (options.quick ? Math.ceil(c.maxOps[op] / 5) : c.maxOps[op]);
      const args = sampleArgs(op, config, round, n, limit);
      const result = await c[op](stores.get(c.name).handle, args, value);
      const units = typeof result === 'object' ? result.units : result;
      // Every key a get or has asks for is in the store: a miss means the contender is broken.
      if (FINDS.has(op) && units !== args.length) throw new Error(`${c.name} ${op}: found ${units} of ${args.length} keys`);
      return result;
    });
  }
  for (const [name, store] of stores) {
    const c = contenders.find((x) => x.name === name);
    if (config.memory && typeof store.handle.stats === 'function') store.indexBytes = store.handle.stats().indexBytes;
    await c.close(store.handle);
  }
  // One open takes about a millisecond, so a sample of one open is mostly the machine's noise: a
  // sample repeats it for OPEN_SAMPLE_US (a slow open, such as a full listing, runs once).
  for (const op of ops.filter((op) => OPEN_OPS.has(op))) {
    await measure(op, async (c) => {
      let units = 0;
      let us = 0;
      do {
        const t0 = now();
        const result = await c[op](stores.get(c.name).dir, config, survivorKey(config));
        us += typeof result === 'object' ? result.us : Number(now() - t0) / 1e3;
        units++;
      } while (us < (options.quick ? OPEN_SAMPLE_US / 5 : OPEN_SAMPLE_US) && units < OPEN_SAMPLE_MAX);
      return { units, us };
    });
  }
  let memory;
  if (config.memory && options.probeMemory) {
    memory = { n: config.n, results: {} };
    for (const [name, store] of stores) {
      const c = contenders.find((x) => x.name === name);
      // A store in another process (the Python peers): this process's memory says nothing of it.
      if (c.outOfProcess || (c.slowListing && config.n > SLOW_LISTING_MAX)) continue;
      memory.results[name] = { ...(await options.probeMemory(name, store.dir, config)), ...(store.indexBytes ? { indexBytesPerItem: store.indexBytes / config.n } : {}) };
    }
  }
  for (const { dir } of stores.values()) fs.rmSync(dir, { recursive: true, force: true });
  return { rows, memory };
}

export const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(1)}ms` : us >= 10 ? us.toFixed(0) : us >= 1 ? us.toFixed(1) : us.toFixed(3));

/** Makes fresh directories under a new temporary root in `parent`, removed at exit. */
export function scratch(parent, prefix = 'iodict-bench-') {
  const root = fs.mkdtempSync(path.join(parent, prefix));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  let count = 0;
  return {
    root,
    freshDir() {
      const dir = path.join(root, `d${count++}`);
      fs.mkdirSync(dir);
      return dir;
    },
  };
}
