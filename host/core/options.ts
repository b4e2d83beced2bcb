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
  /**
   * How long (ms) a claim, temp file, lock file or registration of an owner that cannot be asked
   * whether it is alive (another container or host sharing the store) is trusted before it is
   * taken back. Owners on this machine and pid namespace are asked directly. Default 30000.
   */
  lease?: number;
  /** Journal entries (beyond the item count) after which the journal is rotated. Default 16384. */
  rotateAfter?: number;
  /**
   * The clock expiry is judged by, in ms since the Unix epoch (default Date.now). For tests: an
   * item set with `ttl` is invisible once this clock passes its expiry stamp.
   */
  clock?: () => number;
}
