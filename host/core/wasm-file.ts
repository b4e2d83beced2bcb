// The wasm modules ship once, as files next to the bundles in dist/ (index.js, index.cjs, wasi.js,
// wasi.cjs and cli.js all read the same iodict.wasm / iodict.wasi.wasm), instead of a copy inlined
// into each bundle. Read and compiled on first use.
import { readFileSync } from 'node:fs';

export function loadWasm(name: 'iodict.wasm' | 'iodict.wasi.wasm'): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(new URL(`./${name}`, import.meta.url)));
}
