// Options every store handle takes (kept apart from core.ts so public types never pull in wasm types).
import type { CorruptRecordError } from '../errors.js';

export interface CoreOptions {
  /** 'none' (default): no fsync, the OS writes back. 'fsync': file and directory are on disk before a write returns. */
  durability?: 'none' | 'fsync';
  /**
   * Mirror key and birth stamp into user.* extended attributes, as Python iodict does.
   * 'auto' (default): where the file system and the native helper allow; 'on': fail without them; 'off': never.
   */
  xattrs?: 'auto' | 'on' | 'off';
  /**
   * Called with each corrupt record found in passing (while syncing with other processes or
   * opening) and moved to quarantine. Default: a process warning. Records that a call of yours
   * reads are reported by throwing CorruptRecordError instead.
   */
  onCorrupt?: (error: CorruptRecordError) => void;
}
