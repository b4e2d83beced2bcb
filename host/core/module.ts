// The core (dist/iodict.wasm, read next to the bundle), compiled once per process for every
// instance made of it: one per store handle, and one without a store that checks values for the
// codecs (codec/check.ts).
import { loadWasm } from './wasm-file.js';

let compiled: WebAssembly.Module | undefined;

export function coreModule(): WebAssembly.Module {
  return (compiled ??= loadWasm('iodict.wasm'));
}
