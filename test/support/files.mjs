// File access for the shared suites' inspections: the real disk through node:fs, or any host's
// own file system (memoryHost) through its StoreHost calls. Both throw on unexpected errors.
import fs from 'node:fs';
import { Errno, OpenFlags } from '../../dist/index.js';

export const diskFiles = {
  exists: (path) => fs.existsSync(path),
  list: (dir) => fs.readdirSync(dir),
  read: (path) => fs.readFileSync(path),
  write: (path, data) => fs.writeFileSync(path, data),
  remove: (path) => fs.rmSync(path, { force: true }),
  /** Keeps a file open: links() is its nlink, 0 once it was renamed over or unlinked. */
  hold(path) {
    const fd = fs.openSync(path, 'r');
    return { links: () => fs.fstatSync(fd).nlink, close: () => fs.closeSync(fd) };
  },
};

export function hostFiles(host) {
  const check = (result, what, path) => {
    if (typeof result === 'number' && result < 0) throw new Error(`${host.name}: ${what} ${path} failed: ${-result}`);
    return result;
  };
  const stat = new Float64Array(4);
  const open = (path, flags) => check(host.open(path, flags), 'open', path);
  return {
    exists: (path) => host.stat(path, stat) === 0,
    list: (dir) => check(host.readdir(dir), 'readdir', dir),
    read(path) {
      const fd = open(path, OpenFlags.READ);
      check(host.fstat(fd, stat), 'fstat', path);
      const bytes = Buffer.alloc(stat[0]);
      const n = check(host.read(fd, bytes, 0), 'read', path);
      host.close(fd);
      return bytes.subarray(0, n);
    },
    write(path, data) {
      const fd = open(path, OpenFlags.WRITE | OpenFlags.CREATE | OpenFlags.TRUNC);
      check(host.write(fd, Buffer.from(data), 0), 'write', path);
      host.close(fd);
    },
    remove(path) {
      const removed = host.unlink(path);
      if (removed !== -Errno.ENOENT) check(removed, 'unlink', path);
    },
    hold(path) {
      const fd = open(path, OpenFlags.READ);
      return {
        links: () => (check(host.fstat(fd, stat), 'fstat', path), stat[2]),
        close: () => host.close(fd),
      };
    },
  };
}
