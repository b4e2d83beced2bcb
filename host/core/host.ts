/**
 * The host contract: what a runtime provides so the core can reach a file system.
 *
 * This is the import table of the core (assembly/host/imports.ts) with pointers already
 * turned into strings and byte views, so each runtime binding (Node, Bun, in-memory) is a
 * handful of one-line syscall wrappers. Every method returns a number >= 0 on success and
 * minus an errno from `Errno` on failure; it never throws. test/conformance checks each
 * contract against every host.
 */
export interface StoreHost {
  /** Host name for messages and the conformance report, e.g. "node". */
  readonly name: string;
  /**
   * Opens a file: a descriptor, or -ENOENT, -EEXIST (with O_EXCL), -EACCES, -EISDIR, -ENOTDIR.
   * Never follows a symbolic link as the last component (-ELOOP) and never blocks on a FIFO.
   * A file it creates gets the permission bits `mode` less the umask (default 0o666, as node:fs).
   */
  open(path: string, flags: number, mode?: number): number;
  close(fd: number): number;
  /** Reads into buf at pos (pos < 0: the current position): the byte count, 0 at end of file. */
  read(fd: number, buf: Uint8Array, pos: number): number;
  /** Writes buf at pos (pos < 0: the current position, the end with O_APPEND): the byte count. */
  write(fd: number, buf: Uint8Array, pos: number): number;
  fsync(fd: number): number;
  /**
   * Optional: flushes the whole file system holding fd (Linux syncfs(2)), so a batch needs one
   * call instead of an fsync per file. `files` is how many files the caller fsyncs otherwise: a
   * host may decline when flushing everything would cost more (other programs' unwritten data).
   * Missing or -ENOTSUP: the core fsyncs each file instead.
   */
  syncfs?(fd: number, files: number): number;
  /** Fills out with [size, mtimeMs, nlink, type]: type 0 a regular file, 1 a directory, 2 anything else. */
  fstat(fd: number, out: Float64Array): number;
  /** As fstat, of a path, not following a symbolic link (type 2). */
  stat(path: string, out: Float64Array): number;
  /** Atomic rename, replacing `to`; -ENOENT when `from` is gone (the claim primitive). */
  rename(from: string, to: string): number;
  /**
   * Optional: swaps two names atomically (Linux renameat2 with RENAME_EXCHANGE), so `to` is
   * replaced only if it still exists and `from` then names what it held. -ENOENT when either is
   * missing (nothing changed). Missing or -ENOTSUP (a kernel or file system without it): the core
   * replaces through a `link` probe instead (FORMAT.md 7.3 step 2), four calls more.
   */
  exchange?(from: string, to: string): number;
  /**
   * Optional: renames `from` to `to` only if `to` does not exist, atomically (Linux renameat2 with
   * RENAME_NOREPLACE): -EEXIST when it does, -ENOENT when `from` is missing (nothing changed).
   * Missing or -ENOTSUP: the core looks at `to` first and renames (FORMAT.md 7.5, the race that
   * leaves).
   */
  renameIfAbsent?(from: string, to: string): number;
  /**
   * Optional: makes `to` a second name of the file `from` (link(2)): -EEXIST when `to` exists,
   * -ENOENT when `from` is missing, -ENOTSUP on a file system without hard links (the handle then
   * stops asking). Missing or failing: an overwrite on a host without `exchange` keeps the gap
   * of FORMAT.md 5.
   */
  link?(from: string, to: string): number;
  unlink(path: string): number;
  /** Creates a directory and any missing parents (each `mode` less the umask, default 0o777); -EEXIST when it exists. */
  mkdir(path: string, mode?: number): number;
  rmdir(path: string): number;
  /** Entry names (no "." or ".."), in any order, or -errno. */
  readdir(path: string): string[] | number;
  /** Reads an extended attribute into buf: its length (> buf.length: call again bigger), -ENODATA, -ENOTSUP. */
  getxattr(fd: number, name: string, buf: Uint8Array): number;
  setxattr(fd: number, name: string, value: Uint8Array): number;
  /** flock(2)-style advisory lock; mode from `LockMode`. -EAGAIN when non-blocking and held, -ENOTSUP. */
  lock(fd: number, mode: number): number;
  /** Wall-clock microseconds since the Unix epoch. */
  now(): number;
  random(buf: Uint8Array): void;
  pid(): number;
  /**
   * Who may judge this process's liveness: a 48-bit number naming the machine (its boot) and
   * the pid namespace. Two processes with the same identity see each other's pids, so `alive`
   * is trusted between them; an owner of another identity (another container, another host)
   * is judged only by its lease (FORMAT.md section 7).
   */
  identity(): number;
  /** 1 if the process exists on this machine, 0 if not, -ENOTSUP if unknowable. */
  alive(pid: number): number;
  /** Blocks the thread for about ms (used only to back off on ESTALE and lock waits). */
  sleep(ms: number): void;
  /**
   * Optional: the CRC-32C (Castagnoli, as FORMAT.md's checksums) of `bytes`, continuing `seed`
   * (the CRC of the bytes before them; 0 to start), as an unsigned 32-bit number. The core offers
   * it only long inputs (1 KiB and more), where a machine-code CRC beats its own. It must compute
   * exactly CRC-32C: the value lands on disk. Missing or -ENOTSUP: the core computes it.
   */
  crc32c?(bytes: Uint8Array, seed: number): number;
  /**
   * Optional, not part of the core's table: calls `onChange` soon after entries of a directory
   * change (inotify and the like). Only ever used to wake waiters early; correctness never
   * depends on it, since waiters also poll.
   */
  watch?(dir: string, onChange: () => void): { close(): void };
}

/** Error numbers of the contract (Linux numbering, whatever the platform). */
export const Errno = {
  ENOENT: 2, EIO: 5, EBADF: 9, EAGAIN: 11, EACCES: 13, EEXIST: 17, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, EMFILE: 24, EFBIG: 27, ENOSPC: 28, EROFS: 30, ENAMETOOLONG: 36, ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61,
  ENOTSUP: 95, ESTALE: 116, EDQUOT: 122,
} as const;

const errnoByName: Record<string, number> = { ...Errno, EPERM: Errno.EACCES, EOPNOTSUPP: Errno.ENOTSUP, ENOATTR: Errno.ENODATA, EXDEV: Errno.EIO, EBUSY: Errno.EAGAIN, EWOULDBLOCK: Errno.EAGAIN, ESPIPE: Errno.EINVAL };

/** Name of an errno of the contract, e.g. 28 -> "ENOSPC". */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(Errno)) if (value === errno) return name;
  return `E${errno}`;
}

const knownErrnos = new Set<number>(Object.values(Errno));

/**
 * Translates a thrown runtime error (Node/Bun style) into -errno. Node names some errors only
 * by number ("Unknown system error -116" for ESTALE on a network file system): on Linux, whose
 * numbering the contract uses, every number reaches the core as itself, so ESTALE is retried
 * where FORMAT.md 7.8 says instead of failing as EIO. Elsewhere only numbers the contract knows
 * are kept (another platform numbers its errors differently).
 */
export function toErrno(error: unknown): number {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
  const named = typeof code === 'string' ? errnoByName[code] : undefined;
  if (named !== undefined) return -named;
  if (typeof errno === 'number' && Number.isInteger(errno) && errno < 0 && (linuxNumbering || knownErrnos.has(-errno))) return errno;
  return -Errno.EIO;
}

const linuxNumbering = process.platform === 'linux';

/**
 * Translates errno as libc sets it (after an FFI call) into -errno of the contract, as toErrno
 * translates a thrown error's code; `systemNumbers` is the platform's table (os.constants.errno).
 */
export function systemErrnoTranslator(systemNumbers: Record<string, number | undefined>): (errno: number) => number {
  const byNumber = new Map<number, number>();
  for (const [name, target] of Object.entries(errnoByName)) {
    const number = systemNumbers[name];
    if (number !== undefined) byNumber.set(number, target);
  }
  return (errno) => -(byNumber.get(errno) ?? (errno > 0 && (linuxNumbering || knownErrnos.has(errno)) ? errno : Errno.EIO));
}

export const OpenFlags = { READ: 1, WRITE: 2, CREATE: 4, EXCL: 8, TRUNC: 16, APPEND: 32, DIRECTORY: 64 } as const;
export const LockMode = { UNLOCK: 0, SHARED: 1, EXCLUSIVE: 2, NONBLOCKING: 4 } as const;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** A synchronous sleep that does not spin (Atomics.wait works on the main thread in Node and Bun). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** 1 if a local process exists (signal 0 probes without sending anything). */
export function processAlive(pid: number): number {
  try {
    process.kill(pid, 0);
    return 1;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM' ? 1 : 0;
  }
}

/** The offset is measured until it is known to within this (ms), for at most CLOCK_BUDGET_MS. */
const CLOCK_BOUND_MS = 0.02;
// Unloaded, the bounds meet at the first tick (about 1 ms). Under load a process runs across few
// ticks: with 8 processes spinning on 2 cores here they met after 22 ms (median; 40 at most), and
// a budget of 8 ms left clocks up to 107 µs apart.
const CLOCK_BUDGET_MS = 50;

/**
 * The offset (ms) that puts a fine clock (`fine`: ms, any origin) on the wall clock (`wall`: whole
 * ms, as Date.now()). Each wall reading, bracketed by the fine readings before and after it, bounds
 * the offset: the wall clock was in [d, d + 1) while the fine one was in [before, after]. Readings
 * just after a tick tighten the lower bound, readings just before one the upper: the two may come
 * from different ticks. So a process preempted at the tick itself (under load, the scheduler's tick
 * can fall on the wall clock's: every bracket around it then spans whole milliseconds) still gets
 * both bounds, from the last reading before its pause and the first after. Spins until the bounds
 * are CLOCK_BOUND_MS apart (about 1 ms), CLOCK_BUDGET_MS at most; a clock step meanwhile
 * (empty bounds) starts over.
 */
export function measureClockOffset(wall: () => number, fine: () => number, budgetMs = CLOCK_BUDGET_MS): number {
  let lower = -Infinity;
  let upper = Infinity;
  const until = fine() + budgetMs;
  let before = fine();
  for (;;) {
    const real = wall();
    const after = fine();
    lower = Math.max(lower, real - after);
    upper = Math.min(upper, real + 1 - before);
    if (lower > upper) {
      lower = real - after;
      upper = real + 1 - before;
    }
    if (upper - lower <= CLOCK_BOUND_MS || after > until) return (lower + upper) / 2;
    before = after;
  }
}

const fineMs = () => performance.timeOrigin + performance.now();

/**
 * A real-time clock in microseconds, strictly increasing, from `wall` (whole ms, as Date.now())
 * and `fine` (ms, any origin): the fine clock's digits, set on the wall clock at a tick
 * (measureClockOffset), and set again whenever a reading leaves the millisecond `wall` says it
 * is in (a suspend, a clock step, or a timeOrigin that a busy machine fixed milliseconds off at
 * the process's start). A pause between the two readings looks the same, and under load comes
 * about once in 25,000 readings (measured beside 4 spinning processes): only a second pair that
 * disagrees too sets the clock again, since setting it can take the whole budget under load.
 */
export function microsClock(wall: () => number, fine: () => number): () => number {
  let offset: number | undefined; // ms added to fine()
  let last = 0;
  // 50 µs of slack: a tick between the two readings is not a disagreement.
  const onWallClock = (ms: number): boolean => {
    const real = wall();
    return ms >= real - 0.05 && ms < real + 1.05;
  };
  return () => {
    offset ??= measureClockOffset(wall, fine);
    let ms = fine() + offset;
    if (!onWallClock(ms) && !onWallClock((ms = fine() + offset))) {
      offset = measureClockOffset(wall, fine);
      ms = fine() + offset;
    }
    return (last = Math.max(Math.floor(ms * 1000), last + 1));
  };
}

/**
 * The real-time clock in microseconds, strictly increasing in this process. Birth stamps and
 * leases must agree between processes (two writers' stamps order their items) and survive a
 * suspend, which the monotonic clock alone does not; Date.now() alone has only milliseconds. So:
 * the monotonic clock for the fine digits, on the wall clock (microsClock), so that two processes
 * agree to within microseconds.
 */
export const wallClockMicros: () => number = microsClock(Date.now, fineMs);
