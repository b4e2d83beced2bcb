// What checking values costs a get (FORMAT.md section 4, assembly/format/value.ts), for values of
// about 100 B, 4 KiB and 1 MiB: the floor (readFileSync of the record), a whole get, the core's
// check alone (in wasm memory, as a get runs it), and the JS decode of checked bytes.
// `node bench/value-check.mjs [--dir DIR] [--baseline path/to/other/dist/index.js]`: with a
// baseline, its get and its cbor.decode are measured alongside (e.g. a build of an older commit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { IODict, cbor } from '../dist/index.js';
import { bundle } from './bundle.mjs';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const root = fs.mkdtempSync(path.join(option('--dir') ?? os.tmpdir(), 'iodict-value-check-'));
const baseline = option('--baseline') ? await import(pathToFileURL(path.resolve(option('--baseline'))).href) : undefined;

// decodeChecked is internal: the codec bundled on the fly.
const codec = await bundle('../host/codec/cbor.ts');

// The core's check, called on bytes already in its memory, as a get calls it: an instance of the
// core with no store (its imports are never called).
const coreModule = new WebAssembly.Module(fs.readFileSync(new URL('../dist/iodict.wasm', import.meta.url)));
const stubs = {};
for (const { module, name, kind } of WebAssembly.Module.imports(coreModule)) {
  (stubs[module] ??= {})[name] = kind === 'memory' ? new WebAssembly.Memory({ initial: 2 }) : () => { throw new Error(`${module}.${name}`); };
}
const core = new WebAssembly.Instance(coreModule, stubs).exports;
core._start(); // the build exports the start function instead of running it (asconfig.json)

const line = (i) => ({ sku: `SKU-${1000 + i}`, title: `Item number ${i} with a medium length title`, qty: i + 1, price: 9.99 + i, discount: i % 3 ? 0 : 0.1 });
const values = {
  '100 B': { id: 123456, name: 'Ada Lovelace', email: 'ada@example.com', active: true, score: 97.25, tags: ['math'] },
  '4 KiB': { kind: 'order', id: 'ord_01HZX3K8Q2', customer: { id: 99812, name: 'Grace Hopper', vip: false }, lines: Array.from({ length: 40 }, (_, i) => line(i)) },
  '1 MiB': Array.from({ length: 10900 }, (_, i) => line(i)),
};

let sink = 0;
/** µs per call: calls in ~20 ms batches, interleaved across candidates, fastest batch counted. */
function measure(candidates, rounds = 12) {
  const entries = Object.entries(candidates).map(([name, fn]) => {
    let n = 1;
    for (let t = performance.now(); performance.now() - t < 20; n *= 2) for (let i = 0; i < n; i++) sink += fn() ? 1 : 0;
    return { name, fn, n, best: Infinity };
  });
  for (let r = 0; r < rounds; r++) {
    for (const e of entries) {
      const t = performance.now();
      for (let i = 0; i < e.n; i++) sink += e.fn() ? 1 : 0;
      e.best = Math.min(e.best, ((performance.now() - t) * 1000) / e.n);
    }
  }
  return Object.fromEntries(entries.map((e) => [e.name, e.best]));
}

const rows = [];
for (const [label, value] of Object.entries(values)) {
  const dir = path.join(root, label.replace(/\W/g, ''));
  const d = new IODict(dir, { xattrs: 'off' });
  d.set('k', value);
  const file = path.join(dir, fs.readdirSync(dir).find((n) => n.length === 56));
  const bytes = cbor.encode(value);
  const ptr = core.reserve(bytes.length);
  new Uint8Array(core.memory.buffer).set(bytes, ptr);
  const old = baseline ? new baseline.IODict(dir, { xattrs: 'off' }) : undefined;
  const candidates = {
    'floor (readFileSync)': () => fs.readFileSync(file),
    get: () => d.get('k'),
    'core check': () => core.checkReservedValue(0, bytes.length) === 0,
    'JS decode of checked bytes': () => codec.decodeChecked(bytes),
  };
  if (old) {
    candidates['baseline get'] = () => old.get('k');
    candidates['baseline cbor.decode'] = () => baseline.cbor.decode(bytes);
  }
  const t = measure(candidates, label === '1 MiB' ? 6 : 12);
  rows.push({
    value: `${label} (${bytes.length} B)`,
    'floor µs': t['floor (readFileSync)'].toFixed(2),
    'get µs': t.get.toFixed(2),
    'get/floor': (t.get / t['floor (readFileSync)']).toFixed(2),
    'check µs': t['core check'].toFixed(2),
    'check/floor': (t['core check'] / t['floor (readFileSync)']).toFixed(3),
    'decode µs': t['JS decode of checked bytes'].toFixed(2),
    ...(old ? { 'baseline get µs': t['baseline get'].toFixed(2), 'baseline decode µs': t['baseline cbor.decode'].toFixed(2) } : {}),
  });
  d.close();
  old?.close();
}
fs.rmSync(root, { recursive: true, force: true });
console.log(`node ${process.version}; µs per call, fastest of interleaved batches`);
console.table(rows);
if (sink < 0) console.log(sink);
