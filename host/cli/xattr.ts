// Reading user.* extended attributes of files (stat, and Python stores' user.key and
// user.birthtime), through the same optional native helper the store uses to write them.
import fs from 'node:fs';
import { loadNative } from '../node/native.js';

const ENODATA = 61;
const ERANGE = 34;
const ENOTSUP = 95;

export interface XattrReader {
  /** The attribute's bytes, or null when the file does not have it. */
  get(file: string, name: string): Uint8Array | null;
  /** The same, of a file already open. */
  getFd(fd: number, name: string): Uint8Array | null;
}

/** A reader, or null where xattrs cannot be read (no native helper: not Linux, or koffi missing). */
export function xattrReader(): XattrReader | null {
  const native = loadNative();
  if (!native) return null;
  let buf = new Uint8Array(256);
  const read = (fd: number, name: string): Uint8Array | null => {
    for (;;) {
      const n = Number(native.fgetxattr(fd, name, buf, buf.length));
      if (n >= 0) return buf.slice(0, n);
      const errno = native.errno();
      if (errno === ENODATA || errno === ENOTSUP) return null;
      if (errno !== ERANGE) throw Object.assign(new Error(`getxattr ${name} failed: errno ${errno}`), { code: `E${errno}` });
      // Larger than buf: ask for the size, then read again.
      const size = Number(native.fgetxattr(fd, name, buf.subarray(0, 0), 0));
      buf = new Uint8Array(Math.max(size, buf.length * 2));
    }
  };
  return {
    getFd: read,
    get(file, name) {
      const fd = fs.openSync(file, 'r');
      try {
        return read(fd, name);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}
