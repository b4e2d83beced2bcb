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
  readonly exports: Record<string, unknown> & GlobalsSnapshot & { indexMemory(): number };
  readonly memory: WebAssembly.Memory;
  readonly binding: ImportBinding;
  /** Its memory's size when its handle got it: more when the handle closes means the handle needed more. */
  takenBytes: number;
}

/** What the build adds to the core (build.mjs: its mutable globals stored at, and loaded from, `at`), and its start function. */
interface GlobalsSnapshot {
  saveGlobals(at: number): number;
  restoreGlobals(at: number): void;
  /** The core's start function (asconfig.json: exportStart), run once the instance is set up. */
  _start(): void;
}

// Instantiating the core is most of opening a small store (V8 builds its exports: about 200 µs
// here), and fresh memory most of opening a large one (its first write to each 4 KiB page is a
// page fault: 9 µs a page on this machine, 2,300 of them for a 100k-key index). So the instance
// of a closed handle is kept, with its memory, and the next handle gets it put back as a new
// instance on a memory of that size is: memory zero but for the data segments, every mutable
// global at its value before the start function (saveGlobals and restoreGlobals, which the build
// adds), and then the start function run (the build exports it as _start instead of running it at
// instantiation), which gives the allocator the whole memory, as it does for a new instance.
// Nothing else of an instance changes as it runs. An instance keeps its own memory: none is ever
// given to another instance.
const SPARES = 2;
/** Kept memories take at most this much in all (a closed store's memory is given back beyond it). */
const SPARE_BYTES = 64 << 20;
/** Kept instances, the most recently closed last. */
const spareInstances: CoreInstance[] = [];
/** A new instance before its start function: its memory's non-zero 4 KiB pages, and the globals as saveGlobals stores them. */
let pristine: { pages: [number, Uint8Array][]; globals: Uint8Array } | undefined;
/** How much memory the last handle of each store path needed, so that a small store's handle is not given a large memory to clear. */
const needs = new Map<string, number>();
const NEEDS_KEPT = 64;
/** A kept memory more than this many times the need is not taken: clearing it costs more than growing a new one. */
const OVERSIZE = 4;
const PAGE = 4096;
/** Where the globals pass through memory: free heap in a new instance (zero, and zero again after). */
export const GLOBALS_AT = INITIAL_BYTES / 2;

/** An instance of the core whose imports reach `host` under `root`: a kept one, reset, or a new one. */
export function coreInstance(host: StoreHost, root: string, memory: MemoryRef, modes: CreateModes): CoreInstance {
  const spare = takeSpare(needs.get(root) ?? INITIAL_BYTES);
  if (spare) {
    reset(spare);
    spare.binding.bind(host, root, memory, modes);
    spare.takenBytes = spare.memory.buffer.byteLength;
    return spare;
  }
  const binding = new ImportBinding(host, root, memory, modes);
  const imports = importTable(binding);
  const own = newCoreMemory();
  const exports = new WebAssembly.Instance(coreModule(), { ...imports, env: { ...imports.env, memory: own } }).exports as CoreInstance['exports'];
  // Every new instance starts alike: the first one, before it runs anything, shows how.
  pristine ??= snapshot(exports, new Uint8Array(own.buffer));
  exports._start();
  return { exports, memory: own, binding, takenBytes: own.buffer.byteLength };
}

/**
 * The kept instance that suits a handle needing `need` bytes: the smallest that holds it, else the
 * largest not too large to clear; of two alike, the one closed last.
 */
function takeSpare(need: number): CoreInstance | undefined {
  let best = -1;
  let bestSize = 0;
  for (let i = spareInstances.length - 1; i >= 0; i--) {
    const size = spareInstances[i]!.memory.buffer.byteLength;
    if (size > need * OVERSIZE) continue;
    if (best < 0 || (bestSize < need ? size > bestSize : size >= need && size < bestSize)) [best, bestSize] = [i, size];
  }
  return best < 0 ? undefined : spareInstances.splice(best, 1)[0];
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
  instance.exports._start();
}

/**
 * Keeps what a closed handle's instance can give the next one (the instance never runs for the
 * closed handle again), and notes what the handle needed: the memory it grew to, else twice its
 * index (so a handle given a large memory that it did not use is not taken to need it).
 */
export function spareInstance(instance: CoreInstance): void {
  // Called once per instance (Core retires its handle once): no instance is kept twice.
  const size = instance.memory.buffer.byteLength;
  const { root } = instance.binding;
  needs.delete(root);
  needs.set(root, size > instance.takenBytes ? size : Math.max(INITIAL_BYTES, Math.min(size, 2 * instance.exports.indexMemory())));
  if (needs.size > NEEDS_KEPT) needs.delete(needs.keys().next().value!);
  spareInstances.push(instance);
  let bytes = spareInstances.reduce((sum, spare) => sum + spare.memory.buffer.byteLength, 0);
  while (spareInstances.length > SPARES || bytes > SPARE_BYTES) bytes -= spareInstances.shift()!.memory.buffer.byteLength;
}

/** How many instances are kept for the next handles (for tests). */
export function kept(): number {
  return spareInstances.length;
}

/** Gives back every kept instance, so the next handle gets a new one (for tests). */
export function dropSpares(): void {
  spareInstances.length = 0;
}
