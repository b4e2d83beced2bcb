// The Node binding of the host contract: the shared node:fs host (core/fs-host.ts), with xattrs
// and flock from the optional koffi helper.
import type { StoreHost } from '../core/host.js';
import { fsHost } from '../core/fs-host.js';
import { loadNative } from './native.js';

export interface NodeHostOptions {
  /** Use the native helper (koffi) for xattrs and flock when it loads. Default true. */
  native?: boolean;
}

export function nodeHost(options: NodeHostOptions = {}): StoreHost {
  return fsHost('node', options.native === false ? null : loadNative());
}
