/**
 * An in-memory FIFO queue with the API of Python's `queue.Queue`, adapted to JS:
 * blocking calls return promises and every timeout is in milliseconds.
 */
import { ClosedError, Empty, Full, ValueError } from '../errors.js';
import { checkOptions, QUEUE_OPTIONS } from '../core/validate.js';
import { waitInLine } from '../core/line.js';
import type { AbortSignalLike } from '../core/globals.js';

/** Options for {@link Queue}'s constructor. */
export interface QueueOptions {
  /** Items allowed at once; 0, a negative number or undefined = unbounded (Python's `maxsize <= 0`). */
  maxsize?: number;
}

/** Options for {@link Queue.put} and {@link Queue.get}. */
export interface BlockOptions {
  /**
   * Wait for room (put) or an item (get) (default `true`).
   * `false` tries once and rejects with `Full`/`Empty`; the timeout is then only validated.
   */
  block?: boolean;
  /**
   * Max wait in ms; `undefined` or `Infinity` = forever; negative or NaN -> `RangeError`.
   * `0` tries at once and, if that fails, waits in line until the next timer tick
   * (a `setTimeout(…, 0)`), so work already queued in the current tick can still satisfy it.
   */
  timeout?: number;
  /** Cancels the wait: the call rejects with `signal.reason` (at once if already aborted) and takes nothing. */
  signal?: AbortSignalLike;
}

/**
 * `put()`/`putNowait()` on a closed queue, or `get()`/`getNowait()` on a closed queue that is empty.
 * A ClosedError, like using a closed IODict.
 */
export class QueueClosed extends ClosedError {
  override name = 'QueueClosed';
  constructor(message = 'queue is closed') {
    super(message);
  }
}

/** Result of {@link Queue._tryGet}. */
export type TryGet<T> = { ok: true; value: T } | { ok: false };

interface Waiter {
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  signal?: AbortSignalLike;
  onAbort?: () => void;
}
interface Getter<T> extends Waiter {
  resolve(value: T): void;
}
interface Putter<T> extends Waiter {
  item: T;
  resolve(): void;
}

const MAX_DELAY = 2 ** 31 - 1; // setTimeout's limit; longer timeouts are re-armed

/** A FIFO with O(1) amortized push/shift: a head index, compacted once half the array is consumed. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  shift(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/**
 * A FIFO queue for producers and consumers in one process.
 *
 * Waiters are served strictly in arrival order: the longest-waiting `get()` receives the next
 * item and the longest-waiting `put()` the next free slot. Hand-offs happen synchronously when
 * the state changes, so a later `getNowait()`/`putNowait()` can never jump the line.
 *
 * Subclasses swap the storage by overriding {@link Queue._tryPut}, {@link Queue._tryGet} and
 * {@link Queue.qsize}, and call {@link Queue._notifyItem}/{@link Queue._notifySpace} when the
 * storage changes behind the queue's back; the waiter, timeout, close and join logic is reused.
 */
export class Queue<T> implements AsyncIterable<T> {
  /** Items allowed at once; `<= 0` = unbounded. */
  readonly maxsize: number;
  #items = new Fifo<T>();
  // Sets iterate in insertion order and delete in O(1): FIFO waiter lines with cheap timeouts.
  #getters = new Set<Getter<T>>();
  #putters = new Set<Putter<T>>();
  #joiners: (() => void)[] = [];
  #unfinished = 0;
  #closed = false;

  constructor(options: QueueOptions = {}) {
    // A subclass checks its own, larger table.
    checkOptions('Queue', options, QUEUE_OPTIONS, new.target !== Queue);
    this.maxsize = options.maxsize ?? 0;
  }

  /** Number of items in the queue. */
  qsize(): number {
    return this.#items.length;
  }
  empty(): boolean {
    return this.qsize() === 0;
  }
  full(): boolean {
    return this.maxsize > 0 && this.qsize() >= this.maxsize;
  }
  /** True once {@link Queue.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Adds `item`, waiting for room unless `block` is false. Rejects `Full` (no room in time) or `QueueClosed`. */
  async put(item: T, options: BlockOptions = {}): Promise<void> {
    const timeout = checkTimeout(options.timeout);
    options.signal?.throwIfAborted();
    if (this.#put(item)) return;
    if (options.block === false) throw new Full();
    return new Promise<void>((resolve, reject) => {
      this.#wait(this.#putters, { item, resolve, reject, signal: options.signal }, timeout, () => new Full());
    });
  }

  /** Adds `item` or throws `Full` (no room) / `QueueClosed`. */
  putNowait(item: T): void {
    if (!this.#put(item)) throw new Full();
  }

  /** Removes and returns the oldest item, waiting for one unless `block` is false. Rejects `Empty` or `QueueClosed`. */
  async get(options: BlockOptions = {}): Promise<T> {
    const timeout = checkTimeout(options.timeout);
    options.signal?.throwIfAborted();
    const got = this.#get();
    if (got.ok) return got.value;
    if (options.block === false) throw new Empty();
    return new Promise<T>((resolve, reject) => {
      this.#wait(this.#getters, { resolve, reject, signal: options.signal }, timeout, () => new Empty());
    });
  }

  /** Removes and returns the oldest item or throws `Empty` / `QueueClosed` (closed and empty). */
  getNowait(): T {
    const got = this.#get();
    if (!got.ok) throw new Empty();
    return got.value;
  }

  /** Marks one got item as processed (for {@link Queue.join}). */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new ValueError('taskDone() called too many times');
    if (--this.#unfinished === 0) {
      for (const resolve of this.#joiners.splice(0)) resolve();
    }
  }

  /** Resolves once every item ever put has been marked done with {@link Queue.taskDone}. */
  join(options: { signal?: AbortSignalLike } = {}): Promise<void> {
    if (this.#unfinished === 0 && !options.signal?.aborted) return Promise.resolve();
    return waitInLine(this.#joiners, options.signal); // rejects at once when already aborted
  }

  /**
   * Stops the queue (Python 3.13's `shutdown()`): `put`s throw/reject `QueueClosed`, including
   * blocked ones; items already queued can still be got, after which `get`s reject `QueueClosed`.
   * `join()` is unaffected. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const putter of this.#putters) this.#settle(this.#putters, putter).reject(new QueueClosed());
    this.#pump();
  }

  /** Yields items via `get()` until the queue is closed and drained. Call `taskDone()` yourself if you `join()`. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    return this.items();
  }

  /** As `for await (const item of queue)`, with a signal that ends the wait (rejecting with its reason). */
  async *items(options: { signal?: AbortSignalLike } = {}): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get(options);
      } catch (error) {
        if (error instanceof QueueClosed) return;
        throw error;
      }
      yield item;
    }
  }

  // ---- storage hooks (override all three of _tryPut, _tryGet and qsize to swap the storage) ----

  /** Stores `item` if there is room (must respect `maxsize`, e.g. `if (this.full()) return false`). */
  protected _tryPut(item: T): boolean {
    if (this.full()) return false;
    this.#items.push(item);
    return true;
  }

  /** Removes and returns the oldest stored item, if any. */
  protected _tryGet(): TryGet<T> {
    return this.#items.length > 0 ? { ok: true, value: this.#items.shift() } : { ok: false };
  }

  /** Call when items appeared in the storage on their own: serves waiting getters. */
  protected _notifyItem(): void {
    this.#pump();
  }

  /** Counts items already in the storage when it opened as unfinished, so taskDone() can follow their get(). */
  protected _adoptUnfinished(count: number): void {
    this.#unfinished += count;
  }

  /** Call when room appeared in the storage on its own: serves waiting putters. */
  protected _notifySpace(): void {
    this.#pump();
  }

  // ---- waiter machinery ----

  #put(item: T): boolean {
    if (this.#closed) throw new QueueClosed();
    if (!this._tryPut(item)) return false;
    this.#unfinished++;
    this.#pump();
    return true;
  }

  #get(): TryGet<T> {
    const got = this._tryGet();
    if (got.ok) this.#pump();
    else if (this.#closed) throw new QueueClosed();
    return got;
  }

  /** Hands items to waiting getters and room to waiting putters, oldest first, until neither can progress. */
  #pump(): void {
    for (;;) {
      const getter = first(this.#getters);
      if (getter) {
        const got = this._tryGet();
        if (got.ok) {
          this.#settle(this.#getters, getter).resolve(got.value);
          continue;
        }
      }
      const putter = first(this.#putters);
      if (putter && this._tryPut(putter.item)) {
        this.#unfinished++;
        this.#settle(this.#putters, putter).resolve();
        continue;
      }
      break;
    }
    // Getters still waiting found the storage empty: on a closed queue nothing more will come.
    if (this.#closed) {
      for (const getter of this.#getters) this.#settle(this.#getters, getter).reject(new QueueClosed());
    }
  }

  #wait<W extends Waiter>(line: Set<W>, waiter: W, timeout: number, onTimeout: () => Error): void {
    line.add(waiter);
    const { signal } = waiter;
    if (signal) {
      // Leaving the line is all it takes: a waiter is handed an item only while in it.
      waiter.onAbort = () => this.#settle(line, waiter).reject(signal.reason);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    if (timeout === Infinity) return;
    const arm = (ms: number): void => {
      waiter.timer = setTimeout(
        () => (ms > MAX_DELAY ? arm(ms - MAX_DELAY) : this.#settle(line, waiter).reject(onTimeout())),
        Math.min(ms, MAX_DELAY),
      );
    };
    arm(timeout);
  }

  #settle<W extends Waiter>(line: Set<W>, waiter: W): W {
    line.delete(waiter);
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    return waiter;
  }
}

function first<W>(line: Set<W>): W | undefined {
  return line.size > 0 ? line.values().next().value : undefined;
}

/** A timeout option in ms: Infinity when absent; RangeError when negative or not a number. */
export function checkTimeout(timeout: number | undefined): number {
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(`timeout must be a non-negative number of ms, got ${String(timeout)}`);
  }
  return timeout;
}
