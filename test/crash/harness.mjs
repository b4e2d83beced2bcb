// The crash harness: the positional sweep (each op killed before each of its host calls) and
// random trials (children running a random mix, killed at random moments, sometimes two at once
// on one store), each checked by test/crash/check.mjs. Used by run.mjs and test/crash.test.mjs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OP_NAMES, sweptPositions, VARIANTS, variantName, baseHost, traceFixedCase, seededRandom } from './ops.mjs';
import { HOST_METHODS } from './host.mjs';
import { logEvent } from './log.mjs';
import { Worker } from 'node:worker_threads';

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url));
const CHECK_WORKER = fileURLToPath(new URL('./check-worker.mjs', import.meta.url));

/** Random trials: at most this many rounds of children on one store, each killed within these bounds. */
const MAX_ROUNDS = 3;
const TWO_CHILDREN = 0.3;
const KILL_AFTER_READY_MS = 80;
const KILL_FROM_SPAWN = 0.2; // some kills land while the child opens the store (recovery runs there)
const KILL_FROM_SPAWN_MS = 200;

/** Runs `work` over `items` with at most `jobs` at once; results in order. */
async function pool(items, jobs, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

/** Starts a child; `exited` resolves to { code, signal, stdout, stderr }; onReady runs at its "ready" line. */
function startChild(args, onReady) {
  // Without coverage collection (c8's NODE_V8_COVERAGE): it slows every child down, and most are
  // killed before writing it. Emptied, not left out: Node copies the parent's value into a
  // child's environment that lacks it.
  const env = { ...process.env, NODE_V8_COVERAGE: '' };
  const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data) => {
    const wasReady = stdout.includes('ready\n');
    stdout += data;
    if (!wasReady && stdout.includes('ready\n')) onReady?.();
  });
  child.stderr.on('data', (data) => (stderr += data));
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited };
}

function childProblem(id, exit) {
  if (exit.signal === 'SIGKILL' || exit.code === 0) return [];
  return [{ kind: 'child crashed', detail: `${id} exited ${exit.code ?? exit.signal}: ${exit.stderr.trim().split('\n').slice(-3).join(' | ')}` }];
}

/** With IODICT_CRASH_TRACE=1, children log every journal append to journal.trace in the trial's directory. */
const traced = (root) => (process.env.IODICT_CRASH_TRACE === '1' ? { journalTrace: `${root}/journal.trace` } : {});

/** A fresh directory for one trial's stores and log. */
const trialRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-crash-'));

/** Checker threads waiting for work (unreferenced, so they never keep the process alive). */
const idleCheckers = [];

/** Runs checkTrial in a worker thread: { violations } or { error }. A thread that died (out of memory) is not reused. */
function checkOffThread(request) {
  const worker = idleCheckers.pop() ?? new Worker(CHECK_WORKER);
  return new Promise((resolve) => {
    const done = (result, reusable) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (reusable) {
        worker.unref();
        idleCheckers.push(worker);
      }
      resolve(result);
    };
    const onMessage = (result) => done(result, true);
    const onError = (error) => done({ error: error.stack ?? String(error) }, false);
    const onExit = (code) => done({ error: `the checker thread exited with ${code}` }, false);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.ref();
    worker.postMessage(request);
  });
}

/**
 * Checks a trial and removes its directory unless it failed: a random trial's kills fall where
 * the timing put them, so its replay is another run, and a failure's log is all there is of it.
 * { violations, root, checkMs }.
 */
async function finish(root, variant, violations) {
  const started = performance.now();
  const checked = await checkOffThread({ root, logPath: `${root}/ops.log`, host: variant.host, durability: variant.durability });
  violations.push(...(checked.violations ?? [{ kind: 'checker failed', detail: checked.error }]));
  const checkMs = performance.now() - started;
  if (!violations.length) fs.rmSync(root, { recursive: true, force: true });
  return { violations, root, checkMs };
}

/** The host calls the fixed case of `op` makes, counted in this process. */
function dryRun(op, variant) {
  const root = trialRoot();
  try {
    return traceFixedCase(op, { base: baseHost(variant.host), root, durability: variant.durability, methods: HOST_METHODS });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The positional cases: every op, every variant, killed before call k = 1 .. count + 1 (the last:
 * not killed), or at the positions the op's `sweep` picks.
 */
export function positionalCases({ ops = OP_NAMES, variants = VARIANTS } = {}) {
  return ops.flatMap((op) =>
    variants.flatMap((variant) => {
      const trace = dryRun(op, variant);
      return sweptPositions(op, trace).map((k) => ({
        op,
        variant,
        killAt: k,
        calls: trace.length,
        name: `${op} ${variantName(variant)} k=${k}/${trace.length} (${trace[k - 1] ?? 'none: runs to the end'})`,
      }));
    }),
  );
}

async function runPositional(testCase) {
  const root = trialRoot();
  const logPath = `${root}/ops.log`;
  logEvent(logPath, { t: 'spawn', c: 'c0', round: 0 });
  const args = { mode: 'positional', root, log: logPath, child: 'c0', op: testCase.op, killAt: testCase.killAt, ...testCase.variant, ...traced(root) };
  const exit = await startChild(args).exited;
  logEvent(logPath, { t: 'death', c: 'c0' });
  const result = await finish(root, testCase.variant, childProblem('c0', exit));
  // Fewer calls than the dry run: this run took another path (reported, not a violation).
  return { ...result, name: testCase.name, group: testCase.op, missedKill: testCase.killAt <= testCase.calls && exit.signal !== 'SIGKILL' };
}

/** The plan of random trial `trial` of `seed`: variant, and per round the children's seeds and kill times. */
function trialPlan(seed, trial, concurrent) {
  const random = seededRandom(seed * 1000003 + trial);
  const variant = VARIANTS[Math.floor(random() * VARIANTS.length)];
  let next = 0;
  const rounds = Array.from({ length: 1 + Math.floor(random() * MAX_ROUNDS) }, () =>
    Array.from({ length: random() < TWO_CHILDREN && concurrent ? 2 : 1 }, (_, lane) => {
      const fromSpawn = random() < KILL_FROM_SPAWN;
      return {
        id: `c${next++}`,
        lane: 'ab'[lane],
        seed: Math.floor(random() * 2 ** 32),
        fromSpawn,
        delay: Math.floor(random() * (fromSpawn ? KILL_FROM_SPAWN_MS : KILL_AFTER_READY_MS)),
      };
    }),
  );
  return { name: `trial ${trial} (seed ${seed})`, variant, rounds };
}

async function runRandom(plan) {
  const root = trialRoot();
  const logPath = `${root}/ops.log`;
  const problems = [];
  for (const [round, children] of plan.rounds.entries()) {
    await Promise.all(
      children.map(async (c) => {
        logEvent(logPath, { t: 'spawn', c: c.id, round });
        const args = { mode: 'random', root, log: logPath, child: c.id, lane: c.lane, seed: c.seed, ...plan.variant, ...traced(root) };
        let started;
        const kill = () => setTimeout(() => started.child.kill('SIGKILL'), c.delay);
        started = startChild(args, c.fromSpawn ? undefined : kill);
        if (c.fromSpawn) kill();
        const exit = await started.exited;
        logEvent(logPath, { t: 'death', c: c.id });
        problems.push(...childProblem(c.id, exit));
      }),
    );
  }
  const steps = fs.readFileSync(logPath, 'utf8').split('"t":"begin"').length - 1;
  return { ...(await finish(root, plan.variant, problems)), name: plan.name, group: `random ${variantName(plan.variant)}`, steps };
}

/**
 * The plans of random trials 0 .. trials - 1 of `seed`. `concurrent: false` runs one child at a
 * time: no two writers race, so the kill timing alone varies (what npm test can run repeatably).
 */
export const trialPlans = (seed, trials, { concurrent = true } = {}) =>
  Array.from({ length: trials }, (_, trial) => trialPlan(seed, trial, concurrent));

/**
 * Runs positional `cases` and random trial `plans`, `jobs` at a time, calling onResult with each
 * result ({ name, group, violations, root, ... }) as it ends; failing trials' directories are kept.
 */
export async function crashRun({ cases = [], plans = [], jobs = 2, onResult = () => {} }) {
  const tasks = [...cases.map((c) => () => runPositional(c)), ...plans.map((p) => () => runRandom(p))];
  try {
    return await pool(tasks, jobs, async (task) => {
      const result = await task();
      onResult(result);
      return result;
    });
  } finally {
    await Promise.all(idleCheckers.splice(0).map((worker) => worker.terminate()));
  }
}
