import { resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { type StoreHost, Errno, OpenFlags, LockMode, errnoName } from './host.js';
import { StoreError } from '../errors.js';
import { defaultHost } from '../default-host.js';

/** Any lock with acquire/release (a mutex shared by handles in one thread, say). */
export interface Lock {
  acquire(): unknown;
  release(): unknown;
}

/** Runs op holding the lock, if there is one. */
export function withLock<T>(lock: Lock | undefined, op: () => T): T {
  if (!lock) return op();
  lock.acquire();
  try {
    return op();
  } finally {
    lock.release();
  }
}

/**
 * A lock for the worker threads of one process, over a SharedArrayBuffer: pass `lock.buffer` to a
 * worker (workerData or postMessage) and build `new SharedLock(buffer)` there. Re-entrant per
 * thread (handles of one thread sharing it nest), so IODict's `transact` and the operations inside
 * it can both hold it. `acquire()` blocks the thread (Atomics.wait) while another thread holds it.
 */
export class SharedLock implements Lock {
  /** [holder: thread id + 1, or 0 when free; depth of the holder's nested acquisitions] */
  readonly #cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8)) {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < 8) {
      throw new TypeError('iodict: SharedLock needs a SharedArrayBuffer of at least 8 bytes (another SharedLock\'s buffer)');
    }
    this.#cells = new Int32Array(buffer, 0, 2);
  }

  acquire(): void {
    const cells = this.#cells;
    const me = threadId + 1;
    if (Atomics.load(cells, 0) === me) {
      Atomics.add(cells, 1, 1);
      return;
    }
    for (;;) {
      const holder = Atomics.compareExchange(cells, 0, 0, me);
      if (holder === 0) break;
      Atomics.wait(cells, 0, holder);
    }
    Atomics.store(cells, 1, 1);
  }

  release(): void {
    const cells = this.#cells;
    if (Atomics.load(cells, 0) !== threadId + 1) throw new Error('iodict: SharedLock.release() by a thread that does not hold it');
    if (Atomics.sub(cells, 1, 1) > 1) return;
    Atomics.store(cells, 0, 0);
    Atomics.notify(cells, 0, 1);
  }
}

/** This thread's open FileLocks by resolved path: instances on one path share the descriptor. */
const fileLocksHeld = new Map<string, { fd: number; depth: number }>();

/**
 * A lock across processes and threads: flock(2) on the file at `path` (created if missing; any
 * file on a local file system). The kernel releases it when its holder dies. Re-entrant per
 * thread. `acquire()` blocks the thread while another holds it. Needs flock from the host
 * (Node with the optional `koffi`, Bun): otherwise acquire() throws StoreError ENOTSUP.
 */
export class FileLock implements Lock {
  readonly path: string;
  readonly #host: StoreHost;

  constructor(path: string, options: { host?: StoreHost } = {}) {
    if (typeof path !== 'string' || path === '') throw new TypeError('iodict: FileLock needs a file path');
    this.path = resolve(path);
    this.#host = options.host ?? defaultHost();
  }

  acquire(): void {
    const held = fileLocksHeld.get(this.path);
    if (held) {
      held.depth++;
      return;
    }
    const host = this.#host;
    const fd = host.open(this.path, OpenFlags.READ | OpenFlags.WRITE | OpenFlags.CREATE);
    if (fd < 0) throw new StoreError(`iodict: FileLock: open ${this.path} failed: ${errnoName(-fd)}`, this.path, errnoName(-fd), 'open');
    const locked = host.lock(fd, LockMode.EXCLUSIVE);
    if (locked < 0) {
      host.close(fd);
      const code = errnoName(-locked);
      const why = locked === -Errno.ENOTSUP ? ' (this host has no flock: install koffi on Node, or use SharedLock between threads)' : '';
      throw new StoreError(`iodict: FileLock: lock ${this.path} failed: ${code}${why}`, this.path, code, 'lock');
    }
    fileLocksHeld.set(this.path, { fd, depth: 1 });
  }

  release(): void {
    const held = fileLocksHeld.get(this.path);
    if (!held) throw new Error(`iodict: FileLock.release(): ${this.path} is not held by this thread`);
    if (--held.depth > 0) return;
    fileLocksHeld.delete(this.path);
    this.#host.lock(held.fd, LockMode.UNLOCK);
    this.#host.close(held.fd);
  }
}
