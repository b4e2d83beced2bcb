// The import table implemented in AssemblyScript over wasi_snapshot_preview1, for the WASI
// build (HOST_WASI): the contracts are those of imports.ts, paths are resolved against the
// store root chosen by selectRoot(), and WASI errnos become the table's (Linux) numbering.
import * as w from './preview1';
import {
  ENOENT, EIO, EBADF, EAGAIN, EACCES, EEXIST, ENOTDIR, EISDIR, EINVAL, EMFILE, ENOSPC, EROFS,
  ENAMETOOLONG, ENOTEMPTY, ENOTSUP, ESTALE, EDQUOT,
  O_READ, O_WRITE, O_CREATE, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY,
  STAT_SIZE, STAT_MTIME, STAT_NLINK, STAT_TYPE, TYPE_FILE, TYPE_DIR, TYPE_OTHER, ELOOP,
} from './imports';
import { resize } from '../util/memory';

const READ_RIGHTS: u64 = w.RIGHT_FD_READ | w.RIGHT_FD_SEEK | w.RIGHT_FD_TELL | w.RIGHT_FD_FILESTAT_GET;
const WRITE_RIGHTS: u64 = w.RIGHT_FD_WRITE | w.RIGHT_FD_SEEK | w.RIGHT_FD_TELL | w.RIGHT_FD_FILESTAT_GET |
  w.RIGHT_FD_SYNC | w.RIGHT_FD_DATASYNC;
const DIR_RIGHTS: u64 = w.RIGHT_FD_READDIR | w.RIGHT_FD_SYNC | w.RIGHT_FD_FILESTAT_GET;

// Static scratch for out-parameters. Laid out inside a function, not as module constants, so
// that the host build (which parses this file but calls none of it) gets no such memory.
function scratch(): usize {
  return memory.data(8 + 8 + <i32>w.FILESTAT_BYTES + <i32>w.SUBSCRIPTION_BYTES + <i32>w.EVENT_BYTES, 8);
}
@inline function word(): usize {
  return scratch();
}
@inline function iov(): usize {
  return scratch() + 8;
}
@inline function filestat(): usize {
  return scratch() + 16;
}
@inline function subscription(): usize {
  return scratch() + 16 + w.FILESTAT_BYTES;
}
@inline function event(): usize {
  return scratch() + 16 + w.FILESTAT_BYTES + w.SUBSCRIPTION_BYTES;
}
function dot(): usize {
  return memory.data<u8>([0x2e]);
}

/** WASI errno -> minus the table's errno. Anything the table cannot name is EIO. */
function fail(errno: i32): i32 {
  switch (errno) {
    case w.W_NOENT: return -ENOENT;
    case w.W_EXIST: return -EEXIST;
    case w.W_ACCES: case w.W_PERM: case w.W_NOTCAPABLE: return -EACCES;
    case w.W_AGAIN: case w.W_BUSY: return -EAGAIN;
    case w.W_BADF: return -EBADF;
    case w.W_NOTDIR: return -ENOTDIR;
    case w.W_ISDIR: return -EISDIR;
    case w.W_INVAL: return -EINVAL;
    case w.W_MFILE: case w.W_NFILE: return -EMFILE;
    case w.W_NOSPC: return -ENOSPC;
    case w.W_ROFS: return -EROFS;
    case w.W_NAMETOOLONG: return -ENAMETOOLONG;
    case w.W_NOTEMPTY: return -ENOTEMPTY;
    case w.W_NOTSUP: case w.W_NOSYS: return -ENOTSUP;
    case w.W_STALE: return -ESTALE;
    case w.W_LOOP: return -ELOOP;
    case w.W_DQUOT: return -EDQUOT;
  }
  return -EIO;
}

// ---- the store root ------------------------------------------------------------------------

let rootFd: u32 = 0xffffffff; // no root yet: every call fails with EBADF
let prefix: usize = 0; // a path below the preopen ("" when the preopen is the root)
let prefixLen: i32 = 0;
let pathX: usize = 0; // resolved paths (two: rename needs both at once)
let pathY: usize = 0;
let pathCap: usize = 0;
let resolvedLen: usize = 0;

const PREOPEN_SCAN_LIMIT: u32 = 4096;

/**
 * Chooses the store root among the preopened directories. Names compare without leading and
 * trailing slashes (runtimes differ: node:wasi reports "/store", @wasmer/wasi "store"). With a
 * name: the preopen of that name, else the longest preopen the name lies below (the rest, plain
 * components only, prefixes every path; "/" lies above everything). Without a name: the first
 * preopen that is not "/". Returns 0, -ENOENT when nothing matches, -EINVAL for a name with
 * empty, "." or ".." components below its preopen.
 */
export function selectRoot(name: usize, nameLen: i32): i32 {
  const n = trimName(name, nameLen);
  name += trimmedStart;
  let best: i64 = -1;
  let bestLen: i32 = -1;
  let exact = false;
  let candidate: usize = 0;
  let candidateCap: usize = 0;
  let fd: u32 = 3;
  while (fd < PREOPEN_SCAN_LIMIT && !exact) {
    const r = w.fd_prestat_get(fd, word());
    if (r == w.W_BADF) break; // preopens are numbered densely from 3
    if (r == 0 && load<u8>(word(), w.PRESTAT_TAG) == w.PREOPENTYPE_DIR) {
      const len = <usize>load<u32>(word(), w.PRESTAT_NAME_LEN);
      if (len + 1 > candidateCap) {
        if (candidate) heap.free(candidate);
        candidateCap = len + 1;
        candidate = heap.alloc(candidateCap);
      }
      if (w.fd_prestat_dir_name(fd, candidate, len) == 0) {
        const plen = trimName(candidate, <i32>len);
        const p = candidate + trimmedStart;
        if (nameLen == 0) {
          exact = plen > 0; // "/" trims to nothing
        } else if (plen == n) {
          exact = memory.compare(p, name, n) == 0;
        } else if (plen < n && plen > bestLen && memory.compare(p, name, plen) == 0 &&
          (plen == 0 || load<u8>(name + plen) == 0x2f)) {
          best = fd;
          bestLen = plen;
        }
        if (exact) {
          best = fd;
          bestLen = plen;
        }
      }
    }
    fd++;
  }
  if (candidate) heap.free(candidate);
  if (best < 0) return -ENOENT;
  // Below the preopen: the rest of the name, without its leading slash.
  let rest = name;
  let restLen = 0;
  if (!exact) {
    const skip = bestLen == 0 ? 0 : bestLen + 1;
    rest = name + skip;
    restLen = n - skip;
    if (!plainPath(rest, restLen)) return -EINVAL;
  }
  rootFd = <u32>best;
  if (prefix) heap.free(prefix);
  prefixLen = restLen;
  prefix = heap.alloc(max<usize>(restLen, 1));
  memory.copy(prefix, rest, restLen);
  return 0;
}

let trimmedStart: usize = 0;

/** Length of a name without trailing NULs (some runtimes count one) and slashes at either end; where it starts in trimmedStart. */
function trimName(p: usize, len: i32): i32 {
  while (len > 0 && load<u8>(p + len - 1) == 0) len--;
  while (len > 0 && load<u8>(p + len - 1) == 0x2f) len--;
  let start = 0;
  while (start < len && load<u8>(p + start) == 0x2f) start++;
  trimmedStart = start;
  return len - start;
}

/** True for "a/b/c": no empty, "." or ".." component, so the path cannot leave the preopen. */
function plainPath(p: usize, len: i32): bool {
  if (len == 0) return false;
  let start = 0;
  for (let i = 0; i <= len; i++) {
    if (i < len && load<u8>(p + i) != 0x2f) continue;
    const part = i - start;
    if (part == 0) return false;
    if (load<u8>(p + start) == 0x2e && (part == 1 || (part == 2 && load<u8>(p + start + 1) == 0x2e))) return false;
    start = i + 1;
  }
  return true;
}

/**
 * A store-relative path as a path relative to the preopen ("" is the root itself), in pathX
 * (second: pathY); its length in resolvedLen.
 */
function resolve(path: usize, len: i32, second: bool = false): usize {
  if (prefixLen == 0) {
    if (len == 0) {
      resolvedLen = 1;
      return dot();
    }
    resolvedLen = len;
    return path;
  }
  const need = <usize>(prefixLen + 1 + len);
  if (need > pathCap) {
    pathCap = max(need, 512);
    pathX = resize(pathX, pathCap);
    pathY = resize(pathY, pathCap);
  }
  const buf = second ? pathY : pathX;
  memory.copy(buf, prefix, prefixLen);
  if (len == 0) {
    resolvedLen = prefixLen;
    return buf;
  }
  store<u8>(buf + prefixLen, 0x2f);
  memory.copy(buf + prefixLen + 1, path, len);
  resolvedLen = prefixLen + 1 + len;
  return buf;
}

// ---- files ------------------------------------------------------------------------------------

// Reading descriptors paired with O_APPEND ones (the journal): @wasmer/wasi 1.2 reads nothing
// through a descriptor opened for reading with FDFLAGS_APPEND, so the appending descriptor only
// writes and reads go through a plain second one. One more descriptor per store everywhere, and
// no runtime detection.
let readers: usize = 0; // u32 per fd: its reader + 1, or 0
let readersCap: i32 = 0;

function readerOf(fd: i32): i32 {
  return fd < readersCap ? <i32>load<u32>(readers + (<usize>fd << 2)) - 1 : -1;
}

function setReader(fd: i32, reader: i32): void {
  if (fd >= readersCap) {
    const cap = max(fd + 1, max(readersCap * 2, 64));
    readers = resize(readers, <usize>cap << 2);
    memory.fill(readers + (<usize>readersCap << 2), 0, <usize>(cap - readersCap) << 2);
    readersCap = cap;
  }
  store<u32>(readers + (<usize>fd << 2), reader + 1);
}

function openAt(p: usize, oflags: u16, rights: u64, fdflags: u16): i32 {
  // No LOOKUP_SYMLINK_FOLLOW: a link as the last component is ELOOP (the contract of open).
  const r = w.path_open(rootFd, 0, p, resolvedLen, oflags, rights, 0, fdflags, word());
  return r ? fail(r) : load<i32>(word());
}

export function open(path: usize, pathLen: i32, flags: i32): i32 {
  const p = resolve(path, pathLen);
  if (flags & O_DIRECTORY) return openAt(p, w.OFLAGS_DIRECTORY, DIR_RIGHTS, 0);
  let oflags: u16 = 0;
  if (flags & O_CREATE) oflags |= w.OFLAGS_CREAT;
  if (flags & O_EXCL) oflags |= w.OFLAGS_EXCL;
  if (flags & O_TRUNC) oflags |= w.OFLAGS_TRUNC;
  const appendAndRead = (flags & (O_APPEND | O_READ)) == (O_APPEND | O_READ);
  let rights: u64 = 0;
  if (flags & O_READ && !appendAndRead) rights |= READ_RIGHTS;
  if (flags & O_WRITE) rights |= WRITE_RIGHTS;
  const fd = openAt(p, oflags, rights, flags & O_APPEND ? w.FDFLAGS_APPEND : 0);
  if (fd < 0 || !appendAndRead) return fd;
  const reader = openAt(p, 0, READ_RIGHTS, 0);
  if (reader < 0) {
    w.fd_close(fd);
    return reader;
  }
  setReader(fd, reader);
  return fd;
}

export function close(fd: i32): i32 {
  const reader = readerOf(fd);
  if (reader >= 0) {
    w.fd_close(reader);
    setReader(fd, -1);
  }
  const r = w.fd_close(fd);
  return r ? fail(r) : 0;
}

export function read(fd: i32, buf: usize, len: i32, pos: f64): i32 {
  const reader = readerOf(fd);
  if (reader >= 0) fd = reader;
  store<u32>(iov(), buf);
  store<u32>(iov(), len, 4);
  const r = pos < 0 ? w.fd_read(fd, iov(), 1, word()) : w.fd_pread(fd, iov(), 1, <u64>pos, word());
  return r ? fail(r) : load<i32>(word());
}

export function write(fd: i32, buf: usize, len: i32, pos: f64): i32 {
  store<u32>(iov(), buf);
  store<u32>(iov(), len, 4);
  const r = pos < 0 ? w.fd_write(fd, iov(), 1, word()) : w.fd_pwrite(fd, iov(), 1, <u64>pos, word());
  return r ? fail(r) : load<i32>(word());
}

/** preview1 has no atomic exchange of two names: the caller renames. */
export function exchange(_from: usize, _fromLen: i32, _to: usize, _toLen: i32): i32 {
  return -ENOTSUP;
}

/** preview1 has no rename that keeps its target: the caller looks first, then renames. */
export function renameIfAbsent(_from: usize, _fromLen: i32, _to: usize, _toLen: i32): i32 {
  return -ENOTSUP;
}

/** A CRC in the host's machine code is for JS hosts to offer: the core computes its own. */
export function crc32c(_buf: usize, _len: i32, _seed: u32): f64 {
  return -ENOTSUP;
}

/** preview1 has no file-system-wide sync: the caller fsyncs each file. */
export function syncfs(_fd: i32, _files: i32): i32 {
  return -ENOTSUP;
}

export function fsync(fd: i32): i32 {
  const r = w.fd_sync(fd);
  return r ? fail(r) : 0;
}

function putStat(out: usize): i32 {
  store<f64>(out + STAT_SIZE, <f64>load<u64>(filestat() + w.FILESTAT_SIZE));
  store<f64>(out + STAT_MTIME, <f64>load<u64>(filestat() + w.FILESTAT_MTIM) / 1e6);
  // nlink 0 is how the journal's rotation shows: the open file was renamed over.
  store<f64>(out + STAT_NLINK, <f64>load<u64>(filestat() + w.FILESTAT_NLINK));
  const type = load<u8>(filestat() + w.FILESTAT_FILETYPE);
  store<f64>(out + STAT_TYPE, type == w.FILETYPE_DIRECTORY ? TYPE_DIR : type == w.FILETYPE_REGULAR_FILE ? TYPE_FILE : TYPE_OTHER);
  return 0;
}

export function fstat(fd: i32, out: usize): i32 {
  const r = w.fd_filestat_get(fd, filestat());
  return r ? fail(r) : putStat(out);
}

export function stat(path: usize, pathLen: i32, out: usize): i32 {
  const p = resolve(path, pathLen);
  const r = w.path_filestat_get(rootFd, 0, p, resolvedLen, filestat());
  return r ? fail(r) : putStat(out);
}

export function rename(from: usize, fromLen: i32, to: usize, toLen: i32): i32 {
  const a = resolve(from, fromLen);
  const aLen = resolvedLen;
  const b = resolve(to, toLen, true);
  const r = w.path_rename(rootFd, a, aLen, rootFd, b, resolvedLen);
  return r ? fail(r) : 0;
}

export function link(from: usize, fromLen: i32, to: usize, toLen: i32): i32 {
  const a = resolve(from, fromLen);
  const aLen = resolvedLen;
  const b = resolve(to, toLen, true);
  const r = w.path_link(rootFd, 0, a, aLen, rootFd, b, resolvedLen); // 0: the last name is not followed
  return r ? fail(r) : 0;
}

export function unlink(path: usize, pathLen: i32): i32 {
  const p = resolve(path, pathLen);
  const r = w.path_unlink_file(rootFd, p, resolvedLen);
  return r ? fail(r) : 0;
}

/** Creates a directory, and its missing parents (only a root below the preopen has any). */
export function mkdir(path: usize, pathLen: i32): i32 {
  const p = resolve(path, pathLen);
  const n = resolvedLen;
  let r = w.path_create_directory(rootFd, p, n);
  if (r != w.W_NOENT) return r ? fail(r) : 0;
  for (let i: usize = 1; i < n; i++) {
    if (load<u8>(p + i) != 0x2f) continue;
    const made = w.path_create_directory(rootFd, p, i);
    if (made != 0 && made != w.W_EXIST) return fail(made);
  }
  r = w.path_create_directory(rootFd, p, n);
  return r ? fail(r) : 0;
}

export function rmdir(path: usize, pathLen: i32): i32 {
  const p = resolve(path, pathLen);
  const r = w.path_remove_directory(rootFd, p, resolvedLen);
  return r ? fail(r) : 0;
}

let dirBuf: usize = 0;
let dirCap: usize = 0;

/** fd_readdir from cookie to cookie; names go out as the contract says, "." and ".." left out. */
export function readdir(path: usize, pathLen: i32, out: usize, cap: i32): i32 {
  const p = resolve(path, pathLen);
  let r = w.path_open(rootFd, w.LOOKUP_SYMLINK_FOLLOW, p, resolvedLen, w.OFLAGS_DIRECTORY, DIR_RIGHTS, 0, 0, word());
  if (r) return fail(r);
  const fd = load<u32>(word());
  if (!dirBuf) {
    dirCap = 4096;
    dirBuf = heap.alloc(dirCap);
  }
  let cookie: u64 = 0;
  let total: i32 = 0;
  while (true) {
    r = w.fd_readdir(fd, dirBuf, dirCap, cookie, word());
    if (r) {
      w.fd_close(fd);
      return fail(r);
    }
    const used = <usize>load<u32>(word());
    let at: usize = 0;
    let whole = 0;
    while (at + w.DIRENT_BYTES <= used) {
      const nameLen = <usize>load<u32>(dirBuf + at + w.DIRENT_NAMLEN);
      // An entry cut off at the end of the buffer is read again from its cookie.
      if (at + w.DIRENT_BYTES + nameLen > used) break;
      const name = dirBuf + at + w.DIRENT_BYTES;
      if (!isDots(name, nameLen)) {
        if (total + <i32>nameLen + 1 <= cap) {
          memory.copy(out + total, name, nameLen);
          store<u8>(out + total + nameLen, 0);
        }
        total += <i32>nameLen + 1;
      }
      cookie = load<u64>(dirBuf + at + w.DIRENT_NEXT);
      at += w.DIRENT_BYTES + nameLen;
      whole++;
    }
    if (used < dirCap) break; // a buffer not filled means the end of the directory
    if (whole == 0) {
      // One entry larger than the whole buffer.
      heap.free(dirBuf);
      dirCap <<= 1;
      dirBuf = heap.alloc(dirCap);
    }
  }
  w.fd_close(fd);
  return total;
}

function isDots(name: usize, len: usize): bool {
  if (len == 0 || len > 2 || load<u8>(name) != 0x2e) return false;
  return len == 1 || load<u8>(name + 1) == 0x2e;
}

// ---- what preview1 does not have ---------------------------------------------------------------

export function getxattr(fd: i32, name: usize, nameLen: i32, buf: usize, cap: i32): i32 {
  return -ENOTSUP;
}

export function setxattr(fd: i32, name: usize, nameLen: i32, value: usize, valueLen: i32): i32 {
  return -ENOTSUP;
}

/** No flock in preview1: the core then takes the store lock through its lock file (FORMAT.md section 8). */
export function lock(fd: i32, mode: i32): i32 {
  return -ENOTSUP;
}

// ---- time, randomness, identity ----------------------------------------------------------------

export function now(): f64 {
  if (w.clock_time_get(w.CLOCK_REALTIME, 1000, word()) != 0) return 0; // births stay ordered: the core forces them up
  return <f64>(load<u64>(word()) / 1000);
}

let fallbackState: u64 = 0;

export function random(buf: usize, len: i32): void {
  if (w.random_get(buf, len) == 0) return;
  // The contract asks for distinct ids, not secrets: a clock-seeded xorshift serves.
  if (fallbackState == 0) fallbackState = <u64>now() | 1;
  for (let i = 0; i < len; i++) {
    fallbackState ^= fallbackState << 13;
    fallbackState ^= fallbackState >> 7;
    fallbackState ^= fallbackState << 17;
    store<u8>(buf + i, <u8>fallbackState);
  }
}

let instanceId: i32 = 0;

/**
 * WASI has no processes. Each instance draws a random 31-bit id with bit 31 set: negative as
 * an i32, which no real pid is, so no host ever judges its temp files or claims dead.
 */
export function pid(): i32 {
  if (instanceId == 0) {
    random(word(), 4);
    instanceId = <i32>(load<u32>(word()) | 0x80000000);
  }
  return instanceId;
}

/** A random identity per instance: no other owner ever shares it, so no pid is ever trusted. */
let instanceIdentity: f64 = 0;
export function identity(): f64 {
  if (instanceIdentity == 0) {
    random(word(), 8);
    instanceIdentity = <f64>((load<u64>(word()) & 0xffffffffffff) | 1);
  }
  return instanceIdentity;
}

/** Cannot tell: the core then never deletes another owner's temp files or recovers its claims. */
export function alive(pid: i32): i32 {
  return -ENOTSUP;
}

export function sleep(ms: i32): void {
  memory.fill(subscription(), 0, w.SUBSCRIPTION_BYTES);
  store<u8>(subscription(), w.EVENTTYPE_CLOCK, 8);
  store<u32>(subscription(), w.CLOCK_MONOTONIC, 16);
  store<u64>(subscription(), <u64>ms * 1000000, 24); // relative timeout, ns
  if (w.poll_oneoff(subscription(), event(), 1, word()) == 0) return;
  // A runtime without poll_oneoff: wait on the clock instead (only ESTALE back-off sleeps).
  if (w.clock_time_get(w.CLOCK_MONOTONIC, 1000, word()) != 0) return;
  const until = load<u64>(word()) + <u64>ms * 1000000;
  while (w.clock_time_get(w.CLOCK_MONOTONIC, 1000, word()) == 0 && load<u64>(word()) < until) {}
}

// ---- abort -----------------------------------------------------------------------------------

/** The WASI build's abort (asconfig "use": abort=...): message to stderr, then trap. */
export function wasiAbort(
  message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0,
): void {
  // Its own static memory: abort can run before this module's globals are set up.
  const buf = memory.data(512);
  const vec = memory.data(8, 4);
  let at = putText(buf, 0, 'iodict core aborted: ');
  if (message) at = putText(buf, at, message);
  if (fileName) {
    at = putText(buf, at, ' at ');
    at = putText(buf, at, fileName);
    at = putText(buf, at, ':');
    at = putNumber(buf, at, line);
  }
  at = putText(buf, at, '\n');
  store<u32>(vec, buf);
  store<u32>(vec, at, 4);
  w.fd_write(2, vec, 1, vec);
  unreachable();
}

function putText(buf: usize, at: i32, text: string): i32 {
  for (let i = 0; i < text.length && at < 511; i++) {
    const c = text.charCodeAt(i);
    store<u8>(buf + at++, c < 0x80 ? <u8>c : 0x3f);
  }
  return at;
}

function putNumber(buf: usize, at: i32, n: u32): i32 {
  let digits = 1;
  for (let v = n; v >= 10; v /= 10) digits++;
  if (at + digits > 511) return at;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(buf + at + i, <u8>(0x30 + n % 10));
    n /= 10;
  }
  return at + digits;
}
