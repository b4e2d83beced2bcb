// The change journal (.iodict/changes): an append-only file of 64-byte entries that tells
// every handle which records other handles changed, so each keeps its index coherent at a
// cost proportional to the changes, never to the store. Entries are hints: whoever applies
// one checks the record itself, so a duplicated or reordered entry is harmless.
//
//   0  4  magic "iodj"
//   4  1  kind (JOURNAL_BEGIN, JOURNAL_SET, JOURNAL_DELETE, JOURNAL_SEALED)
//   5  3  zero
//   8  4  writer id (the handle that wrote it)
//  12  4  zero
//  16  8  birth stamp (SET), journal id (BEGIN), 0 (DELETE)
//  24 28  record digest (zero for BEGIN)
//  52  8  zero
//  60  4  CRC-32C of bytes 0..59
// Entries are 64 bytes and the file only grows by whole entries, so no entry straddles a
// page: a reader racing a writer sees all of an entry or none of it.
import { crc32c } from '../crypto/crc32c';
import { DIGEST_BYTES } from '../format/key';

export const ENTRY_BYTES: i32 = 64;
export const JOURNAL_MAGIC: u32 = 0x6a646f69; // "iodj"
export const JOURNAL_BEGIN: u8 = 1;
export const JOURNAL_SET: u8 = 2;
export const JOURNAL_DELETE: u8 = 3;
export const JOURNAL_SEALED: u8 = 4; // the last entry a rotator writes to the journal it replaced

export function writeEntry(out: usize, kind: u8, writer: u32, stamp: u64, digest: usize): void {
  memory.fill(out, 0, ENTRY_BYTES);
  store<u32>(out, JOURNAL_MAGIC);
  store<u8>(out, kind, 4);
  store<u32>(out, writer, 8);
  store<u64>(out, stamp, 16);
  if (digest) memory.copy(out + 24, digest, DIGEST_BYTES);
  store<u32>(out, crc32c(out, 60), 60);
}

export function entryValid(e: usize): bool {
  return load<u32>(e) == JOURNAL_MAGIC && load<u32>(e, 60) == crc32c(e, 60);
}
export function entryKind(e: usize): u8 {
  return load<u8>(e, 4);
}
export function entryWriter(e: usize): u32 {
  return load<u32>(e, 8);
}
export function entryStamp(e: usize): u64 {
  return load<u64>(e, 16);
}
export function entryDigest(e: usize): usize {
  return e + 24;
}
