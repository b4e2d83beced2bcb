// The core (dist/iodict.wasm, read next to the bundle), compiled once per process for every
// instance made of it: one per store handle, and one without a store that checks values for the
// codecs (codec/check.ts).
import { loadWasm } from './wasm-file.js';

let compiled: WebAssembly.Module | undefined;

export function coreModule(): WebAssembly.Module {
  return (compiled ??= loadWasm('iodict.wasm'));
}

// The core imports its memory (asconfig.json: importMemory, zeroFilledMemory). A fresh memory costs
// its address-space reservation now and a garbage collection later: about 40% of instantiating
// the core, which is most of opening a store. So the memories of closed handles are kept, a few
// small ones per thread, and handed to the next instance, zeroed: it finds what a fresh one holds.
// Small: zeroing costs 110 µs for 2 MiB here, about what a fresh memory costs; 8 MiB, 420 µs.
const INITIAL_PAGES = 2;
const SPARE_MEMORIES = 2;
const SPARE_MEMORY_BYTES = 2 << 20;
const spareMemories: WebAssembly.Memory[] = [];

/** A memory for a new instance of the core: a spare one, zeroed, or a fresh one. */
export function coreMemory(): WebAssembly.Memory {
  const spare = spareMemories.pop();
  if (!spare) return new WebAssembly.Memory({ initial: INITIAL_PAGES });
  new Uint8Array(spare.buffer).fill(0);
  return spare;
}

/** Keeps the memory of an instance that will never run again, for coreMemory(). */
export function spareMemory(memory: WebAssembly.Memory): void {
  if (spareMemories.length < SPARE_MEMORIES && memory.buffer.byteLength <= SPARE_MEMORY_BYTES && !spareMemories.includes(memory)) spareMemories.push(memory);
}
