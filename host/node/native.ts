// Optional native helper: xattrs and flock through koffi's FFI to libc (prebuilt binaries,
// nothing compiles on install). Without it the store still works: the record carries key and
// birth, and locking falls back to lock files. IODICT_NATIVE=0 turns it off (tests use that).
import { createRequire } from 'node:module';
import { optionalNative, type Native } from '../core/fs-host.js';

/** A libc function this libc may lack: undefined then, and the rest of the helper still loads. */
function optionalFunc<F>(load: () => F): F | undefined {
  try {
    return load();
  } catch {
    return undefined;
  }
}

/** koffi over libc; null when koffi is missing or cannot load. */
export const loadNative = optionalNative((): Native => {
  const require = createRequire(import.meta.url);
  const koffi = require('koffi');
  const libc = koffi.load('libc.so.6');
  return {
    fgetxattr: libc.func('long fgetxattr(int, const char *, _Out_ uint8_t *, size_t)'),
    fsetxattr: libc.func('int fsetxattr(int, const char *, const uint8_t *, size_t, int)'),
    flock: libc.func('int flock(int, int)'),
    syncfs: libc.func('int syncfs(int)'),
    renameat2: optionalFunc(() => libc.func('int renameat2(int, const char *, int, const char *, unsigned int)')),
    // Buffers as plain pointers: koffi passes a typed array's memory itself, no copy either way.
    sys: {
      // open(2) is variadic; its mode is declared as a fixed third argument, which Linux's calling
      // conventions (x86-64, aarch64; the helper loads only on Linux) pass the same way.
      open: libc.func('int open(const char *, int, int)'),
      close: libc.func('int close(int)'),
      read: libc.func('long read(int, uint8_t *, size_t)'),
      pread: libc.func('long pread(int, uint8_t *, size_t, long)'),
      write: libc.func('long write(int, const uint8_t *, size_t)'),
      pwrite: libc.func('long pwrite(int, const uint8_t *, size_t, long)'),
      fsync: libc.func('int fsync(int)'),
      rename: libc.func('int rename(const char *, const char *)'),
      unlink: libc.func('int unlink(const char *)'),
    },
    errno: () => koffi.errno(),
  };
});
