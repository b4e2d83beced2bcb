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
