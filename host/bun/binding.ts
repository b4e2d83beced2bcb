// The Bun binding of the host contract: the shared node:fs host (node:fs sync calls are native
// in Bun; Bun.file/Bun.write have no synchronous form the core could call), with xattrs and
// flock through bun:ffi, and CRC-32C from the optional @node-rs/crc32 (napi, which Bun loads).
import type { StoreHost } from '../core/host.js';
import { loadCrc32c } from '../core/checksum.js';
import { fsHost } from '../core/fs-host.js';
import { loadBunNative } from './native.js';

export interface BunHostOptions {
  /** Use the native helpers when they load: bun:ffi (xattrs, flock, renameat2) and @node-rs/crc32 (checksums). Default true. */
  native?: boolean;
}

export function bunHost(options: BunHostOptions = {}): StoreHost {
  return options.native === false ? fsHost('bun', null) : fsHost('bun', loadBunNative(), loadCrc32c());
}
