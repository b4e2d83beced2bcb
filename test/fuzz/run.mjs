#!/usr/bin/env node
// The fuzzing runner (fast-check). Every module in test/fuzz/targets/ is a target:
//
//   export const name = 'cbor-bytes';        // what --target selects
//   export function arbitrary(fc) { ... }     // the inputs, a fast-check Arbitrary
//   export function check(input) { ... }      // throws (or returns false) when the input breaks a rule
//   export function setup() / teardown()      // optional, around a run
//
// To add one (journal entries, index caches, NDJSON lines, pickles, ...), drop a module there.
// `npm run fuzz -- --runs N --seed S [--target NAME ...]` runs N cases per target from seed S and
// prints, per target, the cases, the time, the slowest case and the peak RSS; a failure prints
// fast-check's counterexample and how to replay it. test/fuzz.test.mjs runs every target briefly
// (fixed seed) inside `npm test`.
import fc from 'fast-check';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const TARGETS = new URL('./targets/', import.meta.url);

/** The targets' module URLs, by file name order. */
export function targetFiles() {
  return fs.readdirSync(TARGETS).filter((f) => f.endsWith('.mjs')).sort().map((f) => new URL(f, TARGETS).href);
}

/**
 * The target modules, then the CLI readers' targets (cli-targets.mjs, whose arbitraries are
 * Arbitrary objects; test/fuzz-cli.test.mjs runs them in npm test); only those named when
 * `names` is given.
 */
export async function loadTargets(names = []) {
  const all = [];
  for (const file of targetFiles()) all.push(await import(file));
  all.push(...(await import('./cli-targets.mjs')).targets);
  const targets = all.filter((target) => names.length === 0 || names.includes(target.name));
  const unknown = names.filter((n) => !targets.some((t) => t.name === n));
  if (unknown.length) throw new Error(`no fuzz target named ${unknown.join(', ')} (have: ${(await loadTargets()).map((t) => t.name).join(', ')})`);
  return targets;
}

/**
 * Runs `runs` cases of one target from `seed`. Returns { name, runs, ms, slowestMs }; a failing
 * case throws an Error whose message is fast-check's report (counterexample, seed and path).
 */
export async function runTarget(target, { runs, seed }) {
  let slowest = 0;
  const arbitrary = typeof target.arbitrary === 'function' ? target.arbitrary(fc) : target.arbitrary;
  const property = fc.property(arbitrary, (input) => {
    const started = performance.now();
    try {
      return target.check(input) !== false;
    } finally {
      slowest = Math.max(slowest, performance.now() - started);
    }
  });
  await target.setup?.();
  const started = performance.now();
  try {
    // No shrinking: a counterexample is replayed from the seed and path its report gives.
    const details = fc.check(property, { numRuns: runs, seed, endOnFailure: true });
    if (details.failed) {
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`fuzz target ${target.name}: ${cause}\n${fc.defaultReportMessage(details)}`);
    }
  } finally {
    await target.teardown?.();
  }
  return { name: target.name, runs, ms: performance.now() - started, slowestMs: slowest };
}

const USAGE = `usage: npm run fuzz -- [--runs N] [--seed S] [--target NAME ...]
  --runs N       cases per target (default 1000)
  --seed S       fast-check's seed (default: the clock); the same seed gives the same inputs
  --target NAME  only this target (repeatable); without it, every target
Prints each target's cases, time and slowest case, then the total and the peak RSS.`;

function parseArgs(argv) {
  const args = { runs: 1000, seed: Date.now() % 2 ** 31, targets: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const value = argv[i + 1];
    if (argv[i] === '--runs') args.runs = Number(value);
    else if (argv[i] === '--seed') args.seed = Number(value);
    else if (argv[i] === '--target') args.targets.push(value);
    else throw new Error(`unknown argument ${argv[i]} (use --runs N --seed S --target NAME)`);
    i++;
  }
  if (!Number.isSafeInteger(args.runs) || args.runs < 1) throw new Error('--runs takes a positive integer');
  if (!Number.isSafeInteger(args.seed)) throw new Error('--seed takes an integer');
  return args;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { runs, seed, targets: names } = parseArgs(process.argv.slice(2));
  const targets = await loadTargets(names);
  console.log(`fuzzing ${targets.map((t) => t.name).join(', ')}: ${runs} cases each, seed ${seed}`);
  let total = 0;
  for (const target of targets) {
    const result = await runTarget(target, { runs, seed });
    total += result.runs;
    console.log(`${result.name}: ${result.runs} cases in ${(result.ms / 1000).toFixed(1)} s, slowest case ${result.slowestMs.toFixed(1)} ms`);
  }
  console.log(`${total} cases, 0 failures; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (seed ${seed})`);
}
