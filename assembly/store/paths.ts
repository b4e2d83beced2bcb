// Store-relative paths, built in two reusable buffers (a rename needs two at once).
import { digestName, NAME_CHARS, DIGEST_BYTES } from '../format/key';

export const CONTROL_DIR = '.iodict';
export const PATH_CAP: i32 = 512;
export const pathA: usize = heap.alloc(PATH_CAP);
export const pathB: usize = heap.alloc(PATH_CAP);

export function putAscii(buf: usize, at: i32, text: string): i32 {
  for (let i = 0; i < text.length; i++) store<u8>(buf + at + i, <u8>text.charCodeAt(i));
  return at + text.length;
}

export function putHex(buf: usize, at: i32, value: u64, digits: i32): i32 {
  for (let i = digits - 1; i >= 0; i--) {
    const nibble = <u8>(value & 0xf);
    store<u8>(buf + at + i, nibble < 10 ? 0x30 + nibble : 0x57 + nibble);
    value >>= 4;
  }
  return at + digits;
}

/** "<56 hex>": a record in the store root. */
export function recordPath(buf: usize, digest: usize): i32 {
  digestName(digest, buf);
  return NAME_CHARS;
}

/** ".iodict/<name>" */
export function controlPath(buf: usize, name: string): i32 {
  const at = putAscii(buf, 0, CONTROL_DIR + '/');
  return putAscii(buf, at, name);
}

/** ".iodict/<folder>/<56 hex>.<tag as 16 hex>": a record moved aside (claimed, quarantined). */
export function asidePath(buf: usize, folder: string, digest: usize, tag: u64): i32 {
  let at = controlPath(buf, folder + '/');
  digestName(digest, buf + at);
  at += NAME_CHARS;
  store<u8>(buf + at++, 0x2e);
  return putHex(buf, at, tag, 16);
}

/** Parses 56 lowercase hex characters into a digest; false if the name is not a record name. */
export function parseRecordName(name: usize, len: i32, digest: usize): bool {
  if (len != NAME_CHARS) return false;
  for (let i = 0; i < DIGEST_BYTES; i++) {
    const hi = hexValue(load<u8>(name + 2 * i));
    const lo = hexValue(load<u8>(name + 2 * i + 1));
    if ((hi | lo) < 0) return false;
    store<u8>(digest + i, <u8>((hi << 4) | lo));
  }
  return true;
}

function hexValue(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
