// The import table: everything the core asks of the outside world, in one place.
//
// Every host (Node, Bun, in-memory, WASI) implements exactly these functions, and
// test/conformance checks each contract. Conventions, as in wa-sqlite's VFS:
// - Paths are relative to the store root, passed as (ptr, len) bytes of ASCII in
//   the core's memory; the host never sees a path outside the store.
// - A result >= 0 is success; a result < 0 is minus one of the errno values below,
//   which every host translates into this one set (Linux numbering) whatever its
//   platform reports. Anything a host cannot name becomes EIO.
// - Sizes and positions are f64 (exact up to 2^53) so the table stays i32/f64 only.

export const ENOENT: i32 = 2;
export const EIO: i32 = 5;
export const EBADF: i32 = 9;
export const EAGAIN: i32 = 11; // lock held by someone else (non-blocking lock)
export const EACCES: i32 = 13;
export const EEXIST: i32 = 17;
export const ENOTDIR: i32 = 20;
export const EISDIR: i32 = 21;
export const EINVAL: i32 = 22;
export const EMFILE: i32 = 24;
export const ENOSPC: i32 = 28;
export const EROFS: i32 = 30;
export const ENAMETOOLONG: i32 = 36;
export const ENOTEMPTY: i32 = 39;
export const ENODATA: i32 = 61; // xattr not set
export const ENOTSUP: i32 = 95; // the host or file system lacks the feature (xattrs, locks)
export const ESTALE: i32 = 116; // network file systems: retry
export const EDQUOT: i32 = 122;

// open() flags.
export const O_READ: i32 = 1;
export const O_WRITE: i32 = 2;
export const O_CREATE: i32 = 4;
export const O_EXCL: i32 = 8;
export const O_TRUNC: i32 = 16;
export const O_APPEND: i32 = 32;
export const O_DIRECTORY: i32 = 64; // open a directory (for fsync); implies read-only

// lock() modes.
export const LOCK_UNLOCK: i32 = 0;
export const LOCK_SHARED: i32 = 1;
export const LOCK_EXCLUSIVE: i32 = 2;
export const LOCK_NONBLOCKING: i32 = 4; // or-ed in: return -EAGAIN instead of waiting

/** Layout of the 32 bytes that stat() and fstat() write. */
export const STAT_SIZE: i32 = 0; // f64 bytes
export const STAT_MTIME: i32 = 8; // f64 ms since the epoch
export const STAT_NLINK: i32 = 16; // f64 links; 0 once the open file was unlinked or renamed over
export const STAT_ISDIR: i32 = 24; // f64 1 for a directory, 0 otherwise
export const STAT_BYTES: i32 = 32;

/** Opens a file; returns a descriptor >= 0. ENOENT, EEXIST (with O_EXCL), EACCES, EISDIR, ENOTDIR, EMFILE. */
@external("host", "open") export declare function open(path: usize, pathLen: i32, flags: i32): i32;
/** Closes a descriptor. EBADF. */
@external("host", "close") export declare function close(fd: i32): i32;
/** Reads up to len bytes at pos (pos < 0: the current position); returns the count, 0 at end of file. */
@external("host", "read") export declare function read(fd: i32, buf: usize, len: i32, pos: f64): i32;
/** Writes len bytes at pos (pos < 0: the current position or the end with O_APPEND); returns the count. ENOSPC, EDQUOT, EIO. */
@external("host", "write") export declare function write(fd: i32, buf: usize, len: i32, pos: f64): i32;
/** Flushes a file or directory descriptor to stable storage. */
@external("host", "fsync") export declare function fsync(fd: i32): i32;
/** Writes STAT_BYTES about an open descriptor at out. */
@external("host", "fstat") export declare function fstat(fd: i32, out: usize): i32;
/** Writes STAT_BYTES about a path at out. ENOENT. */
@external("host", "stat") export declare function stat(path: usize, pathLen: i32, out: usize): i32;
/** Atomically renames from over to (replacing to). ENOENT when from is gone: the claim primitive. */
@external("host", "rename") export declare function rename(from: usize, fromLen: i32, to: usize, toLen: i32): i32;
/** Removes a file. ENOENT. */
@external("host", "unlink") export declare function unlink(path: usize, pathLen: i32): i32;
/** Creates a directory. EEXIST when it exists (callers treat that as success where they mean "ensure"). */
@external("host", "mkdir") export declare function mkdir(path: usize, pathLen: i32): i32;
/** Removes an empty directory. ENOENT, ENOTEMPTY. */
@external("host", "rmdir") export declare function rmdir(path: usize, pathLen: i32): i32;
/**
 * Lists a directory: writes the entry names (not . or ..), each followed by a 0 byte, at buf.
 * Returns the byte count; a result larger than cap means nothing useful was written: call again
 * with at least that capacity. Order is unspecified.
 */
@external("host", "readdir") export declare function readdir(path: usize, pathLen: i32, buf: usize, cap: i32): i32;
/** Reads the extended attribute name (ASCII) of an open file into buf; returns its length. ENODATA, ENOTSUP, and a result > cap as readdir. */
@external("host", "getxattr") export declare function getxattr(fd: i32, name: usize, nameLen: i32, buf: usize, cap: i32): i32;
/** Sets an extended attribute on an open file. ENOTSUP when the host or file system has none. */
@external("host", "setxattr") export declare function setxattr(fd: i32, name: usize, nameLen: i32, value: usize, valueLen: i32): i32;
/** Advisory whole-file lock on an open descriptor (flock semantics). EAGAIN (non-blocking, held), ENOTSUP. */
@external("host", "lock") export declare function lock(fd: i32, mode: i32): i32;
/** Wall-clock time in microseconds since the Unix epoch. */
@external("host", "now") export declare function now(): f64;
/** Fills len bytes at buf with random bytes (need not be cryptographic). */
@external("host", "random") export declare function random(buf: usize, len: i32): void;
/** This process's id. */
@external("host", "pid") export declare function pid(): i32;
/** 1 if a process with this id exists on this machine, 0 if not, -ENOTSUP if the host cannot tell. */
@external("host", "alive") export declare function alive(pid: i32): i32;
/** Blocks the calling thread for about ms milliseconds (only for back-off on ESTALE and lock waits). */
@external("host", "sleep") export declare function sleep(ms: i32): void;
