// The core (dist/iodict.wasm), compiled once per process for every instance made of it: one per
// store handle, and one without a store that checks values for the codecs (codec/check.ts).
import wasmBytes from '../../dist/iodict.wasm';

let compiled: WebAssembly.Module | undefined;

export function coreModule(): WebAssembly.Module {
  return (compiled ??= new WebAssembly.Module(wasmBytes));
}
