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
  readonly exports: Record<string, unknown> & GlobalsSnapshot;
  readonly memory: WebAssembly.Memory;
  readonly binding: ImportBinding;
}

/** What the build adds to the core (build.mjs): its mutable globals stored at, and loaded from, `at`. */
interface GlobalsSnapshot {
  saveGlobals(at: number): number;
  restoreGlobals(at: number): void;
}

// Instantiating the core is most of opening a store (V8 builds its exports: about 200 µs here).
// So the instance of a closed handle is kept, and the next handle gets it put back as it was
// right after instantiation: its memory as it was then and every mutable global at its value
// then (saveGlobals and restoreGlobals, which the build adds); nothing else of an instance
// changes as it runs. Only an instance whose memory kept its size: a new instance's allocator
// takes the whole memory it finds, so one put back after its memory grew would not know the
// pages it grew by, and would grow further each time instead of using them. Its memory is not
// given to a new instance either: on Node 20, a worker thread whose handles' new instances took
// the grown memories of closed ones crashed (SIGSEGV in V8's optimized code, after a few
// thousand calls of test/model.test's AsyncIODict variant; never with a new memory each time).
const SPARES = 2;
const spareInstances: CoreInstance[] = [];
/** A new instance as it starts: its memory's non-zero 4 KiB pages, and the globals as saveGlobals stores them. */
let pristine: { pages: [number, Uint8Array][]; globals: Uint8Array } | undefined;
const PAGE = 4096;
/** Where the globals pass through memory: free heap in a new instance (zero, and zero again after). */
export const GLOBALS_AT = INITIAL_BYTES / 2;

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
  const own = newCoreMemory();
  const exports = new WebAssembly.Instance(coreModule(), { ...imports, env: { ...imports.env, memory: own } }).exports as CoreInstance['exports'];
  // Every new instance starts alike: the first one, before it runs anything, shows how.
  pristine ??= snapshot(exports, new Uint8Array(own.buffer));
  return { exports, memory: own, binding };
}

function snapshot(exports: GlobalsSnapshot, bytes: Uint8Array): { pages: [number, Uint8Array][]; globals: Uint8Array } {
  // The globals take 8 bytes each (about 1.7 KiB): they must fit the page checked to be free.
  if (bytes.subarray(GLOBALS_AT, GLOBALS_AT + PAGE).some((byte) => byte !== 0)) throw new Error('iodict: a new core uses the memory its globals pass through (a bug: please report it)');
  const length = exports.saveGlobals(GLOBALS_AT);
  if (length > PAGE) throw new Error(`iodict: the core's globals (${length} bytes) outgrew the page they pass through (a bug: please report it)`);
  const globals = bytes.slice(GLOBALS_AT, GLOBALS_AT + length);
  bytes.fill(0, GLOBALS_AT, GLOBALS_AT + length);
  return { pages: nonZeroPages(bytes), globals };
}

function nonZeroPages(bytes: Uint8Array): [number, Uint8Array][] {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const pages: [number, Uint8Array][] = [];
  for (let at = 0; at < bytes.length; at += PAGE) {
    let used = false;
    for (let w = at / 4, end = (at + PAGE) / 4; w < end && !used; w++) used = words[w] !== 0;
    if (used) pages.push([at, bytes.slice(at, at + PAGE)]);
  }
  return pages;
}

function reset(instance: CoreInstance): void {
  const { pages, globals } = pristine!;
  const bytes = new Uint8Array(instance.memory.buffer);
  bytes.fill(0);
  bytes.set(globals, GLOBALS_AT);
  instance.exports.restoreGlobals(GLOBALS_AT);
  bytes.fill(0, GLOBALS_AT, GLOBALS_AT + globals.length);
  for (const [at, page] of pages) bytes.set(page, at);
}

/** Keeps what a closed handle's instance can give the next one; the instance never runs for the closed handle again. */
export function spareInstance(instance: CoreInstance): void {
  // Called once per instance (Core retires its handle once): no instance is kept twice.
  if (instance.memory.buffer.byteLength === INITIAL_BYTES && spareInstances.length < SPARES) spareInstances.push(instance);
}

/** How many instances are kept for the next handles (for tests). */
export function kept(): number {
  return spareInstances.length;
}
