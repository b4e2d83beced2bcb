// Fuzzing of the CLI's import readers (test/fuzz/cli-targets.mjs) with a fixed seed, sized to
// take a few seconds in `npm test`. A failure stops at its first counterexample (the seed and
// path that fast-check prints replay it); a longer run can take the same targets with more runs.
import { test } from 'uvu';
import fc from 'fast-check';
import { ndjsonAnyLine, ndjsonRoundTrip, pickleBytes, pickleMutated, pickleOpcodes, pickleSharedGraph } from './fuzz/cli-targets.mjs';

const SEED = 20240901;
const RUNS = new Map([
  [ndjsonRoundTrip, 400],
  [ndjsonAnyLine, 600],
  [pickleOpcodes, 2000],
  [pickleSharedGraph, 150],
  [pickleMutated, 2000],
  [pickleBytes, 3000],
]);

for (const [target, numRuns] of RUNS) {
  test(`${target.name}: ${numRuns} cases give the right value or a clear error, within bounds`, () => {
    fc.assert(fc.property(target.arbitrary, target.check), { seed: SEED, numRuns, endOnFailure: true });
  });
}

test.run();
