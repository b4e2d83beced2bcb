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
 * Handles of this thread holding a store's lock in a transaction, by resolved path: a handle of
 * this thread that waited for it synchronously could never get it (the holder cannot run).
 */
const heldHere = new Map<string, Set<object>>();

/**
 * Notes `holder` as holding `path`'s lock in this thread; returns how to forget it. `waitsHere`:
 * the caller is about to wait synchronously, which another holder of this thread makes a deadlock
 * (StoreError EDEADLK). AsyncIODict waits in its workers, so it only notes itself.
 */
export function claimInThread(path: string, holder: object, waitsHere = true): () => void {
  const key = resolve(path);
  const holders = heldHere.get(key) ?? new Set<object>();
  if (holders.has(holder)) return () => {};
  if (waitsHere && holders.size > 0) {
    throw new StoreError(`iodict: ${path}: a transaction of another handle in this thread holds the store lock; waiting for it would never end`, path, 'EDEADLK', 'lock');
  }
  holders.add(holder);
  heldHere.set(key, holders);
  return () => {
    holders.delete(holder);
    if (holders.size === 0) heldHere.delete(key);
  };
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
 * Takes `core`'s store lock for `holder`, pausing between tries: returns how to release it, or
 * undefined when `pause` gave up (an aborted wait).
 */
export function holdStoreLock(core: Core, path: string, holder: object, pause: (ms: number) => boolean): (() => void) | undefined {
  const unclaim = claimInThread(path, holder);
  let locked = false;
  try {
    locked = lockStore(core, pause);
  } finally {
    if (!locked) unclaim();
  }
  if (!locked) return undefined;
  return () => {
    core.x.unlockStore();
    unclaim();
  };
}

/** The pause of a synchronous wait: the thread sleeps. */
export function sleepingPause(core: Core): (ms: number) => boolean {
  return (ms) => {
    core.host.sleep(ms);
    return true;
  };
}

/** fn's result, refused when it is a promise (the lock cannot be held across its awaits). */
export function synchronousResult<T>(result: T): T {
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new TypeError('iodict: transact(fn): fn returned a promise, but the lock cannot be held across an await here; use AsyncIODict.transact');
  }
  return result;
}
