// transact(): the store lock (FORMAT.md 7.7) held across a caller's function. The core takes it
// without waiting and nests it (a rotation inside the transaction uses the held lock); waiting
// between tries happens here, so a wait can be cut short (AbortSignal, in AsyncIODict's workers).
import { resolve } from 'node:path';
import type { Core } from './core.js';
import { Status } from './core.js';
import { StoreError } from '../errors.js';

const FIRST_PAUSE_MS = 0.1;
const LONGEST_PAUSE_MS = 2;

/**
 * Stores whose lock a transaction of this thread holds, by resolved path: a second handle of the
 * same thread waiting for it could never get it (the holder cannot run while it waits).
 */
const heldHere = new Map<string, object>();

/** Refuses a wait that could never end: `holder` is not the one holding `path` in this thread. */
export function claimInThread(path: string, holder: object): () => void {
  const key = resolve(path);
  const current = heldHere.get(key);
  if (current !== undefined && current !== holder) {
    throw new StoreError(`iodict: ${path}: a transaction of another handle in this thread holds the store lock; waiting for it would never end`, path, 'EDEADLK', 'lock');
  }
  if (current === holder) return () => {};
  heldHere.set(key, holder);
  return () => heldHere.delete(key);
}

/**
 * Takes the store lock, pausing between tries (`pause(ms)` returns false to give up: the wait
 * was aborted). Returns whether it was taken.
 */
export function lockStore(core: Core, pause: (ms: number) => boolean): boolean {
  let ms = FIRST_PAUSE_MS;
  while (core.check(core.x.lockStore()) !== Status.OK) {
    if (!pause(ms)) return false;
    ms = Math.min(ms * 2, LONGEST_PAUSE_MS);
  }
  return true;
}

/**
 * Runs fn holding `core`'s store lock (and nothing else: the caller holds its own `lock` option).
 * Synchronous: the thread waits for the lock, so fn must not return a promise (the lock would be
 * released while its work goes on).
 */
export function transactSync<T>(core: Core, path: string, holder: object, fn: () => T): T {
  const unclaim = claimInThread(path, holder);
  try {
    lockStore(core, (ms) => {
      core.host.sleep(ms);
      return true;
    });
    try {
      const result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('iodict: transact(fn): fn returned a promise, but the lock cannot be held across an await here; use AsyncIODict.transact');
      }
      return result;
    } finally {
      core.x.unlockStore();
    }
  } finally {
    unclaim();
  }
}
