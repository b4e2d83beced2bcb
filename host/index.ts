export { IODict, type IODictOptions, type SetOptions, type LimitOptions, type Lock, type Change, type WatchOptions } from './dict.js';
export { SharedLock, FileLock } from './core/lock.js';
export type { AbortSignalLike } from './core/globals.js';
export { AsyncIODict, type AsyncIODictOptions, type AsyncOptions, type WorkerPoolOptions } from './async/dict.js';
export { KeyError, Empty, Full, ValueError, CorruptRecordError, StoreError, ClosedError, BatchError } from './errors.js';
export { type Codec, cborCodec, jsonCodec } from './codec/index.js';
/** The CBOR codec itself (encode, decode, CborError), for tools that read records. */
export * as cbor from './codec/cbor.js';
export { type Key } from './core/keys.js';
export { type StoreHost, Errno, OpenFlags, LockMode } from './core/host.js';
export { nodeHost, type NodeHostOptions } from './node/binding.js';
export { bunHost, type BunHostOptions } from './bun/binding.js';
export { memoryHost, type MemoryHostOptions } from './memory/binding.js';
export { Queue, QueueClosed, type QueueOptions, type BlockOptions } from './queue/queue.js';
export { DurableQueue, type DurableQueueOptions, type Delivery } from './queue/durable.js';
export { FlushQueue, withFlush, FlushError, type FlushQueueOptions, type Flushable, type FlushMethods } from './queue/flush.js';

import { setDiskQueueFactory } from './queue/flush.js';
import { DurableQueue } from './queue/durable.js';
// FlushQueue.flush()/ingest() move items through a DurableQueue at the given path.
setDiskQueueFactory((path, options) => new DurableQueue(path, options));
