// KEY entries (FORMAT.md 8, kind 6): the key of a SET or DELETE, in up to KEY_ENTRIES_MAX entries
// right after it, appended in the same write. A DELETE names only a digest, and by the time a
// change-feed reader gets to an entry the record may be gone: these let it name the key. The
// SET or DELETE says how many follow (byte 6). Readers that predate them ignore unknown kinds.
//
//   0  4  magic "iodj"
//   4  1  kind 6 (KEY)
//   5  1  key type
//   6  1  this chunk's number (0, 1, ...)
//   7  1  zero
//   8  4  writer id
//  12  4  the key's whole length
//  16 44  key bytes (this chunk; the last one zero-padded)
//  60  4  CRC-32C of bytes 0..59
import { crc32c } from '../crypto/crc32c';
import { ENTRY_BYTES, JOURNAL_MAGIC, entryValid } from './journal';

export const JOURNAL_KEY: u8 = 6;
export const KEY_CHUNK: i32 = 44;
export const KEY_ENTRIES_MAX: i32 = 4; // keys up to 176 bytes are carried; longer ones are not
export const KEY_CARRIED_MAX: i32 = KEY_CHUNK * KEY_ENTRIES_MAX;

/** Writes the KEY entries of a key after the entry at `out`; returns how many (0: too long to carry). */
export function writeKeyEntries(out: usize, writer: u32, keyType: u8, key: usize, keyLen: i32): i32 {
  if (keyLen > KEY_CARRIED_MAX) return 0;
  const count = max(1, (keyLen + KEY_CHUNK - 1) / KEY_CHUNK);
  for (let i = 0; i < count; i++) {
    const e = out + <usize>(i + 1) * ENTRY_BYTES;
    memory.fill(e, 0, ENTRY_BYTES);
    store<u32>(e, JOURNAL_MAGIC);
    store<u8>(e, JOURNAL_KEY, 4);
    store<u8>(e, keyType, 5);
    store<u8>(e, <u8>i, 6);
    store<u32>(e, writer, 8);
    store<u32>(e, keyLen, 12);
    const chunk = min(KEY_CHUNK, keyLen - i * KEY_CHUNK);
    memory.copy(e + 16, key + <usize>i * KEY_CHUNK, chunk);
    store<u32>(e, crc32c(e, 60), 60);
  }
  store<u8>(out, <u8>count, 6);
  store<u32>(out, crc32c(out, 60), 60);
  return count;
}

/** How many KEY entries the SET or DELETE entry at e says follow it. */
export function keyEntriesAfter(e: usize): i32 {
  const n = <i32>load<u8>(e, 6);
  return n <= KEY_ENTRIES_MAX ? n : 0;
}

/** Whether e is chunk `i` of a key of `keyLen` bytes (else the key is not carried after all). */
export function isKeyEntry(e: usize, i: i32, keyLen: i32): bool {
  return load<u8>(e, 4) == JOURNAL_KEY && <i32>load<u8>(e, 6) == i && (i == 0 || <i32>load<u32>(e, 12) == keyLen);
}
export function keyEntryType(e: usize): u8 {
  return load<u8>(e, 5);
}
export function keyEntryLength(e: usize): i32 {
  return <i32>load<u32>(e, 12);
}

/**
 * The key the `n` KEY entries at k carry, copied to out (KEY_CARRIED_MAX bytes of room): its
 * length, or -1 when they do not hold all of it (fewer chunks, or one damaged).
 */
export function carriedKey(k: usize, n: i32, out: usize): i32 {
  const keyLen = keyEntryLength(k);
  const chunks = (keyLen + KEY_CHUNK - 1) / KEY_CHUNK; // a crafted entry may say more follow than it needs
  if (n < 1 || keyLen > KEY_CARRIED_MAX || chunks > n) return -1;
  for (let i = 0; i < n; i++) {
    const e = k + <usize>i * ENTRY_BYTES;
    if (!entryValid(e) || !isKeyEntry(e, i, keyLen)) return -1;
  }
  for (let i = 0; i < chunks; i++) {
    memory.copy(out + <usize>i * KEY_CHUNK, k + <usize>i * ENTRY_BYTES + 16, min(KEY_CHUNK, keyLen - i * KEY_CHUNK));
  }
  return keyLen;
}
