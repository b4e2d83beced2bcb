// What AsyncIODict's main thread and its worker threads say to each other (host/async/dict.ts,
// host/async/worker.ts). Values cross as the bytes of the handle's codec, encoded and decoded on
// the main thread, so any codec works and errors are the ones IODict throws; only records of
// another built-in codec are decoded in the worker and cross by structured clone.
import { KeyError, StoreError, CorruptRecordError, BatchError } from '../errors.js';
import type { CoreOptions } from '../core/options.js';
import type { Key } from '../core/keys.js';
import type { Change } from '../watch/types.js';

/** Set in a pooled worker's workerData: the bundle serves AsyncIODict handles when loaded with it (pool.ts). */
export const POOL_MARK = 'iodictAsyncWorker';

/** What a watch sends a worker it takes: feed me this store's changes (until 'stop'). */
export interface WatchSetup {
  /** Tags this watch's controls, as WorkerSetup.session tags a handle's batches. */
  session: number;
  path: string;
  options: Pick<CoreOptions, 'xattrs' | 'lease' | 'rotateAfter'>;
  since?: string;
  pollInterval?: number;
}

/** Changes a watching worker sends before it waits for the main thread to ask for more. */
export const WATCH_CREDIT = 256;

/** From a watch to its worker: 'more' (another WATCH_CREDIT of changes) or 'stop'. */
export interface WatchControl {
  session: number;
  control: 'more' | 'stop';
}

/** From a watching worker: a change, or that the watch has ended there (its handle closed: the worker is idle again). */
export type WatchMessage<K extends Key> = { change: Change<K> } | { ended: true } | OpenFailure;

/** How a worker rebuilds the `lock` option (a lock object itself cannot cross threads). */
export type LockSpec = { shared: SharedArrayBuffer } | { file: string };

/** What a handle sends a worker it takes: open the store; the calls of this session follow. */
export interface WorkerSetup {
  /** Tags this handle's batches: a worker whose open failed drops the calls sent before the main thread knew. */
  session: number;
  path: string;
  options: Pick<CoreOptions, 'durability' | 'xattrs' | 'lease' | 'rotateAfter' | 'mode'> & { temporary?: boolean; ttl?: number; maxItems?: number; maxBytes?: number };
  codecId: number;
  lock?: LockSpec;
  /** Abort flags, one per slot, set by the main thread (Atomics) and checked before each request. */
  abortFlags: Int32Array;
  /** Whether to report corrupt records found in passing (the user gave `onCorrupt`). */
  reportCorrupt: boolean;
}

export type Op =
  | 'get' | 'has' | 'set' | 'delete' | 'clear' | 'size' | 'keys' | 'entries' | 'pop' | 'popItem'
  | 'setDefault' | 'update' | 'purgeExpired' | 'stats' | 'refresh' | 'lock' | 'unlock' | 'close';

export interface Request {
  id: number;
  op: Op;
  args: unknown[];
  /** Index into abortFlags, or -1 when the call has no signal. */
  slot: number;
}

/** A value read by the worker: the codec's bytes, or a value another built-in codec decoded. */
/** The calls a handle sent to its worker in one tick. */
export interface Batch {
  session: number;
  requests: Request[];
}

export type WireValue = { b: Uint8Array } | { v: unknown };

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError }
  | { id: number; aborted: true };

export interface WireError {
  name: string;
  message: string;
  key?: unknown;
  path?: string;
  code?: string;
  operation?: string;
  quarantinedTo?: string;
  landed?: number;
}

/** Sent by a worker on its own: a corrupt record found in passing. */
export interface CorruptNotice {
  corrupt: WireError;
}

/** Sent by a worker instead of serving a session: it could not open the store. */
export interface OpenFailure {
  failed: WireError;
}

export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { name, message } = error;
  const extra = error as Partial<WireError>;
  return { name, message, key: extra.key, path: extra.path, code: extra.code, operation: extra.operation, quarantinedTo: extra.quarantinedTo, landed: extra.landed };
}

const standard: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError };

/** The error a worker threw, as the same class on this thread. */
export function fromWire(wire: WireError): Error {
  switch (wire.name) {
    case 'KeyError':
      return new KeyError(wire.message, wire.key);
    case 'StoreError':
      return new StoreError(wire.message, wire.path ?? '', wire.code, wire.operation);
    case 'BatchError':
      return new BatchError(wire.message, wire.landed ?? 0, new StoreError(wire.message, wire.path ?? '', wire.code, wire.operation));
    case 'CorruptRecordError':
      return new CorruptRecordError(wire.message, wire.path ?? '', wire.quarantinedTo);
    default: {
      const error = new (standard[wire.name] ?? Error)(wire.message);
      if (!standard[wire.name]) error.name = wire.name;
      return error;
    }
  }
}
