// A closed handle's core instance serves the next handle (host/core/module.ts). Put back, it must
// be exactly what a new instance is: the same memory (zero beyond what a new one has) and every
// mutable global at the same value, whatever the handle before it did and was opened with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSync } from 'esbuild';
import { hostBundleOptions } from './support/bundle.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-instances-test-'));
const bundle = path.join(tmp, 'instances.bundle.mjs');
buildSync({
  // One bundle, so IODict and coreInstance share the module's kept instances.
  stdin: {
    contents: ["export { coreInstance, kept, GLOBALS_AT } from './host/core/module.ts';", "export { IODict } from './host/dict.ts';", "export { DurableQueue } from './host/queue/durable.ts';", "export { defaultHost } from './host/default-host.ts';"].join('\n'),
    resolveDir: root,
    sourcefile: 'instances-entry.ts',
    loader: 'ts',
  },
  ...hostBundleOptions,
  outfile: bundle,
  format: 'esm',
  sourcemap: 'inline',
});
// Loaded before the tests, not at the top level: Bun's test runner cannot require a module that awaits.
let coreInstance, kept, GLOBALS_AT, IODict, DurableQueue, defaultHost;
test.before(async () => {
  ({ coreInstance, kept, GLOBALS_AT, IODict, DurableQueue, defaultHost } = await import(pathToFileURL(bundle).href));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const noMemory = { bytes: () => new Uint8Array(0) };
const take = () => coreInstance(defaultHost(), path.join(tmp, 'unused'), noMemory, {});
/** An instance's memory, then its globals as saveGlobals stores them (which writes to that memory). */
function state(instance) {
  const memory = new Uint8Array(instance.memory.buffer).slice();
  const length = instance.exports.saveGlobals(GLOBALS_AT);
  return { memory, globals: new Uint8Array(instance.memory.buffer).slice(GLOBALS_AT, GLOBALS_AT + length) };
}

function assertPristine(kept, fresh, what) {
  const [a, b] = [state(kept), state(fresh)];
  assert.ok(a.globals.length > 20 * 8, 'the build adds saveGlobals, which stores every mutable global');
  assert.ok(Buffer.from(a.globals).equals(Buffer.from(b.globals)), `${what}: every global as in a new instance`);
  assert.ok(a.memory.length >= b.memory.length);
  assert.ok(Buffer.from(a.memory.subarray(0, b.memory.length)).equals(Buffer.from(b.memory)), `${what}: memory as in a new instance`);
  assert.ok(a.memory.subarray(b.memory.length).every((byte) => byte === 0), `${what}: zero beyond`);
}

/** Takes every kept instance, so the next handle starts from nothing kept. */
function drain() {
  while (kept() > 0) take();
}

test('an instance kept from a closed handle is reset to what a new one is', () => {
  drain();
  const store = path.join(tmp, 'dict');
  const d = new IODict(store, { durability: 'fsync', xattrs: 'off', rotateAfter: 5, lease: 1234 });
  d.setMany(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'x'.repeat(i)])); // rotations, an index
  d.popItem();
  assert.is(d.size, 99);
  d.close();
  assert.is(kept(), 1, 'its memory never grew: the instance is kept');
  const reused = take();
  const fresh = take(); // nothing kept now: a new instance
  assert.is.not(reused, fresh);
  assertPristine(reused, fresh, 'after a dictionary');

  const q = new DurableQueue(path.join(tmp, 'queue'), { maxsize: 3 });
  q.put(1);
  q.getNowait({ ack: true });
  q.close();
  assert.is(kept(), 1);
  assertPristine(take(), take(), 'after a queue with a claim held');
});

test('an instance whose memory grew is not kept, nor its memory: the next handle gets a new one', () => {
  drain();
  const store = path.join(tmp, 'cycles');
  const cycle = (i) => {
    const d = new IODict(store);
    d.set(`k${i}`, 'v'.repeat(100));
    d.get(`k${i}`);
    d.close();
    assert.is(kept(), 1, `cycle ${i}`);
  };
  for (let i = 0; i < 10; i++) cycle(i);
  drain();
  const bigStore = path.join(tmp, 'big');
  const listBig = () => {
    const big = new IODict(bigStore);
    if (big.size === 0) big.setMany(Array.from({ length: 3000 }, (_, i) => [`key number ${i}`, i]));
    assert.is([...big.keys()].length, 3000); // an index larger than the initial memory
    big.close();
  };
  listBig();
  assert.is(kept(), 0, 'the instance whose memory grew is not kept');
  listBig();
  assert.is(kept(), 0);
  const fresh = take();
  assert.is(fresh.memory.buffer.byteLength, 512 * 1024, 'a new instance, on a new memory of the initial size');
  for (let i = 10; i < 20; i++) cycle(i);
  const d = new IODict(store);
  assert.is(d.size, 20);
  d.close();
});

test('the next handle shows none of the options or state of the one before', () => {
  const first = new IODict(path.join(tmp, 'defaults'));
  const defaults = first.stats().xattrs;
  first.close();
  const a = new IODict(path.join(tmp, 'a'), { xattrs: 'off', rotateAfter: 1 });
  a.set('a', 1);
  assert.is(a.stats().xattrs, false);
  a.close();
  const b = new IODict(path.join(tmp, 'b'));
  assert.is(b.stats().xattrs, defaults, "the option of the handle before does not carry over");
  assert.equal([...b.keys()], []);
  b.set('b', 2);
  assert.equal([...b.entries()], [['b', 2]]);
  b.close();
});

test.run();
