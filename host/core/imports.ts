// Turns a StoreHost into the core's import table: pointers become strings and views of the
// core's memory, and relative paths become paths under the store root. One copy, every host.
import { type StoreHost, Errno } from './host.js';

export interface MemoryRef {
  /** A byte view of the core's memory, refreshed when memory has grown. */
  bytes(): Uint8Array;
}

const STAT_FIELDS = 4;

type Latin1 = (bytes: Uint8Array, start: number, end: number) => string;
const bufferLatin1 = (globalThis as { Buffer?: { prototype: { latin1Slice?: (s: number, e: number) => string } } }).Buffer?.prototype.latin1Slice;
/** Whether latin1 decodes natively, so a long run (many keys at once) costs one call, not an argument list. */
export const latin1Native = bufferLatin1 !== undefined;
/** Bytes as Latin-1 text (native on Node and Bun): paths, attribute names, ASCII keys. */
export const latin1: Latin1 = bufferLatin1
  ? (bytes, start, end) => bufferLatin1.call(bytes, start, end)
  : (bytes, start, end) => String.fromCharCode(...bytes.subarray(start, end));

/** The permission bits of what a store creates (CoreOptions.mode); undefined: the host's defaults. */
export interface CreateModes {
  file?: number;
  dir?: number;
}

/**
 * What an instance's imports reach: the host, the store root and the core's memory. A kept
 * instance serves the next handle (module.ts), so these are rebound instead of closed over.
 */
export class ImportBinding {
  host!: StoreHost;
  root!: string;
  /** root + '/': relative paths go under it. */
  prefix!: string;
  /** open and stat follow no link, but the root may be one: "root/." names the directory it leads to. */
  followedRoot!: string;
  memory!: MemoryRef;
  modes!: CreateModes;

  constructor(host: StoreHost, root: string, memory: MemoryRef, modes: CreateModes = {}) {
    this.bind(host, root, memory, modes);
  }

  bind(host: StoreHost, root: string, memory: MemoryRef, modes: CreateModes = {}): void {
    this.host = host;
    this.root = root;
    this.prefix = root.endsWith('/') ? root : root + '/';
    this.followedRoot = this.prefix + '.';
    this.memory = memory;
    this.modes = modes;
  }
}

export function importTable(b: ImportBinding): WebAssembly.Imports {
  const statOut = new Float64Array(STAT_FIELDS);
  // Paths and attribute names are ASCII: latin1Slice (Node and Bun Buffers) is the fastest decode.
  const text = (ptr: number, len: number): string => latin1(b.memory.bytes(), ptr, ptr + len);
  // A relative path of length 0 is the store root itself.
  const path = (ptr: number, len: number): string => (len === 0 ? b.root : b.prefix + text(ptr, len));
  const contained = (ptr: number, len: number): string => (len === 0 ? b.followedRoot : b.prefix + text(ptr, len));
  const putStat = (r: number, out: number): number => {
    if (r >= 0) new Float64Array(b.memory.bytes().buffer, out, STAT_FIELDS).set(statOut);
    return r;
  };
  return {
    env: {
      abort(): never {
        throw new Error('iodict core aborted (a bug: please report it)');
      },
    },
    host: {
      open: (p: number, l: number, flags: number) => b.host.open(contained(p, l), flags, b.modes.file),
      close: (fd: number) => b.host.close(fd),
      read: (fd: number, buf: number, len: number, pos: number) => b.host.read(fd, b.memory.bytes().subarray(buf, buf + len), pos),
      write: (fd: number, buf: number, len: number, pos: number) => b.host.write(fd, b.memory.bytes().subarray(buf, buf + len), pos),
      fsync: (fd: number) => b.host.fsync(fd),
      syncfs: (fd: number, files: number) => b.host.syncfs?.(fd, files) ?? -Errno.ENOTSUP,
      fstat: (fd: number, out: number) => putStat(b.host.fstat(fd, statOut), out),
      stat: (p: number, l: number, out: number) => putStat(b.host.stat(contained(p, l), statOut), out),
      rename: (f: number, fl: number, t: number, tl: number) => b.host.rename(path(f, fl), path(t, tl)),
      exchange: (f: number, fl: number, t: number, tl: number) => b.host.exchange?.(path(f, fl), path(t, tl)) ?? -Errno.ENOTSUP,
      renameIfAbsent: (f: number, fl: number, t: number, tl: number) => b.host.renameIfAbsent?.(path(f, fl), path(t, tl)) ?? -Errno.ENOTSUP,
      link: (f: number, fl: number, t: number, tl: number) => b.host.link?.(path(f, fl), path(t, tl)) ?? -Errno.ENOTSUP,
      unlink: (p: number, l: number) => b.host.unlink(path(p, l)),
      mkdir: (p: number, l: number) => b.host.mkdir(path(p, l), b.modes.dir),
      rmdir: (p: number, l: number) => b.host.rmdir(path(p, l)),
      readdir: (p: number, l: number, buf: number, cap: number) => {
        const names = b.host.readdir(path(p, l));
        if (typeof names === 'number') return names;
        let size = 0;
        for (const name of names) size += name.length + 1;
        if (size > cap) return size;
        const bytes = b.memory.bytes();
        let at = buf;
        for (const name of names) {
          // Names outside Latin-1 cannot be record names: write them as '?' so they are skipped.
          for (let i = 0; i < name.length; i++) {
            const c = name.charCodeAt(i);
            bytes[at++] = c < 0x80 ? c : 0x3f;
          }
          bytes[at++] = 0;
        }
        return size;
      },
      getxattr: (fd: number, n: number, nl: number, buf: number, cap: number) =>
        b.host.getxattr(fd, text(n, nl), b.memory.bytes().subarray(buf, buf + cap)),
      setxattr: (fd: number, n: number, nl: number, v: number, vl: number) =>
        b.host.setxattr(fd, text(n, nl), b.memory.bytes().subarray(v, v + vl)),
      lock: (fd: number, mode: number) => b.host.lock(fd, mode),
      now: () => b.host.now(),
      random: (buf: number, len: number) => b.host.random(b.memory.bytes().subarray(buf, buf + len)),
      pid: () => b.host.pid(),
      identity: () => b.host.identity(),
      alive: (pid: number) => b.host.alive(pid),
      sleep: (ms: number) => b.host.sleep(ms),
      crc32c: (buf: number, len: number, seed: number) => b.host.crc32c?.(b.memory.bytes().subarray(buf, buf + len), seed >>> 0) ?? -Errno.ENOTSUP,
    },
  };
}
