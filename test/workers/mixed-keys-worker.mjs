// Sets keys of three types in turn, with a value now and then large enough to grow the core's
// memory: the shape that V8 11 (Node 20) miscompiled once TurboFan inlined the core's calls
// (host/core/wasm-file.ts). Reports the values read back.
import { IODict } from '../../dist/index.js';

const { path, sets } = JSON.parse(process.argv[2]);
const keys = ['k1', 11, new Uint8Array([3])];
const d = new IODict(path, { xattrs: 'off' });
const last = new Map();
let largest = 0;
for (let i = 0; i < sets; i++) {
  const length = i % 97 === 0 ? (i * 7919) % 3e6 : 50;
  d.set(keys[i % 3], 'x'.repeat(length));
  last.set(i % 3, length);
  largest = Math.max(largest, length);
}
const lengths = keys.map((key) => d.get(key).length);
d.close();
console.log(JSON.stringify({ lengths, expected: keys.map((_, i) => last.get(i)), largest }));
