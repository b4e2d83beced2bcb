// Reading and checking record files, and moving bad ones aside. A record is trusted only after
// validate(): layout, checksum, canonical key, and a name that is the digest of its key.
import * as host from '../host/imports';
import { keyDigest, DIGEST_BYTES } from '../format/key';
import { checkRecord, HEADER_BYTES, RECORD_OK, RECORD_WRONG_NAME, RECORD_NOT_FILE, RECORD_TOO_LARGE, MAX_RECORD_BYTES, recordKeyType, recordKeyLength, recordHoldsKey } from '../format/record';
import { nextBirth } from './handle';
import { asideBuf, asidePrefix, putHex } from './paths';
import { io, readWhole, openReading, readingFd, corrupt, fail, OP_RENAME, OP_OPEN, OP_READ, ST_OK, ST_MISSING, ST_IO } from './io';

const checkDigest: usize = heap.alloc(DIGEST_BYTES);

/** The record (header on) of the last get, claim or pop, in io. */
export let resultRecord: usize = 0;
export function setResult(record: usize): void {
  resultRecord = record;
}

/**
 * Validates the record in io[0, n) and that it belongs under this digest. `key` (keyLen bytes of
 * type keyType), when given, is what the digest was made from: a record holding that very key
 * belongs under it without digesting its key again (a SHA3 each get would make twice).
 */
export function validate(n: i32, digest: usize, key: usize = 0, keyType: u8 = 0, keyLen: i32 = 0): i32 {
  const check = checkRecord(io, n);
  if (check != RECORD_OK) return check;
  if (key != 0 && recordHoldsKey(io, keyType, key, keyLen)) return RECORD_OK;
  keyDigest(recordKeyType(io), io + HEADER_BYTES, recordKeyLength(io), checkDigest);
  return memory.compare(checkDigest, digest, DIGEST_BYTES) == 0 ? RECORD_OK : RECORD_WRONG_NAME;
}

/** Records quarantined by this handle since it opened: the host reports them. */
export let quarantinedCount: i32 = 0;

/**
 * Moves a bad record into .iodict/quarantine/<56 hex>.<stamp> (never deletes it); returns
 * ST_CORRUPT. A crash before the rename leaves the bad record where it was, to be found again.
 */
export function quarantine(path: usize, len: i32, digest: usize, detail: i32): i32 {
  quarantinedCount++;
  const asideLen = putHex(asideBuf, asidePrefix(asideBuf, 'quarantine', digest), nextBirth(<u64>host.now()), 16);
  const r = host.rename(path, len, asideBuf, asideLen);
  if (r < 0 && r != -host.ENOENT) return fail(OP_RENAME, r, asideBuf, asideLen);
  return corrupt(detail, path, len, asideBuf, asideLen);
}

/** Reads a record file into io: its length, or -errno (readWhole) without reading past a record's largest size. */
export function readRecordFile(path: usize, len: i32): i32 {
  return readWhole(path, len, <i32>MAX_RECORD_BYTES);
}

/**
 * What a failed read of a record file says about it: a RECORD_* code when the file is no record
 * at all (quarantined like a corrupt one), RECORD_OK when the read itself failed.
 */
export function notARecord(n: i32): i32 {
  if (n == -host.EFBIG) return RECORD_TOO_LARGE;
  // ELOOP: a link (never followed); EINVAL: a FIFO or device; EAGAIN: a FIFO with a writer;
  // EISDIR: a directory.
  if (n == -host.ELOOP || n == -host.EINVAL || n == -host.EAGAIN || n == -host.EISDIR) return RECORD_NOT_FILE;
  return RECORD_OK;
}

/**
 * Reads and validates the record at path (named by digest) into io (resultRecord): ST_OK,
 * ST_MISSING, ST_IO, or ST_CORRUPT after quarantining it.
 */
export function readRecordAt(path: usize, len: i32, digest: usize, key: usize = 0, keyType: u8 = 0, keyLen: i32 = 0): i32 {
  const n = readRecordFile(path, len);
  if (n == -host.ENOENT) return ST_MISSING;
  const check = n >= 0 ? validate(n, digest, key, keyType, keyLen) : notARecord(n);
  if (n < 0 && check == RECORD_OK) return ST_IO;
  if (check != RECORD_OK) return quarantine(path, len, digest, check);
  resultRecord = io;
  return ST_OK;
}

/** Reads the first `bytes` of a file into io: the count, or -errno (recorded unless ENOENT). */
export function readHead(path: usize, len: i32, bytes: i32): i32 {
  const n = openReading(path, len, host.O_READ, io, bytes);
  if (readingFd < 0) {
    if (n != -host.ENOENT) fail(OP_OPEN, n, path, len);
    return n;
  }
  host.close(readingFd);
  if (n < 0) fail(OP_READ, n, path, len);
  return n;
}

