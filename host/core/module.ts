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

// A new instance's memory (asconfig.json: importMemory, zeroFilledMemory): 512 KiB, what an open
// and a few operations on small items take, so that their instance never grows it (see below).
const INITIAL_PAGES = 8;
const INITIAL_BYTES = INITIAL_PAGES << 16;

/** A fresh memory for an instance of the core. */
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

// Instantiating the core is most of opening a store (V8 builds its exports: about 200 µs here).
// So the instance of a closed handle is kept, and the next handle gets it put back as it was
// right after instantiation: its memory as it was then and every mutable global at its value
// then; nothing else of an instance changes as it runs. Only an instance whose memory never
// grew: its allocator then knows the whole memory, as a new one does (it would never reuse the
// pages a memory grew by, growing further each time instead). A grown memory, if small, is kept
// instead and zeroed for a new instance, which saves the memory's reservation and collection.
// Small: zeroing 2 MiB costs about 110 µs here, 8 MiB about 420 µs.
const SPARES = 2;
const SPARE_MEMORY_BYTES = 2 << 20;
const spareInstances: CoreInstance[] = [];
const spareMemories: WebAssembly.Memory[] = [];
/** A new instance as it starts: its memory's non-zero 4 KiB pages, and its globals' values. */
let pristine: { pages: [number, Uint8Array][]; globals: unknown[] } | undefined;
const PAGE = 4096;

/** An instance of the core whose imports reach `host` under `root`: a kept one, reset, or a new one. */
export function coreInstance(host: StoreHost, root: string, memory: MemoryRef, modes: CreateModes): CoreInstance {
  const spare = spareInstances.pop();
  if (spare) {
    reset(spare);
    spare.binding.bind(host, root, memory, modes);
    return spare;
  }
  const binding = new ImportBinding(host, root, memory, modes);
  const imports = importTable(binding);
  const own = spareMemories.pop() ?? newCoreMemory();
  new Uint8Array(own.buffer).fill(0);
  const { exports } = new WebAssembly.Instance(coreModule(), { ...imports, env: { ...imports.env, memory: own } });
  const globals = Object.entries(exports).filter(([name]) => name.startsWith('mutable:')).map(([, global]) => global as WebAssembly.Global);
  // Every instance starts alike: the first one of the initial size, before it runs anything, shows how.
  if (!pristine && own.buffer.byteLength === INITIAL_BYTES) pristine = { pages: nonZeroPages(new Uint8Array(own.buffer)), globals: globals.map((global) => global.value) };
  return { exports, memory: own, binding, globals };
}

function nonZeroPages(bytes: Uint8Array): [number, Uint8Array][] {
  const pages: [number, Uint8Array][] = [];
  for (let at = 0; at < bytes.length; at += PAGE) {
    const page = bytes.subarray(at, at + PAGE);
    if (page.some((byte) => byte !== 0)) pages.push([at, page.slice()]);
  }
  return pages;
}

function reset(instance: CoreInstance): void {
  const bytes = new Uint8Array(instance.memory.buffer);
  bytes.fill(0);
  for (const [at, page] of pristine!.pages) bytes.set(page, at);
  instance.globals.forEach((global, i) => (global.value = pristine!.globals[i]));
}

/** Keeps what a closed handle's instance can give the next one; the instance never runs for the closed handle again. */
export function spareInstance(instance: CoreInstance): void {
  const size = instance.memory.buffer.byteLength;
  if (pristine && size === INITIAL_BYTES) {
    if (spareInstances.length < SPARES && !spareInstances.includes(instance)) spareInstances.push(instance);
  } else if (size <= SPARE_MEMORY_BYTES && spareMemories.length < SPARES && !spareMemories.includes(instance.memory)) {
    spareMemories.push(instance.memory);
  }
}

/** How many instances and memories are kept for the next handles (for tests). */
export function spareCounts(): { instances: number; memories: number } {
  return { instances: spareInstances.length, memories: spareMemories.length };
}
