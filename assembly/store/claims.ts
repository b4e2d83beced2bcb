// Claims: taking a record (popItem, pop(key), queue get). The record is renamed into
// .iodict/claimed/<56 hex>.<owner>.<stamp> first, so of several handles racing for it exactly one
// wins (the others' rename fails with ENOENT); it is then read and checked, handed to the host to
// decode, and only then removed (finishTake) or kept until acknowledged. Any failure before that
// renames it back (nothing happened); a crash leaves it in claimed/ under an owner that is gone,
// and any handle returns it to the store (recoverClaims). So a record is always in exactly one
// place: in the store, claimed by a live owner, or delivered.
import * as host from '../host/imports';
import { DIGEST_BYTES, NAME_CHARS } from '../format/key';
import { RECORD_OK, HEADER_BYTES, recordKeyType, recordKeyLength, recordBirth, headerBirth } from '../format/record';
import { handle, KIND_QUEUE } from './handle';
import { recordBuf, sideBuf, controlBuf, controlPath, recordPath, asidePrefix, putHex, parseRecordName, sidePath } from './paths';
import { putOwner, ownerGone, v1OwnerGone, parseHex, isOurs, OWNER_CHARS, STAMP_CHARS } from './owner';
import { io, statBuf, listDir, Listing, fail, syncAfterChange, openReading, readingFd, OP_RENAME, OP_UNLINK, ST_OK, ST_MISSING, ST_IO } from './io';
import { validate, quarantine, setResult, resultRecord, readRecordFile, readRecordAt, notARecord } from './records';
import { announce, rivalSetBefore, writtenSince, JOURNAL_SET, JOURNAL_DELETE, CAUSE_CALL, CAUSE_EXPIRE } from './journal';
import { recordExpired, countRemoved } from './expiry';
import { learnRecord, forget, LEARN_FAILED } from './load';
import { markRescan } from './journal';
import { indexFind } from '../index/ordered';

export const CLAIM_DELETE: i32 = 0; // pop: the record is removed once the host has decoded it
export const CLAIM_KEEP: i32 = 1; // get with ack: the record waits in claimed/ for ack or release

export const SETTLE_ACK: i32 = 0; // processed: remove the claimed record
export const SETTLE_RELEASE: i32 = 1; // not processed (or not decodable here): put it back in its old place
export const SETTLE_QUARANTINE: i32 = 2; // its value does not decode: move it to quarantine
export const SETTLE_RENEW: i32 = 3; // still working on it: restart its lease (the new stamp in claimedStamp)

/** Digest and stamp of the last claim; the host passes them back to settle a CLAIM_KEEP claim. */
export const claimedDigest: usize = heap.alloc(DIGEST_BYTES);
export let claimedStamp: u64 = 0;
const claimBuf: usize = heap.alloc(256);
let claimLen: i32 = 0;

function claimPath(digest: usize, stamp: u64): i32 {
  let at = asidePrefix(claimBuf, 'claimed', digest);
  at = putOwner(claimBuf, at);
  store<u8>(claimBuf + at++, 0x2e);
  return putHex(claimBuf, at, stamp, STAMP_CHARS);
}

/**
 * Claims the record of a digest and reads it into io (resultRecord): ST_OK (then the host calls
 * finishTake or settle), ST_MISSING (absent, or another handle won), ST_CORRUPT (quarantined),
 * or ST_IO (the record is back in the store).
 */
export function claim(digest: usize): i32 {
  memory.copy(claimedDigest, digest, DIGEST_BYTES);
  const from = recordPath(recordBuf, claimedDigest);
  claimedStamp = <u64>host.now();
  claimLen = claimPath(claimedDigest, claimedStamp);
  const r = host.rename(recordBuf, from, claimBuf, claimLen);
  if (r == -host.ENOENT) {
    forget(claimedDigest);
    return ST_MISSING;
  }
  if (r < 0) return fail(OP_RENAME, r, recordBuf, from);
  const n = readRecordFile(claimBuf, claimLen);
  if (n == -host.ENOENT) return ST_MISSING; // returned to the store under us: a lease ran out
  const check = n >= 0 ? validate(n, claimedDigest) : notARecord(n);
  if (n < 0 && check == RECORD_OK) {
    restore(); // the failure of the read stays the one reported
    return ST_IO;
  }
  if (check != RECORD_OK) {
    const status = quarantine(claimBuf, claimLen, claimedDigest, check);
    forget(claimedDigest);
    announce(JOURNAL_DELETE, claimedDigest, 0);
    return status;
  }
  setResult(io);
  // Expired: taking it is removing it (the reader never sees it), announced as an expiry.
  if (recordExpired(io)) {
    if (finishTake(CLAIM_DELETE, CAUSE_EXPIRE) == ST_OK) countRemoved();
    return ST_MISSING;
  }
  return ST_OK;
}

/**
 * The host decoded the claimed value: CLAIM_DELETE removes the record, CLAIM_KEEP leaves it
 * claimed. The DELETE entry goes out while the claimed file is still there (FORMAT.md 7.5 step 4):
 * an overwrite without exchange that finds the record it replaced not claimed (temp.ts
 * replaceByRename) then reads our entry. Under durability 'fsync' both folders are synced, so a
 * taken item cannot come back after a power loss. A failed unlink puts the record back and
 * announces it: the take did not happen.
 */
export function finishTake(mode: i32, cause: u8 = CAUSE_CALL): i32 {
  forget(claimedDigest);
  const taken = resultRecord; // the claimed record: its key names the change
  const key = taken + HEADER_BYTES;
  announce(JOURNAL_DELETE, claimedDigest, 0, 0, 0, cause, key, recordKeyType(taken), recordKeyLength(taken));
  if (mode == CLAIM_DELETE) {
    const u = host.unlink(claimBuf, claimLen);
    if (u < 0 && u != -host.ENOENT) {
      const status = fail(OP_UNLINK, u, claimBuf, claimLen);
      restore();
      return status;
    }
  }
  if (handle.fsyncWrites) {
    syncAfterChange(controlBuf, 0);
    if (mode == CLAIM_DELETE) syncAfterChange(controlBuf, controlPath(controlBuf, 'claimed'));
  }
  // A SET of this key journaled before our DELETE whose record is there now was renamed in after
  // our claim: a set after the take. Announce it again, so readers applying our entry after its
  // own do not drop a present key.
  if (rivalSetBefore(0) && host.stat(recordBuf, recordPath(recordBuf, claimedDigest), statBuf) == 0) return announceBack(claimedDigest);
  return ST_OK;
}

/** Ends the claim named by claimedDigest and claimedStamp (set by the host for a CLAIM_KEEP claim). */
export function settle(how: i32, stamp: u64): i32 {
  claimedStamp = stamp;
  claimLen = claimPath(claimedDigest, stamp);
  if (how == SETTLE_ACK) {
    const r = host.unlink(claimBuf, claimLen);
    // Gone: our lease ran out and another handle returned it to the queue (it is redelivered).
    if (r == -host.ENOENT) return ST_MISSING;
    if (r < 0) return fail(OP_UNLINK, r, claimBuf, claimLen);
    if (handle.fsyncWrites) syncAfterChange(controlBuf, controlPath(controlBuf, 'claimed'));
    return ST_OK;
  }
  if (how == SETTLE_RENEW) {
    const renewedStamp = <u64>host.now();
    const from = heap.alloc(claimLen);
    const fromLen = claimLen;
    memory.copy(from, claimBuf, fromLen);
    claimLen = claimPath(claimedDigest, renewedStamp);
    const r = host.rename(from, fromLen, claimBuf, claimLen);
    heap.free(from);
    if (r == -host.ENOENT) return ST_MISSING;
    if (r < 0) return fail(OP_RENAME, r, claimBuf, claimLen);
    claimedStamp = renewedStamp;
    return ST_OK;
  }
  if (how == SETTLE_QUARANTINE) {
    const status = quarantine(claimBuf, claimLen, claimedDigest, 100);
    forget(claimedDigest);
    announce(JOURNAL_DELETE, claimedDigest, 0);
    return status;
  }
  return restore();
}

/** Renames the claim in claimBuf back into the store, at its old place in line. */
function restore(): i32 {
  return putBack(claimBuf, claimLen, claimedDigest, claimedStamp);
}

const headBuf: usize = heap.alloc(HEADER_BYTES);

/**
 * The birth stamp of a claimed record (its header), 0 when it cannot be read. Not readHead: that
 * reads into io and records its failure, and a put-back keeps the failure that caused it.
 */
function claimedBirth(from: usize, fromLen: i32): u64 {
  const n = openReading(from, fromLen, host.O_READ, headBuf, HEADER_BYTES);
  if (readingFd >= 0) host.close(readingFd);
  return headerBirth(headBuf, n);
}

/** A claim stamp later than every write: a version 1 claim name carries none, so nothing is known to be written since. */
const NO_CLAIM_STAMP: u64 = u64.MAX_VALUE;

/**
 * Returns a claimed record to the store, unless the key was written again since the claim at
 * `claimStamp` (a dictionary key popped, then set, before the pop finished or its claim came
 * back): the newer write replaced it, and the claimed record, whose take never completed, is
 * dropped. That write shows as a record there now, or, when it was taken or deleted since, as its
 * SET in the journal (writtenSince). ST_MISSING when the claim is gone or superseded. The move
 * keeps a record that is there (renameIfAbsent), so a set landing at that moment stands; a host
 * without it looks first and renames, and such a set is replaced (FORMAT.md 7.5).
 */
function putBack(from: usize, fromLen: i32, digest: usize, claimStamp: u64): i32 {
  // A queue never writes a key twice: nothing to look for.
  if (handle.kind != KIND_QUEUE && writtenSince(digest, claimStamp, claimedBirth(from, fromLen))) {
    host.unlink(from, fromLen);
    return ST_MISSING;
  }
  const to = recordPath(recordBuf, digest);
  let r = handle.noRenameIfAbsent ? -host.ENOTSUP : host.renameIfAbsent(from, fromLen, recordBuf, to);
  if (r == -host.ENOTSUP) {
    handle.noRenameIfAbsent = true; // as createTemp remembers it (temp.ts)
    r = host.stat(recordBuf, to, statBuf) == 0 ? -host.EEXIST : host.rename(from, fromLen, recordBuf, to);
  }
  if (r == -host.EEXIST) {
    host.unlink(from, fromLen);
    return ST_MISSING;
  }
  if (r == -host.ENOENT) return ST_MISSING;
  if (r < 0) return fail(OP_RENAME, r, from, fromLen);
  return announceBack(digest);
}

/**
 * A SET entry for a record that is back in the store, with its key: a follower of the journal (a
 * watch) may have forgotten the key, and cannot read it from the record once that is gone again.
 */
function announceBack(digest: usize): i32 {
  let held = false;
  if (handle.indexLoaded) {
    const slot = learnRecord(digest, indexFind(digest));
    if (slot == LEARN_FAILED) markRescan();
    held = slot >= 0;
  } else {
    held = readRecordAt(recordBuf, recordPath(recordBuf, digest), digest) == ST_OK;
  }
  // Either read left the record in io.
  if (!held) return announce(JOURNAL_SET, digest, 0);
  return announce(JOURNAL_SET, digest, recordBirth(io), 0, 0, CAUSE_CALL, io + HEADER_BYTES, recordKeyType(io), recordKeyLength(io));
}

const recoveredDigest: usize = heap.alloc(DIGEST_BYTES);
/** Claims returned by the last recoverClaims(), and by this handle since it opened. */
export let recoveredCount: i32 = 0;
export let recoveredTotal: i32 = 0;

/**
 * Returns the claims of gone owners to the store (owner.ts judges: a dead process of our
 * identity, or an expired lease). Returns a status; the count in recoveredCount.
 */
export function recoverClaims(): i32 {
  recoveredCount = 0;
  const n = listDir(sideBuf, controlPath(sideBuf, 'claimed'));
  if (n == -host.ENOENT) return ST_OK;
  if (n < 0) return ST_IO;
  const listing = new Listing(n);
  let status = ST_OK;
  while (status == ST_OK && listing.next()) {
    const name = listing.name;
    const nameLen = listing.nameLength;
    if (nameLen < NAME_CHARS + 17 || load<u8>(name + NAME_CHARS) != 0x2e) continue;
    if (!parseRecordName(name, NAME_CHARS, recoveredDigest)) continue;
    const owner = name + NAME_CHARS + 1;
    let gone = false;
    let claimStamp = NO_CLAIM_STAMP;
    if (nameLen == NAME_CHARS + 1 + OWNER_CHARS + 1 + STAMP_CHARS) {
      const stamp = parseHex(owner + OWNER_CHARS + 1, STAMP_CHARS);
      gone = stamp >= 0 && !isOurs(owner) && ownerGone(owner, <u64>stamp);
      claimStamp = <u64>stamp;
    } else if (nameLen == NAME_CHARS + 17) {
      gone = v1OwnerGone(owner); // version 1: "<56 hex>.<pid, writer 16 hex>"
    }
    if (!gone) continue;
    const r = putBack(sideBuf, sidePath(sideBuf, 'claimed', name, nameLen), recoveredDigest, claimStamp);
    if (r == ST_MISSING) continue; // another handle returned it first, or the key was set again
    if (r != ST_OK) {
      status = r;
      break;
    }
    recoveredCount++;
    recoveredTotal++;
  }
  listing.free();
  return status;
}
