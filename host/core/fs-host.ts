// The host contract over node:fs, shared by the Node and Bun bindings (node:fs sync calls are
// native in both). A binding only chooses its name and its native helper for xattrs and flock.
import fs from 'node:fs';
import { randomFillSync, createHash } from 'node:crypto';
import { hostname, constants as osConstants } from 'node:os';
import {
  type StoreHost, Errno, OpenFlags, LockMode, toErrno, systemErrnoTranslator, sleepSync, processAlive, wallClockMicros,
} from './host.js';
import type { Crc32c } from './checksum.js';

/**
 * Wraps the loader of an optional native helper: loaded once, never when IODICT_NATIVE=0 (nor
 * off Linux, for the libc helpers), and null when it cannot load (the portable paths take over).
 */
export function optionalNative<T>(load: () => T, linuxOnly = true): () => T | null {
  let loaded: T | null | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    loaded = null;
    if (process.env.IODICT_NATIVE === '0' || (linuxOnly && process.platform !== 'linux')) return loaded;
    try {
      loaded = load();
    } catch {
      loaded = null;
    }
    return loaded;
  };
}

/** libc's fgetxattr, fsetxattr and flock, as a runtime's FFI exposes them, and the errno they set. */
export interface Native {
  fgetxattr(fd: number, name: string, buf: Uint8Array, size: number): number;
  fsetxattr(fd: number, name: string, value: Uint8Array, size: number, flags: number): number;
  flock(fd: number, op: number): number;
  syncfs(fd: number): number;
  /** renameat2(2); absent when this libc lacks it (glibc before 2.28). */
  renameat2?(oldDirFd: number, oldPath: string, newDirFd: number, newPath: string, flags: number): number;
  /** The calls of every operation, straight to libc (each about 0.3 µs cheaper than node:fs's); absent: node:fs. */
  sys?: Syscalls;
  errno(): number;
}

/** libc's calls: -1 and errno on failure. Buffers are passed by reference, views of the core's memory included. */
export interface Syscalls {
  open(path: string, flags: number, mode: number): number;
  close(fd: number): number;
  read(fd: number, buf: Uint8Array, size: number): number;
  pread(fd: number, buf: Uint8Array, size: number, pos: number): number;
  write(fd: number, buf: Uint8Array, size: number): number;
  pwrite(fd: number, buf: Uint8Array, size: number, pos: number): number;
  fsync(fd: number): number;
  rename(from: string, to: string): number;
  unlink(path: string): number;
}

// Linux errno values some helpers answer specially (the rest go through fromErrno).
const ERANGE = 34;
const EOPNOTSUPP = 95;
const EINVAL = 22;
const ENOSYS = 38;

// renameat2's arguments: paths relative to the working directory; keep the target, or swap the two names.
const AT_FDCWD = -100;
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;

const C = fs.constants;

// Nothing in a store is followed as a link, and a FIFO never blocks an open (where the platform has them).
const CONTAINED = (C.O_NOFOLLOW ?? 0) | (C.O_NONBLOCK ?? 0);

function nodeFlags(flags: number): number {
  if (flags & OpenFlags.DIRECTORY) return C.O_RDONLY | (C.O_DIRECTORY ?? 0) | (C.O_NOFOLLOW ?? 0);
  let f = (flags & OpenFlags.WRITE ? (flags & OpenFlags.READ ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY) | CONTAINED;
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
  out[3] = s.isFile() ? 0 : s.isDirectory() ? 1 : 2;
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

// syncfs writes out every unwritten page of the file system, other programs' too. Measured here
// (ext4 on a virtual disk): 100 files cost 10 ms by syncfs on an idle system and 25 ms by an fsync
// each, while 1 GiB of another program's unwritten data made that syncfs take 470 ms (2 GiB:
// 1.1 s). So syncfs is used only while the kernel's unwritten data stays within what the fsyncs
// it replaces would cost.
const SYNCFS_SPARE_BYTES = 16 << 20;
const SYNCFS_BYTES_PER_FILE = 256 << 10;

/** Dirty and under-writeback bytes of the whole system (Linux /proc/meminfo); 0 where unknown. */
function unwrittenBytes(): number {
  let info: string;
  try {
    info = fs.readFileSync('/proc/meminfo', 'latin1');
  } catch {
    return 0;
  }
  const kib = (field: RegExp) => Number(field.exec(info)?.[1] ?? 0);
  return (kib(/^Dirty:\s+(\d+) kB/m) + kib(/^Writeback:\s+(\d+) kB/m)) * 1024;
}

/** libc's errno as -errno of the contract, translated as toErrno translates node:fs's errors. */
const fromErrno = systemErrnoTranslator(osConstants.errno);

/** The host calls every operation makes: libc's or node:fs's. */
type FileCalls = Pick<StoreHost, 'open' | 'close' | 'read' | 'write' | 'fsync' | 'rename' | 'unlink'>;

/** The calls every operation makes, straight to libc. */
function directCalls(sys: Syscalls, native: Native): FileCalls {
  const status = (r: number) => (r >= 0 ? r : fromErrno(native.errno()));
  return {
    open: (path, flags, mode = 0o666) => status(sys.open(path, nodeFlags(flags), mode)),
    close: (fd) => status(sys.close(fd)),
    read: (fd, buf, pos) => status(pos < 0 ? sys.read(fd, buf, buf.length) : sys.pread(fd, buf, buf.length, pos)),
    write: (fd, buf, pos) => status(pos < 0 ? sys.write(fd, buf, buf.length) : sys.pwrite(fd, buf, buf.length, pos)),
    fsync: (fd) => status(sys.fsync(fd)),
    rename: (from, to) => status(sys.rename(from, to)),
    unlink: (path) => status(sys.unlink(path)),
  };
}

/** The same calls through node:fs. */
const fsCalls: FileCalls = {
  open: (path, flags, mode = 0o666) => attempt(() => fs.openSync(path, nodeFlags(flags), mode)),
  close: (fd) => attempt(() => (fs.closeSync(fd), 0)),
  read: (fd, buf, pos) => attempt(() => fs.readSync(fd, buf, 0, buf.length, pos < 0 ? null : pos)),
  write: (fd, buf, pos) => attempt(() => fs.writeSync(fd, buf, 0, buf.length, pos < 0 ? null : pos)),
  fsync: (fd) => attempt(() => (fs.fsyncSync(fd), 0)),
  rename: (from, to) => attempt(() => (fs.renameSync(from, to), 0)),
  unlink: (path) => attempt(() => (fs.unlinkSync(path), 0)),
};

/**
 * A StoreHost on node:fs; `runtime` names it, `native` (or null) supplies xattrs and flock, and
 * libc's calls where it has them, `crc32c` (or null) the checksum helper's CRC.
 */
export function fsHost(runtime: string, native: Native | null, crc32c: Crc32c | null = null): StoreHost {
  /** renameat2 with a flag: ENOTSUP where this libc, kernel or file system lacks it. */
  const renameWith = (from: string, to: string, flag: number): number => {
    if (!native?.renameat2) return -Errno.ENOTSUP;
    if (native.renameat2(AT_FDCWD, from, AT_FDCWD, to, flag) === 0) return 0;
    const errno = native.errno();
    // EINVAL (a file system without the flag) and ENOSYS (a kernel before 3.15) mean the same: not here.
    if (errno === EINVAL || errno === ENOSYS || errno === EOPNOTSUPP) return -Errno.ENOTSUP;
    return fromErrno(errno);
  };
  return {
    name: native ? runtime : `${runtime} (no native helper)`,
    ...(native?.sys ? directCalls(native.sys, native) : fsCalls),
    ...(crc32c && { crc32c }),
    fstat: (fd, out) => attempt(() => putStats(fs.fstatSync(fd), out)),
    stat(path, out) {
      let stats: fs.Stats | undefined;
      // throwIfNoEntry skips the throw on the hot ENOENT path; ENOTDIR and the like still throw.
      const status = attempt(() => ((stats = fs.lstatSync(path, { throwIfNoEntry: false })), 0));
      if (status < 0) return status;
      return stats ? putStats(stats, out) : -Errno.ENOENT;
    },
    exchange: (from, to) => renameWith(from, to, RENAME_EXCHANGE),
    renameIfAbsent: (from, to) => renameWith(from, to, RENAME_NOREPLACE),
    // EPERM from link(2): a file system without hard links (FAT, some SMB and FUSE mounts). Told as
    // ENOTSUP, so the core stops asking (not the EACCES that EPERM means elsewhere).
    link: (from, to) =>
      attempt(() => {
        try {
          fs.linkSync(from, to);
          return 0;
        } catch (e) {
          if ((e as { code?: string }).code === 'EPERM') return -Errno.ENOTSUP;
          throw e;
        }
      }),
    mkdir(path, mode = 0o777) {
      const made = attempt(() => (fs.mkdirSync(path, { mode }), 0));
      // Missing parents: create them too (the contract's mkdir makes the whole path).
      return made === -Errno.ENOENT ? attempt(() => (fs.mkdirSync(path, { recursive: true, mode }), 0)) : made;
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
      if (errno === ERANGE) return Math.max(native.fgetxattr(fd, name, buf.subarray(0, 0), 0), buf.length + 1);
      return fromErrno(errno);
    },
    setxattr(fd, name, value) {
      if (!native) return -Errno.ENOTSUP;
      return native.fsetxattr(fd, name, value, value.length, 0) === 0 ? 0 : fromErrno(native.errno());
    },
    syncfs(fd, files) {
      if (!native || unwrittenBytes() > SYNCFS_SPARE_BYTES + files * SYNCFS_BYTES_PER_FILE) return -Errno.ENOTSUP;
      return native.syncfs(fd) === 0 ? 0 : fromErrno(native.errno());
    },
    lock(fd, mode) {
      if (!native) return -Errno.ENOTSUP;
      const kind = mode & 3;
      if (kind === 3) return -Errno.EINVAL;
      const op = (kind === LockMode.UNLOCK ? 8 : kind === LockMode.SHARED ? 1 : 2) | (mode & LockMode.NONBLOCKING ? 4 : 0);
      return native.flock(fd, op) === 0 ? 0 : fromErrno(native.errno());
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
    random: pooledRandom,
    pid: () => process.pid,
    identity: processIdentity,
    alive: processAlive,
    sleep: sleepSync,
  };
}

// randomFillSync costs about 4 µs a call here, for 8 bytes as for 4 KiB; an open needs 8.
const randomPool = new Uint8Array(4096);
let randomUsed = randomPool.length;

/** Random bytes from the crypto generator, drawn 4 KiB at a time. */
function pooledRandom(buf: Uint8Array): void {
  if (buf.length > randomPool.length) return void randomFillSync(buf);
  if (randomUsed + buf.length > randomPool.length) {
    randomFillSync(randomPool);
    randomUsed = 0;
  }
  buf.set(randomPool.subarray(randomUsed, (randomUsed += buf.length)));
}

let identity: number | undefined;

/**
 * This kernel boot and pid namespace (Linux: boot_id and the inode of /proc/self/ns/pid), so that
 * containers sharing a volume, and other hosts, never judge each other's pids; elsewhere the host name.
 */
function processIdentity(): number {
  if (identity !== undefined) return identity;
  let source: string;
  try {
    source = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1') + fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    source = hostname();
  }
  return (identity = createHash('sha256').update(source).digest().readUIntLE(0, 6));
}
