// An in-memory file system behind the host contract: a scratch store for embedders and tests,
// with POSIX semantics where the core relies on them (atomic rename over a file, nlink 0 on an
// open file that lost its name, O_APPEND, flock between descriptors). No node: imports, so it
// runs wherever WebAssembly does. One memoryHost() is one file system; it has no watch().
import { type StoreHost, Errno, OpenFlags, LockMode, sleepSync, wallClockMicros } from '../core/host.js';

export interface MemoryHostOptions {
  /** Total bytes of file contents; a write past it fails with ENOSPC. Default: unlimited. */
  capacity?: number;
  /** Open descriptors at once; an open past it fails with EMFILE. Default: unlimited. */
  maxOpenFiles?: number;
}

interface Inode {
  /** Entries of a directory; null for a regular file. */
  entries: Map<string, Inode> | null;
  /** A directory's parent (for the rename-into-itself check). */
  parent: Inode | null;
  data: Uint8Array;
  size: number;
  mtimeMs: number;
  /** Names linking to a file; for a directory 1 while it is in the tree. */
  links: number;
  /** Descriptors open on it: its bytes are freed once both this and links are 0. */
  opens: number;
  xattrs: Map<string, Uint8Array>;
  /** flock holders: descriptor -> LockMode.SHARED or LockMode.EXCLUSIVE. */
  locks: Map<Descriptor, number>;
}

interface Descriptor {
  node: Inode;
  position: number;
  readable: boolean;
  writable: boolean;
  append: boolean;
}

/** Where a path leads: its parent directory, its last name, and what that name holds. */
interface Lookup {
  parent: Inode | null;
  name: string;
  node: Inode | undefined;
}

const NAME_MAX = 255;
const PATH_MAX = 4096;
const RANDOM_CHUNK = 65536; // getRandomValues' limit per call

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

export function memoryHost(options: MemoryHostOptions = {}): StoreHost {
  const capacity = options.capacity ?? Infinity;
  const maxOpenFiles = options.maxOpenFiles ?? Infinity;
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 1;
  // One in-memory file system is one machine: a fresh identity each.
  const identity = crypto.getRandomValues(new Uint32Array(1))[0]! * 0x10000 + 0x1234;
  const inode = (entries: Map<string, Inode> | null, parent: Inode | null): Inode => ({
    entries, parent, data: new Uint8Array(0), size: 0, mtimeMs: Date.now(), links: 1, opens: 0, xattrs: new Map(), locks: new Map(),
  });
  const root = inode(new Map(), null);
  const descriptors = new Map<number, Descriptor>();
  const closedFds: number[] = [];
  let nextFd = 3;
  let used = 0;

  /** Resolves a path (absolute, or relative to "/"), following "." and "..". */
  function lookup(path: string): Lookup | number {
    if (path.length > PATH_MAX / 3 && utf8Length(path) > PATH_MAX) return -Errno.ENAMETOOLONG;
    const names = path.split('/').filter((n) => n !== '' && n !== '.');
    const chain = [root];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name.length > NAME_MAX / 3 && utf8Length(name) > NAME_MAX) return -Errno.ENAMETOOLONG;
      const dir = chain[chain.length - 1]!;
      if (!dir.entries) return -Errno.ENOTDIR;
      if (i === names.length - 1 && name !== '..') return { parent: dir, name, node: dir.entries.get(name) };
      if (name === '..') {
        if (chain.length > 1) chain.pop();
        continue;
      }
      const next = dir.entries.get(name);
      if (!next) return -Errno.ENOENT;
      chain.push(next);
    }
    // The path names a directory reached through "..", or the root.
    const node = chain[chain.length - 1]!;
    return node.entries ? { parent: node.parent, name: '', node } : -Errno.ENOTDIR;
  }

  const touch = (node: Inode) => (node.mtimeMs = Date.now());

  /** Both names of a rename or exchange, or the first failure to resolve one. */
  function lookupBoth(from: string, to: string): [Lookup, Lookup] | number {
    const source = lookup(from);
    if (typeof source === 'number') return source;
    const target = lookup(to);
    return typeof target === 'number' ? target : [source, target];
  }

  /** Whether moving directory `node` into `dir` would put it under itself (EINVAL). */
  function intoItself(node: Inode, dir: Inode): boolean {
    for (let up: Inode | null = dir; up; up = up.parent) if (up === node) return true;
    return false;
  }

  /** Drops one name of a node; frees its bytes when nothing refers to it any more. */
  function unlinked(node: Inode): void {
    node.links = node.entries ? 0 : node.links - 1;
    release(node);
  }

  function release(node: Inode): void {
    if (node.links > 0 || node.opens > 0) return;
    used -= node.size;
    node.data = new Uint8Array(0);
    node.size = 0;
  }

  function resize(node: Inode, size: number): number {
    if (used - node.size + size > capacity) return -Errno.ENOSPC;
    used += size - node.size;
    if (size > node.data.length) {
      const grown = new Uint8Array(Math.max(size, node.data.length * 2, 64));
      grown.set(node.data.subarray(0, node.size));
      node.data = grown;
    } else if (size < node.size) {
      node.data.fill(0, size, node.size); // bytes past the end read as zeros if the file grows again
    }
    node.size = size;
    return 0;
  }

  function descriptor(node: Inode, readable: boolean, writable: boolean, append: boolean): number {
    const fd = closedFds.pop() ?? nextFd++;
    descriptors.set(fd, { node, position: 0, readable, writable, append });
    node.opens++;
    return fd;
  }

  const putStats = (node: Inode, out: Float64Array): number => {
    out[0] = node.entries ? 4096 : node.size;
    out[1] = node.mtimeMs;
    let links = node.links;
    // A directory's link count, as on disk: its name, its ".", and each subdirectory's "..".
    if (node.entries && links > 0) for (const child of node.entries.values()) if (child.entries) links++;
    out[2] = node.entries && links > 0 ? links + 1 : links;
    out[3] = node.entries ? 1 : 0;
    return 0;
  };

  function mkdir(path: string): number {
    const at = lookup(path);
    if (at === -Errno.ENOENT) {
      // Missing parents: create them too (the contract's mkdir makes the whole path).
      const parent = path.replace(/\/+[^/]*\/*$/, '');
      const made = parent && parent !== path ? mkdir(parent) : -Errno.ENOENT;
      return made < 0 && made !== -Errno.EEXIST ? made : mkdir(path);
    }
    if (typeof at === 'number') return at;
    if (at.node) return -Errno.EEXIST;
    at.parent!.entries!.set(at.name, inode(new Map(), at.parent));
    touch(at.parent!);
    return 0;
  }

  const xattrName = (name: string): number => (name.startsWith('user.') && name.length > 5 ? 0 : -Errno.ENOTSUP);

  function rename(from: string, to: string): number {
    const both = lookupBoth(from, to);
    if (typeof both === 'number') return both;
    const [source, target] = both;
    const node = source.node;
    if (!node) return -Errno.ENOENT;
    if (!source.parent || !target.parent || !target.name) return -Errno.EAGAIN; // the root is busy
    const replaced = target.node;
    if (replaced === node) return 0;
    if (node.entries) {
      if (replaced && !replaced.entries) return -Errno.ENOTDIR;
      if (replaced && replaced.entries!.size > 0) return -Errno.ENOTEMPTY;
      if (intoItself(node, target.parent)) return -Errno.EINVAL;
    } else if (replaced?.entries) {
      return -Errno.EISDIR;
    }
    source.parent.entries!.delete(source.name);
    target.parent.entries!.set(target.name, node);
    if (node.entries) node.parent = target.parent;
    if (replaced) unlinked(replaced);
    touch(source.parent);
    touch(target.parent);
    return 0;
  }

  return {
    name: 'memory',
    open(path, flags) {
      const at = lookup(path);
      if (typeof at === 'number') return at;
      if (descriptors.size >= maxOpenFiles) return -Errno.EMFILE;
      let node = at.node;
      if (flags & OpenFlags.DIRECTORY) {
        if (!node) return -Errno.ENOENT;
        return node.entries ? descriptor(node, true, false, false) : -Errno.ENOTDIR;
      }
      const writable = (flags & OpenFlags.WRITE) !== 0;
      if (node) {
        if (flags & OpenFlags.CREATE && flags & OpenFlags.EXCL) return -Errno.EEXIST;
        if (node.entries && writable) return -Errno.EISDIR;
        if (flags & OpenFlags.TRUNC && writable && node.size > 0) {
          resize(node, 0);
          touch(node);
        }
      } else {
        if (!(flags & OpenFlags.CREATE)) return -Errno.ENOENT;
        node = inode(null, null);
        at.parent!.entries!.set(at.name, node);
        touch(at.parent!);
      }
      return descriptor(node, (flags & OpenFlags.READ) !== 0 || !writable, writable, (flags & OpenFlags.APPEND) !== 0);
    },
    close(fd) {
      const d = descriptors.get(fd);
      if (!d) return -Errno.EBADF;
      descriptors.delete(fd);
      closedFds.push(fd);
      d.node.locks.delete(d); // flock locks go with the descriptor
      d.node.opens--;
      release(d.node);
      return 0;
    },
    read(fd, buf, pos) {
      const d = descriptors.get(fd);
      if (!d || !d.readable) return -Errno.EBADF;
      if (d.node.entries) return -Errno.EISDIR;
      const from = pos < 0 ? d.position : pos;
      const n = Math.max(0, Math.min(buf.length, d.node.size - from));
      buf.set(d.node.data.subarray(from, from + n));
      if (pos < 0) d.position += n;
      return n;
    },
    write(fd, buf, pos) {
      const d = descriptors.get(fd);
      if (!d || !d.writable) return -Errno.EBADF;
      const node = d.node;
      // As on Linux, O_APPEND writes go to the end even when a position is given.
      const at = d.append ? node.size : pos < 0 ? d.position : pos;
      const end = at + buf.length;
      if (end > node.size) {
        const grown = resize(node, end);
        if (grown < 0) return grown;
      }
      node.data.set(buf, at);
      touch(node);
      if (pos < 0 || d.append) d.position = end;
      return buf.length;
    },
    fsync: (fd) => (descriptors.has(fd) ? 0 : -Errno.EBADF),
    fstat(fd, out) {
      const d = descriptors.get(fd);
      return d ? putStats(d.node, out) : -Errno.EBADF;
    },
    stat(path, out) {
      const at = lookup(path);
      if (typeof at === 'number') return at;
      return at.node ? putStats(at.node, out) : -Errno.ENOENT;
    },
    rename,
    renameIfAbsent(from, to) {
      const both = lookupBoth(from, to);
      if (typeof both === 'number') return both;
      if (!both[0].node) return -Errno.ENOENT;
      return both[1].node ? -Errno.EEXIST : rename(from, to);
    },
    link(from, to) {
      const both = lookupBoth(from, to);
      if (typeof both === 'number') return both;
      const [source, target] = both;
      const node = source.node;
      if (!node) return -Errno.ENOENT;
      if (target.node) return -Errno.EEXIST;
      if (node.entries || !target.parent || !target.name) return -Errno.EACCES; // link(2): EPERM for a directory
      target.parent.entries!.set(target.name, node);
      node.links++;
      touch(target.parent);
      return 0;
    },
    exchange(from, to) {
      const both = lookupBoth(from, to);
      if (typeof both === 'number') return both;
      const [first, second] = both;
      const a = first.node;
      const b = second.node;
      if (!a || !b) return -Errno.ENOENT;
      if (!first.parent || !second.parent || !first.name || !second.name) return -Errno.EAGAIN; // the root is busy
      if (a === b) return 0;
      // A directory moved under itself would leave the tree (renameat2 says EINVAL).
      if ((a.entries && intoItself(a, second.parent)) || (b.entries && intoItself(b, first.parent))) return -Errno.EINVAL;
      first.parent.entries!.set(first.name, b);
      second.parent.entries!.set(second.name, a);
      if (a.entries) a.parent = second.parent;
      if (b.entries) b.parent = first.parent;
      touch(first.parent);
      touch(second.parent);
      return 0;
    },
    unlink(path) {
      const at = lookup(path);
      if (typeof at === 'number') return at;
      if (!at.node) return -Errno.ENOENT;
      if (at.node.entries) return -Errno.EISDIR;
      at.parent!.entries!.delete(at.name);
      touch(at.parent!);
      unlinked(at.node);
      return 0;
    },
    mkdir,
    rmdir(path) {
      const at = lookup(path);
      if (typeof at === 'number') return at;
      const node = at.node;
      if (!node) return -Errno.ENOENT;
      if (!node.entries) return -Errno.ENOTDIR;
      if (!at.parent || !at.name) return -Errno.EAGAIN; // the root is busy
      if (node.entries.size > 0) return -Errno.ENOTEMPTY;
      at.parent.entries!.delete(at.name);
      touch(at.parent);
      unlinked(node);
      return 0;
    },
    readdir(path) {
      const at = lookup(path);
      if (typeof at === 'number') return at;
      if (!at.node) return -Errno.ENOENT;
      return at.node.entries ? [...at.node.entries.keys()] : -Errno.ENOTDIR;
    },
    getxattr(fd, name, buf) {
      const d = descriptors.get(fd);
      if (!d) return -Errno.EBADF;
      const bad = xattrName(name);
      if (bad < 0) return bad;
      const value = d.node.xattrs.get(name);
      if (!value) return -Errno.ENODATA;
      if (value.length <= buf.length) buf.set(value);
      return value.length;
    },
    setxattr(fd, name, value) {
      const d = descriptors.get(fd);
      if (!d) return -Errno.EBADF;
      const bad = xattrName(name);
      if (bad < 0) return bad;
      d.node.xattrs.set(name, value.slice());
      return 0;
    },
    lock(fd, mode) {
      const d = descriptors.get(fd);
      if (!d) return -Errno.EBADF;
      const kind = mode & 3;
      if (kind === 3) return -Errno.EINVAL;
      const locks = d.node.locks;
      if (locks.get(d) === kind) return 0;
      // As flock(2): converting a lock drops the old one first.
      locks.delete(d);
      if (kind === LockMode.UNLOCK) return 0;
      for (const [holder, held] of locks) {
        // A blocking request fails too: the holder is another descriptor of this same thread, so
        // waiting could never end (flock would deadlock).
        if (holder !== d && (kind === LockMode.EXCLUSIVE || held === LockMode.EXCLUSIVE)) return -Errno.EAGAIN;
      }
      locks.set(d, kind);
      return 0;
    },
    now: wallClockMicros,
    random(buf) {
      for (let at = 0; at < buf.length; at += RANDOM_CHUNK) crypto.getRandomValues(buf.subarray(at, at + RANDOM_CHUNK));
    },
    pid: () => pid,
    identity: () => identity,
    // Only this process can see this file system: any other owner it names is gone.
    alive: (other) => (other === pid ? 1 : 0),
    sleep: sleepSync,
  };
}
