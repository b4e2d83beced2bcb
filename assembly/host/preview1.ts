// The wasi_snapshot_preview1 functions the WASI build uses, as the spec declares them
// (https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md). Each returns a
// WASI errno (0 = success); assembly/host/wasi.ts translates those into the table's numbering.

@external("wasi_snapshot_preview1", "fd_prestat_get")
export declare function fd_prestat_get(fd: u32, out: usize): i32;
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
export declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: usize): i32;
@external("wasi_snapshot_preview1", "path_open")
export declare function path_open(
  dirFd: u32, lookupFlags: u32, path: usize, pathLen: usize, oflags: u16,
  rightsBase: u64, rightsInheriting: u64, fdflags: u16, fdOut: usize,
): i32;
@external("wasi_snapshot_preview1", "fd_close")
export declare function fd_close(fd: u32): i32;
@external("wasi_snapshot_preview1", "fd_read")
export declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, nread: usize): i32;
@external("wasi_snapshot_preview1", "fd_pread")
export declare function fd_pread(fd: u32, iovs: usize, iovsLen: usize, offset: u64, nread: usize): i32;
@external("wasi_snapshot_preview1", "fd_write")
export declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, nwritten: usize): i32;
@external("wasi_snapshot_preview1", "fd_pwrite")
export declare function fd_pwrite(fd: u32, iovs: usize, iovsLen: usize, offset: u64, nwritten: usize): i32;
@external("wasi_snapshot_preview1", "fd_sync")
export declare function fd_sync(fd: u32): i32;
@external("wasi_snapshot_preview1", "fd_filestat_get")
export declare function fd_filestat_get(fd: u32, out: usize): i32;
@external("wasi_snapshot_preview1", "path_filestat_get")
export declare function path_filestat_get(fd: u32, lookupFlags: u32, path: usize, pathLen: usize, out: usize): i32;
@external("wasi_snapshot_preview1", "path_rename")
export declare function path_rename(fd: u32, from: usize, fromLen: usize, toFd: u32, to: usize, toLen: usize): i32;
@external("wasi_snapshot_preview1", "path_link")
export declare function path_link(fd: u32, lookupFlags: u32, from: usize, fromLen: usize, toFd: u32, to: usize, toLen: usize): i32;
@external("wasi_snapshot_preview1", "path_unlink_file")
export declare function path_unlink_file(fd: u32, path: usize, pathLen: usize): i32;
@external("wasi_snapshot_preview1", "path_create_directory")
export declare function path_create_directory(fd: u32, path: usize, pathLen: usize): i32;
@external("wasi_snapshot_preview1", "path_remove_directory")
export declare function path_remove_directory(fd: u32, path: usize, pathLen: usize): i32;
@external("wasi_snapshot_preview1", "fd_readdir")
export declare function fd_readdir(fd: u32, buf: usize, bufLen: usize, cookie: u64, bufUsed: usize): i32;
@external("wasi_snapshot_preview1", "clock_time_get")
export declare function clock_time_get(clock: u32, precision: u64, out: usize): i32;
@external("wasi_snapshot_preview1", "random_get")
export declare function random_get(buf: usize, len: usize): i32;
@external("wasi_snapshot_preview1", "poll_oneoff")
export declare function poll_oneoff(subscriptions: usize, events: usize, count: usize, eventCount: usize): i32;

// errno values (WASI numbering) that need more than the default translation.
export const W_SUCCESS: i32 = 0;
export const W_ACCES: i32 = 2;
export const W_AGAIN: i32 = 6;
export const W_BADF: i32 = 8;
export const W_BUSY: i32 = 10;
export const W_DQUOT: i32 = 19;
export const W_EXIST: i32 = 20;
export const W_INVAL: i32 = 28;
export const W_IO: i32 = 29;
export const W_ISDIR: i32 = 31;
export const W_LOOP: i32 = 32;
export const W_MFILE: i32 = 33;
export const W_NAMETOOLONG: i32 = 37;
export const W_NFILE: i32 = 41;
export const W_NOENT: i32 = 44;
export const W_NOSPC: i32 = 51;
export const W_NOSYS: i32 = 52;
export const W_NOTDIR: i32 = 54;
export const W_NOTEMPTY: i32 = 55;
export const W_NOTSUP: i32 = 58;
export const W_PERM: i32 = 63;
export const W_ROFS: i32 = 69;
export const W_STALE: i32 = 72;
export const W_NOTCAPABLE: i32 = 76;

// oflags, fdflags, lookupflags, filetypes, clocks.
export const OFLAGS_CREAT: u16 = 1;
export const OFLAGS_DIRECTORY: u16 = 2;
export const OFLAGS_EXCL: u16 = 4;
export const OFLAGS_TRUNC: u16 = 8;
export const FDFLAGS_APPEND: u16 = 1;
export const LOOKUP_SYMLINK_FOLLOW: u32 = 1;
export const FILETYPE_DIRECTORY: u8 = 3;
export const FILETYPE_REGULAR_FILE: u8 = 4;
export const PREOPENTYPE_DIR: u8 = 0;
export const CLOCK_REALTIME: u32 = 0;
export const CLOCK_MONOTONIC: u32 = 1;
export const EVENTTYPE_CLOCK: u8 = 0;

// Rights. Runtimes derive the host open mode from them (uvwasi: any write right means
// O_WRONLY/O_RDWR), so each open asks for exactly what its mode needs.
export const RIGHT_FD_DATASYNC: u64 = 1 << 0;
export const RIGHT_FD_READ: u64 = 1 << 1;
export const RIGHT_FD_SEEK: u64 = 1 << 2;
export const RIGHT_FD_SYNC: u64 = 1 << 4;
export const RIGHT_FD_TELL: u64 = 1 << 5;
export const RIGHT_FD_WRITE: u64 = 1 << 6;
export const RIGHT_FD_ALLOCATE: u64 = 1 << 8;
export const RIGHT_FD_READDIR: u64 = 1 << 14;
export const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
export const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;

// Struct layouts (wasm32).
export const FILESTAT_FILETYPE: usize = 16; // u8
export const FILESTAT_NLINK: usize = 24; // u64
export const FILESTAT_SIZE: usize = 32; // u64
export const FILESTAT_MTIM: usize = 48; // u64 ns
export const FILESTAT_BYTES: usize = 64;
export const DIRENT_NEXT: usize = 0; // u64 cookie of the next entry
export const DIRENT_NAMLEN: usize = 16; // u32
export const DIRENT_BYTES: usize = 24; // the name follows
export const PRESTAT_TAG: usize = 0; // u8
export const PRESTAT_NAME_LEN: usize = 4; // u32
export const SUBSCRIPTION_BYTES: usize = 48;
export const EVENT_BYTES: usize = 32;
