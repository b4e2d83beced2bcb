/**
 * Flushing an in-memory queue to a disk queue and back (Python iodict's `FlushQueue`).
 * The disk queue class is injected with {@link setDiskQueueFactory} by the package entry.
 */
import { existsSync } from 'node:fs';
import { Empty, Full, ValueError } from '../errors.js';
import { Queue, QueueClosed, type QueueOptions } from './queue.js';
import { checkOptions, FLUSH_QUEUE_OPTIONS } from '../core/validate.js';

/**
 * What {@link withFlush} needs from a queue class. `full()` and `closed`, if present, let
 * `ingest` stop before taking an item from disk that `putNowait` would refuse.
 */
export interface Flushable<T> {
  putNowait(item: T): void;
  /** Throws iodict's Empty when there is nothing, unless the class has qsize(). */
  getNowait(): T;
  /** If present, flush() stops when it is 0 (for classes whose getNowait throws something else). */
  qsize?(): number;
  full?(): boolean;
  readonly closed?: boolean;
  /** If present, called once per flushed item: it left the queue, so `join()` must not wait for it. */
  taskDone?(): void;
}

export type Constructor<T = {}> = new (...args: any[]) => T;

/** The part of the disk queue that flush/ingest use. */
export interface DiskQueueLike<T> {
  putNowait(item: T): void;
  getNowait(): T;
  qsize(): number;
  close(): void;
  /** Closes the queue and removes its directory. */
  destroy(): void;
}

/** What flush/ingest pass on to the disk queue they open. */
export interface DiskQueueOptions {
  mode?: number;
}

let diskQueueFactory: ((path: string, options: DiskQueueOptions) => DiskQueueLike<unknown>) | undefined;

/** Sets how flush/ingest open the disk queue at a path (called by the package entry). */
export function setDiskQueueFactory(f: (path: string, options: DiskQueueOptions) => DiskQueueLike<unknown>): void {
  diskQueueFactory = f;
}

function openDiskQueue(path: string, options: DiskQueueOptions): DiskQueueLike<unknown> {
  if (!diskQueueFactory) throw new Error('iodict: no disk queue factory set (setDiskQueueFactory)');
  return diskQueueFactory(path, options);
}

/**
 * `flush()` failed after taking `item` from memory; it is not on disk and no longer in the queue,
 * so it is handed back here. `count` items were flushed before it; `cause` is the disk error.
 */
export class FlushError extends Error {
  override name = 'FlushError';
  constructor(
    message: string,
    readonly item: unknown,
    readonly count: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Members added by {@link withFlush}. */
export interface FlushMethods {
  /** Default path of flush/ingest: `path` of the first constructor argument, if it is a string. */
  readonly flushPath: string | undefined;
  /**
   * Moves every in-memory item, in order, to the disk queue at `path` (default {@link flushPath}),
   * closes it and returns the count. The disk queue is only opened once there is an item, so
   * flushing an empty queue creates nothing. Each flushed item is marked done (`taskDone()`, if the
   * base has it) so `join()` does not wait for it; `ingest` counts it again. Runs synchronously;
   * the promise is for API symmetry. A disk failure throws {@link FlushError} holding the item in hand.
   */
  flush(path?: string): Promise<number>;
  /**
   * Moves every item of the disk queue at `path` back into this queue, in order, then destroys
   * the disk queue and returns the count; 0 if `path` does not exist. Stops with `Full` when
   * this queue is full (`QueueClosed` when closed), leaving the rest on disk, in order.
   */
  ingest(path?: string): Promise<number>;
  /**
   * Flushes synchronously to {@link flushPath} on 'beforeExit', 'exit' and SIGINT/SIGTERM.
   * After a signal the handlers are removed and the signal is re-raised if no other listener
   * handles it, so the process still dies by it. Returns a function that unregisters (idempotent).
   */
  flushOnExit(): () => void;
}

/** Adds flush(path?) / ingest(path?) / flushOnExit() to any queue class with putNowait/getNowait. */
export function withFlush<T, B extends Constructor<Flushable<T>>>(Base: B): B & Constructor<FlushMethods> {
  return class extends Base implements FlushMethods {
    readonly flushPath: string | undefined;
    readonly #diskOptions: DiskQueueOptions;

    constructor(...args: any[]) {
      super(...args);
      const path: unknown = args[0]?.path;
      this.flushPath = typeof path === 'string' ? path : undefined;
      const mode: unknown = args[0]?.mode;
      this.#diskOptions = typeof mode === 'number' ? { mode } : {};
    }

    async flush(path?: string): Promise<number> {
      return this.#flushSync(this.#path(path));
    }

    async ingest(path?: string): Promise<number> {
      const dir = this.#path(path);
      if (!existsSync(dir)) return 0;
      const disk = openDiskQueue(dir, this.#diskOptions);
      let count = 0;
      try {
        while (disk.qsize() > 0) {
          // Check before taking the item, so it stays on disk at its place.
          if (this.closed) throw new QueueClosed();
          if (this.full?.()) throw new Full();
          const item = disk.getNowait() as T;
          try {
            this.putNowait(item);
          } catch (error) {
            disk.putNowait(item); // a base without full()/closed: keep the item (now last) rather than lose it
            throw error;
          }
          count++;
        }
      } catch (error) {
        disk.close();
        throw error;
      }
      disk.destroy();
      return count;
    }

    flushOnExit(): () => void {
      const path = this.#path(undefined);
      const onExit = (): void => void this.#flushSync(path);
      const onSignal = (signal: NodeJS.Signals): void => {
        unregister();
        this.#flushSync(path);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      process.on('beforeExit', onExit).on('exit', onExit).on('SIGINT', onSignal).on('SIGTERM', onSignal);
      const unregister = (): void => {
        process.off('beforeExit', onExit).off('exit', onExit).off('SIGINT', onSignal).off('SIGTERM', onSignal);
      };
      return unregister;
    }

    #path(path: string | undefined): string {
      const resolved = path ?? this.flushPath;
      if (typeof resolved !== 'string') throw new TypeError('no path given and none set in the constructor options');
      return resolved;
    }

    #flushSync(path: string): number {
      let disk: DiskQueueLike<unknown> | undefined;
      let count = 0;
      try {
        for (;;) {
          // A base's own notion of empty: qsize() when it has one, else iodict's Empty.
          if (typeof this.qsize === 'function' && this.qsize() === 0) break;
          let item: T;
          try {
            item = this.getNowait();
          } catch (error) {
            if (error instanceof Empty || error instanceof QueueClosed) break;
            throw error;
          }
          try {
            disk ??= openDiskQueue(path, this.#diskOptions);
            disk.putNowait(item);
          } catch (cause) {
            throw new FlushError(`flush to ${path} failed after ${count} items`, item, count, { cause });
          }
          try {
            this.taskDone?.();
          } catch (error) {
            if (!(error instanceof ValueError)) throw error; // taskDone() was over-called earlier; not flush's business
          }
          count++;
        }
      } finally {
        disk?.close();
      }
      return count;
    }
  };
}

/** Options for {@link FlushQueue}. */
export interface FlushQueueOptions extends QueueOptions {
  /** Default directory of `flush()`/`ingest()`/`flushOnExit()`. */
  path?: string;
  /** Permission bits of the store `flush()` creates, as DurableQueue's `mode` (default: 0o666/0o777 less the umask). */
  mode?: number;
}

// withFlush(Queue) loses Queue's type parameter; restore it for `class FlushQueue<T> extends …<T>`.
const FlushQueueBase: new <T>(options?: FlushQueueOptions) => Queue<T> & FlushMethods = withFlush(Queue);

/** An in-memory {@link Queue} that can be flushed to a disk queue and ingested back. */
export class FlushQueue<T> extends FlushQueueBase<T> {
  constructor(options: FlushQueueOptions = {}) {
    checkOptions('FlushQueue', options, FLUSH_QUEUE_OPTIONS);
    super(options);
  }
}
