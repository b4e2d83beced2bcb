// The index cache (.iodict/index): a snapshot of the ordered index so a cold open need not
// read every record. It is only a cache: it names the journal it was taken against and the
// offset it covers; a missing, stale or damaged one is rebuilt from the records.
//
//   0  4  magic "iodx"
//   4  1  version (2; version 1 entries had no expiry and length: a version 1 cache is rebuilt)
//   5  3  zero
//   8  8  journal id
//  16  8  journal offset covered (u64)
//  24  4  entry count N
//  28  4  zero
//  32 ..  N entries: digest (28), birth (u64), key type (u8), key length (u32), expiry stamp
//         (u64, 0: none), record length (u32), key bytes
//  ..  4  CRC-32C of every byte before it
import { checksum } from '../crypto/checksum';
import { DIGEST_BYTES, KEY_TYPES, keyIsCanonical } from '../format/key';
import { MAX_KEY_BYTES } from '../format/record';
import {
  indexSize, indexOrder, indexDigest, indexBirth, indexKeyType, indexKeyLength, indexKey, indexExpiry, indexRecordLength,
} from '../index/ordered';

export const CACHE_MAGIC: u32 = 0x78646f69; // "iodx"
export const CACHE_HEADER: i32 = 32;
export const CACHE_VERSION: u8 = 2;
const ENTRY_FIXED: i32 = DIGEST_BYTES + 8 + 1 + 4 + 8 + 4;
/** The smallest and the largest entry (a key of MAX_KEY_BYTES). */
export const CACHE_ENTRY_MIN: i32 = ENTRY_FIXED;
export const CACHE_ENTRY_MAX: i32 = ENTRY_FIXED + <i32>MAX_KEY_BYTES;

/** Serializes the index into a fresh heap buffer; returns its pointer, length in cacheLength. */
export let cacheLength: i32 = 0;
export function buildCache(journalId: u64, journalOffset: u64): usize {
  const n = indexSize();
  const order = heap.alloc(<usize>max<u32>(n, 1) << 2);
  indexOrder(order);
  let bytes: usize = CACHE_HEADER + 4;
  for (let i: u32 = 0; i < n; i++) bytes += ENTRY_FIXED + indexKeyLength(load<u32>(order + (<usize>i << 2)));
  const out = heap.alloc(bytes);
  memory.fill(out, 0, CACHE_HEADER);
  store<u32>(out, CACHE_MAGIC);
  store<u8>(out, CACHE_VERSION, 4);
  store<u64>(out, journalId, 8);
  store<u64>(out, journalOffset, 16);
  store<u32>(out, n, 24);
  let at = out + CACHE_HEADER;
  for (let i: u32 = 0; i < n; i++) {
    const s = load<u32>(order + (<usize>i << 2));
    memory.copy(at, indexDigest(s), DIGEST_BYTES);
    store<u64>(at, indexBirth(s), DIGEST_BYTES);
    store<u8>(at, indexKeyType(s), DIGEST_BYTES + 8);
    const keyLen = indexKeyLength(s);
    store<u32>(at, keyLen, DIGEST_BYTES + 9);
    store<u64>(at, indexExpiry(s), DIGEST_BYTES + 13);
    store<u32>(at, indexRecordLength(s), DIGEST_BYTES + 21);
    memory.copy(at + ENTRY_FIXED, indexKey(s), keyLen);
    at += ENTRY_FIXED + keyLen;
  }
  store<u32>(at, checksum(out, at - out));
  heap.free(order);
  cacheLength = <i32>bytes;
  return out;
}

/** True when the header at buf is a cache of this version taken against this journal. */
export function cacheHeaderMatches(buf: usize, journalId: u64): bool {
  return load<u32>(buf) == CACHE_MAGIC && load<u8>(buf, 4) == CACHE_VERSION && load<u64>(buf, 8) == journalId;
}

/** Whether a file of `size` bytes can hold `count` entries (each of CACHE_ENTRY_MIN to CACHE_ENTRY_MAX bytes). */
export function cacheSizeFits(size: u64, count: u32): bool {
  if (size < <u64>(CACHE_HEADER + 4)) return false;
  const body = size - <u64>(CACHE_HEADER + 4);
  return body >= <u64>count * CACHE_ENTRY_MIN && body <= <u64>count * CACHE_ENTRY_MAX;
}

/** The whole length of the entry whose fixed part is at e; 0 when its key length is over MAX_KEY_BYTES. */
export function cacheEntryLength(e: usize): i32 {
  const keyLen = load<u32>(e, DIGEST_BYTES + 9);
  return keyLen > MAX_KEY_BYTES ? 0 : ENTRY_FIXED + <i32>keyLen;
}

/** The entry's key is one a record could hold (a known type, canonical bytes): the host can always decode it. */
export function cacheEntryKeyValid(e: usize): bool {
  const keyType = cacheEntryKeyType(e);
  return keyType < KEY_TYPES && keyIsCanonical(keyType, cacheEntryKey(e), cacheEntryKeyLength(e));
}

export function cacheOffset(buf: usize): u64 {
  return load<u64>(buf, 16);
}
export function cacheCount(buf: usize): u32 {
  return load<u32>(buf, 24);
}
export function cacheEntryBirth(e: usize): u64 {
  return load<u64>(e, DIGEST_BYTES);
}
export function cacheEntryKeyType(e: usize): u8 {
  return load<u8>(e, DIGEST_BYTES + 8);
}
export function cacheEntryKeyLength(e: usize): i32 {
  return load<u32>(e, DIGEST_BYTES + 9);
}
export function cacheEntryKey(e: usize): usize {
  return e + ENTRY_FIXED;
}
export function cacheEntryExpiry(e: usize): u64 {
  return load<u64>(e, DIGEST_BYTES + 13);
}
export function cacheEntryRecordLength(e: usize): u32 {
  return load<u32>(e, DIGEST_BYTES + 21);
}
