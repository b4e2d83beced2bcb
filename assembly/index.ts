// The core's exports: what a host calls. Bytes cross through memory at reserve() and at
// the pointers the getters return; re-read memory.buffer after any call (memory can grow).
import { resize } from './util/memory';
import * as store from './store/store';
import * as io from './store/io';
import * as verify from './store/verify';
import * as journal from './store/journal';
import * as lock from './store/lock';
import {
  indexSize, indexOrder, indexBirth, indexKeyType, indexKeyLength, indexKey, indexBytes,
  indexPackKeys, packedKeys, indexDigest, indexExpiry, indexChanges, indexExpiring,
} from './index/ordered';
import {
  HEADER_BYTES, checkRecord, recordKeyLength, recordValueLength, recordCodec, recordKeyType, recordBirth, recordExpiry,
  MAX_KEY_BYTES, MAX_VALUE_BYTES,
} from './format/record';
import * as value from './format/value';
import * as expiry from './store/expiry';
import * as limits from './store/limits';
import * as watch from './store/watch';

export {
  ST_OK, ST_MISSING, ST_CORRUPT, ST_NOT_STORE, ST_NEWER_FORMAT, ST_IO,
} from './store/io';
import * as claims from './store/claims';
import * as records from './store/records';
import * as load from './store/load';
export {
  OPEN_FSYNC, OPEN_XATTRS_OFF, OPEN_XATTRS_ON, OPEN_XATTRS_AUTO, OPEN_KIND_DICT, OPEN_KIND_QUEUE, CLAIM_DELETE, CLAIM_KEEP,
  SETTLE_ACK, SETTLE_RELEASE, SETTLE_QUARANTINE, SETTLE_RENEW,
} from './store/store';

/** Opens the store at the host's root; leaseMs and rotateAfter 0 take the defaults (FORMAT.md). */
export function open(flags: i32, leaseMs: f64, rotateAfter: f64): i32 {
  return store.open(flags, leaseMs, rotateAfter);
}
export function close(): void {
  store.close();
}
/** Room for a record of this many bytes; the host writes key then value at the pointer + 24. */
export function reserve(bytes: i32): usize {
  return store.reserve(bytes);
}
/** A value its codec does not accept, or a key or value beyond the format's limits: nothing written. */
export const ST_BAD_VALUE: i32 = 8; // the WASI interface's number for the same refusal
/** Nothing is written that a reader would refuse (FORMAT.md 3.3 and section 4); a refused write drops its expiry too. */
function refused(keyLen: i32, valueLen: i32, codec: u8): bool {
  const bad = <u32>keyLen > MAX_KEY_BYTES || <u32>valueLen > MAX_VALUE_BYTES ||
    value.checkValue(codec, store.reservedRecord() + HEADER_BYTES + keyLen, valueLen) != value.VALUE_OK;
  if (bad) expiry.setNextExpiry(0);
  return bad;
}
/**
 * Writes the record; with limits set (setLimits), evicts the oldest items past them. A failed
 * eviction does not fail the set, which stands: takeEvictionFailure() tells the host.
 */
export function set(keyType: u8, keyLen: i32, valueLen: i32, codec: u8): i32 {
  if (refused(keyLen, valueLen, codec)) return ST_BAD_VALUE;
  const status = store.set(keyType, keyLen, valueLen, codec);
  expiry.setNextExpiry(0);
  if (status == io.ST_OK) limits.evictPastLimits(store.digestBuf);
  return status;
}
export { takeEvictionFailure } from './store/limits';
/** The expiry stamp (µs since the epoch) the next set gives its record. */
export function setNextExpiry(us: f64): void {
  expiry.setNextExpiry(<u64>us);
}
/** The clock expiry is judged by (µs since the epoch); 0: the host's real-time clock. */
export function setClock(us: f64): void {
  expiry.setClock(<u64>us);
}
/** maxItems and maxBytes; 0 for none. */
export function setLimits(items: f64, bytes: f64): void {
  limits.setLimits(items, bytes);
}
/** Items evicted by this handle since it opened. */
export function evictedCount(): i32 {
  return limits.evictedCount;
}
/** Removes every expired record the index knows of (after a sync); how many in resultSlot(). */
export function purgeExpired(): i32 {
  const status = store.sync();
  if (status != io.ST_OK) return status;
  store.resultSlot = expiry.purgeIndexed();
  return io.ST_OK;
}

// The change feed (store/watch.ts).
export function watchStart(fromPosition: bool): i32 {
  return watch.watchStart(fromPosition);
}
export function watchRead(): i32 {
  return watch.watchRead();
}
export function watchStop(): void {
  watch.watchStop();
}
export function watchChanges(): usize {
  return watch.changes;
}
export function watchPosition(): usize {
  return watch.position;
}
/** Reads the record a change names (its digest at entry + 24) into the result: its key. */
export function watchRecord(i: i32): i32 {
  return watch.readChangedRecord(i);
}
export function get(keyType: u8, keyLen: i32): i32 {
  return store.get(keyType, keyLen);
}
export function getSlot(slot: i32): i32 {
  return store.getSlot(slot);
}
export function has(keyType: u8, keyLen: i32): i32 {
  return store.has(keyType, keyLen);
}
export function remove(keyType: u8, keyLen: i32): i32 {
  return store.remove(keyType, keyLen);
}
/** Claims the oldest (youngest) record into the result; then finishTake or settle. */
export function pop(youngest: bool): i32 {
  return store.pop(youngest);
}
export function take(keyType: u8, keyLen: i32): i32 {
  return store.take(keyType, keyLen);
}
/** After the host decoded a claimed value: CLAIM_DELETE removes it, CLAIM_KEEP keeps it claimed until settled. */
export function finishTake(mode: i32): i32 {
  return claims.finishTake(mode);
}
/** Ends the claim whose digest the host placed at claimedDigest() and whose stamp it passes: SETTLE_*. */
export function settle(how: i32, stamp: f64): i32 {
  return claims.settle(how, <u64>stamp);
}
/** Claims of gone owners this handle returned to the store since it opened (opening returns them). */
export function recoveredClaims(): i32 {
  return claims.recoveredTotal;
}
export function claimedDigest(): usize {
  return claims.claimedDigest;
}
export function claimedStamp(): f64 {
  return <f64>claims.claimedStamp;
}
/** Returns the claims of gone owners to the store; the count in resultSlot(). */
export function recoverClaims(): i32 {
  const recovered = claims.recoverClaims();
  store.resultSlot = claims.recoveredCount;
  return recovered;
}
/** Removes every record and the store's own files; the directory too when nothing else is in it. */
export function destroy(): i32 {
  return store.destroy();
}
/** Validates a whole record the host placed at reserve() (all but its file name): 0 or a RECORD_* problem. */
export function checkReserved(len: i32): i32 {
  return checkRecord(store.reservedRecord(), len);
}
/** Validates value bytes the host placed at reserve() (FORMAT.md section 4): 0 or a VALUE_* problem. */
export function checkReservedValue(codec: u8, len: i32): i32 {
  return value.checkValue(codec, store.reservedRecord(), len);
}
// The last value problem (a record's RECORD_BAD_VALUE, a refused set, checkReservedValue).
export function valueProblem(): i32 {
  return value.problemCode;
}
export function valueProblemOffset(): u32 {
  return value.problemOffset;
}
export function valueProblemDetail(): f64 {
  return <f64>value.problemDetail;
}
export function clear(): i32 {
  return store.clear();
}
/** Applies other handles' changes; returns a status. */
export function sync(): i32 {
  return store.sync();
}
export function rescan(): i32 {
  return store.rescan();
}
/** Starts a fresh journal and rewrites the index cache now (iodict compact); ST_MISSING when another handle holds the store lock. */
export function compact(): i32 {
  const status = store.sync();
  return status != io.ST_OK ? status : journal.compact();
}
/**
 * Takes the store lock for transact() without waiting (the host waits between tries): ST_OK,
 * ST_MISSING while another handle holds it, or ST_IO where this handle cannot take it at all (a
 * read-only store: waiting would never end). Re-entrant: a rotation inside the transaction nests.
 */
export function lockStore(): i32 {
  if (lock.acquireStoreLock() != lock.LOCK_BUSY) return io.ST_OK;
  return lock.storeLockUsable() ? io.ST_MISSING : io.ST_IO;
}
/** Releases what lockStore() took. */
export function unlockStore(): void {
  lock.releaseStoreLock(lock.heldStoreLock());
}
/** Live items: indexed ones whose expiry has not passed. */
export function size(): u32 {
  return expiry.liveSize();
}
/** Records quarantined by this handle since it opened (found corrupt while syncing or reading). */
export function quarantinedCount(): i32 {
  return records.quarantinedCount;
}
/** True once after an operation whose change stands but whose fsync failed (errorOp/errorCode say which). */
export function takeUnsyncedChange(): bool {
  return io.takeUnsyncedChange();
}
export function xattrsActive(): bool {
  return store.xattrsActive();
}

// Ordered listing: order() fills a buffer of slots, oldest first.
let orderBuf: usize = 0;
let orderCap: u32 = 0;
export function order(): u32 {
  const n = indexSize();
  if (n > orderCap) {
    orderCap = n + (n >> 1) + 64;
    orderBuf = resize(orderBuf, <usize>orderCap << 2);
  }
  return expiry.filterOrder(orderBuf, indexOrder(orderBuf));
}
export function orderPtr(): usize {
  return orderBuf;
}
/**
 * A number that stays the same exactly while order() would list the same slots: the index's
 * change count; -1 while some item carries an expiry stamp (order() then depends on the clock).
 */
export function orderVersion(): f64 {
  return indexExpiring() == 0 ? <f64>indexChanges() : -1;
}
/** The keys of `count` slots listed (u32 each) at `slots`, packed for one pass of the host (at keysPtr()). */
export function packKeys(slots: usize, count: u32): usize {
  return indexPackKeys(slots, count);
}
export function keysPtr(): usize {
  return packedKeys;
}
export function slotKeyType(slot: u32): u8 {
  return indexKeyType(slot);
}
export function slotKeyLength(slot: u32): i32 {
  return indexKeyLength(slot);
}
export function slotKey(slot: u32): usize {
  return indexKey(slot);
}
export function slotBirth(slot: u32): f64 {
  return <f64>indexBirth(slot);
}
/** The slot's expiry stamp (µs since the epoch), 0 when it never expires. */
export function slotExpiry(slot: u32): f64 {
  return <f64>indexExpiry(slot);
}
export function slotDigest(slot: u32): usize {
  return indexDigest(slot);
}
export function indexMemory(): usize {
  return indexBytes();
}

// The record of the last get, getSlot or pop.
export function resultSlot(): i32 {
  return store.resultSlot;
}
export function resultIsNew(): bool {
  return store.resultIsNew;
}
export function resultKeyType(): u8 {
  return recordKeyType(records.resultRecord);
}
export function resultKey(): usize {
  return records.resultRecord + HEADER_BYTES;
}
export function resultKeyLength(): i32 {
  return recordKeyLength(records.resultRecord);
}
export function resultValue(): usize {
  return records.resultRecord + HEADER_BYTES + recordKeyLength(records.resultRecord);
}
export function resultValueLength(): i32 {
  return recordValueLength(records.resultRecord);
}
export function resultCodec(): u8 {
  return recordCodec(records.resultRecord);
}
export function resultBirth(): f64 {
  return <f64>recordBirth(records.resultRecord);
}
/** The result record's expiry stamp (µs since the epoch), 0 when it never expires. */
export function resultExpiry(): f64 {
  return <f64>recordExpiry(records.resultRecord);
}

// Slots whose key another handle added or removed (the host drops its decoded copies).
export function eventCount(): i32 {
  return load.eventCount;
}
export function eventsPtr(): usize {
  return load.events;
}
export function eventsOverflowed(): bool {
  return load.eventsOverflowed;
}
export function clearEvents(): void {
  load.clearEvents();
}

// The last failure.
export function errorOp(): i32 {
  return io.errorOp;
}
export function errorCode(): i32 {
  return io.errorCode;
}
export function errorDetail(): i32 {
  return io.errorDetail;
}
export function errorPath(): usize {
  return io.errorPath;
}
export function errorPathLength(): i32 {
  return io.errorPathLength;
}
export function asidePath(): usize {
  return io.asidePathBuf;
}
export function asidePathLength(): i32 {
  return io.asidePathLength;
}

// Verification, one record at a time (iodict verify / repair; see store/verify.ts).
export { VERIFY_GONE, VERIFY_DONE } from './store/verify';
export function verifyBegin(): i32 {
  return verify.verifyBegin();
}
export function verifyNext(): i32 {
  return verify.verifyNext();
}
export function verifyName(): usize {
  return verify.currentName;
}
export function verifyQuarantine(detail: i32): i32 {
  return verify.verifyQuarantine(detail);
}
/** Diagnostic notation (RFC 8949 section 8) of the value of the last record read, get, popped or verified. */
export function verifiedDiag(): usize {
  return verify.diagOf(io.io);
}
export function resultDiag(): usize {
  return verify.diagOf(records.resultRecord);
}
export function diagLength(): i32 {
  return verify.diagLength;
}

// Batches (setMany, putMany): see store/batch.ts for the order of calls.
import * as batch from './store/batch';
export function batchBegin(): void {
  batch.batchBegin();
}
export function batchWrite(keyType: u8, keyLen: i32, valueLen: i32, codec: u8): i32 {
  if (refused(keyLen, valueLen, codec)) return ST_BAD_VALUE;
  return batch.batchWrite(keyType, keyLen, valueLen, codec);
}
export function batchSync(): i32 {
  return batch.batchSync();
}
/** Lands item i; with limits set, evicts past them after each group of items (a failed eviction: takeEvictionFailure). */
export function batchLand(i: i32, keyType: u8, keyLen: i32, valueLen: i32, codec: u8): i32 {
  return batch.batchLand(i, keyType, keyLen, valueLen, codec);
}
export function batchEnd(): void {
  batch.batchEnd();
}
export function batchLanded(): i32 {
  return batch.batchLanded();
}
