/** Errors thrown by iodict. Every error carries enough context to act on it. */

/** A key was looked up that is not in the store (pop without default, popItem on an empty store). */
export class KeyError extends Error {
  override name = 'KeyError';
  constructor(message: string, readonly key?: unknown) {
    super(message);
  }
}

/** `getNowait()` or a `get()` whose timeout ran out found no item. */
export class Empty extends Error {
  override name = 'Empty';
  constructor(message = 'queue is empty') {
    super(message);
  }
}

/** `putNowait()` or a `put()` whose timeout ran out found the queue at `maxsize`. */
export class Full extends Error {
  override name = 'Full';
  constructor(message = 'queue is full') {
    super(message);
  }
}

/** A handle (IODict, DurableQueue, Queue, FlushQueue) was used after close(). */
export class ClosedError extends Error {
  override name = 'ClosedError';
  constructor(message = 'iodict: the handle is closed') {
    super(message);
  }
}

/** `taskDone()` was called more times than there were items got (Python's ValueError). */
export class ValueError extends Error {
  override name = 'ValueError';
}

/**
 * A record file failed validation (bad magic, checksum, length, or an undecodable value).
 * The file was moved to `quarantinedTo` inside the store's `.iodict/quarantine/`; nothing was deleted.
 */
export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
  constructor(
    message: string,
    readonly path: string,
    readonly quarantinedTo?: string,
  ) {
    super(message);
  }
}

/**
 * The store cannot be used: the path is a file, a directory that is not an iodict store,
 * a store of a newer format, or a file-system call failed (`code` holds its errno name, e.g. ENOSPC).
 */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    message: string,
    readonly path: string,
    readonly code?: string,
    readonly operation?: string,
  ) {
    super(message);
  }
}

/**
 * A batch (setMany, putMany, update) failed part way: its first `landed` items (in the order
 * given) are stored, the rest are not, and no other item of it was changed. `cause` is the error.
 */
export class BatchError extends StoreError {
  override name = 'BatchError';
  constructor(
    message: string,
    readonly landed: number,
    cause: StoreError | Error,
  ) {
    const store = cause instanceof StoreError ? cause : undefined;
    super(message, store?.path ?? '', store?.code, store?.operation);
    this.cause = cause;
  }
}
