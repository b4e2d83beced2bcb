// The change feed's public types (apart from watch.ts, so public types never pull in wasm types).
import type { Key } from '../core/keys.js';
import type { AbortSignalLike } from '../core/globals.js';

/** What a change did: a set (or queue put), a delete (or pop, take, get), an expiry, an eviction; 'rescan': changes were made that no entry names (a writer crashed or a journal was damaged): read the store again. */
export type ChangeType = 'set' | 'delete' | 'expire' | 'evict' | 'rescan';

export interface Change<K = Key> {
  readonly type: ChangeType;
  /**
   * The key changed. Undefined for 'rescan', and for a change whose key this watcher cannot
   * know (a record set and removed again before the watcher read it).
   */
  readonly key: K | undefined;
  /** Where this change sits in the journal: pass it as `since` to continue after it. */
  readonly position: string;
}

export interface WatchOptions {
  /** A change's position: continue right after it (default: from now on). */
  since?: string;
  /** Ends the iteration: the pending next() rejects with the signal's reason. */
  signal?: AbortSignalLike;
  /** Longest pause between two looks at the journal while nothing happens (ms). Default 250. */
  pollInterval?: number;
}
