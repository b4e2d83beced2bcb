// Verification: every record file of a store, checked one at a time, for `iodict verify`,
// `repair` and the WASI build's embedders: exactly what a read checks, value included.
import * as host from '../host/imports';
import { NAME_CHARS } from '../format/key';
import { recordKeyLength, recordValueLength, HEADER_BYTES, RECORD_OK } from '../format/record';
import { cborDiag } from '../format/cbor';
import { parseRecordName, pathA } from './paths';
import { io, listDir, ST_OK, ST_IO } from './io';
import { validate, quarantine, readRecordFile, notARecord } from './records';

/** The file vanished between the listing and the check (another handle took it): not a fault. */
export const VERIFY_GONE: i32 = -2;
export const VERIFY_DONE: i32 = -1;

let listing: usize = 0;
let listingLen: i32 = 0;
let cursor: i32 = 0;
const digest: usize = heap.alloc(32);
export const currentName: usize = heap.alloc(NAME_CHARS);
export let currentLength: i32 = 0; // bytes of the current record, in io

/** Lists the store root; returns ST_OK (then call verifyNext until VERIFY_DONE) or ST_IO. */
export function verifyBegin(): i32 {
  const n = listDir(pathA, 0);
  if (n < 0) return ST_IO;
  if (listing) heap.free(listing);
  listing = heap.alloc(max(n, 1));
  memory.copy(listing, io, n);
  listingLen = n;
  cursor = 0;
  return ST_OK;
}

/**
 * Checks the next record: returns RECORD_OK (0), a RECORD_* problem, VERIFY_GONE, VERIFY_DONE
 * when every record was seen, or -1000 - errno for an I/O error (details in errorPath). The
 * record's name is at currentName; a valid record stays in io.
 */
export function verifyNext(): i32 {
  while (cursor < listingLen) {
    let end = cursor;
    while (end < listingLen && load<u8>(listing + end) != 0) end++;
    const name = listing + cursor;
    const len = end - cursor;
    cursor = end + 1;
    if (!parseRecordName(name, len, digest)) continue;
    memory.copy(currentName, name, NAME_CHARS);
    memory.copy(pathA, name, NAME_CHARS);
    const n = readRecordFile(pathA, NAME_CHARS);
    if (n == -host.ENOENT) return VERIFY_GONE;
    const check = n >= 0 ? validate(n, digest) : notARecord(n);
    if (n < 0 && check == RECORD_OK) return -1000 + n; // an I/O error: errno in the low digits, details in errorPath
    currentLength = max(n, 0);
    return check;
  }
  return VERIFY_DONE;
}

/** Moves the current record into quarantine (for repair). */
export function verifyQuarantine(detail: i32): i32 {
  memory.copy(pathA, currentName, NAME_CHARS);
  parseRecordName(currentName, NAME_CHARS, digest);
  return quarantine(pathA, NAME_CHARS, digest, detail);
}

// Diagnostic notation of the record in io (the last verified or read one), as UTF-8.
let diagBuf: usize = 0;
export let diagLength: i32 = 0;

/** RFC 8949 diagnostic notation of the value of the record at rec; returns a pointer (length in diagLength). */
export function diagOf(rec: usize): usize {
  const text = cborDiag(rec + HEADER_BYTES + recordKeyLength(rec), recordValueLength(rec));
  const utf8 = String.UTF8.encode(text);
  diagLength = utf8.byteLength;
  if (diagBuf) heap.free(diagBuf);
  diagBuf = heap.alloc(max(diagLength, 1));
  memory.copy(diagBuf, changetype<usize>(utf8), diagLength);
  return diagBuf;
}
