// npm run bench: iodict against the floor (bare fs calls doing the same work) and the stores a Node
// user would pick instead, interleaved on the same file system; then the same iodict rows under
// Bun, syscalls per op and process memory. Writes bench/results.json (one run per file system
// type, so a tmpfs run and a disk run sit side by side) and regenerates the report.
//
//   node --expose-gc bench/run.mjs [--quick] [--dir DIR] [--only set,get,...] [--n 1000,10000]
//        [--contenders floor,iodict,...] [--rounds R] [--no-bun] [--no-probes] [--out FILE]
//   node bench/run.mjs --runtimes [--quick] [--dir DIR]   (only the Bun column, printed)
//
// A quick or filtered run prints its table and writes nothing unless --out is given.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.mjs';
import { contenderNames, loadContenders } from './contenders.mjs';
import { grid } from './operations.mjs';
import { fmt, runConfig, scratch } from './runner.mjs';
import { runtimeColumns } from './runtimes.mjs';
import { hasStrace, probeMemory, probeSyscalls } from './probe.mjs';
import { environment } from './environment.mjs';
import { writeReport } from './report.mjs';
import { measureWatchLag } from './watch-lag.mjs';
import { timerLagDuringSets, IN_FLIGHT } from './async-lag.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const started = Date.now();
const log = (line) => process.stderr.write(`[${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s] ${line}\n`);

/** The main measurement: every configuration of the grid, every contender, interleaved. */
async function measureGrid(args, contenders, probes) {
  const { freshDir } = scratch(args.dir);
  const only = args.only && new Set(args.only);
  const rows = [];
  let memory;
  // Warm-up, untimed: a fresh process runs its first few thousand operations 1.5-1.7x slower (JIT).
  for (const config of grid({ quick: true, sizes: [args.quick ? 150 : 300] }).filter((c) => c.value === 100 && c.durability === 'none')) {
    await runConfig({ ...config, perSample: args.quick ? 50 : 100, memory: false }, contenders, { rounds: 1, only, freshDir, log: () => {}, quick: true });
  }
  log('warmed up');
  for (const config of grid({ quick: args.quick, sizes: args.sizes })) {
    const result = await runConfig(config, contenders, { rounds: args.rounds, only, freshDir, log, quick: args.quick, probeMemory: probes ? probeMemory : undefined });
    rows.push(...result.rows);
    memory = result.memory ?? memory;
  }
  return { rows, memory };
}

const SYSCALL_PROBES = [
  ['set', 'none'], ['get', 'none'], ['has', 'none'], ['delete', 'none'], ['popItem', 'none'],
  ['put', 'none'], ['queueGet', 'none'], ['set', 'fsync'],
];
const QUICK_PROBES = ['set', 'get'];

function measureSyscalls(args) {
  if (!hasStrace()) return { available: false, note: 'strace not found' };
  const count = args.quick ? 300 : 1000;
  const results = [];
  for (const [op, durability] of SYSCALL_PROBES) {
    if ((args.only && !args.only.includes(op)) || (args.quick && !QUICK_PROBES.includes(op))) continue;
    const row = { op, durability, perOp: {} };
    for (const contender of ['iodict', 'floor+protocol', 'floor']) row.perOp[contender] = probeSyscalls({ contender, op, durability, count, parent: args.dir });
    log(`  syscalls ${op} ${durability}: iodict ${row.perOp.iodict.toFixed(1)}, floor + protocol ${row.perOp['floor+protocol'].toFixed(1)}, floor ${row.perOp.floor.toFixed(1)}`);
    results.push(row);
  }
  return { available: true, count, results };
}

/** The async bar: how late a 10 ms timer fires while 10,000 AsyncIODict sets run, 100 in flight at a time. */
async function measureAsyncLag(args) {
  const { AsyncIODict } = await import('../dist/index.js');
  if (typeof AsyncIODict !== 'function') return { available: false, note: 'no AsyncIODict in this build' };
  const { freshDir } = scratch(args.dir);
  const d = new AsyncIODict(path.join(freshDir(), 'store'));
  const sets = args.quick ? 2000 : 10000;
  const worst = await timerLagDuringSets(d, sets, 'a');
  await d.close();
  return { available: true, sets, inFlight: IN_FLIGHT, worstLagMs: worst };
}

function printRows(rows) {
  for (const row of rows) {
    const parts = Object.entries(row.results).map(([name, r]) => `${name} ${'na' in r ? 'n/a' : fmt(r.us)}`);
    console.log(`${row.id.padEnd(34)} ${parts.join('  ')}`);
  }
}

/** The command line, or exit 2 with what is wrong with it. */
function commandLine() {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
}

async function main() {
  const args = commandLine();
  if (args.runtimesOnly) {
    const columns = await runtimeColumns(args, log);
    console.log(`µs per unit, median of ${columns.children} child runs per runtime; node ${columns.versions.node}, bun ${columns.versions.bun}`);
    for (const [id, r] of Object.entries(columns.rows)) {
      if (r.node.iodict === undefined || r.bun.iodict === undefined) continue;
      console.log(`${id.padEnd(34)} node ${fmt(r.node.iodict)}  bun ${fmt(r.bun.iodict)}  bun/node ${(r.bun.iodict / r.node.iodict).toFixed(2)}`);
    }
    return;
  }
  const names = args.contenders ?? contenderNames;
  const contenders = await loadContenders(names);
  if (args.child) {
    const { rows } = await measureGrid(args, contenders, false);
    process.stdout.write(JSON.stringify(rows));
    return;
  }
  const loadAtStart = os.loadavg()[0];
  log(`bench: stores under ${args.dir}, ${args.rounds} rounds${args.quick ? ', quick' : ''}`);
  const { rows, memory } = await measureGrid(args, contenders, args.probes);
  const syscalls = args.probes ? measureSyscalls(args) : { available: false, note: 'skipped (--no-probes)' };
  const asyncLag = await measureAsyncLag(args);
  if (asyncLag.available) log(`event loop while ${asyncLag.sets} AsyncIODict sets run, ${asyncLag.inFlight} in flight: a 10 ms timer lagged at most ${asyncLag.worstLagMs.toFixed(1)} ms`);
  const watchLag = await measureWatchLag({ quick: args.quick, freshDir: scratch(args.dir).freshDir });
  const { iodict: w, bareFsWatch: b } = watchLag;
  log(`watch lag over ${watchLag.sets} sets from another process: iodict watch() p50 ${w.p50Ms.toFixed(2)} ms, p99 ${w.p99Ms.toFixed(2)} ms; bare fs.watch p50 ${b.p50Ms.toFixed(2)} ms, p99 ${b.p99Ms.toFixed(2)} ms (${b.count} heard)`);
  const run = {
    ...environment(args.dir, contenders),
    options: { quick: args.quick, rounds: args.rounds, only: args.only ?? null, sizes: args.sizes ?? null },
    seconds: 0,
    // Others share this machine: the one-minute load average says how noisy the run was.
    loadAverage: { start: loadAtStart, end: 0 },
    contenders: contenders.map(({ name, label, version, about, order, unavailable }) => ({ name, label, version, about, order, ...(unavailable ? { unavailable } : {}) })),
    rows,
    memory: memory ?? null,
    syscalls,
    asyncLag,
    watchLag,
    runtimeRuns: null,
  };
  const partial = args.quick || args.only || args.sizes || args.contenders;
  const out = args.out ?? (partial ? undefined : path.join(here, 'results.json'));
  // Saved before the Bun column and again after it, so that a failure there loses nothing measured.
  const save = () => {
    run.seconds = Math.round((Date.now() - started) / 1000);
    run.loadAverage.end = os.loadavg()[0];
    if (!out) return;
    const results = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : { runs: {} };
    results.runs[run.machine.fileSystem] = run;
    fs.writeFileSync(out, `${JSON.stringify(results, null, 1)}\n`);
    log(`wrote ${out} (${run.machine.fileSystem} run, ${run.seconds} s)`);
    if (out === path.join(here, 'results.json')) writeReport(results, log);
  };
  save();
  if (args.bun) {
    const runtimes = await runtimeColumns(args, log);
    for (const row of rows) row.runtimes = runtimes.rows[row.id];
    run.runtimeRuns = { children: runtimes.children, versions: runtimes.versions };
    save();
  }
  printRows(rows);
  if (!out) log(`(a quick or filtered run: not written; pass --out FILE to keep it) ${run.seconds} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
