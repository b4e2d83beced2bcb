// The Node binding of the host contract: node:fs calls, plus xattrs and flock when the
// optional native helper loads. Each method is the syscall and an errno translation, no more.
import fs from 'node:fs';
import { randomFillSync } from 'node:crypto';
import {
  type StoreHost, Errno, OpenFlags, LockMode, toErrno, sleepSync, processAlive, wallClockMicros,
} from '../core/host.js';
import { loadNative } from './native.js';

const C = fs.constants;

function nodeFlags(flags: number): number {
  if (flags & OpenFlags.DIRECTORY) return C.O_RDONLY | (C.O_DIRECTORY ?? 0);
  let f = flags & OpenFlags.WRITE ? (flags & OpenFlags.READ ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
  if (flags & OpenFlags.CREATE) f |= C.O_CREAT;
  if (flags & OpenFlags.EXCL) f |= C.O_EXCL;
  if (flags & OpenFlags.TRUNC) f |= C.O_TRUNC;
  if (flags & OpenFlags.APPEND) f |= C.O_APPEND;
  return f;
}

function putStats(s: fs.Stats, out: Float64Array): number {
  out[0] = s.size;
  out[1] = s.mtimeMs;
  out[2] = s.nlink;
  out[3] = s.isDirectory() ? 1 : 0;
  return 0;
}

/**
 * Runs a node:fs call, turning a throw into -errno. Expected failures (ENOENT on a missing key,
 * EEXIST) are hot paths: capturing a stack trace for them costs more than the syscall.
 */
function attempt(call: () => number): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return call();
  } catch (e) {
    return toErrno(e);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export interface NodeHostOptions {
  /** Use the native helper (koffi) for xattrs and flock when it loads. Default true. */
  native?: boolean;
}

export function nodeHost(options: NodeHostOptions = {}): StoreHost {
  const native = options.native === false ? null : loadNative();
  return {
    name: native ? 'node' : 'node (no native helper)',
    open: (path, flags) => attempt(() => fs.openSync(path, nodeFlags(flags), 0o644)),
    close: (fd) => attempt(() => (fs.closeSync(fd), 0)),
    read: (fd, buf, pos) => attempt(() => fs.readSync(fd, buf, 0, buf.length, pos < 0 ? null : pos)),
    write: (fd, buf, pos) => attempt(() => fs.writeSync(fd, buf, 0, buf.length, pos < 0 ? null : pos)),
    fsync: (fd) => attempt(() => (fs.fsyncSync(fd), 0)),
    fstat: (fd, out) => attempt(() => putStats(fs.fstatSync(fd), out)),
    stat(path, out) {
      const stats = fs.statSync(path, { throwIfNoEntry: false });
      return stats ? putStats(stats, out) : -Errno.ENOENT;
    },
    rename: (from, to) => attempt(() => (fs.renameSync(from, to), 0)),
    unlink: (path) => attempt(() => (fs.unlinkSync(path), 0)),
    mkdir(path) {
      const made = attempt(() => (fs.mkdirSync(path), 0));
      // Missing parents: create them too (the contract's mkdir makes the whole path).
      return made === -Errno.ENOENT ? attempt(() => (fs.mkdirSync(path, { recursive: true }), 0)) : made;
    },
    rmdir: (path) => attempt(() => (fs.rmdirSync(path), 0)),
    readdir(path) {
      let names: string[] | number = -Errno.EIO;
      const status = attempt(() => ((names = fs.readdirSync(path)), 0));
      return status < 0 ? status : names;
    },
    getxattr(fd, name, buf) {
      if (!native) return -Errno.ENOTSUP;
      const n = native.fgetxattr(fd, name, buf, buf.length);
      if (n >= 0) return n;
      const errno = native.errno();
      // ERANGE: the value is larger than buf; report "call again bigger" as the contract says.
      if (errno === 34) return Math.max(native.fgetxattr(fd, name, buf.subarray(0, 0), 0), buf.length + 1);
      return -(errno === 95 ? Errno.ENOTSUP : errno === 61 ? Errno.ENODATA : errno);
    },
    setxattr(fd, name, value) {
      if (!native) return -Errno.ENOTSUP;
      if (native.fsetxattr(fd, name, value, value.length, 0) === 0) return 0;
      const errno = native.errno();
      return -(errno === 95 ? Errno.ENOTSUP : errno);
    },
    lock(fd, mode) {
      if (!native) return -Errno.ENOTSUP;
      const kind = mode & 3;
      const op = (kind === LockMode.UNLOCK ? 8 : kind === LockMode.SHARED ? 1 : 2) | (mode & LockMode.NONBLOCKING ? 4 : 0);
      if (native.flock(fd, op) === 0) return 0;
      const errno = native.errno();
      return -(errno === 11 ? Errno.EAGAIN : errno === 95 ? Errno.ENOTSUP : errno);
    },
    watch(dir, onChange) {
      // fs.watch can fail (inotify limits, unsupported file systems): waiters then just poll.
      try {
        const watcher = fs.watch(dir, { persistent: false }, () => onChange());
        watcher.on('error', () => watcher.close());
        return watcher;
      } catch {
        return { close() {} };
      }
    },
    now: wallClockMicros,
    random(buf) {
      randomFillSync(buf);
    },
    pid: () => process.pid,
    alive: processAlive,
    sleep: sleepSync,
  };
}
