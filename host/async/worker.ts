// The worker side of AsyncIODict: a synchronous IODict on the store of the handle that took this
// worker from the pool, serving its batches in the order they arrive (a Session), or feeding one
// watch() (a Feed), so every file-system call runs off the main thread. Loaded as the same bundle
// as the main thread; it serves only when its workerData carries POOL_MARK.
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { setPriority } from 'node:os';
import { IODict, enterTransaction } from '../dict.js';
import type { Key } from '../core/keys.js';
import { type Lock, SharedLock, FileLock } from '../core/lock.js';
import { type Codec, carrierCodec } from '../codec/index.js';
import { type WorkerSetup, type WatchSetup, type WatchControl, type WatchMessage, type Batch, type Request, type Reply, type WireValue, type CorruptNotice, type OpenFailure, POOL_MARK, WATCH_CREDIT, toWire } from './wire.js';

/** A value as its codec's bytes, untouched: decoding happens on the main thread. */
class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

function passThrough(id: number): Codec<unknown> {
  return carrierCodec({
    id,
    encode: (bytes) => bytes as Uint8Array,
    // The view is into the core's memory: copy it before the next call reuses it.
    decode: (bytes) => new Raw(bytes.slice()),
  });
}

function wire(value: unknown): WireValue {
  return value instanceof Raw ? { b: value.bytes } : { v: value };
}

function rebuildLock(setup: WorkerSetup): Lock | undefined {
  if (!setup.lock) return undefined;
  return 'shared' in setup.lock ? new SharedLock(setup.lock.shared) : new FileLock(setup.lock.file);
}

/** How long to pause between tries for the store lock: false when the request was aborted. */
function pauseUnlessAborted(flags: Int32Array, slot: number): (ms: number) => boolean {
  if (slot < 0) return (ms) => (Atomics.wait(flags, flags.length - 1, 0, ms), true);
  return (ms) => {
    Atomics.wait(flags, slot, 0, ms); // an abort wakes it at once
    return Atomics.load(flags, slot) === 0;
  };
}

const ABORTED = Symbol('aborted');

/**
 * Niceness of the I/O threads: on Linux a thread's own, so the event loop's thread wins the CPU
 * when the machine is busy (the bar is its timer lag); the I/O threads take what is left.
 */
const WORKER_NICENESS = 5;

/** One handle's store in this worker: serves its batches until its 'close'. */
class Session {
  readonly id: number;
  readonly #dict: IODict<Key, unknown>;
  readonly #flags: Int32Array;
  /** transact() calls in progress, innermost last: how to leave each. */
  readonly #held: (() => void)[] = [];

  constructor(setup: WorkerSetup, port: MessagePort) {
    this.id = setup.session;
    this.#flags = setup.abortFlags;
    const notice = (error: Error) => port.postMessage({ corrupt: toWire(error) } satisfies CorruptNotice);
    this.#dict = new IODict<Key, unknown>(setup.path, {
      ...setup.options,
      codec: passThrough(setup.codecId),
      lock: rebuildLock(setup),
      ...(setup.reportCorrupt ? { onCorrupt: notice } : {}),
    });
  }

  /** The replies to one batch; `closed` once its 'close' ran (the calls after it are not run). */
  serve(batch: Request[]): { replies: Reply[]; closed: boolean } {
    const replies: Reply[] = [];
    for (const request of batch) {
      if (request.slot >= 0 && Atomics.load(this.#flags, request.slot) !== 0) {
        replies.push({ id: request.id, aborted: true });
        continue;
      }
      try {
        const value = this.#run(request);
        replies.push(value === ABORTED ? { id: request.id, aborted: true } : { id: request.id, ok: true, value });
      } catch (error) {
        replies.push({ id: request.id, ok: false, error: toWire(error) });
      }
      if (request.op === 'close') return { replies, closed: true };
    }
    return { replies, closed: false };
  }

  /** key's value, or undefined when missing (a stored undefined is present: has() tells them apart). */
  #found(key: Key): WireValue | undefined {
    const value = this.#dict.get(key);
    return value === undefined && !this.#dict.has(key) ? undefined : wire(value);
  }

  #run(request: Request): unknown {
    const dict = this.#dict;
    const a = request.args;
    switch (request.op) {
      case 'get':
        return this.#found(a[0] as Key);
      case 'has':
        return dict.has(a[0] as Key);
      case 'set':
        dict.set(a[0] as Key, a[1], { ttl: a[2] as number | undefined });
        return undefined;
      case 'delete':
        return dict.delete(a[0] as Key);
      case 'clear':
        return dict.clear();
      case 'size':
        return dict.size;
      case 'keys':
        return [...dict.keys()];
      case 'entries': {
        const pairs: [Key, WireValue][] = [];
        for (const key of a[0] as Key[]) {
          const value = this.#found(key);
          if (value) pairs.push([key, value]);
        }
        return pairs;
      }
      case 'pop': {
        const missing = {};
        const value = dict.pop(a[0] as Key, missing);
        return value === missing ? undefined : wire(value);
      }
      case 'popItem': {
        const [key, value] = dict.popItem({ last: a[0] as boolean });
        return [key, wire(value)];
      }
      case 'setDefault': {
        const value = dict.setDefault(a[0] as Key, a[1]);
        return value === a[1] ? undefined : wire(value);
      }
      case 'update':
        dict.setMany(a[0] as [Key, unknown][], { ttl: a[1] as number | undefined });
        return undefined;
      case 'purgeExpired':
        return dict.purgeExpired();
      case 'stats':
        return dict.stats();
      case 'refresh':
        return dict.refresh();
      case 'lock': {
        // A transaction spans many batches: entered by a 'lock' request, left by its 'unlock'.
        const leave = enterTransaction(dict, pauseUnlessAborted(this.#flags, request.slot));
        if (!leave) return ABORTED;
        this.#held.push(leave);
        return undefined;
      }
      case 'unlock':
        this.#held.pop()?.();
        return undefined;
      case 'close':
        while (this.#held.length) this.#held.pop()!();
        dict.close();
        return undefined;
    }
  }
}

/**
 * Feeds one AsyncIODict.watch(): the changes of IODict.watch() on a handle of this worker, at most
 * WATCH_CREDIT ahead of what the main thread has taken (it sends 'more' for each next batch).
 * 'stop' ends the watch and closes the handle (so its registration goes too); then `ended` is
 * posted, and the worker is idle again.
 */
class Feed {
  readonly id: number;
  readonly #stop = new AbortController();
  #credit = WATCH_CREDIT;
  #more: (() => void) | undefined;

  constructor(setup: WatchSetup, port: MessagePort, done: () => void) {
    this.id = setup.session;
    void this.#run(setup, port).finally(() => {
      done();
      port.postMessage({ ended: true } satisfies WatchMessage<Key>);
    });
  }

  control(control: WatchControl['control']): void {
    if (control === 'stop') this.#stop.abort();
    else this.#credit += WATCH_CREDIT;
    this.#more?.();
  }

  async #run(setup: WatchSetup, port: MessagePort): Promise<void> {
    const stop = this.#stop.signal;
    let dict: IODict<Key, unknown> | undefined;
    try {
      dict = new IODict<Key, unknown>(setup.path, setup.options);
      for await (const change of dict.watch({ since: setup.since, pollInterval: setup.pollInterval, signal: stop })) {
        port.postMessage({ change } satisfies WatchMessage<Key>);
        while (this.#credit === 0 && !stop.aborted) await new Promise<void>((resolve) => (this.#more = resolve));
        if (stop.aborted) break;
        this.#credit--;
      }
    } catch (error) {
      if (!stop.aborted) port.postMessage({ failed: toWire(error) } satisfies WatchMessage<Key>);
    } finally {
      dict?.close();
    }
  }
}

/** A pooled worker: serves the handle or watch that took it, one after another (pool.ts). */
function serve(): void {
  const port = parentPort!;
  try {
    setPriority(0, WORKER_NICENESS);
  } catch {
    // Not permitted or not supported here: the threads run at the process's priority.
  }
  let session: Session | undefined;
  let feed: Feed | undefined;
  port.on('message', (message: { open: WorkerSetup } | { watch: WatchSetup } | WatchControl | Batch) => {
    if ('open' in message) {
      try {
        session = new Session(message.open, port);
      } catch (error) {
        session = undefined;
        port.postMessage({ failed: toWire(error) } satisfies OpenFailure);
      }
      return;
    }
    if ('watch' in message) {
      const started: Feed = new Feed(message.watch, port, () => {
        if (feed === started) feed = undefined;
      });
      feed = started;
      return;
    }
    if ('control' in message) {
      if (feed?.id === message.session) feed.control(message.control);
      return;
    }
    // Calls sent before the main thread heard that their session's open failed: already failed there.
    if (session?.id !== message.session) return;
    const { replies, closed } = session.serve(message.requests);
    if (closed) session = undefined;
    port.postMessage(replies);
  });
}

if (!isMainThread && (workerData as { [POOL_MARK]?: true } | null)?.[POOL_MARK]) serve();
