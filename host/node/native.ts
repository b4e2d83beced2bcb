// Optional native helper: xattrs and flock through koffi's FFI to libc (prebuilt binaries,
// nothing compiles on install). Without it the store still works: the record carries key and
// birth, and locking falls back to lock files. IODICT_NATIVE=0 turns it off (tests use that).
import { createRequire } from 'node:module';
import type { Native } from '../core/fs-host.js';

let loaded: Native | null | undefined;

export function loadNative(): Native | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.IODICT_NATIVE === '0' || process.platform !== 'linux') return loaded;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi');
    const libc = koffi.load('libc.so.6');
    loaded = {
      fgetxattr: libc.func('long fgetxattr(int, const char *, _Out_ uint8_t *, size_t)'),
      fsetxattr: libc.func('int fsetxattr(int, const char *, const uint8_t *, size_t, int)'),
      flock: libc.func('int flock(int, int)'),
      errno: () => koffi.errno(),
    };
  } catch {
    loaded = null; // koffi missing or unloadable: the portable paths take over
  }
  return loaded;
}
