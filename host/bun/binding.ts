// The Bun binding of the host contract: the shared node:fs host (node:fs sync calls are native
// in Bun; Bun.file/Bun.write have no synchronous form the core could call), with xattrs and
// flock through bun:ffi.
import type { StoreHost } from '../core/host.js';
import { fsHost } from '../core/fs-host.js';
import { loadBunNative } from './native.js';

export interface BunHostOptions {
  /** Use bun:ffi for xattrs and flock when it loads. Default true. */
  native?: boolean;
}

export function bunHost(options: BunHostOptions = {}): StoreHost {
  return fsHost('bun', options.native === false ? null : loadBunNative());
}
