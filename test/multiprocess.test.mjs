import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IODict } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { runChild, talkingChild } from './support/children.mjs';

const worker = new URL('./workers/dict-worker.mjs', import.meta.url).pathname;
const sharedWorker = new URL('./workers/shared-keys-worker.mjs', import.meta.url).pathname;

for (const native of ['1', '0']) {
  test(`4 processes set distinct keys and popItem concurrently: each key popped exactly once (native=${native})`, async () => {
    const path = storePath();
    new IODict(path).close();
    const writers = 4;
    const count = 1000;
    const results = await Promise.all(
      Array.from({ length: writers }, (_, id) => runChild(worker, { path, id, count, writers }, { env: { IODICT_NATIVE: native } })),
    );
    const popped = results.flatMap((r) => r.popped);
    const unique = new Set(popped);
    assert.is(popped.length, writers * count, 'no key lost, none popped twice');
    assert.is(unique.size, writers * count);
    for (let w = 0; w < writers; w++) for (let i = 0; i < count; i += 97) assert.ok(unique.has(`w${w}-${i}`));
    const d = new IODict(path);
    assert.is(d.size, 0);
    d.close();
  });
}

// Each write puts its record in place once (FORMAT.md 5, 7.3 step 2): a value taken is never put
// back by a write racing the take. Four processes on 40 shared keys, with a rotation every few
// dozen changes; before that rule, a value was taken twice in most runs (and an overwrite lost).
for (const native of ['1', '0']) {
  test(`4 processes set, delete and pop 40 shared keys: no value taken twice or seen after its take, and every live handle agrees with a fresh one (native=${native})`, async () => {
    const path = storePath();
    new IODict(path).close();
    const workers = Array.from({ length: 4 }, (_, id) => talkingChild(sharedWorker, { path, id, count: 2000, keys: 40, rotateAfter: 32, seed: id + 1 }, { env: { IODICT_NATIVE: native } }));
    const done = await Promise.all(workers.map((w) => w.next()));
    for (const w of workers) w.send('report');
    const views = await Promise.all(workers.map((w) => w.next()));
    const fresh = new IODict(path);
    const truth = [...fresh.entries()];
    fresh.close();
    const written = new Set(done.flatMap((r) => r.written));
    const taken = done.flatMap((r) => r.taken);
    assert.ok(taken.length > 1000, `enough takes to race (${taken.length})`);
    assert.is(new Set(taken).size, taken.length, 'no value taken twice');
    for (const value of taken) assert.ok(written.has(value), `${value} was written`);
    const takenSet = new Set(taken);
    for (const [key, value] of truth) assert.not.ok(takenSet.has(value), `${key} holds ${value}, taken before`);
    for (const [id, view] of views.entries()) assert.equal(view.entries, truth, `worker ${id}'s handle agrees with a fresh one`);
  });
}

// FORMAT.md 5: processes on one machine order their items by their stamps, so their clocks must
// agree far more closely than the time between two writes. Eight start at once on two cores, so
// that some are preempted while they set their clock on the wall clock. The workers run on Node
// under either suite: the reference, process.hrtime, is the machine's monotonic clock there, but
// counts from the process's start on Bun (whose host shares the clock code, host/core/host.ts).
test('birth-stamp clocks of processes started at once agree to within 100 µs', async () => {
  const clock = new URL('./workers/clock-worker.mjs', import.meta.url).pathname;
  const runtime = process.versions.bun ? 'node' : process.execPath;
  const offsets = (await Promise.all(Array.from({ length: 8 }, () => runChild(clock, {}, { runtime })))).map((r) => r.offset);
  const spread = Math.max(...offsets) - Math.min(...offsets);
  assert.ok(spread < 100, `the clocks of 8 processes spread over ${spread.toFixed(1)} µs: ${offsets.map((o) => o.toFixed(1)).join(', ')}`);
});

test.run();
