// The WASI build's entry: a reactor (call _initialize once) whose iodict_* exports let any
// WASI embedder (Rust, C, Go, JS) drive one store. docs/WASI.md is the reference; in short:
// bytes go in through iodict_buffer(), every call returns a status, results are read
// through getters. Everything here delegates to the core (store/, index.ts).
import * as db from './store/store';
import * as io from './store/io';
import * as verify from './store/verify';
import * as marker from './store/marker';
import * as records from './store/records';
import * as loader from './store/load';
import * as core from './index';
import { selectRoot } from './host/wasi';
import { EINVAL, ENOENT, ENOTDIR } from './host/imports';
import { indexKeyType, indexKey, indexKeyLength, indexBirth } from './index/ordered';
import { keyIsCanonical, KEY_TYPES, NAME_CHARS } from './format/key';
import {
  HEADER_BYTES, OVERHEAD_BYTES, recordKeyType, recordKeyLength, recordValueLength, recordCodec,
  recordBirth, MAX_KEY_BYTES, MAX_VALUE_BYTES,
} from './format/record';
import { checkValue } from './format/value';
import { hexLower } from './crypto/sha3';
import { resize, GrowableBuffer } from './util/memory';

// Statuses 0-5 are the core's (store/io.ts); these are the interface's own.
const ST_OK = io.ST_OK;
const ST_MISSING = io.ST_MISSING;
const ST_CLOSED: i32 = 6; // no store open (or only inspected, for calls that need it open)
const ST_BAD_KEY: i32 = 7; // unknown key type, or bytes not canonical for it (FORMAT.md 3.1)
const ST_BAD_VALUE: i32 = 8; // a value its codec does not accept (FORMAT.md section 4), or a reserved codec
const ST_NO_ROOT: i32 = 9; // no preopened directory matches the name
const ST_BAD_ARGUMENT: i32 = 10; // lengths beyond the buffer, unknown flags, a name with . or ..

// iodict_open flags.
const IODICT_FSYNC: i32 = 1; // durability 'fsync'
const IODICT_INSPECT: i32 = 2; // check the format marker only: verify works, nothing is created or moved

const CLOSED: i32 = 0;
const INSPECTED: i32 = 1;
const OPEN: i32 = 2;
let state = CLOSED;

// The input buffer: the core's record buffer, past its header, so a set copies nothing.
let buffer: usize = 0;
let bufferBytes: u32 = 0;

// The largest key followed by the largest value (FORMAT.md 3.3).
const MAX_INPUT: u32 = MAX_KEY_BYTES + MAX_VALUE_BYTES;

/** Room for `bytes` bytes of input (a name, a key, or a key followed by its value); 0 past the format's limits. */
export function iodict_buffer(bytes: u32): usize {
  if (bytes > MAX_INPUT) return 0;
  buffer = db.reserve(<i32>bytes + OVERHEAD_BYTES) + HEADER_BYTES;
  bufferBytes = bytes;
  return buffer;
}

/**
 * Opens the store in the preopened directory named by the first nameLen bytes of the buffer
 * (0: the first preopen that is not "/"; a name below a preopen: that subdirectory, created
 * when missing). Creates the store in an empty directory, as every iodict does.
 */
export function iodict_open(nameLen: i32, flags: i32): i32 {
  const unknownFlags = flags & ~(IODICT_FSYNC | IODICT_INSPECT);
  if (nameLen < 0 || <u32>nameLen > bufferBytes || unknownFlags != 0) return ST_BAD_ARGUMENT;
  iodict_close();
  const chosen = selectRoot(buffer, nameLen);
  if (chosen < 0) {
    io.fail(io.OP_OPEN, chosen, buffer, 0);
    return chosen == -EINVAL ? ST_BAD_ARGUMENT : ST_NO_ROOT;
  }
  if (flags & IODICT_INSPECT) {
    const status = inspect();
    if (status == ST_OK) state = INSPECTED;
    return status;
  }
  const status = db.open((flags & IODICT_FSYNC ? db.OPEN_FSYNC : 0) | db.OPEN_XATTRS_OFF, 0, 0);
  if (status != ST_OK) {
    db.close();
    return status;
  }
  state = OPEN;
  return ST_OK;
}

/** Whether the root holds a store this build reads, from its format marker alone. */
function inspect(): i32 {
  const n = marker.readMarker();
  if (n == -ENOENT || n == -ENOTDIR) return io.ST_NOT_STORE;
  if (n < 0) return io.ST_IO;
  return marker.checkFormat(n);
}

export function iodict_close(): void {
  if (state == OPEN) db.close();
  state = CLOSED;
}

/** Checks a key (and value length) the caller placed in the buffer. */
function checkArgs(keyType: i32, keyLen: i32, valueLen: i32): i32 {
  if (state != OPEN) return ST_CLOSED;
  if (keyLen < 0 || valueLen < 0 || <u64>keyLen + <u64>valueLen > <u64>bufferBytes) return ST_BAD_ARGUMENT;
  if (keyType < 0 || keyType >= <i32>KEY_TYPES || !keyIsCanonical(<u8>keyType, buffer, keyLen)) return ST_BAD_KEY;
  return ST_OK;
}

// ---- results ---------------------------------------------------------------------------------

let resultKeyType: i32 = 0;
let resultKey: usize = 0;
let resultKeyLen: i32 = 0;
let resultValue: usize = 0;
let resultValueLen: i32 = 0;
let resultCodec: i32 = 0;
let resultBirth: u64 = 0;

function resultFromRecord(rec: usize): void {
  resultKeyType = recordKeyType(rec);
  resultKey = rec + HEADER_BYTES;
  resultKeyLen = recordKeyLength(rec);
  resultValue = rec + HEADER_BYTES + resultKeyLen;
  resultValueLen = recordValueLength(rec);
  resultCodec = recordCodec(rec);
  resultBirth = recordBirth(rec);
}

export function iodict_key_type(): i32 {
  return resultKeyType;
}
export function iodict_key_ptr(): usize {
  return resultKey;
}
export function iodict_key_len(): i32 {
  return resultKeyLen;
}
export function iodict_value_ptr(): usize {
  return resultValue;
}
export function iodict_value_len(): i32 {
  return resultValueLen;
}
export function iodict_codec(): i32 {
  return resultCodec;
}
/** Birth stamp, microseconds since the Unix epoch. */
export function iodict_birth(): u64 {
  return resultBirth;
}

// Output bytes: diagnostic text, the name of a verified file, an export.
let output: usize = 0;
let outputLen: i32 = 0;
const outBuf = new GrowableBuffer(4096);

function outReserve(more: i32): usize {
  return outBuf.room(outputLen, more);
}

export function iodict_output_ptr(): usize {
  return output;
}
export function iodict_output_len(): i32 {
  return outputLen;
}

// ---- operations ------------------------------------------------------------------------------

/** Reads a key's record: ST_OK (result getters hold it) or ST_MISSING. */
export function iodict_get(keyType: i32, keyLen: i32): i32 {
  const checked = checkArgs(keyType, keyLen, 0);
  if (checked != ST_OK) return checked;
  const status = db.get(<u8>keyType, keyLen);
  if (status == ST_OK) resultFromRecord(records.resultRecord);
  return status;
}

/** Writes key and value (the value right after the key in the buffer) with a codec id (0 CBOR, 1 JSON, 128-255 yours). */
export function iodict_set(keyType: i32, keyLen: i32, valueLen: i32, codec: i32): i32 {
  const checked = checkArgs(keyType, keyLen, valueLen);
  if (checked != ST_OK) return checked;
  if (codec < 0 || codec > 255 || <u32>keyLen > MAX_KEY_BYTES || <u32>valueLen > MAX_VALUE_BYTES) return ST_BAD_ARGUMENT;
  const value = buffer + keyLen;
  if (checkValue(<u8>codec, value, valueLen) != 0) return ST_BAD_VALUE;
  return db.set(<u8>keyType, keyLen, valueLen, <u8>codec);
}

/** ST_OK when the key was removed, ST_MISSING when it was not there. */
export function iodict_delete(keyType: i32, keyLen: i32): i32 {
  const checked = checkArgs(keyType, keyLen, 0);
  if (checked != ST_OK) return checked;
  return db.remove(<u8>keyType, keyLen);
}

/**
 * The value of a key in RFC 8949 diagnostic notation (UTF-8, in the output). CBOR values are
 * rendered; JSON text already is diagnostic notation; other codecs show their bytes as h'..'.
 */
export function iodict_diag(keyType: i32, keyLen: i32): i32 {
  const status = iodict_get(keyType, keyLen);
  if (status != ST_OK) return status;
  outputLen = 0;
  if (resultCodec == 0) {
    output = verify.diagOf(records.resultRecord);
    outputLen = verify.diagLength;
  } else if (resultCodec == 1) {
    output = resultValue;
    outputLen = resultValueLen;
  } else {
    const at = outReserve(resultValueLen * 2 + 3);
    store<u16>(at, 0x2768); // "h'"
    hexLower(resultValue, resultValueLen, at + 2);
    store<u8>(at + 2 + resultValueLen * 2, 0x27);
    output = outBuf.ptr;
    outputLen = resultValueLen * 2 + 3;
  }
  return ST_OK;
}

// A listing: a copy of the keys, so reads and writes between iodict_list and iodict_list_key
// cannot change what it holds. Per key: type (u8), length (u32), birth (u64), bytes.
let listBuf: usize = 0;
let listCap: i32 = 0;
let listOffsets: usize = 0;
let listCount: i32 = 0;

/** Brings the index up to date and snapshots its keys in birth order; returns their count, or -status. */
export function iodict_list(): i32 {
  if (state != OPEN) return -ST_CLOSED;
  const synced = db.sync();
  loader.clearEvents(); // the events are for hosts that cache decoded keys
  if (synced != ST_OK) return -synced;
  const n = <i32>core.order();
  const slots = core.orderPtr();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += 13 + indexKeyLength(load<u32>(slots + (<usize>i << 2)));
  if (bytes > listCap) {
    listCap = bytes;
    listBuf = resize(listBuf, listCap);
  }
  listOffsets = resize(listOffsets, <usize>max(n, 1) << 2);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const slot = load<u32>(slots + (<usize>i << 2));
    const len = indexKeyLength(slot);
    store<u32>(listOffsets + (<usize>i << 2), at);
    store<u8>(listBuf + at, indexKeyType(slot));
    store<u32>(listBuf + at + 1, len);
    store<u64>(listBuf + at + 5, indexBirth(slot));
    memory.copy(listBuf + at + 13, indexKey(slot), len);
    at += 13 + len;
  }
  listCount = n;
  return n;
}

/** Puts the i-th listed key in the result getters (key type, key, birth; no value). */
export function iodict_list_key(i: i32): i32 {
  if (i < 0 || i >= listCount) return ST_MISSING;
  const e = listBuf + load<u32>(listOffsets + (<usize>i << 2));
  resultKeyType = load<u8>(e);
  resultKeyLen = load<u32>(e + 1);
  resultBirth = load<u64>(e + 5);
  resultKey = e + 13;
  resultValue = 0;
  resultValueLen = 0;
  resultCodec = -1;
  return ST_OK;
}

/**
 * Every item, oldest first, as a CBOR sequence (RFC 8742) in the output: per item the array
 * [key type, key (bytes), birth (µs), codec, value (bytes)]. Returns the item count, or -status.
 */
export function iodict_export(): i32 {
  const n = iodict_list();
  if (n < 0) return n;
  outputLen = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    iodict_list_key(i);
    memory.copy(iodict_buffer(resultKeyLen), resultKey, resultKeyLen);
    const status = db.get(<u8>resultKeyType, resultKeyLen);
    if (status == ST_MISSING) continue; // deleted by another handle since the listing
    if (status != ST_OK) return -status;
    resultFromRecord(records.resultRecord);
    putHead(4, 5);
    putHead(0, resultKeyType);
    putBytes(resultKey, resultKeyLen);
    putHead(0, resultBirth);
    putHead(0, resultCodec);
    putBytes(resultValue, resultValueLen);
    count++;
  }
  output = outBuf.ptr;
  return count;
}

function putHead(major: u32, arg: u64): void {
  const at = outReserve(9);
  const m = <u8>(major << 5);
  if (arg < 24) {
    store<u8>(at, m | <u8>arg);
    outputLen += 1;
  } else if (arg <= 0xff) {
    store<u8>(at, m | 24);
    store<u8>(at + 1, <u8>arg);
    outputLen += 2;
  } else if (arg <= 0xffff) {
    store<u8>(at, m | 25);
    store<u16>(at + 1, bswap<u16>(<u16>arg));
    outputLen += 3;
  } else if (arg <= 0xffffffff) {
    store<u8>(at, m | 26);
    store<u32>(at + 1, bswap<u32>(<u32>arg));
    outputLen += 5;
  } else {
    store<u8>(at, m | 27);
    store<u64>(at + 1, bswap<u64>(arg));
    outputLen += 9;
  }
}

function putBytes(ptr: usize, len: i32): void {
  putHead(2, <u64>len);
  memory.copy(outReserve(len), ptr, len);
  outputLen += len;
}

// ---- verification ----------------------------------------------------------------------------

/** Lists the store's record files for iodict_verify_next (the store need only be inspected). */
export function iodict_verify_begin(): i32 {
  if (state == CLOSED) return ST_CLOSED;
  return verify.verifyBegin();
}

/**
 * Checks the next record file; its name is the output. Returns -1 when done, 0 for a valid
 * record, 1-7 for a record problem (FORMAT.md 3.3 and docs/WASI.md), 100 for a CBOR value that
 * is not well-formed, 1000 + errno when the file could not be read. Reports, never moves.
 */
export function iodict_verify_next(): i32 {
  if (state == CLOSED) return -1;
  while (true) {
    const r = verify.verifyNext();
    if (r == verify.VERIFY_GONE) continue; // taken by another handle: not a fault
    if (r == verify.VERIFY_DONE) return -1;
    output = verify.currentName;
    outputLen = NAME_CHARS;
    return r <= -1000 ? 1000 - (r + 1000) : r;
  }
}

// ---- what went wrong -------------------------------------------------------------------------

/** The failed operation (1 open, 2 read, 3 write, 4 rename, 5 unlink, 6 mkdir, 7 readdir, 8 fsync, 9 stat, 11 lock). */
export function iodict_error_op(): i32 {
  return io.errorOp;
}
/** Its errno, in Linux numbering whatever the runtime reported (the table in assembly/host/imports.ts). */
export function iodict_errno(): i32 {
  return io.errorCode;
}
/** For ST_CORRUPT: the record problem (1-7). */
export function iodict_error_detail(): i32 {
  return io.errorDetail;
}
/** The store-relative path it failed on. */
export function iodict_error_path_ptr(): usize {
  return io.errorPath;
}
export function iodict_error_path_len(): i32 {
  return io.errorPathLength;
}
/** For ST_CORRUPT: where the record was moved (store-relative, under .iodict/quarantine/). */
export function iodict_aside_path_ptr(): usize {
  return io.asidePathBuf;
}
export function iodict_aside_path_len(): i32 {
  return io.asidePathLength;
}
/** Records this instance moved to quarantine: met in passing (opening, listing), or reported as ST_CORRUPT. */
export function iodict_quarantined(): i32 {
  return records.quarantinedCount;
}
