// Reading and checking record files, and moving bad ones aside. A record is trusted only after
// validate(): layout, checksum, canonical key, and a name that is the digest of its key.
import * as host from '../host/imports';
import { keyDigest, DIGEST_BYTES } from '../format/key';
import { checkRecord, HEADER_BYTES, RECORD_OK, RECORD_WRONG_NAME, recordKeyType, recordKeyLength } from '../format/record';
import { nextBirth } from './handle';
import { asideBuf, asidePrefix, putHex } from './paths';
import { io, readWhole, corrupt, fail, OP_RENAME, OP_OPEN, OP_READ, ST_OK, ST_MISSING, ST_IO } from './io';

const checkDigest: usize = heap.alloc(DIGEST_BYTES);

/** The record (header on) of the last get, claim or pop, in io. */
export let resultRecord: usize = 0;
export function setResult(record: usize): void {
  resultRecord = record;
}

/** Validates the record in io[0, n) and that it belongs under this digest. */
export function validate(n: i32, digest: usize): i32 {
  const check = checkRecord(io, n);
  if (check != RECORD_OK) return check;
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

/**
 * Reads and validates the record at path (named by digest) into io (resultRecord): ST_OK,
 * ST_MISSING, ST_IO, or ST_CORRUPT after quarantining it.
 */
export function readRecordAt(path: usize, len: i32, digest: usize): i32 {
  const n = readWhole(path, len);
  if (n == -host.ENOENT) return ST_MISSING;
  if (n < 0) return ST_IO;
  const check = validate(n, digest);
  if (check != RECORD_OK) return quarantine(path, len, digest, check);
  resultRecord = io;
  return ST_OK;
}

/** Reads the first `bytes` of a file into io: the count, or -errno (recorded unless ENOENT). */
export function readHead(path: usize, len: i32, bytes: i32): i32 {
  const fd = host.open(path, len, host.O_READ);
  if (fd < 0) {
    if (fd != -host.ENOENT) fail(OP_OPEN, fd, path, len);
    return fd;
  }
  const n = host.read(fd, io, bytes, 0);
  host.close(fd);
  if (n < 0) fail(OP_READ, n, path, len);
  return n;
}

