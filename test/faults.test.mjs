// The fault matrix: each file-system call of each operation (test/crash/ops.mjs) failing in turn
// with ENOSPC, EIO, EMFILE and EACCES. The operation succeeds or throws a typed error; the store
// then shows the new state or the old one ("an error means it didn't happen"), through the same
// handle and a fresh one; nothing is stranded; the same handle keeps working.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { StoreError, CorruptRecordError, BatchError, memoryHost, Errno } from '../dist/index.js';
import { OPS, OP_NAMES, sweptPositions, baseHost, openHandles, fixedCase, runFixedCase, traceFixedCase, modelAfter, visibleState } from './crash/ops.mjs';
import { FILE_METHODS, instrumentedHost } from './crash/host.mjs';
import { brief, readDict, inspectStores, stateDifferences } from './crash/check.mjs';
import { diskFiles, hostFiles } from './support/files.mjs';
import { tempDir } from './support/tmp.mjs';

const ERRNOS = ['ENOSPC', 'EIO', 'EMFILE', 'EACCES'];
const SELF = 'self'; // the claimer of this process's deliveries in the model

// Cells run on tmpfs where there is one: the same file-system semantics (rename, O_EXCL, flock,
// user xattrs) without waiting for a shared disk's fsyncs, which would make the matrix slow.
const parent = fs.existsSync('/dev/shm') ? '/dev/shm' : undefined;

/** Where a cell runs: a fresh store root, a base host and how to list its files. */
const ENVIRONMENTS = [
  { label: 'native', fresh: () => ({ base: baseHost('native'), files: diskFiles, root: tempDir('iodict-faults-', parent) }) },
  { label: 'no-native', fresh: () => ({ base: baseHost('no-native'), files: diskFiles, root: tempDir('iodict-faults-', parent) }) },
  {
    label: 'memory',
    fresh: () => {
      const base = memoryHost();
      return { base, files: hostFiles(base), root: '/faults' };
    },
  },
];

/** A follow-up write through the faulted handle, to see that it still works. */
const AFTER = { key: 'after', value: { key: 'after', seq: 'after' } };
const AFTER_ITEM = { p: 'after', i: 0 };

const errorText = (error) => `${error?.name}: ${error?.message}`;

/** The fixed case of `op` with its `position`-th file-system call failing with `errno` (or none): what went wrong. */
function runCell(op, environment, durability, position, errno) {
  const { base, files, root } = environment.fresh();
  const host = instrumentedHost(base);
  const handles = openHandles(root, { host, durability });
  const { setup, step } = fixedCase(op);
  const outcome = runFixedCase(op, handles, host, { methods: FILE_METHODS, before: (k) => (k === position ? errno : undefined) });
  const problems = [];
  const model = modelAfter(setup, SELF);
  if (outcome.error) {
    if (!(outcome.error instanceof StoreError || outcome.error instanceof CorruptRecordError)) problems.push(`threw ${errorText(outcome.error)}`);
    // A batch that failed part way says how many of its items landed: those are the new state.
    if (outcome.error instanceof BatchError) OPS[op].applyFirst(model, step[1], outcome.error.landed);
  } else {
    const expected = OPS[op].apply(model, step[1], SELF);
    if (!isDeepStrictEqual(outcome.result, expected)) problems.push(`returned ${brief(outcome.result)}, expected ${brief(expected)}`);
  }
  const knownKeys = ['k0', 'k1', 'k2', 'k3', 'new', AFTER.key];
  const want = () => visibleState(model);
  const shown = (where, observed) => stateDifferences(observed, model).map((d) => `${where}: ${d}`);
  try {
    if (OPS[op].store === 'dict') {
      const same = readDict(handles.dict, knownKeys);
      problems.push(...same.problems.map((p) => `same handle: ${p}`), ...shown('same handle', { dict: same.entries, queue: [] }));
      handles.dict.set(AFTER.key, AFTER.value);
      if (!isDeepStrictEqual(handles.dict.get(AFTER.key), AFTER.value)) problems.push('same handle: a following set/get lost its value');
      modelAfter([['dict.set', AFTER]], SELF, model);
    } else {
      const queued = handles.queue.qsize();
      if (queued !== want().queue.length) problems.push(`same handle: qsize() ${queued}, expected ${want().queue.length}`);
      handles.queue.putNowait(AFTER_ITEM);
      modelAfter([['queue.put', { value: AFTER_ITEM }]], SELF, model);
    }
  } catch (error) {
    problems.push(`same handle afterwards: ${errorText(error)}`);
  }
  // Deliveries still held are acknowledged now; an ack that failed did not happen, so it can be made again.
  for (const [id, delivery] of handles.deliveries) {
    try {
      delivery.ack();
      OPS['queue.ack'].apply(model, { value: delivery.value }, SELF);
    } catch (error) {
      problems.push(`ack() of ${id} after the fault: ${errorText(error)}`);
    }
  }
  try {
    handles.close();
  } catch (error) {
    problems.push(`close(): ${errorText(error)}`);
  }
  const { observed, problems: found } = inspectStores(root, { host: base, durability, files, knownKeys });
  problems.push(...found.map(({ kind, detail }) => `fresh handle: ${kind}: ${detail}`), ...shown('fresh handle', observed));
  return problems;
}

// So that the matrix fails the exchange too: an overwrite moves its record in by exchange where
// the host has it (the native helper, the memory host), by rename where it does not.
test('an overwrite (dict.overwrite, the existing key of dict.setMany) moves its record by exchange where the host has it, by rename where not', () => {
  for (const environment of ENVIRONMENTS) {
    // Without the helper the first exchange answers ENOTSUP, and the handle renames from then on.
    const expected = environment.label === 'no-native' ? ['exchange', 'rename'] : ['exchange'];
    for (const op of ['dict.overwrite', 'dict.setMany']) {
      const { base, root } = environment.fresh();
      const calls = traceFixedCase(op, { base, root, durability: 'none', methods: FILE_METHODS });
      // The overwrite's moves (setMany's new key is renamed in after it).
      const moves = calls.filter((call) => /^(exchange|rename) tmp\//.test(call)).map((call) => call.split(' ')[0]).slice(0, expected.length);
      assert.equal(moves, expected, `${op} [${environment.label}]: ${calls.join(', ')}`);
    }
  }
});

for (const environment of ENVIRONMENTS) {
  for (const durability of ['none', 'fsync']) {
    for (const op of OP_NAMES) {
      test(`${op} [${environment.label}, durability ${durability}]: each failing call gives a typed error or success, the old or the new state, nothing stranded`, () => {
        assert.is(runCell(op, environment, durability, 0, 0).join('; '), '', 'without a fault');
        const { base, root } = environment.fresh();
        const calls = traceFixedCase(op, { base, root, durability, methods: FILE_METHODS });
        assert.ok(calls.length > 0, 'the op makes file-system calls');
        const failures = [];
        const positions = sweptPositions(op, calls).filter((k) => k <= calls.length);
        for (const k of positions) {
          for (const errno of ERRNOS) {
            const problems = runCell(op, environment, durability, k, Errno[errno]);
            if (problems.length) failures.push(`k=${k} ${calls[k - 1]} ${errno}: ${problems.join('; ')}`);
          }
        }
        assert.ok(!failures.length, `${failures.length} of ${positions.length * ERRNOS.length} cells fail:\n    ${failures.join('\n    ')}\n`);
      });
    }
  }
}

test.run();
