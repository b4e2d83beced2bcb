// The core (dist/iodict.wasm, read next to the bundle), compiled once per process, and its
// instances: one per store handle, and one without a store that checks values for the codecs
// (codec/check.ts).
import type { StoreHost } from './host.js';
import { ImportBinding, importTable, type CreateModes, type MemoryRef } from './imports.js';
import { loadWasm } from './wasm-file.js';

let compiled: WebAssembly.Module | undefined;

export function coreModule(): WebAssembly.Module {
  return (compiled ??= loadWasm('iodict.wasm'));
}

const INITIAL_PAGES = 2;

/** A fresh memory for an instance of the core (asconfig.json: importMemory, zeroFilledMemory). */
export function newCoreMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES });
}

/** An instance of the core, its memory, and what its imports are bound to. */
export interface CoreInstance {
  readonly exports: Record<string, unknown>;
  readonly memory: WebAssembly.Memory;
  readonly binding: ImportBinding;
  /** Its mutable globals, which the build exports as `mutable:<n>` (build.mjs). */
  readonly globals: WebAssembly.Global[];
}

// Instantiating the core is most of opening a store (V8 builds its exports: about 200 µs here),
// so the instance of a closed handle is kept, a few small ones per thread, and the next handle
// gets it put back as it was right after instantiation: its memory as it was then (zero beyond)
// and every mutable global at its value then. Nothing else of an instance changes as it runs.
// Small: zeroing a 2 MiB memory costs about 110 µs here, 8 MiB about 420 µs.
const SPARE_INSTANCES = 2;
const SPARE_MEMORY_BYTES = 2 << 20;
const spares: CoreInstance[] = [];
let pristine: { memory: Uint8Array; globals: unknown[] } | undefined;

/** An instance of the core whose imports reach `host` under `root`: a kept one, reset, or a new one. */
export function coreInstance(host: StoreHost, root: string, memory: MemoryRef, modes: CreateModes): CoreInstance {
  const spare = spares.pop();
  if (spare) {
    reset(spare);
    spare.binding.bind(host, root, memory, modes);
    return spare;
  }
  const binding = new ImportBinding(host, root, memory, modes);
  const imports = importTable(binding);
  const own = newCoreMemory();
  const { exports } = new WebAssembly.Instance(coreModule(), { ...imports, env: { ...imports.env, memory: own } });
  const globals = Object.entries(exports).filter(([name]) => name.startsWith('mutable:')).map(([, global]) => global as WebAssembly.Global);
  // Every instance starts alike: the first one, before it runs anything, shows how.
  pristine ??= { memory: new Uint8Array(own.buffer).slice(), globals: globals.map((global) => global.value) };
  return { exports, memory: own, binding, globals };
}

function reset(instance: CoreInstance): void {
  const { memory, globals } = pristine!;
  const bytes = new Uint8Array(instance.memory.buffer);
  bytes.set(memory);
  bytes.fill(0, memory.length);
  instance.globals.forEach((global, i) => (global.value = globals[i]));
}

/** Keeps the instance of a closed handle, which never runs for it again, for coreInstance(). */
export function spareInstance(instance: CoreInstance): void {
  if (spares.length < SPARE_INSTANCES && instance.memory.buffer.byteLength <= SPARE_MEMORY_BYTES && !spares.includes(instance)) spares.push(instance);
}
