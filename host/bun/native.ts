// xattrs and flock for Bun through bun:ffi and libc: no addon, nothing to install. bun:ffi is
// loaded with a runtime require, so esbuild leaves it alone and Node never evaluates it.
// IODICT_NATIVE=0 turns it off, as in Node.
import { createRequire } from 'node:module';
import { optionalNative, type Native } from '../core/fs-host.js';

/** The part of bun:ffi used here (Bun's types are not a dependency). */
interface BunFFI {
  dlopen<T>(path: string, symbols: Record<keyof T, { args: string[]; returns: string }>): { symbols: T };
  read: { i32(ptr: number, offset: number): number };
}

interface LibC {
  fgetxattr(fd: number, name: Uint8Array, buf: Uint8Array, size: number): number;
  fsetxattr(fd: number, name: Uint8Array, value: Uint8Array, size: number, flags: number): number;
  flock(fd: number, op: number): number;
  syncfs(fd: number): number;
  __errno_location(): number;
}

/** renameat2 comes apart: a libc without it (glibc before 2.28) still gives the rest. */
interface Rename2 {
  renameat2(oldDirFd: number, oldPath: Uint8Array, newDirFd: number, newPath: Uint8Array, flags: number): number;
}

/** bun:ffi over libc; null outside Bun, or without bun:ffi or glibc (musl). */
export const loadBunNative = optionalNative((): Native => {
  if (!process.versions.bun) throw new Error('not Bun');
  const runtimeRequire = createRequire(import.meta.url);
  const ffi = runtimeRequire('bun:ffi') as BunFFI;
  const libc = ffi.dlopen<LibC>('libc.so.6', {
    fgetxattr: { args: ['i32', 'ptr', 'ptr', 'usize'], returns: 'i64_fast' },
    fsetxattr: { args: ['i32', 'ptr', 'ptr', 'usize', 'i32'], returns: 'i32' },
    flock: { args: ['i32', 'i32'], returns: 'i32' },
    syncfs: { args: ['i32'], returns: 'i32' },
    // bun:ffi has no errno accessor: read libc's thread-local errno right after the call.
    __errno_location: { args: [], returns: 'ptr' },
  }).symbols;
  const rename2 = ((): Rename2 | undefined => {
    try {
      return ffi.dlopen<Rename2>('libc.so.6', { renameat2: { args: ['i32', 'ptr', 'i32', 'ptr', 'u32'], returns: 'i32' } }).symbols;
    } catch {
      return undefined;
    }
  })();
  const encoder = new TextEncoder();
  const cString = (text: string): Uint8Array => encoder.encode(text + '\0');
  const errnoAt = libc.__errno_location();
  // Attribute names as NUL-terminated bytes; there are only a couple, so they are kept.
  const names = new Map<string, Uint8Array>();
  const cName = (name: string): Uint8Array => {
    let bytes = names.get(name);
    if (!bytes) names.set(name, (bytes = cString(name)));
    return bytes;
  };
  return {
    fgetxattr: (fd, name, buf, size) => libc.fgetxattr(fd, cName(name), buf, size),
    fsetxattr: (fd, name, value, size, flags) => libc.fsetxattr(fd, cName(name), value, size, flags),
    flock: (fd, op) => libc.flock(fd, op),
    syncfs: (fd) => libc.syncfs(fd),
    renameat2: rename2 && ((oldDirFd, oldPath, newDirFd, newPath, flags) => rename2.renameat2(oldDirFd, cString(oldPath), newDirFd, cString(newPath), flags)),
    // The errno location is per thread and this module is evaluated per thread (workers too).
    errno: () => ffi.read.i32(errnoAt, 0),
  };
});
