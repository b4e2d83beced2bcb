// File I/O over the import table, with the error capture every operation shares.
import { resize } from '../util/memory';
import * as host from '../host/imports';
import { PATH_CAP } from './paths';

// What an exported operation returns.
export const ST_OK: i32 = 0;
export const ST_MISSING: i32 = 1; // no such key, or nothing to pop
export const ST_CORRUPT: i32 = 2; // a record failed validation and was quarantined
export const ST_NOT_STORE: i32 = 3; // the path is a file, or a directory of something else
export const ST_NEWER_FORMAT: i32 = 4; // a store written by a newer iodict
export const ST_IO: i32 = 5; // a file-system call failed: see errorOp/errorCode/errorPath

// Which call failed, for messages ("rename failed: ENOSPC").
export const OP_OPEN: i32 = 1;
export const OP_READ: i32 = 2;
export const OP_WRITE: i32 = 3;
export const OP_RENAME: i32 = 4;
export const OP_UNLINK: i32 = 5;
export const OP_MKDIR: i32 = 6;
export const OP_READDIR: i32 = 7;
export const OP_FSYNC: i32 = 8;
export const OP_STAT: i32 = 9;
export const OP_XATTR: i32 = 10;
export const OP_LOCK: i32 = 11;

export let errorOp: i32 = 0;
export let errorCode: i32 = 0;
export let errorDetail: i32 = 0; // a RECORD_* code for ST_CORRUPT
export const errorPath: usize = heap.alloc(PATH_CAP);
export let errorPathLength: i32 = 0;
export const asidePathBuf: usize = heap.alloc(PATH_CAP);
export let asidePathLength: i32 = 0;

export function fail(op: i32, errno: i32, path: usize, pathLen: i32): i32 {
  errorOp = op;
  errorCode = errno < 0 ? -errno : errno;
  memory.copy(errorPath, path, pathLen);
  errorPathLength = pathLen;
  return ST_IO;
}

/** ST_NOT_STORE, with errorDetail saying what the directory is instead (a KIND_* when it is a store of the other kind). */
export function notStore(detail: i32): i32 {
  errorDetail = detail;
  return ST_NOT_STORE;
}

export function corrupt(detail: i32, path: usize, pathLen: i32, aside: usize, asideLen: i32): i32 {
  errorDetail = detail;
  memory.copy(errorPath, path, pathLen);
  errorPathLength = pathLen;
  memory.copy(asidePathBuf, aside, asideLen);
  asidePathLength = asideLen;
  return ST_CORRUPT;
}

/** The read buffer: a whole record (or listing) lands here. Grows, never shrinks. */
export let io: usize = heap.alloc(65536);
export let ioCap: i32 = 65536;

/** The largest buffer the core grows to: a record (or listing) beyond it is refused with EFBIG. */
export const MAX_BUFFER: i32 = 1 << 30;

/** Grows io to hold bytes; false when that is more than MAX_BUFFER. */
export function ensureIo(bytes: i32): bool {
  if (bytes <= ioCap) return true;
  if (bytes > MAX_BUFFER || bytes < 0) return false;
  let cap = ioCap;
  while (cap < bytes) cap = min(cap << 1, MAX_BUFFER);
  io = resize(io, cap);
  ioCap = cap;
  return true;
}

export const statBuf: usize = heap.alloc(host.STAT_BYTES);

/**
 * ESTALE or ENOENT from a call on an open descriptor: the file was renamed over or removed since
 * it was opened, by another client of a network file system (GlusterFS; FORMAT.md 7.8). A local
 * file system goes on serving an unlinked open file; a descriptor never reports ENOENT there.
 */
export function replacedUnder(r: i32): bool {
  return r == -host.ESTALE || r == -host.ENOENT;
}

/** How many times a name is opened while it fails with ESTALE or its file is replaced under the first read (about 1.5 s). */
const REOPEN_TRIES: i32 = 60;
const folderBuf: usize = heap.alloc(256);

/**
 * Before opening a replaced file's name again (tries: 1 for the first retry): a FUSE client
 * (GlusterFS) can keep resolving the name to the replaced file for up to its entry timeout (1 s).
 * A file in .iodict/ or below: list its folder (a few names), which refreshes the client's view
 * of them at once. A record, in the store's root, whose listing could be long: the first retry
 * usually finds the new file. Later retries wait a little.
 */
function beforeReopen(path: usize, len: i32, tries: i32): void {
  let slash = len - 1;
  while (slash >= 0 && load<u8>(path + slash) != 0x2f) slash--;
  if (slash > 0) host.readdir(path, slash, folderBuf, 256); // only its side effect counts
  if (tries > 1) host.sleep(25);
}

/** Opens a file, retrying ESTALE for up to about 1.5 s (network file systems during a rewrite). */
export function openRetrying(path: usize, len: i32, flags: i32): i32 {
  let fd = host.open(path, len, flags);
  for (let tries = 1; fd == -host.ESTALE && tries < REOPEN_TRIES; tries++) {
    beforeReopen(path, len, tries);
    fd = host.open(path, len, flags);
  }
  return fd;
}

/** The descriptor openReading opened (open: the caller closes it), or the failed open's -errno. */
export let readingFd: i32 = -1;

/**
 * Opens a file and reads up to `bytes` of it from the start into buf: the read's count or -errno
 * (readingFd open), or the open's -errno (readingFd the same). A file renamed over between the
 * open and the read (a rewrite by another client) is opened again, so the reader gets the file
 * that replaced it and never takes a vanished descriptor for an absent file; a name that keeps
 * failing so for about 1.5 s is reported as an open failing with ESTALE.
 */
export function openReading(path: usize, len: i32, flags: i32, buf: usize, bytes: i32): i32 {
  for (let tries = 1; tries < REOPEN_TRIES; tries++) {
    readingFd = host.open(path, len, flags);
    if (readingFd >= 0) {
      const n = host.read(readingFd, buf, bytes, 0);
      if (!replacedUnder(n)) return n;
      host.close(readingFd);
      readingFd = -host.ESTALE;
    }
    if (readingFd != -host.ESTALE) return readingFd;
    beforeReopen(path, len, tries);
  }
  return readingFd;
}

/**
 * Reads a whole file of at most `limit` bytes into io; returns its length or -errno (and records
 * the failure): -EFBIG beyond the limit, -EINVAL when it is no regular file (a FIFO or device
 * found where a file belongs), both known before anything is allocated for it.
 */
export function readWhole(path: usize, len: i32, limit: i32 = MAX_BUFFER): i32 {
  let n = openReading(path, len, host.O_READ, io, ioCap);
  const fd = readingFd;
  if (fd < 0) {
    if (n != -host.ENOENT) fail(OP_OPEN, n, path, len);
    return n;
  }
  let total = 0;
  while (true) {
    if (total > 0) n = host.read(fd, io + total, ioCap - total, <f64>total);
    if (n < 0) {
      host.close(fd);
      // Replaced after the first read (a large record): an error, never an absent file.
      if (replacedUnder(n)) n = -host.ESTALE;
      fail(OP_READ, n, path, len);
      return n;
    }
    total += n;
    // A short read of a regular file means end of file; only a full buffer needs another look.
    if (total < ioCap) break;
    const stated = host.fstat(fd, statBuf) == 0;
    if (stated && load<f64>(statBuf + host.STAT_TYPE) != host.TYPE_FILE) {
      host.close(fd);
      fail(OP_READ, -host.EINVAL, path, len);
      return -host.EINVAL;
    }
    const size = stated ? load<f64>(statBuf + host.STAT_SIZE) + 1 : <f64>ioCap + 1;
    if (size > <f64>limit + 1 || !ensureIo(max(<i32>size, ioCap + 1))) {
      host.close(fd);
      fail(OP_READ, -host.EFBIG, path, len);
      return -host.EFBIG;
    }
  }
  host.close(fd);
  return total;
}

/**
 * Reads a file front to back through a buffer of `cap` bytes, so a file larger than it claims to
 * be useful (sparse, damaged, crafted) costs only what is read of it: peek(n) makes the next n
 * bytes contiguous in the buffer, advance(n) moves past them.
 */
export class ChunkReader {
  private fd: i32;
  private buf: usize;
  private cap: i32;
  private start: u64 = 0; // file offset of buf[0]
  private have: i32 = 0; // bytes in buf
  private at: i32 = 0; // next unread byte in buf

  constructor(fd: i32, cap: i32) {
    this.fd = fd;
    this.cap = cap;
    this.buf = heap.alloc(cap);
  }

  /** The next n bytes (at most cap), read in as needed; 0 when the file ends first or a read fails. */
  peek(n: i32): usize {
    if (n > this.cap) return 0;
    if (this.have - this.at < n) {
      const rest = this.have - this.at;
      memory.copy(this.buf, this.buf + this.at, rest);
      this.start += <u64>this.at;
      this.have = rest;
      this.at = 0;
      while (this.have < n) {
        const got = host.read(this.fd, this.buf + this.have, this.cap - this.have, <f64>(this.start + <u64>this.have));
        if (got <= 0) return 0;
        this.have += got;
      }
    }
    return this.buf + this.at;
  }

  advance(n: i32): void {
    this.at += n;
  }

  /** The file offset of the next unread byte. */
  position(): u64 {
    return this.start + <u64>this.at;
  }

  free(): void {
    heap.free(this.buf);
  }
}

/**
 * Lists a directory into io (names each followed by a 0 byte), growing io when the listing is
 * larger; returns the byte count or -errno (and records the failure).
 */
export function listDir(path: usize, len: i32): i32 {
  let n = host.readdir(path, len, io, ioCap);
  if (n > ioCap) {
    n = ensureIo(n) ? host.readdir(path, len, io, ioCap) : -host.EFBIG;
    if (n > ioCap) n = -host.EIO; // grew again between the two calls: report, the caller may retry
  }
  if (n < 0) fail(OP_READDIR, n, path, len);
  return n;
}

/**
 * Set when an fsync that follows a change (durability 'fsync') failed: the change stands, seen by
 * every handle, but may not survive a power loss. An error would say it did not happen, so the
 * operation succeeds and the host warns (errorOp, errorCode and errorPath say which call failed).
 */
export let unsyncedChange = false;
export function takeUnsyncedChange(): bool {
  const was = unsyncedChange;
  unsyncedChange = false;
  return was;
}

/** fsync of a directory (the store root is the empty path) after a change in it. */
export function syncAfterChange(path: usize, len: i32): void {
  const fd = host.open(path, len, host.O_DIRECTORY);
  if (fd < 0) {
    fail(OP_OPEN, fd, path, len);
    unsyncedChange = true;
    return;
  }
  const r = host.fsync(fd);
  host.close(fd);
  if (r < 0) {
    fail(OP_FSYNC, r, path, len);
    unsyncedChange = true;
  }
}

/**
 * A directory listing copied out of io (reading files reuses io), walked name by name:
 * `while (l.next()) use(l.name, l.nameLength)`, then `l.free()`.
 */
export class Listing {
  private buf: usize;
  private end: i32;
  private at: i32 = 0;
  name: usize = 0;
  nameLength: i32 = 0;

  /** The listing in io[0, n) (listDir's result). */
  constructor(n: i32) {
    this.end = max(n, 0);
    this.buf = heap.alloc(max(n, 1));
    memory.copy(this.buf, io, this.end);
  }

  next(): bool {
    if (this.at >= this.end) return false;
    let i = this.at;
    while (i < this.end && load<u8>(this.buf + i) != 0) i++;
    this.name = this.buf + this.at;
    this.nameLength = i - this.at;
    this.at = i + 1;
    return true;
  }

  rewind(): void {
    this.at = 0;
  }

  free(): void {
    heap.free(this.buf);
  }
}

/** Writes a whole buffer at the current position, retrying short writes. */
export function writeAll(fd: i32, buf: usize, len: i32): i32 {
  let done = 0;
  while (done < len) {
    const n = host.write(fd, buf + done, len - done, -1);
    if (n < 0) return n;
    if (n == 0) return -host.EIO;
    done += n;
  }
  return 0;
}
