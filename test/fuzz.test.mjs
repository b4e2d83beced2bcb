// Every fuzz target (test/fuzz/targets/) from one fixed seed, briefly: `npm run fuzz` runs longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { targetFiles, runTarget } from './fuzz/run.mjs';

const SEED = 20261130;
const RUNS = { 'cbor-values': 400, 'cbor-bytes': 3000, 'record-bytes': 400 };

for (const file of targetFiles()) {
  test(`fuzz target ${file.split('/').pop()} (seed ${SEED})`, async () => {
    const target = await import(file);
    const runs = RUNS[target.name] ?? 200;
    const result = await runTarget(target, { runs, seed: SEED });
    assert.is(result.runs, runs);
  });
}

test.run();
