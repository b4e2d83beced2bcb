// npm run test:crash -- [--trials N] [--seed S] [--jobs J] [--only TEXT] [--no-positional] [--trace]
// Runs the positional crash sweep and N random trials, prints every violation with what replays
// it and the directory kept of it (its log and store), a summary per op and per kind, and exits
// non-zero on any violation. --trace logs every journal append of the children in each trial's
// directory (read it with journal-trace.mjs).
import { parseArgs } from 'node:util';
import { crashRun, positionalCases, trialPlans } from './harness.mjs';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    only: { type: 'string' },
    'no-positional': { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
  },
});
const number = (name) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not ${values[name]}`);
  return n;
};
const trials = number('trials');
const seed = number('seed');

if (values.trace) process.env.IODICT_CRASH_TRACE = '1'; // read by the harness for each child
const picked = (item) => !values.only || item.name.includes(values.only);
const started = performance.now();
const results = await crashRun({
  cases: values['no-positional'] ? [] : positionalCases().filter(picked),
  plans: trialPlans(seed, trials).filter(picked),
  jobs: Math.max(1, number('jobs')),
  onResult({ name, violations, root }) {
    for (const { kind, detail } of violations) console.log(`FAIL ${name}: ${kind}: ${detail}`);
    if (violations.length) console.log(`  replay: npm run test:crash -- --seed ${seed} --trials ${trials} --only '${name}'  (kept: ${root})`);
  },
});

const tally = (rows, keyOf) => {
  const table = new Map();
  for (const row of rows) {
    const key = keyOf(row);
    const entry = table.get(key) ?? { passed: 0, failed: 0, violations: 0 };
    entry[row.violations.length ? 'failed' : 'passed']++;
    entry.violations += row.violations.length;
    table.set(key, entry);
  }
  return table;
};
const print = (title, table) => {
  console.log(`\n${title}`);
  for (const [key, { passed, failed, violations }] of table) console.log(`  ${key.padEnd(28)} ${passed} passed, ${failed} failed (${violations} violations)`);
};
print('By group (positional: op; random: variant):', tally(results, (r) => r.group));
const kinds = new Map();
for (const r of results) for (const v of r.violations) kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
console.log('\nViolations by kind:');
for (const [kind, count] of kinds) console.log(`  ${kind.padEnd(28)} ${count}`);
if (!kinds.size) console.log('  none');

const positional = results.filter((r) => r.steps === undefined);
const random = results.filter((r) => r.steps !== undefined);
const failed = results.filter((r) => r.violations.length).length;
const missed = positional.filter((r) => r.missedKill).length;
console.log(`\nPositional cases: ${positional.length}${missed ? ` (${missed} made fewer calls than their dry run and ran to the end)` : ''}`);
console.log(`Random trials: ${random.length}, ${random.reduce((n, r) => n + r.steps, 0)} steps logged`);
const slowest = results.reduce((a, b) => (b.checkMs > (a?.checkMs ?? -1) ? b : a), undefined);
if (slowest) console.log(`Slowest check: ${slowest.name}, ${(slowest.checkMs / 1000).toFixed(1)} s; checker heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB at the end`);
console.log(`Total: ${results.length - failed} passed, ${failed} failed, ${[...kinds.values()].reduce((a, b) => a + b, 0)} violations, ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = failed ? 1 : 0;
