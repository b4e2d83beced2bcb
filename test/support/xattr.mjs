// Reads user.* xattrs for the tests through koffi directly (independent of the store's helper).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const koffi = require('koffi');
const libc = koffi.load('libc.so.6');
const getxattr = libc.func('long getxattr(const char *, const char *, _Out_ uint8_t *, size_t)');

/** The attribute's bytes, or null when it is not set. */
export function readXattr(file, name) {
  const buf = Buffer.alloc(4096);
  const n = getxattr(file, name, buf, buf.length);
  return n < 0 ? null : buf.subarray(0, n);
}
