// The wasm modules ship once, as files next to the bundles in dist/ (index.js, index.cjs, wasi.js,
// wasi.cjs and cli.js all read the same iodict.wasm / iodict.wasi.wasm), instead of a copy inlined
// into each bundle. Read and compiled on first use.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

export function loadWasm(name: 'iodict.wasm' | 'iodict.wasi.wasm'): WebAssembly.Module {
  avoidJsToWasmInlining();
  return new WebAssembly.Module(readFileSync(new URL(`./${name}`, import.meta.url)));
}

/**
 * V8 11 (Node 20) miscompiles some functions into which TurboFan inlines a call of a wasm export:
 * putEntry, once optimized, read a number key's string length before checking that it was a
 * string, and the process died of SIGSEGV (test/v8-inlining.test.mjs: keys of three types and a
 * value that grows the core's memory, a thousand sets). V8 12 (Node 22) and later do not. So on
 * V8 11 and older that inlining is turned off, before any code calling the core is optimized: the
 * flag is the process's, worker threads included, and costs only the inlined call's few
 * nanoseconds. Bun runs JavaScriptCore: nothing to do.
 */
function avoidJsToWasmInlining(): void {
  const v8 = process.versions.bun === undefined ? process.versions.v8 : undefined;
  if (v8 !== undefined && Number(v8.split('.')[0]) < 12) setFlagsFromString('--no-turbo-inline-js-wasm-calls');
}
