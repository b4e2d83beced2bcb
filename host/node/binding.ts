// The Node binding of the host contract: the shared node:fs host (core/fs-host.ts), with xattrs
// and flock from the optional koffi helper, CRC-32C from the optional @node-rs/crc32.
import type { StoreHost } from '../core/host.js';
import { fsHost } from '../core/fs-host.js';
import { loadNative } from './native.js';
import { loadCrc32c } from '../core/checksum.js';

export interface NodeHostOptions {
  /** Use the native helpers when they load: koffi (xattrs, flock, renameat2, direct syscalls) and @node-rs/crc32 (checksums). Default true. */
  native?: boolean;
}

export function nodeHost(options: NodeHostOptions = {}): StoreHost {
  return options.native === false ? fsHost('node', null) : fsHost('node', loadNative(), loadCrc32c());
}
