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
    contents: ["export { coreInstance, coreModule, kept, dropSpares, spareInstance, GLOBALS_AT } from './host/core/module.ts';", "export { ImportBinding, importTable } from './host/core/imports.ts';", "export { IODict } from './host/dict.ts';", "export { DurableQueue } from './host/queue/durable.ts';", "export { defaultHost } from './host/default-host.ts';"].join('\n'),
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
let coreInstance, coreModule, kept, dropSpares, spareInstance, GLOBALS_AT, ImportBinding, importTable, IODict, DurableQueue, defaultHost;
test.before(async () => {
  ({ coreInstance, coreModule, kept, dropSpares, spareInstance, GLOBALS_AT, ImportBinding, importTable, IODict, DurableQueue, defaultHost } = await import(pathToFileURL(bundle).href));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const noMemory = { bytes: () => new Uint8Array(0) };
const take = (root = path.join(tmp, 'unused')) => coreInstance(defaultHost(), root, noMemory, {});
/** A new instance of the core on a new memory of `bytes`, started as coreInstance starts one. */
function freshOn(bytes) {
  const memory = new WebAssembly.Memory({ initial: bytes / 65536 });
  const imports = importTable(new ImportBinding(defaultHost(), path.join(tmp, 'unused'), noMemory));
  const exports = new WebAssembly.Instance(coreModule(), { ...imports, env: { ...imports.env, memory } }).exports;
  exports._start();
  return { exports, memory };
}
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

test('an instance kept from a closed handle is reset to what a new one is', () => {
  dropSpares(); // the next handle starts from nothing kept
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

test('an instance whose memory grew is kept with it, and put back as a new instance on a memory of that size starts', () => {
  dropSpares(); // the next handle starts from nothing kept
  const big = path.join(tmp, 'grown');
  const d = new IODict(big);
  d.setMany(Array.from({ length: 3000 }, (_, i) => [`key number ${i}`, i]));
  assert.is([...d.keys()].length, 3000); // an index larger than the initial memory
  d.close();
  assert.is(kept(), 1);
  const reused = take(big);
  const size = reused.memory.buffer.byteLength;
  assert.ok(size > 512 * 1024, 'the grown memory came back');
  assertPristine(reused, freshOn(size), 'after a grown index');
  const more = reused.exports.reserve(size / 2); // the allocator has the whole memory: no growth
  assert.ok(more > 0);
  assert.is(reused.memory.buffer.byteLength, size, 'the allocator took the pages the memory had grown by');
});

test('a handle gets the kept memory that suits what the last handle of its store needed', () => {
  dropSpares(); // the next handle starts from nothing kept
  const big = path.join(tmp, 'suits-big');
  const small = path.join(tmp, 'suits-small');
  const listBig = () => {
    const d = new IODict(big);
    if (d.size === 0) d.setMany(Array.from({ length: 8000 }, (_, i) => [`${"long key ".repeat(20)}${i}`, i]));
    assert.is([...d.keys()].length, 8000);
    d.close();
  };
  const useSmall = () => {
    const d = new IODict(small);
    d.set('a', 1);
    assert.is(d.size, 1);
    d.close();
  };
  listBig();
  useSmall(); // a new instance: the big memory is more than 4 times what a small store needs
  assert.is(kept(), 2);
  const sizes = () => {
    const a = take(big);
    const b = take(small);
    return [a.memory.buffer.byteLength, b.memory.buffer.byteLength];
  };
  const [bigSize, smallSize] = sizes();
  assert.ok(bigSize > 4 * smallSize, `the big store's handle got the big memory (${bigSize} bytes), the small one's the small (${smallSize})`);
  assert.is(smallSize, 512 * 1024);

  listBig();
  const d = new IODict(big); // the big memory again, but this handle loads no index ...
  assert.is(d.get(`${"long key ".repeat(20)}7`), 7);
  d.close();
  const after = take(big); // ... so the next handle of that store is not given it to clear
  assert.is(after.memory.buffer.byteLength, 512 * 1024);
  listBig(); // and a store listed again still lists all of it
});

test('at most two instances are kept, and their memories take at most 64 MiB in all: beyond, the oldest is given back', () => {
  dropSpares();
  // An instance of the store at `name` whose memory grew by about `mib` (what its handle needed).
  const grown = (mib, name) => {
    const instance = take(path.join(tmp, name));
    assert.ok(instance.exports.reserve(mib << 20) > 0);
    return instance;
  };
  const huge = grown(70, 'huge');
  assert.ok(huge.memory.buffer.byteLength > 64 << 20);
  spareInstance(huge);
  assert.is(kept(), 0, 'a memory over 64 MiB is not kept');

  const first = grown(20, 'first');
  const second = grown(20, 'second');
  assert.ok(first.memory.buffer.byteLength + second.memory.buffer.byteLength > 64 << 20);
  spareInstance(first);
  spareInstance(second);
  assert.is(kept(), 1, 'the two would pass 64 MiB: the older goes');
  assert.is(take(path.join(tmp, 'second')), second);

  const small = [grown(1, 'small0'), grown(1, 'small1'), grown(1, 'small2')];
  small.forEach((instance) => spareInstance(instance));
  assert.is(kept(), 2, 'two at most');
  assert.is(take(path.join(tmp, 'small2')), small[2]);
  assert.is(take(path.join(tmp, 'small1')), small[1]);
  assert.is(kept(), 0, 'the oldest was given back');
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
