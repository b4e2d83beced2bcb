// The import table as imports of the module "host", for the host build: each runtime's
// TypeScript binding provides them (host/core/imports.ts). Contracts: imports.ts.
@external("host", "open") export declare function open(path: usize, pathLen: i32, flags: i32): i32;
@external("host", "close") export declare function close(fd: i32): i32;
@external("host", "read") export declare function read(fd: i32, buf: usize, len: i32, pos: f64): i32;
@external("host", "write") export declare function write(fd: i32, buf: usize, len: i32, pos: f64): i32;
@external("host", "fsync") export declare function fsync(fd: i32): i32;
@external("host", "syncfs") export declare function syncfs(fd: i32, files: i32): i32;
@external("host", "fstat") export declare function fstat(fd: i32, out: usize): i32;
@external("host", "stat") export declare function stat(path: usize, pathLen: i32, out: usize): i32;
@external("host", "rename") export declare function rename(from: usize, fromLen: i32, to: usize, toLen: i32): i32;
@external("host", "exchange") export declare function exchange(from: usize, fromLen: i32, to: usize, toLen: i32): i32;
@external("host", "renameIfAbsent") export declare function renameIfAbsent(from: usize, fromLen: i32, to: usize, toLen: i32): i32;
@external("host", "link") export declare function link(from: usize, fromLen: i32, to: usize, toLen: i32): i32;
@external("host", "unlink") export declare function unlink(path: usize, pathLen: i32): i32;
@external("host", "mkdir") export declare function mkdir(path: usize, pathLen: i32): i32;
@external("host", "rmdir") export declare function rmdir(path: usize, pathLen: i32): i32;
@external("host", "readdir") export declare function readdir(path: usize, pathLen: i32, buf: usize, cap: i32): i32;
@external("host", "getxattr") export declare function getxattr(fd: i32, name: usize, nameLen: i32, buf: usize, cap: i32): i32;
@external("host", "setxattr") export declare function setxattr(fd: i32, name: usize, nameLen: i32, value: usize, valueLen: i32): i32;
@external("host", "lock") export declare function lock(fd: i32, mode: i32): i32;
@external("host", "now") export declare function now(): f64;
@external("host", "random") export declare function random(buf: usize, len: i32): void;
@external("host", "pid") export declare function pid(): i32;
@external("host", "identity") export declare function identity(): f64;
@external("host", "alive") export declare function alive(pid: i32): i32;
@external("host", "sleep") export declare function sleep(ms: i32): void;
@external("host", "crc32c") export declare function crc32c(buf: usize, len: i32, seed: u32): f64;
