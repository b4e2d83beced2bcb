// Opening files the CLI reads from directories it does not trust (a Python store, a store's
// marker): regular files only, never through a symbolic link, never blocking on a FIFO.
import fs from 'node:fs';

// Where the platform lacks them (Windows), the lstat before each open still refuses links.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);
const SYMLINK_PROBLEM = 'a symbolic link: not followed (only regular files are read)';

/**
 * The file opened for reading if it is a regular file, else why not. Nothing else is ever
 * opened: not a link (lstat, then O_NOFOLLOW against a swap in between), not a FIFO or device
 * (which could block or have side effects). ENOENT and other failures are thrown.
 */
export function openRegular(path: string): { fd: number; stat: fs.Stats } | { fd: undefined; stat: fs.Stats; problem: string } {
  const stat = fs.lstatSync(path);
  if (stat.isSymbolicLink()) return { fd: undefined, stat, problem: SYMLINK_PROBLEM };
  if (!stat.isFile()) return { fd: undefined, stat, problem: 'not a regular file' };
  let fd: number;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
  } catch (e) {
    if ((e as { code?: string }).code === 'ELOOP') return { fd: undefined, stat, problem: SYMLINK_PROBLEM };
    throw e;
  }
  const opened = fs.fstatSync(fd);
  if (opened.isFile()) return { fd, stat: opened };
  fs.closeSync(fd);
  return { fd: undefined, stat, problem: 'not a regular file' };
}

/** Up to `max` bytes from the start of an open file. */
export function readUpTo(fd: number, max: number): Buffer {
  const bytes = Buffer.allocUnsafe(max);
  let read = 0;
  for (let n; read < max && (n = fs.readSync(fd, bytes, read, max - read, read)); ) read += n;
  return bytes.subarray(0, read);
}
