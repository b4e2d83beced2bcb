// Store-relative paths. Each protocol step builds its paths in its own buffer (named for what it
// holds), so no step can overwrite a path another step is still using.
import { digestName, NAME_CHARS, DIGEST_BYTES } from '../format/key';

export const CONTROL_DIR = '.iodict';
export const PATH_CAP: i32 = 512;
const newPath = (): usize => heap.alloc(PATH_CAP);
/** A record's path in the store root (reads, writes, claims' source). */
export const recordBuf: usize = newPath();
/** The temp file being written (temp.ts). */
export const tempBuf: usize = newPath();
/** A second name of the record an overwrite replaces without exchange (temp.ts). */
/** Control files: marker, journal, index cache (for opening and for error messages). */
export const controlBuf: usize = newPath();
/** Entries of the side folders (tmp/, claimed/, handles/) while they are walked. */
export const sideBuf: usize = newPath();
/** Where a record is moved aside (claimed/, quarantine/). */
export const asideBuf: usize = newPath();
/** The lock files (lock.ts). */
export const lockBuf: usize = newPath();
export const lockBuf2: usize = newPath();
/** Our registration (registry.ts) and the name it is renewed to. */
export const registrationBuf: usize = newPath();
export const registrationBuf2: usize = newPath();
/** Kept for the WASI interface and verify: the root is the empty path. */
export const pathA: usize = recordBuf;

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

/** ".iodict/<folder>/<56 hex>.": the start of a record moved aside (claimed, quarantined). */
export function asidePrefix(buf: usize, folder: string, digest: usize): i32 {
  let at = controlPath(buf, folder + '/');
  digestName(digest, buf + at);
  at += NAME_CHARS;
  store<u8>(buf + at++, 0x2e);
  return at;
}

/** ".iodict/<folder>/<name>" from a listed name. */
export function sidePath(buf: usize, folder: string, name: usize, nameLen: i32): i32 {
  const at = controlPath(buf, folder + '/');
  memory.copy(buf + at, name, nameLen);
  return at + nameLen;
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
