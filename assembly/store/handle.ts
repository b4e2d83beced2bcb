// The state of the one store handle a core instance serves, in one place: what it was opened
// with, who it is, and where it stands in the journal. Every protocol step reads it from here.

// open() flags from the host.
export const OPEN_FSYNC: i32 = 1; // durability 'fsync'
export const OPEN_XATTRS_OFF: i32 = 2;
export const OPEN_XATTRS_ON: i32 = 4; // fail instead of falling back when xattrs are missing
export const OPEN_KIND_DICT: i32 = 8; // a dictionary: refuse a queue's store (tools pass no kind)
export const OPEN_KIND_QUEUE: i32 = 16; // a queue: refuse a dictionary's store
export const OPEN_XATTRS_AUTO: i32 = 32; // mirror where the file system has them (opt-in: two syscalls a write)

// The kind a store was made for, on the marker's second line ("kind dict" / "kind queue").
export const KIND_ANY: i32 = 0;
export const KIND_DICT: i32 = 1;
export const KIND_QUEUE: i32 = 2;

export const DEFAULT_LEASE_US: u64 = 30_000_000;
export const DEFAULT_ROTATE_AFTER: u64 = 16384;

export class Handle {
  // ---- options
  fsyncWrites: bool = false;
  xattrs: bool = false; // mirror user.key and user.birthtime
  xattrsRequired: bool = false;
  kind: i32 = KIND_ANY;
  /** How long an owner that cannot be asked (another identity) is trusted (µs). */
  lease: u64 = DEFAULT_LEASE_US;
  /** Journal entries beyond the item count that trigger a rotation. */
  rotateAfter: u64 = DEFAULT_ROTATE_AFTER;

  // ---- who we are (FORMAT.md 7, owner tag)
  identity: u64 = 0; // 48 bits: machine boot and pid namespace
  pid: u32 = 0;
  writer: u32 = 0; // random per handle; also the journal's writer id
  lastBirth: u64 = 0;
  tempCounter: u32 = 0;
  /** The host answered ENOTSUP to exchange: overwrites look (stat) and rename from now on (FORMAT.md 7.3 step 2). */
  noExchange: bool = false;
  /** The host answered ENOTSUP to renameIfAbsent: new keys are created through a hard link from now on (FORMAT.md 7.3 step 2). */
  noRenameIfAbsent: bool = false;
  /** ... and to link: overwrites and creations rename blindly (FORMAT.md 5, the gap left). */
  noLink: bool = false;
  /** A replaced record (exchanged into our temp name) or a second name of a created one could not be removed: close() removes our temps. */
  strayTemps: bool = false;

  // ---- the journal (journal.ts)
  journalFd: i32 = -1;
  journalId: u64 = 0;
  generation: u64 = 0;
  journalOffset: u64 = 0; // next byte to read
  entriesSinceCache: u32 = 0;
  quietSyncs: u32 = 0;

  // ---- the index (load.ts): loaded on the first call that needs order or size
  indexLoaded: bool = false;
  indexlessSets: u32 = 0;

  // ---- the registration (registry.ts)
  registeredAt: u64 = 0; // the stamp in our registration's name; 0: not registered
  syncsSinceCheck: u32 = 0;
}

export const handle = new Handle();

/** The writer's next birth stamp: real-time µs, strictly above the last it handed out. */
export function nextBirth(now: u64): u64 {
  let birth = now;
  if (birth <= handle.lastBirth) birth = handle.lastBirth + 1;
  handle.lastBirth = birth;
  return birth;
}
