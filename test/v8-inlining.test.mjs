// A process that sets keys of several types, some values large, must not die: on Node 20, V8's
// inlining of calls into the core miscompiled putEntry (SIGSEGV within 2,000 sets, every run), so
// the core turns that inlining off there (host/core/wasm-file.ts). A fresh process each time, so
// that nothing optimized earlier hides or causes the fault.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { storePath } from './support/tmp.mjs';
import { runChild } from './support/children.mjs';

const worker = new URL('./workers/mixed-keys-worker.mjs', import.meta.url).pathname;

test('string, number and byte keys in turn, with values that grow the core memory: every set lands, the process lives', async () => {
  const { lengths, expected, largest } = await runChild(worker, { path: storePath(), sets: 5000 });
  assert.equal(lengths, expected);
  assert.ok(largest > 1e6, 'some value grew the core memory');
});

test.run();
