// The package's `iodict/wasi` entry: the runner of the WASI build (docs/WASI.md), which reads
// dist/iodict.wasi.wasm (also exported as `iodict/iodict.wasi.wasm` for other WASI runtimes).
export { openWasiStore, type WasiStore, type WasiStoreOptions } from './wasi/runner.js';
