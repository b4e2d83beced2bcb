// AsyncIODict: the IODict API with promises, its file I/O done by worker threads (taken from the
// process's pool, pool.ts) that each own a synchronous IODict on the store. Calls made together
// are batched into one message per worker per tick; calls on one key go to one worker (so they
// keep their order) and calls on different keys run on different workers at once; calls on the
// whole store wait for the others.
import type { Worker } from 'node:worker_threads';
import { AsyncLocalStorage } from 'node:async_hooks';
import { type AbortSignalLike, inspectCustom } from '../core/globals.js';
import type { Key } from '../core/keys.js';
import { keyType } from '../core/keys.js';
import type { CoreOptions } from '../core/options.js';
import { type Codec, cborCodec, checkCodec } from '../codec/index.js';
import { ClosedError, CorruptRecordError, KeyError } from '../errors.js';
import { checkOptions, isPath, isBoolean, isNumber, iterableArgument, pairsArgument, updateArgument, CORE_OPTIONS, HANDLE_OPTIONS, LIMIT_OPTIONS, type OptionTable } from '../core/validate.js';
import { type SetOptions, type LimitOptions, expiryStamp } from '../dict.js';
import { SharedLock, FileLock } from '../core/lock.js';
import { claimInThread } from '../core/transaction.js';
import { waitInLine } from '../core/line.js';
import { type WorkerSetup, type Op, type Request, type Reply, type WireValue, type CorruptNotice, type OpenFailure, type WatchSetup, type WatchControl, type WatchMessage, WATCH_CREDIT, fromWire } from './wire.js';
import { takeWorker, giveBack, configureWorkerPool } from './pool.js';
import type { Change, WatchOptions } from '../watch/types.js';
import { checkPosition } from '../watch/watch.js';
import './worker.js';

/** Options every AsyncIODict call takes. */
export interface AsyncOptions {
  /**
   * Cancels the call while it waits (for its turn, for the store lock, or for the next item of an
   * iteration): the promise rejects with `signal.reason`, and nothing of the call happens. An
   * operation a worker has already started finishes, and its promise settles with its result.
   */
  signal?: AbortSignalLike;
}

/** IODict's options but `host` and `clock` (the workers use this runtime's file system and clock). */
export interface AsyncIODictOptions<V = unknown> extends Omit<CoreOptions, 'clock'>, LimitOptions {
  /**
   * Held around every operation, in the worker doing it, and across `transact`. Only these two
   * classes can cross into worker threads: a {@link SharedLock} (threads of this process) or a
   * {@link FileLock} (processes).
   */
  lock?: SharedLock | FileLock;
  /** How values become bytes (default: CBOR). Encoding and decoding run on the calling thread. */
  codec?: Codec<V>;
  /** Clear the store and remove its directory on close() (Python's `with IODict(p)`). */
  temporary?: boolean;
  /**
   * Worker threads doing the file I/O, each with its own handle on the store. Default 2, and 4
   * with `durability: 'fsync'` (threads then mostly wait for the disk, so more of them overlap
   * more fsyncs; without fsync the work is CPU time in the kernel, and threads beyond the free
   * cores only compete with the event loop). Calls on different keys overlap across them; with
   * more than one, sets of different keys in flight together land in any order (and iterate in
   * that order). 1 keeps call order.
   */
  threads?: number;
}

/** How many idle worker threads the process keeps for AsyncIODict handles, and for how long (AsyncIODict.configureWorkerPool). */
export interface WorkerPoolOptions {
  /** Idle workers kept for the next handles; any beyond them end when their handle closes. Default 8. */
  maxIdle?: number;
  /** Milliseconds an idle worker is kept; then it ends, and its thread's memory goes back. Default 10000. */
  idleTimeout?: number;
}

/** No `host` (the workers use this runtime's file system); a lock must be one the workers can rebuild. */
const ASYNC_DICT_OPTIONS: OptionTable = {
  ...CORE_OPTIONS,
  ...LIMIT_OPTIONS,
  clock: () => {
    throw new TypeError('iodict: AsyncIODict has no option `clock` (a function cannot cross into its workers)');
  },
  codec: HANDLE_OPTIONS.codec!,
  temporary: isBoolean,
  threads: isNumber({ positive: true, integer: true }),
  lock: (value) => {
    if (!(value instanceof SharedLock || value instanceof FileLock)) throw new TypeError('iodict: AsyncIODict option `lock` must be a SharedLock or a FileLock (its workers hold it)');
  },
};

/** The longest delay setTimeout keeps (a longer one fires at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

const WORKER_POOL_OPTIONS: OptionTable = {
  maxIdle: (value, option, where) => {
    isNumber({ integer: true })(value, option, where);
    if ((value as number) < 0) throw new RangeError(`iodict: ${where} option \`${option}\` must be 0 or more, got ${value}`);
  },
  idleTimeout: (value, option, where) => {
    isNumber({ positive: true, finite: true })(value, option, where);
    if ((value as number) > MAX_TIMEOUT_MS) throw new RangeError(`iodict: ${where} option \`${option}\` must be at most ${MAX_TIMEOUT_MS} ms, got ${value}`);
  },
};

/** A ttl checked on this thread (RangeError), sent as is: the worker measures it from when it writes. */
function checkTtl(ttl: number | undefined): number | undefined {
  expiryStamp(ttl, 0);
  return ttl;
}

const WHOLE = -1; // a call on the whole store: runs alone, after everything before it
const ABORT_SLOTS = 256;
const ENTRIES_PER_MESSAGE = 128;

interface Pending {
  readonly id: number;
  readonly op: Op;
  readonly args: unknown[];
  readonly route: number;
  readonly signal: AbortSignalLike | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Runs when the worker answered, before anything else is sent (transaction bookkeeping). */
  onDone?: (ok: boolean) => void;
  onAbort?: () => void;
  slot: number;
  sent: boolean;
}

interface Link {
  readonly worker: Worker;
  readonly session: number;
  readonly inflight: Map<number, Pending>;
  outbox: Pending[];
  failure?: Error;
  /** Stops listening to the worker; it is no longer this handle's. */
  detach(): void;
  detached: boolean;
}

/** Tags each handle's calls to a pooled worker (WorkerSetup.session). */
let sessions = 0;


/**
 * A persistent, ordered dictionary like {@link IODict}, for servers: every method returns a
 * promise and its file I/O runs on worker threads, never on the event loop. Opened on the same
 * directory as IODict handles and other processes, it sees the same data.
 */
export class AsyncIODict<K extends Key = Key, V = unknown> implements AsyncIterable<[K, V]> {
  readonly path: string;
  readonly #codec: Codec<V>;
  readonly #options: AsyncIODictOptions<V>;
  readonly #links: Link[];
  readonly #abortFlags = new Int32Array(new SharedArrayBuffer((ABORT_SLOTS + 1) * 4));
  readonly #freeSlots = Array.from({ length: ABORT_SLOTS }, (_, i) => i);
  /** Calls not sent yet, in call order (from #head on). */
  #queue: (Pending | undefined)[] = [];
  #head = 0;
  #nextId = 1;
  /** While >= 0, every call goes to this worker: a whole-store call or a transaction is running there. */
  #pinned = -1;
  #inTransaction = false;
  #flushScheduled = false;
  #closing: Promise<void> | undefined;
  readonly #transaction = new AsyncLocalStorage<AsyncIODict<K, V>>();
  #transactionBusy = false;
  #transactionLine: (() => void)[] = [];

  constructor(path: string, options: AsyncIODictOptions<V> = {}) {
    isPath(path, 'path', 'AsyncIODict');
    if ('host' in options) throw new TypeError('iodict: AsyncIODict\'s workers use this runtime\'s file system; the host option is for IODict');
    checkOptions('AsyncIODict', options, ASYNC_DICT_OPTIONS);
    const threads = options.threads ?? (options.durability === 'fsync' ? 4 : 2);
    if (threads > 64) throw new RangeError(`iodict: AsyncIODict option \`threads\` must be at most 64, got ${threads}`);
    this.path = path;
    this.#options = options;
    this.#codec = options.codec ?? cborCodec;
    checkCodec(this.#codec);
    const { durability, xattrs, lease, rotateAfter, mode, ttl, maxItems, maxBytes, lock, temporary } = options;
    this.#links = Array.from({ length: threads }, (_, i) =>
      this.#start({
        session: ++sessions,
        path,
        // Worker 0 closes last: it removes a temporary store.
        options: { durability, xattrs, lease, rotateAfter, mode, ttl, maxItems, maxBytes, temporary: i === 0 ? temporary : false },
        codecId: this.#codec.id,
        lock: lock instanceof SharedLock ? { shared: lock.buffer } : lock ? { file: lock.path } : undefined,
        abortFlags: this.#abortFlags,
        reportCorrupt: options.onCorrupt !== undefined,
      }),
    );
  }

  /** Takes a worker from the pool and has it open the store; calls can be sent at once. */
  #start(setup: WorkerSetup): Link {
    const worker = takeWorker();
    const onMessage = (message: Reply[] | CorruptNotice | OpenFailure) => {
      if ('corrupt' in message) this.#options.onCorrupt?.(fromWire(message.corrupt) as CorruptRecordError);
      else if ('failed' in message) {
        this.#fail(link, fromWire(message.failed));
        void this.#retire(link, true); // it could not open the store, and serves the next handle
      } else this.#answered(link, message);
    };
    const onError = (error: Error) => this.#fail(link, error);
    const onExit = () => {
      this.#fail(link, new Error(`iodict: ${this.path}: a worker thread exited`));
      void this.#retire(link, false);
    };
    const link: Link = {
      worker, session: setup.session, inflight: new Map(), outbox: [], detached: false,
      detach() {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      },
    };
    worker.on('message', onMessage).on('error', onError).once('exit', onExit);
    // An idle store does not keep the process alive, calls in flight do (#send). After the
    // 'message' listener, which refs the worker again.
    worker.unref();
    worker.postMessage({ open: setup });
    return link;
  }

  /** The worker could not open the store, or died: its calls, and later ones, fail. */
  #fail(link: Link, error: Error): void {
    link.failure ??= error;
    for (const pending of link.inflight.values()) this.#settle(pending, { id: pending.id, ok: false, error: { name: error.name, message: error.message } }, error);
    link.inflight.clear();
    this.#release(link);
  }

  /** The worker is no longer this handle's: back to the pool (`reusable`: it closed or never opened the store), or gone. */
  #retire(link: Link, reusable: boolean): Promise<void> {
    if (link.detached) return Promise.resolve();
    link.detached = true;
    link.detach();
    return reusable ? giveBack(link.worker) : Promise.resolve();
  }

  #answered(link: Link, replies: Reply[]): void {
    for (const reply of replies) {
      const pending = link.inflight.get(reply.id);
      if (!pending) continue;
      link.inflight.delete(reply.id);
      this.#settle(pending, reply);
    }
    this.#release(link);
  }

  #settle(pending: Pending, reply: Reply, failure?: Error): void {
    if (pending.slot >= 0) {
      Atomics.store(this.#abortFlags, pending.slot, 0);
      this.#freeSlots.push(pending.slot);
    }
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
    if ('aborted' in reply) return pending.reject(pending.signal!.reason);
    pending.onDone?.(reply.ok);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(failure ?? fromWire(reply.error));
  }

  /** After answers: unpins an idle worker, lets an idle one stop holding the process, sends what waits. */
  #release(link: Link): void {
    // Closing: held until its worker has closed the store (close() waits for that).
    if (link.inflight.size === 0 && !this.#closing && !link.detached) link.worker.unref();
    const pinned = this.#links[this.#pinned];
    if (pinned && pinned.inflight.size === 0 && !this.#inTransaction) this.#pinned = -1;
    this.#pump();
  }

  /** Sends queued calls in order, as far as they may go now. */
  #pump(): void {
    while (this.#head < this.#queue.length) {
      const pending = this.#queue[this.#head];
      if (pending) {
        let target = this.#pinned;
        if (pending.op === 'close') {
          // Each worker's own close, after everything before it.
          if (target >= 0) return;
          target = pending.route;
        } else if (target < 0) {
          if (pending.route !== WHOLE) target = pending.route;
          else if (this.#links.some((link, i) => i !== 0 && link.inflight.size > 0)) return;
          else target = this.#pinned = 0;
        }
        this.#send(this.#links[target]!, pending);
      }
      this.#queue[this.#head++] = undefined;
    }
    this.#queue = [];
    this.#head = 0;
  }

  #send(link: Link, pending: Pending): void {
    pending.sent = true;
    if (link.failure) return this.#settle(pending, { id: pending.id, ok: false, error: { name: 'Error', message: '' } }, link.failure);
    if (pending.signal) pending.slot = this.#freeSlots.pop() ?? -1;
    if (link.inflight.size === 0) link.worker.ref();
    link.inflight.set(pending.id, pending);
    link.outbox.push(pending);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /** One message per worker for everything sent in this tick. */
  #flush(): void {
    this.#flushScheduled = false;
    for (const link of this.#links) {
      if (link.outbox.length === 0) continue;
      const requests: Request[] = link.outbox.map(({ id, op, args, slot }) => ({ id, op, args, slot }));
      link.outbox = [];
      link.worker.postMessage({ session: link.session, requests });
    }
  }

  /** Queues one call; `route` is a worker index (calls on one key) or WHOLE. */
  #call<T>(op: Op, args: unknown[], route: number, options: AsyncOptions = {}, extra: Partial<Pick<Pending, 'onDone'>> = {}): Promise<T> {
    if (this.#closing && op !== 'close') return Promise.reject(new ClosedError(`iodict: ${this.path} is closed`));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        id: this.#nextId++, op, args, route, signal, onDone: extra.onDone,
        resolve: resolve as (value: unknown) => void, reject, slot: -1, sent: false,
      };
      if (signal) {
        pending.onAbort = () => this.#abort(pending);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#queue.push(pending);
      this.#pump();
    });
  }

  /** Not sent yet: dropped at once. Sent: the worker skips it unless it has started it. */
  #abort(pending: Pending): void {
    if (!pending.sent) {
      const at = this.#queue.indexOf(pending, this.#head);
      if (at >= 0) this.#queue[at] = undefined;
      pending.reject(pending.signal!.reason);
      this.#pump();
    } else if (pending.slot >= 0) {
      Atomics.store(this.#abortFlags, pending.slot, 1);
      Atomics.notify(this.#abortFlags, pending.slot);
    }
  }

  /** The worker that serves calls on `key` (validating it, as IODict does). */
  #route(key: unknown): number {
    keyType(key); // TypeError for what is not a key
    const n = this.#links.length;
    if (n === 1) return 0;
    let hash = 2166136261;
    if (key instanceof Uint8Array) {
      for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key[i]!, 16777619);
    } else {
      const text = String(key);
      for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
    }
    return (hash >>> 0) % n;
  }

  /**
   * A value's bytes, copied (the codec may reuse its buffer). They are cloned into the message,
   * not transferred: small arrays live on the heap, and transferring them would move each out.
   */
  #encode(value: V): Uint8Array {
    return this.#codec.encode(value).slice();
  }

  #decode(value: WireValue): V {
    return 'b' in value ? this.#codec.decode(value.b) : (value.v as V);
  }

  // ---- the IODict API ------------------------------------------------------------------------

  /** The number of items. */
  get size(): Promise<number> {
    return this.#call('size', [], WHOLE);
  }

  /** Counts, as IODict.stats(). */
  async stats(options?: AsyncOptions): Promise<{ size: number; indexBytes: number; xattrs: boolean }> {
    return this.#call('stats', [], WHOLE, options);
  }

  async get(key: K, options?: AsyncOptions): Promise<V | undefined> {
    const found = await this.#call<WireValue | undefined>('get', [key], this.#route(key), options);
    return found === undefined ? undefined : this.#decode(found);
  }

  async has(key: K, options?: AsyncOptions): Promise<boolean> {
    return this.#call('has', [key], this.#route(key), options);
  }

  /** Sets key to value (keeping its place in line if it exists); `ttl` (ms) makes it expire, as IODict's. */
  async set(key: K, value: V, options?: SetOptions & AsyncOptions): Promise<this> {
    const route = this.#route(key);
    await this.#call('set', [key, this.#encode(value), checkTtl(options?.ttl)], route, options);
    return this;
  }

  async delete(key: K, options?: AsyncOptions): Promise<boolean> {
    return this.#call('delete', [key], this.#route(key), options);
  }

  async clear(options?: AsyncOptions): Promise<void> {
    return this.#call('clear', [], WHOLE, options);
  }

  /** Removes `key` and returns its value; `fallback` (or KeyError without one) when missing. */
  pop(key: K): Promise<V>;
  pop<D>(key: K, fallback: D, options?: AsyncOptions): Promise<V | D>;
  async pop<D>(key: K, ...rest: [fallback?: D, options?: AsyncOptions]): Promise<V | D> {
    const found = await this.#call<WireValue | undefined>('pop', [key], this.#route(key), rest[1]);
    if (found !== undefined) return this.#decode(found);
    if (rest.length > 0) return rest[0] as D;
    throw new KeyError(`iodict: key not found: ${String(key)}`, key);
  }

  /** Removes and returns the oldest [key, value] (youngest with `last`); KeyError when empty. */
  async popItem(options: { last?: boolean } & AsyncOptions = {}): Promise<[K, V]> {
    const [key, value] = await this.#call<[K, WireValue]>('popItem', [options.last === true], WHOLE, options);
    return [key, this.#decode(value)];
  }

  /** The value of `key`; if missing, sets it to `value` first (Python's setdefault). */
  async setDefault(key: K, value: V, options?: AsyncOptions): Promise<V> {
    const route = this.#route(key);
    const found = await this.#call<WireValue | undefined>('setDefault', [key, this.#encode(value)], route, options);
    return found === undefined ? value : this.#decode(found);
  }

  /** Sets every pair of a Map, an iterable of [key, value], or a plain object's own entries, as setMany does. */
  async update(other: Map<K, V> | Iterable<readonly [K, V]> | Record<string, V>, options?: AsyncOptions): Promise<this> {
    return this.#setPairs(updateArgument(other, 'update'), options);
  }

  /**
   * Sets every pair, in order, with one group commit (IODict.setMany, in one worker). A failure on
   * disk rejects with BatchError, whose `landed` counts the pairs (from the first) that are stored.
   */
  async setMany(entries: Iterable<readonly [K, V]>, options?: SetOptions & AsyncOptions): Promise<this> {
    return this.#setPairs(pairsArgument(entries, 'setMany'), options);
  }

  /** setMany() of pairs already checked (update, fromKeys and setMany check their own argument). */
  async #setPairs(pairs: (readonly [K, V])[], options?: SetOptions & AsyncOptions): Promise<this> {
    const encoded: [K, Uint8Array][] = [];
    for (const [key, value] of pairs) {
      keyType(key);
      encoded.push([key, this.#encode(value)]);
    }
    await this.#call('update', [encoded, checkTtl(options?.ttl)], WHOLE, options);
    return this;
  }

  /** Sets every key of `keys` to `value`. */
  async fromKeys(keys: Iterable<K>, value: V, options?: AsyncOptions): Promise<this> {
    return this.#setPairs(iterableArgument(keys, 'fromKeys').map((key) => [key, value] as const), options);
  }

  /** A fresh store at `path` holding every key of `keys` mapped to `value`. */
  static fromKeys<K extends Key, V>(path: string, keys: Iterable<K>, value: V, options?: AsyncIODictOptions<V>): Promise<AsyncIODict<K, V>> {
    return new AsyncIODict<K, V>(path, options).fromKeys(keys, value);
  }

  /**
   * Sets how many idle worker threads this process keeps for the next AsyncIODict handles, and for
   * how long. A handle takes its threads from this pool and gives them back on close, so opening
   * a store after the first costs about a millisecond instead of the tens that starting threads
   * takes. `maxIdle: 0` ends each handle's threads when it closes. Resolves once the idle
   * threads beyond a lowered `maxIdle` have ended.
   */
  static configureWorkerPool(options: WorkerPoolOptions): Promise<void> {
    checkOptions('AsyncIODict.configureWorkerPool', options, WORKER_POOL_OPTIONS);
    return configureWorkerPool(options);
  }

  /** This same handle (Python iodict's copy() returns the same store). */
  copy(): this {
    return this;
  }

  /** Copies every item, in order, into a new store at `path`; resolves to a handle on it. */
  async copyTo(path: string, options: AsyncIODictOptions<V> & AsyncOptions = {}): Promise<AsyncIODict<K, V>> {
    const { signal, ...open } = options;
    const target = new AsyncIODict<K, V>(path, { codec: this.#codec, ...open });
    let chunk: [K, V][] = [];
    for await (const pair of this.entries({ signal })) {
      chunk.push(pair);
      if (chunk.length < ENTRIES_PER_MESSAGE) continue;
      await target.update(chunk, { signal });
      chunk = [];
    }
    return target.update(chunk, { signal });
  }

  /** Removes every expired item now (they are invisible already); resolves to how many this call removed. */
  async purgeExpired(options?: AsyncOptions): Promise<number> {
    return this.#call('purgeExpired', [], WHOLE, options);
  }

  /**
   * The changes made to this store by any process, thread or handle, as IODict.watch() gives them
   * (see Change), from when its thread has opened the store (soon after this call; pass `since`
   * to start exactly after a known change). Its journal reads run on a worker thread of the pool
   * (configureWorkerPool), its own until the iteration ends (break, return, the signal).
   */
  watch(options: WatchOptions = {}): AsyncGenerator<Change<K>, void, undefined> {
    if (this.#closing) throw new ClosedError(`iodict: ${this.path} is closed`);
    options.signal?.throwIfAborted();
    checkPosition(options.since);
    return this.#watch(options);
  }

  async *#watch({ signal, since, pollInterval }: WatchOptions): AsyncGenerator<Change<K>, void, undefined> {
    const { xattrs, lease, rotateAfter } = this.#options;
    const session = ++sessions;
    const setup: WatchSetup = { session, path: this.path, options: { xattrs, lease, rotateAfter }, since, pollInterval };
    const worker = takeWorker();
    const ready: Change<K>[] = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const woken = () => {
      wake?.();
      wake = undefined;
    };
    let finish!: (reusable: boolean) => void;
    const ended = new Promise<boolean>((resolve) => (finish = resolve));
    const onMessage = (message: WatchMessage<K>) => {
      if ('change' in message) ready.push(message.change);
      else if ('failed' in message) failure = fromWire(message.failed);
      else finish(true); // its handle closed: the worker is idle
      woken();
    };
    const onError = (error: Error) => {
      failure = error;
      woken();
    };
    const onExit = () => {
      failure ??= new Error(`iodict: ${this.path}: a watch's worker thread exited`);
      finish(false);
      woken();
    };
    worker.on('message', onMessage).on('error', onError).once('exit', onExit);
    worker.ref(); // a watch keeps the process alive, as fs.watch does, until it ends
    const control = (control: WatchControl['control']) => worker.postMessage({ session, control } satisfies WatchControl);
    worker.postMessage({ watch: setup });
    signal?.addEventListener('abort', woken);
    try {
      for (let taken = 1; ; taken++) {
        while (!ready.length) {
          if (failure) throw failure;
          signal?.throwIfAborted();
          await new Promise<void>((resolve) => (wake = resolve));
        }
        yield ready.shift()!;
        if (taken % WATCH_CREDIT === 0) control('more');
      }
    } finally {
      signal?.removeEventListener('abort', woken);
      control('stop'); // it closes its handle, then says so
      const reusable = await ended;
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (reusable) await giveBack(worker);
    }
  }

  /** Re-reads the directory listing (stores on network file systems). */
  async refresh(options?: AsyncOptions): Promise<void> {
    return this.#call('refresh', [], WHOLE, options);
  }

  /** Keys, oldest first: a snapshot taken when the iteration starts. */
  keys(options: AsyncOptions = {}): AsyncIterableIterator<K> {
    const snapshot = () => this.#call<K[]>('keys', [], WHOLE, options);
    return (async function* () {
      for (const key of await snapshot()) {
        options.signal?.throwIfAborted();
        yield key;
      }
    })();
  }

  /** [key, value] pairs, oldest first, read in chunks as the iteration goes; items deleted meanwhile are skipped. */
  entries(options: AsyncOptions = {}): AsyncIterableIterator<[K, V]> {
    const self = this;
    return (async function* () {
      const keys = await self.#call<K[]>('keys', [], WHOLE, options);
      for (let at = 0; at < keys.length; at += ENTRIES_PER_MESSAGE) {
        const found = await self.#call<[K, WireValue][]>('entries', [keys.slice(at, at + ENTRIES_PER_MESSAGE)], WHOLE, options);
        for (const [key, value] of found) {
          options.signal?.throwIfAborted();
          yield [key, self.#decode(value)] as [K, V];
        }
      }
    })();
  }

  /** Values, oldest first (as entries()). */
  values(options: AsyncOptions = {}): AsyncIterableIterator<V> {
    const pairs = this.entries(options);
    return (async function* () {
      for await (const [, value] of pairs) yield value;
    })();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<[K, V]> {
    return this.entries();
  }

  async forEach(callback: (value: V, key: K, dict: this) => unknown, options?: AsyncOptions): Promise<void> {
    for await (const [key, value] of this.entries(options)) await callback(value, key, this);
  }

  /**
   * Runs `fn(this)` holding the store's exclusive lock (FORMAT.md 7.7), the one IODict.transact
   * and other processes and threads take, and the `lock` option if given; resolves to what fn
   * resolves to. Calls inside fn (on this handle) run under the lock, in order. It excludes other
   * transactions, not plain calls: calls on this handle from outside fn made meanwhile run too
   * (after those made before them), so make those read-modify-writes transactions as well.
   * Transactions of this handle run one at a time (one inside fn nests). The signal cancels the
   * wait for the lock. Mutual exclusion, not rollback: what fn wrote before it threw stays written.
   */
  async transact<T>(fn: (dict: this) => T | Promise<T>, options: AsyncOptions = {}): Promise<T> {
    if (this.#transaction.getStore() === this) return fn(this);
    await this.#takeTransactionTurn(options.signal);
    let forget: (() => void) | undefined;
    try {
      await this.#call('lock', [], WHOLE, options, { onDone: (ok) => (this.#inTransaction = ok) });
      forget = claimInThread(this.path, this, false);
      return await this.#transaction.run(this, () => fn(this));
    } finally {
      if (forget) {
        forget();
        await this.#call('unlock', [], WHOLE, {}, { onDone: () => (this.#inTransaction = false) });
      }
      this.#giveTransactionTurn();
    }
  }

  #takeTransactionTurn(signal: AbortSignalLike | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.#transactionBusy) return waitInLine(this.#transactionLine, signal);
    this.#transactionBusy = true;
    return Promise.resolve();
  }

  #giveTransactionTurn(): void {
    const next = this.#transactionLine.shift();
    if (next) next();
    else this.#transactionBusy = false;
  }

  /**
   * Waits for every call made before, then closes the workers' handles on the store (a temporary
   * store is removed) and gives the workers back to the process's pool.
   */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      for (const link of this.#links) if (!link.detached) link.worker.ref(); // until its store is closed
      const [first, ...rest] = this.#links.map((_, i) => i);
      const closeOne = async (i: number) => {
        const link = this.#links[i]!;
        await this.#call('close', [], i).catch(() => {}); // a worker that failed has nothing to close
        await this.#retire(link, !link.failure); // one that ran the close serves the next handle
      };
      await Promise.all(rest.map(closeOne));
      await closeOne(first!);
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  get [Symbol.toStringTag](): string {
    return 'AsyncIODict';
  }

  [inspectCustom](): string {
    return `AsyncIODict${this.#closing ? '(closed)' : ''} ${this.path}`;
  }
}
