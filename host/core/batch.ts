// Batches on the host side: the order of core calls of assembly/store/batch.ts, chunking, and the
// error that says which items landed when a batch fails part way.
import { Core, Status } from './core.js';
import { BatchError } from '../errors.js';
import { type Key, keyType } from './keys.js';

/** One item of a batch, ready for the core: places itself at reserve() and says how. */
export interface BatchItem {
  /** Key and value placed in the record buffer; returns [keyType, keyLen, valueLen]. */
  place(core: Core): [number, number, number];
  /** Identity of the key (equal keys, equal strings): a repeated key starts a new group commit. */
  readonly identity: string;
}

/** Items per group commit: bounds the temp files and memory one commit holds. */
const CHUNK = 1024;

/**
 * Writes the items with one group commit per chunk (FORMAT.md 7.3.1). A key repeated within a
 * chunk closes it first, so the result is exactly that of setting the items one by one.
 * `onLanded(i)` runs after item i is in place; `expiry` (µs, 0 for none) is every item's expiry
 * stamp. Throws BatchError when an item fails.
 */
export function writeBatch(core: Core, items: readonly BatchItem[], codecId: number, onLanded: (i: number) => void, expiry = 0): void {
  let start = 0;
  while (start < items.length) {
    const seen = new Set<string>();
    let end = start;
    while (end < items.length && end - start < CHUNK && !seen.has(items[end]!.identity)) seen.add(items[end++]!.identity);
    commitChunk(core, items, start, end, codecId, onLanded, expiry);
    start = end;
  }
}

function commitChunk(core: Core, items: readonly BatchItem[], start: number, end: number, codecId: number, onLanded: (i: number) => void, expiry: number): void {
  const x = core.x;
  x.batchBegin();
  let failure: Error | undefined;
  try {
    for (let i = start; i < end && !failure; i++) {
      const [keyType, keyLen, valueLen] = items[i]!.place(core);
      if (expiry) x.setNextExpiry(expiry);
      const status = x.batchWrite(keyType, keyLen, valueLen, codecId);
      if (status !== Status.OK) failure = core.error(status);
    }
    if (!failure) {
      const status = x.batchSync();
      if (status !== Status.OK) failure = core.error(status);
    }
    for (let i = start; i < end && !failure; i++) {
      const [keyType, keyLen, valueLen] = items[i]!.place(core);
      const status = x.batchLand(i - start, keyType, keyLen, valueLen, codecId);
      if (status !== Status.OK) failure = core.error(status);
      else onLanded(i);
    }
  } catch (error) {
    failure = error as Error; // a key or value the core refused to place (TypeError, RangeError)
  } finally {
    x.batchEnd();
  }
  core.check(Status.OK); // warns when the root's fsync failed: what landed stands
  core.warnFailedEviction();
  core.absorbEvents();
  if (failure) {
    const landed = start + x.batchLanded();
    throw new BatchError(`iodict: a batch failed after ${landed} of ${items.length} items: ${failure.message}`, landed, failure);
  }
}

/** A dictionary entry: the key is checked now (TypeError), before anything of the batch is written. */
export function entryItem(key: Key, value: Uint8Array): BatchItem {
  keyType(key);
  const identity = `${typeof key}:${key instanceof Uint8Array ? latin1.decode(key) : String(key)}`;
  return {
    identity,
    place(core) {
      const keyLen = core.putEntry(key, value);
      return [core.keyType, keyLen, value.length];
    },
  };
}

/** An item under raw canonical key bytes (a queue item's producer id and counter). */
export function rawItem(type: number, key: Uint8Array, value: Uint8Array): BatchItem {
  return {
    identity: latin1.decode(key),
    place(core) {
      return [type, core.putRawEntry(type, key, value), value.length];
    },
  };
}

// windows-1252 as WHATWG defines it maps the 256 bytes to 256 distinct characters: an exact identity.
const latin1 = new TextDecoder('latin1');
