import { Core, Status, Claim, Settle, type ClaimTicket } from '../core/core.js';
import type { CoreOptions } from '../core/options.js';
import { type Lock, withLock } from '../core/lock.js';
import type { StoreHost } from '../core/host.js';
import { KeyType } from '../core/keys.js';
import { type Codec, cborCodec, checkCodec } from '../codec/index.js';
import { CorruptRecordError, Empty, Full, StoreError } from '../errors.js';
import { writeBatch, rawItem } from '../core/batch.js';
import { Queue, QueueClosed, checkTimeout, type BlockOptions, type TryGet } from './queue.js';
import { defaultHost } from '../default-host.js';
import { checkOptions, isPath, iterableArgument, DURABLE_QUEUE_OPTIONS } from '../core/validate.js';
import type { AbortSignalLike } from '../core/globals.js';
import { watchChanges } from '../watch/watch.js';
import type { Change, WatchOptions } from '../watch/types.js';

export interface DurableQueueOptions<T = unknown> extends CoreOptions {
  /**
   * Items allowed at once (counted across every process); `<= 0` or undefined: unbounded. Each
   * put counts, then writes: puts that several processes make at the same moment can pass it
   * together, by at most one call's items for each of the other processes (unless they share a
   * `lock`, under which each put counts and writes). Items taken with `{ ack: true }` are not
   * counted until released, which can bring the queue past it.
   */
  maxsize?: number;
  /** How items become bytes. Default: CBOR (RFC 8949). */
  codec?: Codec<T>;
  /** Held around every disk operation of this handle, like IODict's lock. */
  lock?: Lock;
  /** Longest pause between two looks at the disk while a get/put waits (ms). Default 250. */
  pollInterval?: number;
  /** Called with each corrupt item that was quarantined and skipped. Default: a process warning. */
  onCorrupt?: (error: CorruptRecordError) => void;
  /** The file-system binding (default: the one for this runtime). */
  host?: StoreHost;
}

/** An item got with `{ ack: true }`: claimed until `ack()`ed, back in line after `release()` or its process's death. */
export interface Delivery<T> {
  readonly value: T;
  /** The item is processed: remove it for good. */
  ack(): void;
  /** The item was not processed: return it to the queue at its old place. */
  release(): void;
  /**
   * Still working on it: restart the claim's lease (the `lease` option). Handles on this machine
   * never take back a live process's claim, but those in other containers or on other hosts do
   * once the lease has run out: renew before that when processing takes longer.
   */
  renew(): void;
}

const FIRST_POLL_MS = 5;
const RECOVERY_MS = 1000;

/**
 * A disk-backed FIFO queue with Python's queue.Queue API (timeouts in ms). Items are records in
 * `path`; any number of processes can put and get; each item is delivered exactly once (claims
 * are atomic renames), or at least once with `{ ack: true }`. Survives restarts, in order.
 */
export class DurableQueue<T = unknown> extends Queue<T> {
  readonly path: string;
  readonly #core: Core;
  readonly #codec: Codec<T>;
  readonly #options: DurableQueueOptions<T>;
  readonly #producer = new Uint8Array(16);
  readonly #producerView = new DataView(this.#producer.buffer);
  #counter = 0;
  #released = false;
  #waiting = 0;
  #watcher: { close(): void } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pollMs = FIRST_POLL_MS;
  #lastRecovery = 0;
  #changeListeners = new Set<() => void>();

  constructor(path: string, options: DurableQueueOptions<T> = {}) {
    isPath(path, 'path', 'DurableQueue');
    checkOptions('DurableQueue', options, DURABLE_QUEUE_OPTIONS);
    super({ maxsize: options.maxsize });
    this.path = path;
    this.#options = options;
    this.#codec = options.codec ?? cborCodec;
    checkCodec(this.#codec);
    this.#core = new Core(options.host ?? defaultHost(), path, { ...options, kind: 'queue', onCorrupt: (e) => this.#reportCorrupt(e) });
    crypto.getRandomValues(this.#producer.subarray(0, 8));
    this.#lastRecovery = Date.now(); // opening returned the claims of gone owners
    this._adoptUnfinished(this.qsize());
  }

  #run<R>(op: () => R): R {
    if (this.#released) throw new QueueClosed(`queue ${this.path} is closed`);
    this.#core.tick();
    return withLock(this.#options.lock, op);
  }

  override qsize(): number {
    return this.#run(() => this.#core.size());
  }

  protected override _tryPut(item: T): boolean {
    return this.#run(() => {
      if (this.full()) return false;
      const core = this.#core;
      const bytes = this.#codec.encode(item);
      // The key only has to be unique: this handle's random id and a counter.
      this.#producerView.setFloat64(8, this.#counter++, true);
      const keyLen = core.putRawEntry(KeyType.QUEUE, this.#producer, bytes);
      core.check(core.x.set(KeyType.QUEUE, keyLen, bytes.length, this.#codec.id));
      core.absorbEvents();
      return true;
    });
  }

  /**
   * Puts every item, in order, with one group commit: under durability 'fsync' one round of syncs
   * for the whole batch (FORMAT.md 7.3.1). Full, with nothing written, when they do not all fit
   * under maxsize. A failure on disk throws BatchError, whose `landed` counts the items (from the
   * first) that are in the queue.
   */
  putMany(items: Iterable<T>): void {
    const list = iterableArgument(items, 'putMany');
    this.#run(() => {
      const values = list.map((item) => this.#codec.encode(item).slice());
      if (this.maxsize > 0 && this.qsize() + values.length > this.maxsize) throw new Full();
      const batch = values.map((bytes) => {
        this.#producerView.setFloat64(8, this.#counter++, true);
        return rawItem(KeyType.QUEUE, this.#producer.slice(), bytes);
      });
      let landed = 0;
      try {
        writeBatch(this.#core, batch, this.#codec.id, () => landed++);
      } finally {
        this._adoptUnfinished(landed);
        this._notifyItem();
      }
    });
  }

  protected override _tryGet(): TryGet<T> {
    const got = this.#claim(Claim.DELETE);
    return got === undefined ? { ok: false } : { ok: true, value: got.value };
  }

  /** Claims the oldest item; undefined when there is none. Corrupt items are quarantined, reported and skipped. */
  #claim(mode: number): { value: T; ticket?: ClaimTicket } | undefined {
    return this.#run(() => {
      const core = this.#core;
      for (;;) {
        try {
          const status = core.check(core.x.pop(0));
          core.absorbEvents();
          return status === Status.MISSING ? undefined : core.finishTake(this.#codec, mode);
        } catch (error) {
          if (!(error instanceof CorruptRecordError)) throw error;
          this.#reportCorrupt(error);
        }
      }
    });
  }

  #reportCorrupt(error: CorruptRecordError): void {
    if (this.#options.onCorrupt) this.#options.onCorrupt(error);
    else process.emitWarning(error.message, 'CorruptRecordWarning');
  }

  /** Returns the claims of consumers that died without ack() to the queue. */
  #recover(): number {
    this.#lastRecovery = Date.now();
    const core = this.#core;
    core.check(core.x.recoverClaims());
    return core.x.resultSlot();
  }

  /**
   * Removes and returns the oldest item, waiting for one unless `block` is false (rejects Empty
   * after `timeout` ms). With `ack: true` it resolves to a Delivery: the item stays claimed until
   * ack(), and returns to the queue if this process dies first (at-least-once).
   */
  override get(options?: BlockOptions & { ack?: false }): Promise<T>;
  override get(options: BlockOptions & { ack: true }): Promise<Delivery<T>>;
  override async get(options: BlockOptions & { ack?: boolean } = {}): Promise<T | Delivery<T>> {
    if (options.ack) return this.#getDelivery(options);
    this.#watch();
    try {
      return await super.get(options);
    } finally {
      this.#unwatch();
    }
  }

  override async put(item: T, options: BlockOptions = {}): Promise<void> {
    this.#watch();
    try {
      return await super.put(item, options);
    } finally {
      this.#unwatch();
    }
  }

  /** Like getNowait(), but the item stays claimed until the Delivery is ack()ed (see get). */
  getNowaitAck(): Delivery<T> {
    const got = this.#claim(Claim.KEEP);
    if (got === undefined) {
      if (this.#released) throw new QueueClosed();
      throw new Empty();
    }
    const ticket = got.ticket!;
    let settled = false;
    const settle = (how: number, operation: string) => {
      if (settled) throw new Error('iodict: this delivery was already acknowledged or released');
      // A failed call (it throws) leaves the delivery as it was: it can be tried again.
      const ours = this.#run(() => this.#core.settle(ticket, how));
      if (how !== Settle.RENEW) settled = true;
      if (ours) return;
      settled = true;
      const fate = how === Settle.ACK ? 'it will be delivered again' : 'it is no longer yours';
      throw new StoreError(`iodict: the claim on this item in ${this.path} outlived its lease and the item went back to the queue: ${fate}`,
        this.path, 'ELEASE', operation);
    };
    return {
      value: got.value,
      ack: () => settle(Settle.ACK, 'ack'),
      release: () => {
        settle(Settle.RELEASE, 'release');
        this._notifyItem();
      },
      renew: () => settle(Settle.RENEW, 'renew'),
    };
  }

  async #getDelivery(options: BlockOptions): Promise<Delivery<T>> {
    const deadline = performance.now() + checkTimeout(options.timeout);
    this.#watch();
    try {
      for (;;) {
        // Checked before each claim: an aborted wait takes nothing.
        options.signal?.throwIfAborted();
        try {
          return this.getNowaitAck();
        } catch (error) {
          if (!(error instanceof Empty) || options.block === false || performance.now() >= deadline) throw error;
        }
        await this.#nextChange(deadline, options.signal);
      }
    } finally {
      this.#unwatch();
    }
  }

  /** Resolves at the next change seen by the watcher or poll, at the deadline, or when the signal aborts. */
  #nextChange(deadline: number, signal?: AbortSignalLike): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#changeListeners.delete(done);
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = deadline === Infinity ? undefined : setTimeout(done, Math.max(0, deadline - performance.now()));
      this.#changeListeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  // Waiting: an inotify-style watch wakes waiters early; a poll with back-off is what makes it
  // correct (watches miss other machines' changes on network file systems).
  #watch(): void {
    if (this.#waiting++ > 0) return;
    this.#pollMs = FIRST_POLL_MS;
    this.#watcher = this.#core.host.watch?.(this.path, () => this.#changed(true));
    this.#schedulePoll();
  }

  #unwatch(): void {
    if (--this.#waiting > 0) return;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedulePoll(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#changed(false), this.#pollMs);
  }

  #changed(fromWatch: boolean): void {
    if (this.#released || this.#waiting === 0) return;
    try {
      if (!fromWatch && Date.now() - this.#lastRecovery >= RECOVERY_MS && this.#recover() > 0) fromWatch = true;
      this._notifyItem();
      this._notifySpace();
    } catch (error) {
      // Nobody called us to throw to: waiters keep waiting (and retry on the next look).
      if (error instanceof CorruptRecordError) this.#reportCorrupt(error);
      else process.emitWarning(`iodict: queue ${this.path}: ${(error as Error).message}`, 'StoreWarning');
    }
    for (const listener of [...this.#changeListeners]) listener();
    // Activity: look again soon; quiet: back off towards pollInterval so idle waiting costs nothing.
    this.#pollMs = fromWatch ? FIRST_POLL_MS : Math.min(this.#pollMs * 2, this.#options.pollInterval ?? 250);
    if (this.#waiting > 0) this.#schedulePoll();
  }

  /**
   * What happens to the queue, from any process, in journal order: 'set' for each item put,
   * 'delete' for each item got (or popped), as IODict's watch(). The key is the item's id
   * (16 opaque bytes); resume after a change with `{ since: change.position }`.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<Change<Uint8Array>, void, undefined> {
    if (this.#released) throw new QueueClosed(`queue ${this.path} is closed`);
    const { host, lease, rotateAfter, xattrs, mode } = this.#options;
    return watchChanges<Uint8Array>(() => new Core(host ?? defaultHost(), this.path, { lease, rotateAfter, xattrs, mode, kind: 'queue', onCorrupt: (e) => this.#reportCorrupt(e) }), this.path, options);
  }

  /** Stops this handle: waiting gets and puts reject QueueClosed; items stay on disk for the next open. */
  override close(): void {
    if (this.#released) return;
    super.close();
    this.#released = true;
    for (const listener of [...this.#changeListeners]) listener();
    this.#watcher?.close();
    clearTimeout(this.#timer);
    this.#core.close();
  }

  /** Python iodict's close(): removes every item and the directory. */
  destroy(): void {
    if (this.#released) throw new QueueClosed(`queue ${this.path} is closed`);
    super.close();
    this.#released = true;
    this.#watcher?.close();
    clearTimeout(this.#timer);
    this.#core.destroy();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
