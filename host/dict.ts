import { inspect } from 'node:util';
import { inspectCustom } from './core/globals.js';
import { Core, Status, Claim } from './core/core.js';
import type { StoreHost } from './core/host.js';
import type { Key } from './core/keys.js';
import { type Codec, cborCodec, checkCodec } from './codec/index.js';
import { ClosedError, KeyError, CorruptRecordError } from './errors.js';
import { checkOptions, isPath, iterableArgument, pairsArgument, updateArgument, DICT_OPTIONS } from './core/validate.js';
import { writeBatch, entryItem } from './core/batch.js';
import type { CoreOptions } from './core/options.js';
import { type Lock, withLock } from './core/lock.js';
import { holdStoreLock, sleepingPause, synchronousResult } from './core/transaction.js';

export type { Lock };
import { defaultHost } from './default-host.js';
import { watchChanges } from './watch/watch.js';
import type { Change, WatchOptions } from './watch/types.js';

export type { Change, WatchOptions };

/** Expiry and bounded size, for IODict and AsyncIODict. */
export interface LimitOptions {
  /** Default time to live of every set (ms); `set(k, v, { ttl })` overrides it. Default: none. */
  ttl?: number;
  /** Most items the store holds: a set past it evicts the oldest (birth order). Default: no limit. */
  maxItems?: number;
  /** Most bytes of record files the store holds: a set past it evicts the oldest. Default: no limit. */
  maxBytes?: number;
}

export interface IODictOptions<V = unknown> extends CoreOptions, LimitOptions {
  /**
   * Held around every operation. Not needed for safety: every operation is atomic on disk
   * (temp file + rename, claim by rename). Use it to make a sequence of your own atomic.
   */
  lock?: Lock;
  /** How values become bytes. Default: CBOR (RFC 8949). */
  codec?: Codec<V>;
  /** Clear the store and remove its directory on close() / dispose (Python's `with IODict(p)`). */
  temporary?: boolean;
  /** The file-system binding (default: the one for this runtime). */
  host?: StoreHost;
}

export interface SetOptions {
  /** Time to live (ms): from then on the item is gone for every reader in every process. */
  ttl?: number;
}

/** A ttl (ms) as an expiry stamp in µs by `now` (ms); 0 for none. */
export function expiryStamp(ttl: number | undefined, now: number): number {
  if (ttl === undefined) return 0;
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) throw new RangeError(`iodict: ttl must be a positive number of ms, not ${String(ttl)}`);
  return Math.round((now + ttl) * 1000);
}

/**
 * transact() split in two, for AsyncIODict's workers (whose transactions span many messages):
 * enters a transaction on `dict`; returns how to leave it, or undefined if `pause` gave up.
 */
export let enterTransaction: (dict: IODict<any, any>, pause: (ms: number) => boolean) => (() => void) | undefined;

/**
 * A persistent, ordered dictionary: one file per item in `path`, iterated oldest first
 * (insertion order, kept across restarts and processes). Usable wherever a Map is.
 */
export class IODict<K extends Key = Key, V = unknown> implements Map<K, V> {
  readonly path: string;
  readonly #core: Core;
  readonly #codec: Codec<V>;
  readonly #lock: Lock | undefined;
  readonly #options: IODictOptions<V>;
  #closed = false;
  #transactions = 0;

  constructor(path: string, options: IODictOptions<V> = {}) {
    isPath(path, 'path', 'IODict');
    checkOptions('IODict', options, DICT_OPTIONS);
    this.path = path;
    this.#options = options;
    this.#codec = options.codec ?? cborCodec;
    checkCodec(this.#codec);
    this.#lock = options.lock;
    this.#core = new Core(options.host ?? defaultHost(), path, { ...options, kind: 'dict' });
    if (options.maxItems || options.maxBytes) this.#core.x.setLimits(options.maxItems ?? 0, options.maxBytes ?? 0);
  }

  /** A fresh store at `path` holding every key of `keys` mapped to `value`. */
  static fromKeys<K extends Key, V>(path: string, keys: Iterable<K>, value: V, options?: IODictOptions<V>): IODict<K, V> {
    return new IODict<K, V>(path, options).fromKeys(keys, value);
  }

  #run<T>(op: () => T): T {
    if (this.#closed) throw new ClosedError(`iodict: ${this.path} is closed`);
    this.#core.tick();
    // Inside transact() the `lock` option is held already.
    return this.#transactions > 0 ? op() : withLock(this.#lock, op);
  }

  /**
   * Runs `fn(this)` holding the store's exclusive lock (FORMAT.md 7.7), which other processes,
   * threads and handles take for their transactions too, and the `lock` option if given; returns
   * what fn returns. Operations inside fn work as usual. Waits (blocking this thread) for the lock;
   * fn must be synchronous (AsyncIODict.transact takes async functions). Mutual exclusion, not
   * rollback: if fn throws, what it wrote stays written. Nested calls on this handle nest; a
   * call on another handle of this thread while one holds the lock throws StoreError EDEADLK.
   */
  transact<T>(fn: (dict: this) => T): T {
    const leave = this.#enterTransaction(sleepingPause(this.#core))!;
    try {
      return synchronousResult(fn(this));
    } finally {
      leave();
    }
  }

  /** Takes the `lock` option, then the store lock; how to release both, or undefined if `pause` gave up. */
  #enterTransaction(pause: (ms: number) => boolean): (() => void) | undefined {
    this.#run(() => undefined); // refuses a closed handle
    const lock = this.#transactions > 0 ? undefined : this.#lock;
    lock?.acquire();
    let leaveStore: (() => void) | undefined;
    try {
      leaveStore = holdStoreLock(this.#core, this.path, this, pause);
    } finally {
      if (!leaveStore) lock?.release();
    }
    if (!leaveStore) return undefined;
    this.#transactions++;
    return () => {
      this.#transactions--;
      leaveStore();
      lock?.release();
    };
  }

  static {
    enterTransaction = (dict, pause) => dict.#enterTransaction(pause);
  }

  get size(): number {
    return this.#run(() => this.#core.size());
  }

  get(key: K): V | undefined {
    return this.#run(() => (this.#read(key) ? this.#core.resultValue(this.#codec) : undefined));
  }

  /** Reads key's record into the core's result; false when there is none. */
  #read(key: K): boolean {
    const core = this.#core;
    const keyLen = core.putKey(key);
    return core.check(core.x.get(core.keyType, keyLen)) === Status.OK;
  }

  has(key: K): boolean {
    return this.#run(() => {
      const core = this.#core;
      const keyLen = core.putKey(key);
      return core.check(core.x.has(core.keyType, keyLen)) === Status.OK;
    });
  }

  /** Sets key to value (keeping its place in line if it exists); `ttl` (ms) makes it expire. */
  set(key: K, value: V, options?: SetOptions): this {
    return this.#run(() => {
      const core = this.#core;
      const bytes = this.#codec.encode(value);
      const keyLen = core.putEntry(key, bytes);
      const expiry = expiryStamp(options?.ttl ?? this.#options.ttl, core.now());
      if (expiry) core.x.setNextExpiry(expiry);
      core.check(core.x.set(core.keyType, keyLen, bytes.length, this.#codec.id));
      core.warnFailedEviction();
      core.cacheLandedKey(key);
      core.absorbEvents();
      return this;
    });
  }

  delete(key: K): boolean {
    return this.#run(() => {
      const core = this.#core;
      const keyLen = core.putKey(key);
      return core.check(core.x.remove(core.keyType, keyLen)) === Status.OK;
    });
  }

  clear(): void {
    this.#run(() => {
      this.#core.check(this.#core.x.clear());
      this.#core.absorbEvents();
    });
  }

  /** Keys, oldest first: a snapshot taken when called. */
  keys(): MapIterator<K> {
    return this.#run(() => (this.#core.ordered().keys as K[]).values());
  }

  /** Values, oldest first; each is read from disk as the iteration reaches it. */
  values(): MapIterator<V> {
    return this.#mapEntries((_key, value) => value);
  }

  /** [key, value] pairs, oldest first; each value is read from disk as the iteration reaches it. */
  entries(): MapIterator<[K, V]> {
    return this.#mapEntries((key, value) => [key, value] as [K, V]);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  /**
   * Walks a snapshot of the order; items deleted meanwhile (by anyone) are skipped, and so are
   * corrupt ones, which are quarantined and reported (onCorrupt) instead of ending the walk.
   */
  #mapEntries<T>(pick: (key: K, value: V) => T): MapIterator<T> {
    const { slots, keys } = this.#run(() => this.#core.ordered()) as { slots: Uint32Array; keys: K[] };
    const self = this;
    function* walk(): Generator<T, undefined, unknown> {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const slot = slots[i]!;
        let value: V;
        try {
          const found = self.#run(() => {
            const core = self.#core;
            // The slot still holds this key (its cache entry would be gone otherwise): read by
            // its digest and skip hashing the key again.
            if (core.keyCache[slot] === key) {
              let found: boolean;
              try {
                found = core.check(core.x.getSlot(slot)) === Status.OK;
              } finally {
                core.absorbEvents();
              }
              // Unless the slot changed meanwhile: its record went, or held another key than the
              // slot said (a lying index cache; the index was loaded again). Then ask by key.
              if (found || core.keyCache[slot] === key) return found;
            }
            return self.#read(key);
          });
          if (!found) continue;
          value = self.#core.resultValue(self.#codec);
        } catch (error) {
          if (!(error instanceof CorruptRecordError)) throw error;
          self.#core.reportCorrupt(error);
          continue;
        }
        yield pick(key, value);
      }
      return undefined;
    }
    return walk() as unknown as MapIterator<T>;
  }

  get [Symbol.toStringTag](): string {
    return 'IODict';
  }

  /** Removes `key` and returns its value; `fallback` (or KeyError without one) when missing. */
  pop(key: K): V;
  pop<D>(key: K, fallback: D): V | D;
  pop<D>(key: K, ...fallback: [] | [D]): V | D {
    // An explicit default, even undefined, is a default (Python's pop(k, None)).
    const hasDefault = fallback.length > 0;
    return this.#run(() => {
      const core = this.#core;
      const keyLen = core.putKey(key);
      // Claimed by rename, like popItem: of two handles popping one key, one gets it.
      const status = core.check(core.x.take(core.keyType, keyLen));
      core.absorbEvents();
      if (status === Status.OK) return core.finishTake(this.#codec, Claim.DELETE).value;
      if (!hasDefault) throw new KeyError(`iodict: key not found: ${String(key)}`, key);
      return fallback[0] as D;
    });
  }

  /**
   * Removes and returns the oldest [key, value] (Python iodict's order), or the youngest with
   * `{ last: true }`. Safe against other processes: the item is claimed by rename first, so
   * only one caller ever gets it. KeyError when empty.
   */
  popItem(options: { last?: boolean } = {}): [K, V] {
    return this.#run(() => {
      const core = this.#core;
      const status = core.check(core.x.pop(options.last ? 1 : 0));
      core.absorbEvents();
      if (status === Status.MISSING) throw new KeyError('iodict: popItem(): dictionary is empty');
      const key = core.resultKey() as K;
      return [key, core.finishTake(this.#codec, Claim.DELETE).value];
    });
  }

  /** The value of `key`; if missing, sets it to `value` first (Python's setdefault). */
  setDefault(key: K, value: V): V {
    // One read tells both "present" and its value (a stored undefined is present).
    const found = this.#run(() => (this.#read(key) ? { value: this.#core.resultValue(this.#codec) } : undefined));
    if (found) return found.value;
    this.set(key, value);
    return value;
  }

  /** Sets every pair of a Map, an iterable of [key, value], or a plain object's own entries, as setMany does. */
  update(other: Map<K, V> | Iterable<readonly [K, V]> | Record<string, V>): this {
    return this.#setPairs(updateArgument(other, 'update'));
  }

  /**
   * Sets every pair, in order, with one group commit: under durability 'fsync' one round of syncs
   * for the whole batch instead of two per item (FORMAT.md 7.3.1). The result is that of set()
   * called for each pair. Keys and values are checked before anything is written; a failure on
   * disk throws BatchError, whose `landed` counts the pairs (from the first) that are stored.
   * `ttl` (ms) applies to every pair, as set()'s does.
   */
  setMany(entries: Iterable<readonly [K, V]>, options?: SetOptions): this {
    return this.#setPairs(pairsArgument(entries, 'setMany'), options);
  }

  /** setMany() of pairs already checked (update, fromKeys and setMany check their own argument). */
  #setPairs(pairs: (readonly [K, V])[], options?: SetOptions): this {
    return this.#run(() => {
      const core = this.#core;
      const items = pairs.map(([key, value]) => entryItem(key, this.#codec.encode(value).slice()));
      const expiry = expiryStamp(options?.ttl ?? this.#options.ttl, core.now());
      writeBatch(core, items, this.#codec.id, (i) => core.cacheLandedKey(pairs[i]![0]), expiry);
      return this;
    });
  }

  /** Sets every key of `keys` to `value` (one group commit, as setMany); returns this. */
  fromKeys(keys: Iterable<K>, value: V): this {
    return this.#setPairs(iterableArgument(keys, 'fromKeys').map((key) => [key, value] as const));
  }

  /** This same handle, as Python iodict's copy() returns self; copyTo(path) makes a real copy. */
  copy(): this {
    return this;
  }

  /** Copies every item, in order, into a new store at `path` (with this handle's codec, host and mode unless `options` say otherwise); returns a handle on it. */
  copyTo(path: string, options: IODictOptions<V> = {}): IODict<K, V> {
    const target = new IODict<K, V>(path, { codec: this.#codec, host: this.#options.host, mode: this.#options.mode, ...options });
    for (const [key, value] of this.entries()) target.set(key, value);
    return target;
  }

  /** Whether records carry user.key / user.birthtime xattrs in this handle. */
  get xattrs(): boolean {
    return this.#core.x.xattrsActive() !== 0;
  }

  /** Counts for monitoring: items, and the bytes the in-memory index takes. */
  stats(): { size: number; indexBytes: number; xattrs: boolean } {
    return this.#run(() => ({ size: this.#core.size(), indexBytes: this.#core.x.indexMemory(), xattrs: this.xattrs }));
  }

  /** Removes every expired item now (they are invisible already); returns how many this call removed. */
  purgeExpired(): number {
    return this.#run(() => {
      this.#core.check(this.#core.x.purgeExpired());
      this.#core.absorbEvents();
      return this.#core.x.resultSlot();
    });
  }

  /**
   * The changes made to this store by any process, thread or handle, in journal order, from
   * now on (or right after `since`, a change's position): `{ type, key, position }`. See Change.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<Change<K>, void, undefined> {
    if (this.#closed) throw new ClosedError(`iodict: ${this.path} is closed`);
    const { host, lease, rotateAfter, onCorrupt, xattrs, mode } = this.#options;
    return watchChanges<K>(() => new Core(host ?? defaultHost(), this.path, { lease, rotateAfter, onCorrupt, xattrs, mode, kind: 'dict' }), this.path, options);
  }

  /** Re-reads the directory listing (for stores on network file systems, where change hints can be lost). */
  refresh(): void {
    this.#run(() => {
      this.#core.check(this.#core.x.rescan());
      this.#core.absorbEvents();
    });
  }

  /** Releases the handle; a temporary store is cleared and its directory removed. */
  close(): void {
    if (this.#closed) return;
    if (this.#options.temporary) {
      this.#closed = true;
      this.#core.destroy();
      return;
    }
    this.#closed = true;
    this.#core.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toJSON(): Record<string, V> | [K, V][] {
    const entries = [...this.entries()];
    return entries.every(([key]) => typeof key === 'string') ? Object.fromEntries(entries) : entries;
  }

  [inspectCustom](depth: number, options: object): string {
    if (this.#closed) return `IODict(closed) ${this.path}`;
    return `IODict(${this.size}) ${inspect(new Map(this.entries()), { ...options, depth }).replace(/^Map\(\d+\) /, '')}`;
  }
}
