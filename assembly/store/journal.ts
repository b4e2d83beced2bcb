// The change journal (.iodict/changes): an append-only file of 64-byte entries that tells every
// handle which records other handles changed, so each keeps its index coherent at a cost
// proportional to the changes, never to the store. Entries are hints: whoever applies one checks
// the record itself, so a duplicated, reordered or stale entry is harmless; a lost one is what
// registrations (registry.ts) and generations (below) exist to catch.
//
//   0  4  magic "iodj"
//   4  1  kind (JOURNAL_*)
//   5  1  DELETE: its cause (CAUSE_*: 0 a call, 1 expiry, 2 eviction); else zero
//   6  1  SET, DELETE: how many KEY entries follow (keyentries.ts); else zero
//   7  1  zero
//   8  4  writer id (the handle that wrote it)
//  12  4  SET: the record's length in bytes (0 from writers before expiry existed); else zero
//  16  8  SET: birth stamp; BEGIN: this journal's id; SEALED: the successor's id; else 0
//  24 28  SET, DELETE: record digest. BEGIN: predecessor id (u64) at 24, generation (u64) at 32.
//         SEALED: the successor's generation (u64) at 24. Else zero.
//  52  8  SET: the record's expiry stamp (0: none); else zero
//  60  4  CRC-32C of bytes 0..59
// Readers that predate bytes 5, 12 and 52 ignore them: an expiry or eviction is a DELETE to them.
// Entries are 64 bytes and the file only grows by whole entries, so no entry straddles a page:
// a reader racing a writer sees all of an entry or none of it.
import * as host from '../host/imports';
import { crc32c } from '../crypto/crc32c';
import { DIGEST_BYTES } from '../format/key';
import { indexSize } from '../index/ordered';
import { handle } from './handle';
import { controlBuf, controlPath, recordBuf, recordPath } from './paths';
import { writeControlFile, ST_EXISTS, MOVE_ANY, MOVE_CREATE } from './temp';
import { fail, openReading, readingFd, replacedUnder, statBuf, OP_OPEN, OP_READ, OP_STAT, ST_OK, ST_IO } from './io';
import { applyEntry, reconcile, writeCache, cacheNamesJournal } from './load';
import { acquireStoreLock, releaseStoreLock, storeLockUsable, anotherHoldsStoreLock, LOCK_BUSY } from './lock';
import { markTrouble } from './registry';
import { writeKeyEntries, carriedKey, keyEntryType, KEY_ENTRIES_MAX, KEY_CARRIED_MAX, JOURNAL_KEY } from './keyentries';
import { rememberAppend, metAppend, pendingCount, resendPending, PENDING_MAX } from './pending';

export const ENTRY_BYTES: i32 = 64;
export const JOURNAL_MAGIC: u32 = 0x6a646f69; // "iodj"
export const JOURNAL_BEGIN: u8 = 1;
export const JOURNAL_SET: u8 = 2;
export const JOURNAL_DELETE: u8 = 3;
export const JOURNAL_SEALED: u8 = 4; // the last entry a rotator writes to the journal it replaced
export const JOURNAL_RESCAN: u8 = 5; // something happened that no entry says: list the directory
// The first entry a rotator writes to the successor after its seal: the changes before it were
// journaled while the old file still took entries, so their order against those may be wrong
// (the change feed looks at their keys, watch.ts). No change: other readers pass over it.
export const JOURNAL_PREDECESSOR_SEALED: u8 = 7;
export const CAUSE_CALL: u8 = 0; // delete, pop, get, clear
export const CAUSE_EXPIRE: u8 = 1;
export const CAUSE_EVICT: u8 = 2;

export function writeEntry(out: usize, kind: u8, writer: u32, stamp: u64, digest: usize): void {
  memory.fill(out, 0, ENTRY_BYTES);
  store<u32>(out, JOURNAL_MAGIC);
  store<u8>(out, kind, 4);
  store<u32>(out, writer, 8);
  store<u64>(out, stamp, 16);
  if (digest) memory.copy(out + 24, digest, DIGEST_BYTES);
  sealEntry(out);
}

function sealEntry(out: usize): void {
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
export function entryCause(e: usize): u8 {
  return load<u8>(e, 5);
}
export function entryRecordLength(e: usize): u32 {
  return load<u32>(e, 12);
}
export function entryExpiry(e: usize): u64 {
  return load<u64>(e, 52);
}

const JOURNAL_READ: i32 = 64 * ENTRY_BYTES;
const readBuf: usize = heap.alloc(JOURNAL_READ);
const beginBuf: usize = heap.alloc(ENTRY_BYTES);
const rescanEntry: usize = heap.alloc(ENTRY_BYTES);

/**
 * Our changes since the last read: one change, or a batch's group of up to GROUP_MAX (each entry
 * with its KEY entries). The pending list keeps each of them until a read meets it; a group takes
 * at most half of it, so where every read lags one group behind (8.3) a group still fits beside
 * the last one.
 */
export const GROUP_MAX: i32 = PENDING_MAX / 2;
const CHANGE_MAX: i32 = (1 + KEY_ENTRIES_MAX) * ENTRY_BYTES;
const own: usize = heap.alloc(GROUP_MAX * CHANGE_MAX);
const ownAt = new StaticArray<i32>(GROUP_MAX + 1); // change j is at own + ownAt[j], up to ownAt[j + 1]
let ownCount: i32 = 0;
let ownPublished = true; // the next appended change starts a new group
let ownNextMet: i32 = 0; // where ownMet looks first

// Others' entries for the digest of our change j (see noteRival).
const rivalFlags = new StaticArray<u8>(GROUP_MAX);
const OWN_SEEN: u8 = 1; // a read met change j: later entries are no rivals of it
const RIVAL_SET_BEFORE: u8 = 2;
const RIVAL_DELETE_BEFORE: u8 = 4; // before our SET j
const RIVAL_DELETE_AFTER: u8 = 8; // after our SET j

/**
 * Puts a fresh journal (a BEGIN naming its predecessor and generation) in place of the current
 * one: written whole to a temp file and renamed over, so a reader opens an old or a new journal,
 * never a half-made one. Leaves the new id in madeId.
 */
let madeId: u64 = 0;
export function replaceJournal(predecessor: u64, generation: u64): i32 {
  return putJournal(predecessor, generation, MOVE_ANY);
}

/**
 * Starts a journal from nothing (a store being created, or its journal lost) only where none is:
 * of handles doing so at once, one journal stands and all open it. Renamed over, the first's
 * (which its handle may have appended to already) would be lost to followers, and a watch
 * position in it with it. ST_OK when ours or another's is in place.
 */
export function createJournal(): i32 {
  const status = putJournal(0, 0, MOVE_CREATE);
  return status == ST_EXISTS ? ST_OK : status;
}

function putJournal(predecessor: u64, generation: u64, move: i32): i32 {
  host.random(beginBuf, 8);
  madeId = load<u64>(beginBuf) | 1;
  writeEntry(beginBuf, JOURNAL_BEGIN, handle.writer, madeId, 0);
  store<u64>(beginBuf, predecessor, 24);
  store<u64>(beginBuf, generation, 32);
  sealEntry(beginBuf);
  return writeControlFile('changes', beginBuf, ENTRY_BYTES, move);
}

function journalPath(): i32 {
  return controlPath(controlBuf, 'changes');
}

/**
 * Opens the current journal, letting go of the one we held first (on network file systems, a
 * client holding the old file open can keep the new one from opening). A damaged or missing
 * journal is only a lost hint log: a new one is started, whose generation tells every follower
 * that it must list the directory.
 */
export function openJournal(replacedBad: bool = false): i32 {
  if (handle.journalFd >= 0) {
    host.close(handle.journalFd);
    handle.journalFd = -1;
  }
  const len = journalPath();
  let n = openReading(controlBuf, len, host.O_READ | host.O_WRITE | host.O_APPEND, beginBuf, ENTRY_BYTES);
  if (readingFd < 0 && n == -host.ENOENT && !replacedBad) {
    const made = createJournal();
    if (made != ST_OK) return made;
    return openJournal(true);
  }
  // A read-only store still reads: its writes fail at their own first step.
  if (readingFd < 0 && (n == -host.EROFS || n == -host.EACCES)) n = openReading(controlBuf, len, host.O_READ, beginBuf, ENTRY_BYTES);
  const fd = readingFd;
  if (fd < 0) return fail(OP_OPEN, n, controlBuf, len);
  if (!beginsJournal(n)) {
    host.close(fd);
    // Once only: a fresh journal that reads back damaged means the file system is not
    // returning what was written.
    if (replacedBad) return fail(OP_READ, -host.EIO, controlBuf, len);
    const made = replaceDamagedJournal();
    if (made != ST_OK) return made;
    return openJournal(true);
  }
  handle.journalFd = fd;
  handle.journalId = entryStamp(beginBuf);
  handle.generation = load<u64>(beginBuf, 32);
  handle.journalOffset = ENTRY_BYTES;
  // Opened as it stands: a follower of a seal clears this (syncJournal).
  predecessorUnsure = load<u64>(beginBuf, 24) != 0;
  return ST_OK;
}

/**
 * The journal we hold was opened as it stood, and its predecessor may not be sealed yet
 * (FORMAT.md 8.2). A rotator renames the successor in (8.4 step 2) before it seals the old file
 * (step 3), and writers that have not noticed the rename append to the old file meanwhile,
 * counting those entries as heard (no seal comes before them). A handle that opened the successor
 * in that window never reads them, so a listing it makes then can miss their records (renamed in
 * after it), and no entry it reads brings them back. Known sealed: we reached our journal through
 * that seal, or its BEGIN names no predecessor, or the rotator is done: the store lock is free (or
 * ours; the rotator holds it from before its rename until after its seal), an index cache names
 * our journal (the rotator writes it after the seal), or our journal was replaced in turn.
 */
let predecessorUnsure = false;
/** The longest a listing waits for that seal (µs). */
const SEAL_WAIT_US: u64 = 1_000_000;
/** The index rests on a listing made while predecessorUnsure (the wait for the seal ran out): list again once it is known sealed. */
let listedUnsure = false;

export function listingUnsure(): bool {
  return listedUnsure;
}

function predecessorSealed(): bool {
  if (predecessorUnsure && !rotationDone(handle.journalId, handle.journalFd)) return false;
  predecessorUnsure = false;
  return true;
}

/**
 * Whether the rotation that made journal `id` (open as `fd`) is done, its predecessor sealed: an
 * index cache naming `id` (as it does once any rotation to `id` ends: three calls, so asked
 * first), the store lock free or ours (a dozen calls: taken and let go), or `fd` replaced in turn
 * (FORMAT.md 8.2).
 */
function rotationDone(id: u64, fd: i32): bool {
  return cacheNamesJournal(id) || !anotherHoldsStoreLock() || journalReplaced(fd) == 1;
}

/**
 * Waits, looking every millisecond, up to `waitUs`, for the rotation that made journal `id` (open
 * as `fd`) to be done (rotationDone); whether it is. A rotation takes milliseconds.
 */
export function awaitRotation(id: u64, fd: i32, waitUs: u64): bool {
  const deadline = host.now() + <f64>waitUs;
  while (!rotationDone(id, fd)) {
    if (host.now() > deadline) return false;
    host.sleep(1);
  }
  return true;
}

/**
 * Before a listing stands in for the journal (reconcile): waits for our journal's predecessor to
 * be sealed, up to a second or the lease (a transact() holding the lock meanwhile can take longer
 * than any rotation, and a listing need not wait for it). A listing made without it is marked,
 * and made again once the seal is known (afterSync).
 */
export function awaitPredecessorSeal(): void {
  if (!predecessorUnsure) return;
  if (awaitRotation(handle.journalId, handle.journalFd, min<u64>(handle.lease, SEAL_WAIT_US))) predecessorUnsure = false;
  else listedUnsure = true;
}

/** Whether the n bytes read from a journal's start (in beginBuf) are a whole, valid BEGIN. */
function beginsJournal(n: i32): bool {
  return n == ENTRY_BYTES && entryValid(beginBuf) && entryKind(beginBuf) == JOURNAL_BEGIN;
}

/**
 * A damaged journal (an empty one, left by a crash of a file system that delays allocation, or
 * bytes that fail their CRC) is replaced under the store lock, after looking again: of handles
 * that found it damaged at once, the first replaces it and the others open its replacement.
 * Without the lock the second's rename would replace the first's fresh journal, which its handle
 * may have appended to already, and a rotator's new one likewise. While another handle holds the
 * lock it is looked at again every millisecond, up to the lease; past it (a holder that is stuck),
 * or where this handle cannot take the lock at all (a read-only store: the rename fails too), it is
 * replaced as it is. A crash while holding the lock releases it (7.7); the journal is then still
 * damaged, or replaced whole (renamed in).
 */
function replaceDamagedJournal(): i32 {
  const deadline = host.now() + <f64>handle.lease;
  for (;;) {
    const lock = acquireStoreLock();
    const waiting = lock == LOCK_BUSY && storeLockUsable() && host.now() <= deadline;
    if (waiting) host.sleep(1);
    const state = lookAgain();
    if (waiting && state == JOURNAL_DAMAGED) continue;
    const status = state == JOURNAL_WHOLE ? ST_OK
      : state == JOURNAL_DAMAGED ? replaceJournal(0, 0)
      : state == JOURNAL_GONE ? createJournal() // where none is: safe with or without the lock
      : ST_IO;
    if (lock != LOCK_BUSY) releaseStoreLock(lock);
    return status;
  }
}

const JOURNAL_WHOLE: i32 = 0; // another handle replaced it meanwhile
const JOURNAL_DAMAGED: i32 = 1;
const JOURNAL_GONE: i32 = 2;

/** Opens the journal in place again and reads its BEGIN: JOURNAL_WHOLE, _DAMAGED or _GONE, or -1 (failure recorded). */
function lookAgain(): i32 {
  const len = journalPath();
  const n = openReading(controlBuf, len, host.O_READ, beginBuf, ENTRY_BYTES);
  if (readingFd < 0) {
    if (n == -host.ENOENT) return JOURNAL_GONE;
    fail(OP_OPEN, n, controlBuf, len);
    return -1;
  }
  host.close(readingFd);
  return beginsJournal(n) ? JOURNAL_WHOLE : JOURNAL_DAMAGED;
}

// What the last readTail met.
let sealed = false;
let successorId: u64 = 0;
let successorGeneration: u64 = 0;
let rescanAsked = false;
let journalStale = false; // a read of our journal failed with ESTALE or ENOENT: it was replaced

/**
 * Set while the index loads from the cache: our own entries written before it loaded (sets and
 * deletes made without an index) are news to the index too.
 */
export let applyOwnEntries = false;
export function setApplyOwnEntries(on: bool): void {
  applyOwnEntries = on;
}

/** Whether another handle's SET of the digest of our DELETE (or take) j of the last append came before it. */
export function rivalSetBefore(j: i32): bool {
  return (rivalFlags[j] & RIVAL_SET_BEFORE) != 0;
}

/** Our entry e, met by a read: entries after it say nothing its change could not know. Met in order, as appended. */
function ownMet(e: usize): void {
  for (let n = 0; n < ownCount; n++) {
    const j = (ownNextMet + n) % ownCount;
    if (memory.compare(own + ownAt[j], e, ENTRY_BYTES) == 0) {
      rivalFlags[j] |= OWN_SEEN;
      ownNextMet = j + 1;
      return;
    }
  }
}

/**
 * Another handle's entry e about the digest of one of our changes. A SET before our DELETE (or
 * take) was renamed in after our unlink or claim, during our call (store.ts remove, claims.ts
 * finishTake). A DELETE before our SET removed our record, or the one before it (publishChanges
 * tells them apart).
 */
function noteRival(e: usize, kind: u8): void {
  if (kind != JOURNAL_SET && kind != JOURNAL_DELETE) return;
  for (let j = 0; j < ownCount; j++) {
    const mine = own + ownAt[j];
    if (memory.compare(entryDigest(e), entryDigest(mine), DIGEST_BYTES) != 0) continue;
    const seen = (rivalFlags[j] & OWN_SEEN) != 0;
    const mineKind = entryKind(mine);
    if (kind == JOURNAL_SET && mineKind == JOURNAL_DELETE && !seen) rivalFlags[j] |= RIVAL_SET_BEFORE;
    if (kind == JOURNAL_DELETE && mineKind == JOURNAL_SET) rivalFlags[j] |= seen ? RIVAL_DELETE_AFTER : RIVAL_DELETE_BEFORE;
  }
}

/**
 * The most entries a reader replays: twice what rotation lets a journal hold (rotateAfter +
 * items entries, FORMAT.md 8.4; KEY entries add at most four per change). A live store exceeds it
 * only when every rotator found the store lock held for that long; a padded or sparse file at once.
 */
export function replayBound(items: u32): u64 {
  return 2 * (handle.rotateAfter + <u64>items);
}

/**
 * When more than replayBound entries remain after our place, moves our place to the last
 * replayBound of them (our own latest entry, and any rival's for its key, are among those) and
 * returns true: the caller lists the directory for the rest. So a journal padded to gigabytes,
 * or sparse, costs a bounded read.
 */
function skipLongTail(bound: u64): bool {
  if (host.fstat(handle.journalFd, statBuf) < 0) return false;
  const end = statedEnd();
  if (end < handle.journalOffset || end - handle.journalOffset <= bound * ENTRY_BYTES) return false;
  handle.journalOffset = end - bound * ENTRY_BYTES;
  return true;
}

/**
 * Reads what was appended since we last looked; applies others' entries to the index (when it
 * is loaded). Returns how many entries of other handles it read, or -1 on a failed read.
 */
function readTail(): i32 {
  let total = 0;
  const bound = replayBound(indexSize());
  let scanned: u64 = 0;
  while (true) {
    const n = host.read(handle.journalFd, readBuf, JOURNAL_READ, <f64>handle.journalOffset);
    // Another client renamed a new journal over ours: follow it as an unsealed replacement.
    if (replacedUnder(n)) {
      journalStale = true;
      return total;
    }
    if (n < 0) {
      fail(OP_READ, n, controlBuf, journalPath());
      return -1;
    }
    const whole = n / ENTRY_BYTES; // a partial entry is still being written: take it next time
    for (let i = 0; i < whole; i++) {
      const e = readBuf + <usize>i * ENTRY_BYTES;
      if (!entryValid(e)) {
        rescanAsked = true; // damage, not a race (appends are whole entries): a hint was lost
        continue;
      }
      const kind = entryKind(e);
      if (kind == JOURNAL_PREDECESSOR_SEALED) continue;
      const ours = entryWriter(e) == handle.writer && kind != JOURNAL_KEY; // KEY entries travel with their change
      // Ours, before any seal: in place (an append met only after a seal is written again).
      if (ours && !sealed) metAppend(e);
      if (kind == JOURNAL_SEALED) {
        sealed = true;
        successorId = entryStamp(e);
        successorGeneration = load<u64>(e, 24);
      } else if (entryWriter(e) == handle.writer && !applyOwnEntries) {
        // Past a seal our entry is written again in the successor: others' entries read before
        // that copy come before our change, for rivals too.
        if (ours && !sealed) ownMet(e);
      } else if (kind == JOURNAL_RESCAN) {
        rescanAsked = true;
        total++;
      } else {
        noteRival(e, kind);
        // A record we could not read: its change is not in our index yet; list the directory.
        if (handle.indexLoaded && !applyEntry(e)) rescanAsked = true;
        total++;
      }
    }
    handle.journalOffset += <u64>whole * ENTRY_BYTES;
    handle.entriesSinceCache += whole;
    if (n < JOURNAL_READ) return total;
    scanned += <u64>whole;
    if (scanned > bound) {
      scanned = 0;
      if (skipLongTail(bound)) rescanAsked = true;
    }
  }
}

// How often syncJournal asks whether our journal was replaced without a seal (nlink 0).
export const REPLACED_SOMETIMES: i32 = 1; // on every 16th sync that finds nothing new
export const REPLACED_ALWAYS: i32 = 2; // before acting on the journal's size (rotation)
const REPLACED_KNOWN: i32 = 3; // a write to it failed as on a replaced file: follow without asking

/** Set when a read skipped journals: relist lists again, since the listing before it did not cover them. */
let journalsSkipped = false;

/**
 * Our journal was renamed over and holds no seal yet. A rotator holds the store lock from before
 * its rename until after its seal, and meanwhile a writer that has not noticed the rename still
 * appends to this file, finding no seal before its entry: it counts the entry as heard and never
 * writes it again. So while another handle holds the lock, keep reading this file until the seal
 * shows; its entries before the seal are applied here, in order. The lock free (or ours) and still
 * no seal: its rotator died or the seal's write failed, and the caller lists. A handle that cannot
 * take the lock (a read-only store) does not wait; nor does any handle past the lease.
 */
function awaitSeal(): i32 {
  const deadline = host.now() + <f64>handle.lease;
  while (!sealed) {
    // Free (or not ours to take at all): a seal written before the release is there now.
    if (!anotherHoldsStoreLock() || host.now() > deadline) return readTail() < 0 ? ST_IO : ST_OK;
    host.sleep(1);
    if (readTail() < 0) return ST_IO;
  }
  return ST_OK;
}

/**
 * Applies what other handles appended since we last looked, following the journal across
 * rotations: a SEALED entry names the successor; a journal replaced without one (its rotator
 * died) is caught by nlink 0, checked as `checkReplaced` says. A successor other than the one
 * named (we slept through rotations whose journals are gone) means entries were missed: the
 * directory listing replaces them.
 */
export function syncJournal(checkReplaced: i32): i32 {
  if (handle.journalFd < 0) {
    const opened = openJournal();
    if (opened != ST_OK) return opened;
    if (handle.indexLoaded) rescanAsked = true; // we lost our place
  }
  let replacedKnown = checkReplaced == REPLACED_KNOWN;
  while (true) {
    sealed = false;
    journalStale = false;
    const read = readTail();
    if (read < 0) return ST_IO;
    let expectedId: u64 = 0;
    if (sealed) {
      expectedId = successorId;
    } else {
      if (!journalStale && !replacedKnown && checkReplaced != REPLACED_ALWAYS && (read > 0 || (++handle.quietSyncs & 15) != 0)) return afterSync();
      const replaced = journalStale || replacedKnown ? 1 : journalReplaced();
      replacedKnown = false;
      if (replaced < 0) return ST_IO;
      if (!replaced) return afterSync();
      if (readTail() < 0) return ST_IO;
      // Renamed over, no seal yet: a rotation between the two, most likely (awaitSeal).
      if (!sealed && !journalStale && awaitSeal() != ST_OK) return ST_IO;
      if (sealed) {
        expectedId = successorId;
      } else {
        // Replaced without a seal (its rotator died, or the seal's write failed): whoever wrote
        // into the old file meanwhile was not heard.
        rescanAsked = true;
        journalsSkipped = true;
      }
    }
    const previous = handle.journalId;
    const readTo = handle.journalOffset;
    const expectedGeneration = sealed ? successorGeneration : handle.generation + 1;
    const opened = openJournal();
    if (opened != ST_OK) return opened;
    if (sealed && handle.journalId == previous) {
      // A seal in the journal that is still the current one: a rotator renames the successor in
      // before it seals (8.4), so this seal is damage that passed its CRC, or crafted. Following
      // it would read this journal again from its start, forever: read on past it, and list.
      handle.journalOffset = readTo;
      rescanAsked = true;
      continue;
    }
    if ((expectedId != 0 && handle.journalId != expectedId) || handle.generation != expectedGeneration ||
        (!sealed && load<u64>(beginBuf, 24) != previous)) {
      // Journals we slept through: what they hold is listed instead.
      rescanAsked = true;
      journalsSkipped = true;
    } else if (sealed) {
      predecessorUnsure = false; // we read its predecessor up to the seal
    }
    // Our appends not met before the seal (after it, or not yet at all) go again into the successor.
    if (resendPending(handle.journalFd) != 0) markTrouble();
    if (!sealed) appendRescan();
  }
}

/**
 * Before a handle closes: appends of ours that no read has met yet are looked for once more (past
 * a seal they are written again); any still unmet leave the registration marked, so every other
 * handle lists the directory instead of trusting the journal for them.
 */
export function settleAppends(): void {
  if (pendingCount() == 0) return;
  if (syncJournal(REPLACED_ALWAYS) != ST_OK || pendingCount() > 0) markTrouble();
}

/** Our index missed a change it could not read: list the directory at the next sync. */
export function markRescan(): void {
  rescanAsked = true;
}

/** A rescan asked for by an entry, damage, or a gap: list the directory (when the index is loaded). */
function afterSync(): i32 {
  // Inside relist's own read, a rescan that read asks for waits for the next sync.
  if (catchingUp || !handle.indexLoaded) return ST_OK;
  if (listedUnsure && predecessorSealed()) {
    listedUnsure = false;
    rescanAsked = true;
  }
  if (!rescanAsked) return ST_OK;
  return relist(); // failed: rescanAsked stays, and the next sync lists again
}

let catchingUp = false; // relist's journal read is running

/**
 * Lists the directory into the index (reconcile), then reads what was journaled while it ran.
 * readdir need not return a record renamed in during the listing, yet may return one renamed in
 * after it: an index used between the two would miss an older item and hold a newer one, and a
 * pop would take the newer first (a queue's FIFO broken; races.test reproduces it). Every change
 * renamed in before the listing ended was journaled before any later one of its writer was renamed
 * in, so the read brings in whatever the listing missed ahead of what it saw.
 */
export function relist(): i32 {
  // Its read can skip journals (rotations meanwhile), whose entries the listing before it may not
  // cover: an index used then could hold a writer's later item and miss an earlier one. List
  // again, a bounded number of times, before anything uses the index.
  let read = ST_OK;
  for (let round = 0; round <= RELIST_ROUNDS; round++) {
    // The last round holds the store lock where it can get it: a rotation needs that lock, so
    // none can skip a journal under this listing and read (under load, four rounds in a row were
    // overtaken by rotations every few dozen changes, and a consumer then took items out of order;
    // races.test forces that).
    const lock = round == RELIST_ROUNDS ? acquireStoreLock() : LOCK_BUSY;
    journalsSkipped = false;
    const status = reconcile();
    if (status == ST_OK) {
      rescanAsked = false; // the listing answers any rescan asked so far; the read below may ask again
      catchingUp = true;
      read = syncJournal(REPLACED_SOMETIMES);
      catchingUp = false;
    }
    releaseStoreLock(lock);
    if (status != ST_OK) return status;
    if (read != ST_OK || !journalsSkipped) break;
  }
  return read;
}

/** Listings after the first that one relist makes when its reads keep skipping journals (then it leaves the rest to the next sync). */
const RELIST_ROUNDS = 3;

/**
 * Moves our place to the end of the current journal: what came before is covered by whatever
 * the caller reads instead (the listing, or nothing while the index is not loaded). A journal
 * already replaced would keep its seal behind that point: the current one is taken first.
 */
export function skipToJournalEnd(): i32 {
  let replaced = journalReplaced();
  for (let tries = 0; replaced == 1 && tries < 8; tries++) {
    const opened = openJournal();
    if (opened != ST_OK) return opened;
    replaced = journalReplaced();
  }
  if (replaced < 0) return ST_IO;
  if (replaced != 0) return fail(OP_STAT, -host.ESTALE, controlBuf, journalPath());
  handle.journalOffset = statedEnd();
  return ST_OK;
}

/** 1 when our journal file (or the one open as `fd`) was renamed over (nlink 0), 0 when not, -1 on failure; its size in statBuf. */
export function journalReplaced(fd: i32 = handle.journalFd): i32 {
  const r = host.fstat(fd, statBuf);
  // fstat of a file another client renamed over can fail instead of reporting nlink 0: gone all the same.
  if (replacedUnder(r)) return 1;
  if (r < 0) {
    fail(OP_STAT, r, controlBuf, journalPath());
    return -1;
  }
  return load<f64>(statBuf + host.STAT_NLINK) == 0 ? 1 : 0;
}

/** Appends our change j (its entry and KEY entries) in one write: ST_OK, or the failed write's -errno (ST_IO for a short one). */
function appendOwn(j: i32): i32 {
  const length = ownAt[j + 1] - ownAt[j];
  const r = host.write(handle.journalFd, own + ownAt[j], length, -1);
  return r == length ? ST_OK : r < 0 ? r : ST_IO;
}

/** Tells every handle to list the directory (a crash or a lost entry was found). */
export function appendRescan(): void {
  // Not among our own changes: the group being appended may still need them (appending after following a replaced journal, rival checks).
  writeEntry(rescanEntry, JOURNAL_RESCAN, handle.writer, 0, 0);
  if (host.write(handle.journalFd, rescanEntry, ENTRY_BYTES, -1) != ENTRY_BYTES || !rememberAppend(rescanEntry, ENTRY_BYTES)) markTrouble();
}

/**
 * Appends one entry about a change that has already happened, then reads the tail: that one
 * read both brings the index up to date and tells whether a rotation sealed the journal before
 * our entry landed (then it is written again in the successor). An append or read that fails
 * does not undo the change: the registration is marked instead, which makes every other handle
 * list the directory (registry.ts). Returns ST_OK; rivalSetBefore(0) tells a delete or take of a set that raced it.
 */
export function announce(kind: u8, digest: usize, birth: u64, expiry: u64 = 0, length: u32 = 0, cause: u8 = CAUSE_CALL,
  key: usize = 0, keyType: u8 = 0, keyLen: i32 = 0): i32 {
  if (appendChange(kind, digest, birth, expiry, length, cause, key, keyType, keyLen)) return publishChanges();
  ownPublished = true; // a failed append ends its group unread
  return ST_OK;
}

/**
 * Appends an entry (and its key's KEY entries) about a change that has just happened, at once: a
 * writer's changes reach the journal in the order they happen, each before its next, which a
 * listing relies on (relist). The change joins the group the next publishChanges reads back (one
 * change, or a batch's up to GROUP_MAX). False when the append failed: the registration is marked.
 */
export function appendChange(kind: u8, digest: usize, birth: u64, expiry: u64 = 0, length: u32 = 0, cause: u8 = CAUSE_CALL,
  key: usize = 0, keyType: u8 = 0, keyLen: i32 = 0): bool {
  if (ownPublished) {
    ownCount = 0;
    ownNextMet = 0;
    ownPublished = false;
  }
  const j = ownCount;
  const out = own + ownAt[j];
  writeEntry(out, kind, handle.writer, birth, digest);
  if (expiry != 0 || length != 0 || cause != CAUSE_CALL) {
    store<u8>(out, cause, 5);
    store<u32>(out, length, 12);
    store<u64>(out, expiry, 52);
    sealEntry(out);
  }
  const keyEntries = key != 0 ? writeKeyEntries(out, handle.writer, keyType, key, keyLen) : 0;
  rivalFlags[j] = 0;
  ownCount++;
  ownAt[ownCount] = ownAt[j] + ENTRY_BYTES * (1 + keyEntries);
  let appended = handle.journalFd >= 0 ? appendOwn(j) : ST_IO;
  // Our journal was replaced under us (another client's rotation): follow it and append there.
  if (replacedUnder(appended) && syncJournal(REPLACED_KNOWN) == ST_OK) appended = appendOwn(j);
  if (appended != ST_OK) {
    markTrouble();
    return false;
  }
  if (!rememberAppend(out, ownAt[ownCount] - ownAt[j])) markTrouble();
  handle.entriesSinceCache++;
  return true;
}

/** Reads the tail after our group's appends (see announce), then rotates when the journal is due. Returns ST_OK. */
export function publishChanges(): i32 {
  if (ownPublished) return ST_OK;
  ownPublished = true;
  if (syncJournal(REPLACED_SOMETIMES) != ST_OK) markTrouble();
  else announceSetsRemovedBefore();
  if (handle.indexLoaded && handle.journalOffset > rotationThreshold()) rotate();
  return ST_OK;
}

const removedDigests: usize = heap.alloc(GROUP_MAX * DIGEST_BYTES);
// Their keys (from our SETs' KEY entries): a watcher may have forgotten a key by the time it reads
// our DELETE (the remover's own entry came first), and cannot read it from a record that is gone.
const removedKeys: usize = heap.alloc(GROUP_MAX * KEY_CARRIED_MAX);
const removedKeyLengths = new StaticArray<i32>(GROUP_MAX);
const removedKeyTypes = new StaticArray<u8>(GROUP_MAX);

/**
 * Our SET j read after another handle's DELETE of its key, with no DELETE after it and no record
 * there now: that delete (or take) removed our record after our move, yet journaled first, so
 * whoever follows the journal in order (a watch; an index checks the record itself) would count
 * the key present. A DELETE appended now puts the two in the order they happened (FORMAT.md 7.3
 * step 4). Its only cost when the remover's own entry was still on its way: a second DELETE of an
 * absent key. Crash before it: as a crash before any entry (7.2's registration).
 */
function announceSetsRemovedBefore(): void {
  let removed = 0;
  for (let j = 0; j < ownCount; j++) {
    const mine = own + ownAt[j];
    if ((rivalFlags[j] & (RIVAL_DELETE_BEFORE | RIVAL_DELETE_AFTER)) != RIVAL_DELETE_BEFORE || entryKind(mine) != JOURNAL_SET) continue;
    if (host.stat(recordBuf, recordPath(recordBuf, entryDigest(mine)), statBuf) != -host.ENOENT) continue;
    memory.copy(removedDigests + <usize>removed * DIGEST_BYTES, entryDigest(mine), DIGEST_BYTES);
    const keys = (ownAt[j + 1] - ownAt[j]) / ENTRY_BYTES - 1;
    removedKeyLengths[removed] = carriedKey(mine + ENTRY_BYTES, keys, removedKeys + <usize>removed * KEY_CARRIED_MAX);
    removedKeyTypes[removed] = keys > 0 ? keyEntryType(mine + ENTRY_BYTES) : 0;
    removed++;
  }
  // A new group (appendChange starts one): its DELETEs have no SET to mend, so this ends there.
  for (let i = 0; i < removed; i++) {
    const keyLen = removedKeyLengths[i];
    const key = keyLen >= 0 ? removedKeys + <usize>i * KEY_CARRIED_MAX : 0;
    if (!appendChange(JOURNAL_DELETE, removedDigests + <usize>i * DIGEST_BYTES, 0, 0, 0, CAUSE_CALL, key, removedKeyTypes[i], keyLen)) return;
  }
  if (removed > 0) publishChanges();
}

/** The end of the last whole entry of the journal whose fstat is in statBuf (an append may be under way). */
export function statedEnd(): u64 {
  const size = <u64>load<f64>(statBuf + host.STAT_SIZE);
  return size - size % ENTRY_BYTES;
}

/**
 * Whether the current journal shows the key of `digest` written after a claim taken at
 * `claimStamp` (FORMAT.md 7.5, putting a record back): a SET whose birth stamp is later than the
 * claim and is not the claimed record's own (`birth`; 0 when unknown), met after the last SET of
 * that record itself. Such a write replaced the claimed value, even if the key was taken or
 * deleted since. A journal that rotated since the write, or cannot be read, says nothing: false.
 * Reads the last replayBound entries at most (into readBuf: a put-back never runs inside a
 * journal read), through a descriptor of its own: the handle's may hold a journal rotated away
 * since, and its place stays as it is.
 */
export function writtenSince(digest: usize, claimStamp: u64, birth: u64): bool {
  const fd = host.open(controlBuf, journalPath(), host.O_READ);
  if (fd < 0) return false;
  let found = false;
  if (host.fstat(fd, statBuf) == 0) {
    const end = statedEnd();
    const span = replayBound(indexSize()) * ENTRY_BYTES;
    let at = max<u64>(<u64>ENTRY_BYTES, end > span ? end - span : 0);
    while (at < end) {
      const n = host.read(fd, readBuf, JOURNAL_READ, <f64>at);
      if (n < ENTRY_BYTES) break;
      const whole = n / ENTRY_BYTES;
      for (let i = 0; i < whole; i++) {
        const e = readBuf + <usize>i * ENTRY_BYTES;
        if (!entryValid(e) || entryKind(e) != JOURNAL_SET || memory.compare(entryDigest(e), digest, DIGEST_BYTES) != 0) continue;
        const stamp = entryStamp(e);
        if (birth != 0 && stamp == birth) found = false; // the claimed record's own (over)write
        else if (stamp > claimStamp) found = true;
      }
      at += <u64>whole * ENTRY_BYTES;
    }
  }
  host.close(fd);
  return found;
}

function rotationThreshold(): u64 {
  return (handle.rotateAfter + indexSize()) * <u64>ENTRY_BYTES;
}

/**
 * Starts a new journal and snapshots the index into the cache, under the store lock so only one
 * handle rotates at a time; skipped (the journal just grows) when another handle holds it. The
 * trigger is checked again under the lock: another rotator may have just done it. Steps, and
 * what a crash after each leaves:
 *  1. the new journal (BEGIN: predecessor, generation + 1) renamed over .iodict/changes: readers
 *     find the old file unlinked without a seal, follow by nlink, and list the directory;
 *  2. SEALED (successor id, generation) appended to the old file: readers switch at once;
 *  3. the old file read to its end, so our index holds everything before the seal;
 *  4. the index cache written for the new journal at its start: without it, the next cold open
 *     lists the directory.
 * Late entries (appended to the old file after the seal) are written again by their writers.
 */
function rotate(force: bool = false): i32 {
  const lock = acquireStoreLock();
  if (lock == LOCK_BUSY) return force ? ST_BUSY : ST_OK;
  // Again under the lock, and on the current journal: another rotator may have just done it.
  let status = syncJournal(REPLACED_ALWAYS);
  if (status == ST_OK && (force || handle.journalOffset > rotationThreshold())) {
    status = replaceJournal(handle.journalId, handle.generation + 1);
    if (status == ST_OK) {
      writeEntry(readBuf, JOURNAL_SEALED, handle.writer, madeId, 0);
      store<u64>(readBuf, handle.generation + 1, 24);
      sealEntry(readBuf);
      host.write(handle.journalFd, readBuf, ENTRY_BYTES, -1); // a failed seal: readers follow by nlink
      const sealedId = handle.journalId;
      status = syncJournal(REPLACED_SOMETIMES);
      if (status == ST_OK && handle.journalId == madeId) {
        // Lost (a crash, a failed write): a watch looks at the keys of all it finds in the successor
        // when it moves there, which takes in everything before this point too.
        writeEntry(readBuf, JOURNAL_PREDECESSOR_SEALED, handle.writer, sealedId, 0);
        host.write(handle.journalFd, readBuf, ENTRY_BYTES, -1);
      }
    }
    if (status == ST_OK) status = writeCache();
  }
  releaseStoreLock(lock);
  return status;
}

const ST_BUSY: i32 = 1; // ST_MISSING: another handle holds the store lock

/** Rotates now, whatever the journal's size (iodict compact); ST_MISSING when another handle holds the store lock. */
export function compact(): i32 {
  return rotate(true);
}
