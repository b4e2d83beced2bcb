// The import table: everything the core asks of the outside world, in one place.
//
// Every host (Node, Bun, in-memory, WASI) implements exactly these functions, and
// test/conformance checks each contract. Two builds share this file: the host build
// imports them from the module "host" (external.ts, given by a TypeScript binding); the
// WASI build (asc --use HOST_WASI=1) implements them in AssemblyScript over
// wasi_snapshot_preview1 (wasi.ts). The choice is made at compile time and inlined, so
// each build contains only its own. The host build also imports its memory (env.memory,
// zero-filled: host/core/module.ts hands a closed handle's memory, zeroed, to the next one);
// the WASI build owns its memory. Conventions, as in wa-sqlite's VFS:
// - Paths are relative to the store root, passed as (ptr, len) bytes of ASCII in
//   the core's memory; the host never sees a path outside the store.
// - A result >= 0 is success; a result < 0 is minus one of the errno values below,
//   which every host translates into this one set (Linux numbering) whatever its
//   platform reports. Anything a host cannot name becomes EIO.
// - Sizes and positions are f64 (exact up to 2^53) so the table stays i32/f64 only.

import * as js from './external';
import * as wasi from './wasi';

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
export const EFBIG: i32 = 27; // a record too large for the core's 1 GiB buffers
export const ENOSPC: i32 = 28;
export const EROFS: i32 = 30;
export const ENAMETOOLONG: i32 = 36;
export const ENOTEMPTY: i32 = 39;
export const ELOOP: i32 = 40; // a symbolic link where the store allows none (open, stat do not follow)
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
export const STAT_TYPE: i32 = 24; // f64 TYPE_*
export const TYPE_FILE: f64 = 0; // a regular file
export const TYPE_DIR: f64 = 1;
export const TYPE_OTHER: f64 = 2; // a symbolic link, FIFO, socket or device: never a store's file
export const STAT_BYTES: i32 = 32;

/**
 * Opens a file; returns a descriptor >= 0. ENOENT, EEXIST (with O_EXCL), EACCES, EISDIR, ENOTDIR, EMFILE.
 * Never follows a symbolic link in the last component (ELOOP; ENOTDIR with O_DIRECTORY), and never blocks: a FIFO opens
 * at once (a read finds nothing). The store root (path length 0) may itself be a link.
 */
@inline export function open(path: usize, pathLen: i32, flags: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.open(path, pathLen, flags);
  else return js.open(path, pathLen, flags);
}
/** Closes a descriptor. EBADF. */
@inline export function close(fd: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.close(fd);
  else return js.close(fd);
}
/** Reads up to len bytes at pos (pos < 0: the current position); returns the count, 0 at end of file. */
@inline export function read(fd: i32, buf: usize, len: i32, pos: f64): i32 {
  if (isDefined(HOST_WASI)) return wasi.read(fd, buf, len, pos);
  else return js.read(fd, buf, len, pos);
}
/** Writes len bytes at pos (pos < 0: the current position or the end with O_APPEND); returns the count. ENOSPC, EDQUOT, EIO. */
@inline export function write(fd: i32, buf: usize, len: i32, pos: f64): i32 {
  if (isDefined(HOST_WASI)) return wasi.write(fd, buf, len, pos);
  else return js.write(fd, buf, len, pos);
}
/** Flushes a file or directory descriptor to stable storage. */
@inline export function fsync(fd: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.fsync(fd);
  else return js.fsync(fd);
}
/**
 * Flushes the whole file system holding the descriptor (Linux syncfs): one call instead of an
 * fsync of each of `files` files, for batches. ENOTSUP where the host has no such call, or
 * declines it as costlier than those fsyncs (the caller fsyncs each file).
 */
@inline export function syncfs(fd: i32, files: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.syncfs(fd, files);
  else return js.syncfs(fd, files);
}
/** Writes STAT_BYTES about an open descriptor at out. */
@inline export function fstat(fd: i32, out: usize): i32 {
  if (isDefined(HOST_WASI)) return wasi.fstat(fd, out);
  else return js.fstat(fd, out);
}
/** Writes STAT_BYTES about a path at out, not following a symbolic link (its type is TYPE_OTHER), the root excepted. ENOENT. */
@inline export function stat(path: usize, pathLen: i32, out: usize): i32 {
  if (isDefined(HOST_WASI)) return wasi.stat(path, pathLen, out);
  else return js.stat(path, pathLen, out);
}
/** Atomically renames from over to (replacing to). ENOENT when from is gone: the claim primitive. */
@inline export function rename(from: usize, fromLen: i32, to: usize, toLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.rename(from, fromLen, to, toLen);
  else return js.rename(from, fromLen, to, toLen);
}
/**
 * Atomically swaps the names from and to (Linux renameat2 RENAME_EXCHANGE): to is replaced only
 * if it exists, and from then names what it held. ENOENT when either is missing (nothing changed);
 * ENOTSUP where the host or file system has no such call (the caller renames instead).
 */
@inline export function exchange(from: usize, fromLen: i32, to: usize, toLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.exchange(from, fromLen, to, toLen);
  else return js.exchange(from, fromLen, to, toLen);
}
/**
 * Atomically renames from to to only if to does not exist (Linux renameat2 RENAME_NOREPLACE):
 * EEXIST when it does, ENOENT when from is missing (nothing changed); ENOTSUP where the host or
 * file system has no such call (the caller looks at to first, then renames).
 */
@inline export function renameIfAbsent(from: usize, fromLen: i32, to: usize, toLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.renameIfAbsent(from, fromLen, to, toLen);
  else return js.renameIfAbsent(from, fromLen, to, toLen);
}
/**
 * Makes to a second name of the file from (link(2)). EEXIST when to exists, ENOENT when from is
 * missing; any other failure (a file system without hard links) leaves the caller without it.
 */
@inline export function link(from: usize, fromLen: i32, to: usize, toLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.link(from, fromLen, to, toLen);
  else return js.link(from, fromLen, to, toLen);
}
/** Removes a file. ENOENT. */
@inline export function unlink(path: usize, pathLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.unlink(path, pathLen);
  else return js.unlink(path, pathLen);
}
/** Creates a directory and any missing parents. EEXIST when it exists (callers treat that as success where they mean "ensure"). */
@inline export function mkdir(path: usize, pathLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.mkdir(path, pathLen);
  else return js.mkdir(path, pathLen);
}
/** Removes an empty directory. ENOENT, ENOTEMPTY. */
@inline export function rmdir(path: usize, pathLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.rmdir(path, pathLen);
  else return js.rmdir(path, pathLen);
}
/**
 * Lists a directory: writes the entry names (not . or ..), each followed by a 0 byte, at buf.
 * Returns the byte count; a result larger than cap means nothing useful was written: call again
 * with at least that capacity. Order is unspecified.
 */
@inline export function readdir(path: usize, pathLen: i32, buf: usize, cap: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.readdir(path, pathLen, buf, cap);
  else return js.readdir(path, pathLen, buf, cap);
}
/** Reads the extended attribute name (ASCII) of an open file into buf; returns its length. ENODATA, ENOTSUP, and a result > cap as readdir. */
@inline export function getxattr(fd: i32, name: usize, nameLen: i32, buf: usize, cap: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.getxattr(fd, name, nameLen, buf, cap);
  else return js.getxattr(fd, name, nameLen, buf, cap);
}
/** Sets an extended attribute on an open file. ENOTSUP when the host or file system has none. */
@inline export function setxattr(fd: i32, name: usize, nameLen: i32, value: usize, valueLen: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.setxattr(fd, name, nameLen, value, valueLen);
  else return js.setxattr(fd, name, nameLen, value, valueLen);
}
/** Advisory whole-file lock on an open descriptor (flock semantics). EAGAIN (non-blocking, held), ENOTSUP. */
@inline export function lock(fd: i32, mode: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.lock(fd, mode);
  else return js.lock(fd, mode);
}
/** Wall-clock time in microseconds since the Unix epoch. */
@inline export function now(): f64 {
  if (isDefined(HOST_WASI)) return wasi.now();
  else return js.now();
}
/** Fills len bytes at buf with random bytes (need not be cryptographic). */
@inline export function random(buf: usize, len: i32): void {
  if (isDefined(HOST_WASI)) wasi.random(buf, len);
  else js.random(buf, len);
}
/** This process's id. WASI has no processes: an id per instance with bit 31 set, which no host takes for a pid. */
@inline export function pid(): i32 {
  if (isDefined(HOST_WASI)) return wasi.pid();
  else return js.pid();
}
/**
 * A 48-bit number naming this machine's boot and pid namespace: alive() is trusted only for
 * owners of the same identity. WASI: a random number per instance (no liveness at all).
 */
@inline export function identity(): f64 {
  if (isDefined(HOST_WASI)) return wasi.identity();
  else return js.identity();
}
/** 1 if a process with this id exists on this machine, 0 if not, -ENOTSUP if the host cannot tell (WASI). */
@inline export function alive(pid: i32): i32 {
  if (isDefined(HOST_WASI)) return wasi.alive(pid);
  else return js.alive(pid);
}
/** Blocks the calling thread for about ms milliseconds (only for back-off on ESTALE and lock waits). */
@inline export function sleep(ms: i32): void {
  if (isDefined(HOST_WASI)) wasi.sleep(ms);
  else js.sleep(ms);
}
/**
 * The CRC-32C of len bytes at buf, continuing seed (the CRC of the bytes before them), as
 * crypto/crc32c.ts computes it: 0 to 2^32 - 1. ENOTSUP where the host has no faster one than the
 * core's own (WASI), which the caller then uses.
 */
@inline export function crc32c(buf: usize, len: i32, seed: u32): f64 {
  if (isDefined(HOST_WASI)) return wasi.crc32c(buf, len, seed);
  else return js.crc32c(buf, len, seed);
}
