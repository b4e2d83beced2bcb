// Key types, their canonical bytes, and the record file name derived from them.
import { sha3_224, hexLower } from '../crypto/sha3';

export const KEY_STRING: u8 = 0; // UTF-8, well-formed
export const KEY_NUMBER: u8 = 1; // float64 little-endian; -0 stored as +0, every NaN as 0x7ff8000000000000
export const KEY_BIGINT: u8 = 2; // decimal ASCII, optional '-', no leading zeros, "0" for zero
export const KEY_BOOLEAN: u8 = 3; // one byte, 0 or 1
export const KEY_BYTES: u8 = 4; // raw bytes
export const KEY_QUEUE: u8 = 5; // queue item id: 16 bytes (producer id, counter)
export const KEY_TYPES: u8 = 6;

export const DIGEST_BYTES: i32 = 28; // SHA3-224
export const NAME_CHARS: i32 = 56; // lowercase hex of the digest

/** 0xFF never occurs in UTF-8, so a prefixed non-string key can never hash like a string key. */
const NON_STRING_PREFIX: u8 = 0xff;

// Scratch for hashing non-string keys: prefix + type + key bytes.
let hashInput: usize = 0;
let hashInputCap: i32 = 0;

/**
 * Writes the 28-byte digest naming the record of this key at out. String keys hash their
 * UTF-8 exactly as Python iodict does (sha3_224(key.encode())), so our names match its names.
 */
export function keyDigest(type: u8, key: usize, len: i32, out: usize): void {
  if (type == KEY_STRING) {
    sha3_224(key, len, out);
    return;
  }
  if (hashInputCap < len + 2) {
    if (hashInput) heap.free(hashInput);
    hashInputCap = max(len + 2, 256);
    hashInput = heap.alloc(hashInputCap);
  }
  store<u8>(hashInput, NON_STRING_PREFIX);
  store<u8>(hashInput + 1, type);
  memory.copy(hashInput + 2, key, len);
  sha3_224(hashInput, len + 2, out);
}

/** Writes the 56 ASCII hex characters of a digest. */
export function digestName(digest: usize, out: usize): void {
  hexLower(digest, DIGEST_BYTES, out);
}

/** True when the bytes are a canonical key of this type (what the host encodes and a record must hold). */
export function keyIsCanonical(type: u8, key: usize, len: i32): bool {
  switch (type) {
    case KEY_STRING:
      return utf8Valid(key, len);
    case KEY_NUMBER: {
      if (len != 8) return false;
      const bits = load<u64>(key);
      if (bits == 0x8000000000000000) return false; // -0
      const isNaN = (bits & 0x7ff0000000000000) == 0x7ff0000000000000 && (bits & 0x000fffffffffffff) != 0;
      return !isNaN || bits == 0x7ff8000000000000;
    }
    case KEY_BIGINT: {
      if (len == 0) return false;
      let i = 0;
      if (load<u8>(key) == 0x2d) i = 1; // '-'
      if (i == len) return false;
      const first = load<u8>(key + i);
      if (first == 0x30) return len == 1; // "0" only, never "-0" or "01"
      for (; i < len; i++) {
        const c = load<u8>(key + i);
        if (c < 0x30 || c > 0x39) return false;
      }
      return true;
    }
    case KEY_BOOLEAN:
      return len == 1 && load<u8>(key) <= 1;
    case KEY_BYTES:
      return true;
    case KEY_QUEUE:
      return len == 16;
  }
  return false;
}

/** Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing past U+10FFFF. */
export function utf8Valid(p: usize, len: i32): bool {
  const end = p + len;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c < 0x80) {
      p++;
      continue;
    }
    let need: i32;
    let min: u32;
    let cp: u32;
    if ((c & 0xe0) == 0xc0) {
      need = 1;
      min = 0x80;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      need = 2;
      min = 0x800;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      need = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else return false;
    if (p + need >= end) return false; // truncated sequence
    for (let i = 1; i <= need; i++) {
      const cc = <u32>load<u8>(p + i);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += need + 1;
  }
  return true;
}
