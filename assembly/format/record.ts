// Record file layout (FORMAT.md section "Record"): one file holds one item, whole.
//
//   0  4  magic "iodr"
//   4  1  format version (1)
//   5  1  flags: bit 0 set = an expiry stamp follows the value (FLAG_EXPIRY); other bits 0
//   6  1  codec id (0 CBOR, 1 JSON, 128..255 user codecs)
//   7  1  key type (format/key.ts)
//   8  8  birth stamp: u64 microseconds since the Unix epoch
//  16  4  key length K
//  20  4  value length V
//  24  K  key bytes (canonical)
//  ..  V  value bytes
//  ..  8  expiry stamp (u64 µs since the Unix epoch), only when flag bit 0 is set
//  ..  4  CRC-32C of every byte before it
// All integers little-endian.
import { checksum } from '../crypto/checksum';
import { keyIsCanonical, KEY_TYPES } from './key';
import { checkValue } from './value';

export const RECORD_MAGIC: u32 = 0x72646f69; // "iodr" read as a little-endian u32
export const RECORD_VERSION: u8 = 1;
export const HEADER_BYTES: i32 = 24;
export const TRAILER_BYTES: i32 = 4;
export const OVERHEAD_BYTES: i32 = HEADER_BYTES + TRAILER_BYTES;
/** Flag bit 0: the record expires; its expiry stamp sits between the value and the checksum. */
export const FLAG_EXPIRY: u8 = 1;
export const EXPIRY_BYTES: i32 = 8;
// The format's limits (FORMAT.md 3.3): a key of at most 64 KiB, a value of at most 256 MiB.
// Bigger lengths in a header mean corruption; the host refuses to write them (RangeError).
export const MAX_KEY_BYTES: u32 = 1 << 16;
export const MAX_VALUE_BYTES: u32 = 1 << 28;
export const MAX_RECORD_BYTES: u32 = <u32>(OVERHEAD_BYTES + EXPIRY_BYTES) + MAX_KEY_BYTES + MAX_VALUE_BYTES;

// Validation results: 0 is valid, each failure its own code so messages can say what broke.
export const RECORD_OK: i32 = 0;
export const RECORD_TOO_SHORT: i32 = 1;
export const RECORD_BAD_MAGIC: i32 = 2;
export const RECORD_BAD_VERSION: i32 = 3;
export const RECORD_BAD_LENGTH: i32 = 4;
export const RECORD_BAD_CHECKSUM: i32 = 5;
export const RECORD_BAD_KEY: i32 = 6;
export const RECORD_WRONG_NAME: i32 = 7;
/** The value is not valid for its codec (format/value.ts says why). */
export const RECORD_BAD_VALUE: i32 = 8;
/** Found where a record belongs, but no regular file: a directory, symbolic link, FIFO or device. */
export const RECORD_NOT_FILE: i32 = 9;
/** Larger than any record can be (MAX_RECORD_BYTES): never read in. */
export const RECORD_TOO_LARGE: i32 = 10;

/**
 * Fills the header and checksum around key and value bytes already placed at rec+24 (and the
 * expiry stamp after the value when `expiry` is not 0: room for EXPIRY_BYTES more is needed).
 */
export function sealRecord(rec: usize, codec: u8, keyType: u8, birth: u64, keyLen: i32, valueLen: i32, expiry: u64 = 0): i32 {
  store<u32>(rec, RECORD_MAGIC);
  store<u8>(rec, RECORD_VERSION, 4);
  store<u8>(rec, expiry != 0 ? FLAG_EXPIRY : 0, 5);
  store<u8>(rec, codec, 6);
  store<u8>(rec, keyType, 7);
  store<u64>(rec, birth, 8);
  store<u32>(rec, keyLen, 16);
  store<u32>(rec, valueLen, 20);
  let body = HEADER_BYTES + keyLen + valueLen;
  if (expiry != 0) {
    store<u64>(rec + body, expiry);
    body += EXPIRY_BYTES;
  }
  store<u32>(rec + body, checksum(rec, body));
  return body + TRAILER_BYTES;
}

/** Checks everything but the name; the fields below are meaningful only after RECORD_OK. */
export function checkRecord(rec: usize, len: i32): i32 {
  if (len < OVERHEAD_BYTES) return RECORD_TOO_SHORT;
  if (load<u32>(rec) != RECORD_MAGIC) return RECORD_BAD_MAGIC;
  if (load<u8>(rec, 4) != RECORD_VERSION) return RECORD_BAD_VERSION;
  const keyLen = load<u32>(rec, 16);
  const valueLen = load<u32>(rec, 20);
  const flags = load<u8>(rec, 5);
  const extra: u64 = flags == FLAG_EXPIRY ? EXPIRY_BYTES : 0;
  if (keyLen > MAX_KEY_BYTES || valueLen > MAX_VALUE_BYTES || <u64>keyLen + valueLen + OVERHEAD_BYTES + extra != <u64>len)
    return RECORD_BAD_LENGTH;
  const body = len - TRAILER_BYTES;
  if (load<u32>(rec + body) != checksum(rec, body)) return RECORD_BAD_CHECKSUM;
  const keyType = load<u8>(rec, 7);
  if (keyType >= KEY_TYPES || (flags & ~FLAG_EXPIRY) != 0) return RECORD_BAD_KEY;
  if (!keyIsCanonical(keyType, rec + HEADER_BYTES, keyLen)) return RECORD_BAD_KEY;
  if (checkValue(load<u8>(rec, 6), rec + HEADER_BYTES + keyLen, valueLen) != 0) return RECORD_BAD_VALUE;
  return RECORD_OK;
}

export function recordCodec(rec: usize): u8 {
  return load<u8>(rec, 6);
}
export function recordKeyType(rec: usize): u8 {
  return load<u8>(rec, 7);
}
export function recordBirth(rec: usize): u64 {
  return load<u64>(rec, 8);
}
/** The birth stamp in a record header of which `n` bytes were read: 0 when short or no record's. */
export function headerBirth(head: usize, n: i32): u64 {
  return n == HEADER_BYTES && load<u32>(head) == RECORD_MAGIC ? recordBirth(head) : 0;
}
export function recordKeyLength(rec: usize): i32 {
  return load<u32>(rec, 16);
}
/** Whether the record at rec holds the key of this type at [key, key + keyLen). */
export function recordHoldsKey(rec: usize, keyType: u8, key: usize, keyLen: i32): bool {
  return recordKeyType(rec) == keyType && recordKeyLength(rec) == keyLen && memory.compare(rec + HEADER_BYTES, key, keyLen) == 0;
}
export function recordValueLength(rec: usize): i32 {
  return load<u32>(rec, 20);
}
/** Whether the record carries an expiry stamp (flag bit 0); the header alone tells. */
export function recordExpires(rec: usize): bool {
  return (load<u8>(rec, 5) & FLAG_EXPIRY) != 0;
}
/** The record's expiry stamp (µs since the Unix epoch), 0 when it never expires. */
export function recordExpiry(rec: usize): u64 {
  if (!recordExpires(rec)) return 0;
  return load<u64>(rec + HEADER_BYTES + recordKeyLength(rec) + recordValueLength(rec));
}
/** The whole record's length in bytes, as its header says. */
export function recordTotalLength(rec: usize): i32 {
  const extra = recordExpires(rec) ? EXPIRY_BYTES : 0;
  return OVERHEAD_BYTES + recordKeyLength(rec) + recordValueLength(rec) + extra;
}
