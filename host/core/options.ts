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
   * Permission bits of the files this handle creates (records, journal, index cache, lock and
   * control files), as in fs.openSync; its directories get the same bits plus search (x) where
   * read (r) is given: 0o600 gives 0600 files and 0700 directories, 0o640 gives 0640 and 0750.
   * The umask still applies, as it does to fs. Default: 0o666 files and 0o777 directories less
   * the umask. At least owner read and write (0o600).
   */
  mode?: number;
  /**
   * The clock expiry is judged by, in ms since the Unix epoch (default Date.now). For tests: an
   * item set with `ttl` is invisible once this clock passes its expiry stamp.
   */
  clock?: () => number;
}
