// The change feed (watch()): a cursor over the journal of its own, apart from the handle's, that
// hands the host every entry about a change in journal order, each with its position (journal
// id, offset after it). It follows rotations as readers do (FORMAT.md 8.2): at a SEALED entry
// it moves to the named successor, skipping entries appended to the old file after the seal
// (their writers write them again in the successor, so none is reported twice). When the
// position's journal is gone and the current one is not its successor, or a journal was
// replaced without a seal (its rotator died: not while another handle holds the store lock, as
// a live rotator does until its seal is written), entries may have been lost: WATCH_LOST, or a
// RESCAN entry. Past a seal, the keys the successor named before the cursor got there are looked
// at once (settle): their entries may be older than the old file's last ones.
import * as host from '../host/imports';
import { DIGEST_BYTES } from '../format/key';
import { controlBuf, controlPath, recordBuf, recordPath } from './paths';
import { readRecordAt } from './records';
import { statBuf, openReading, readingFd, replacedUnder, fail, OP_OPEN, OP_READ, OP_STAT } from './io';
import { anotherHoldsStoreLock } from './lock';
import { handle } from './handle';
import {
  ENTRY_BYTES, JOURNAL_BEGIN, JOURNAL_SEALED, JOURNAL_RESCAN, JOURNAL_SET, JOURNAL_DELETE, JOURNAL_PREDECESSOR_SEALED, entryValid, entryKind, entryStamp, writeEntry, statedEnd, awaitRotation,
} from './journal';
import { JOURNAL_KEY, KEY_CARRIED_MAX, keyEntriesAfter, keyEntryType, carriedKey } from './keyentries';

/**
 * One change handed to the host: the 64-byte entry, the journal id (u64), the offset after it
 * (u64), the key type (u8, at 80), 1 at 81 when a look at the record made it (settle) rather than
 * an entry, the key length (i32 at 84; -1 when the entry carries no key) and the key bytes (at 88).
 */
export const CHANGE_BYTES: i32 = ENTRY_BYTES + 24 + KEY_CARRIED_MAX;
const CHANGE_CAP: i32 = 256;
export const changes: usize = heap.alloc(CHANGE_CAP * CHANGE_BYTES);
/** The cursor's position (journal id u64, offset u64): the host writes it before watchStart(true). */
export const position: usize = heap.alloc(16);

export const WATCH_IO: i32 = -1; // a read failed (errorOp and friends say which)
export const WATCH_LOST: i32 = -2; // the position's journal was rotated away: changes may be lost
export const WATCH_BAD_POSITION: i32 = -3; // not a position in that journal

let fd: i32 = -1;
let journalId: u64 = 0;
let offset: u64 = 0;
let successor: u64 = 0; // a SEALED entry was met: the journal to move to
let lost = false;
let drained = false; // the replaced journal was read once more after its nlink turned 0
let sealWaitSince: f64 = 0; // when the cursor began waiting for a replaced journal's seal (0: not waiting)
let lockSeenFree = false; // the store lock was free while waiting: one more read, then move on
let damageRun = 0; // damaged entries in a row just read
// Settling after a seal: the successor's head (up to its PREDECESSOR_SEALED entry, or its end
// when the cursor moved to it, whichever comes first: settleUntil) was appended while the old
// file still took entries, so journal order may put a change before an older one of the same key.
// Each key the head names (settled: digest, last kind) is looked at once the cursor passed it, and
// a change that order got wrong is reported again.
let settleUntil: u64 = 0; // 0: not settling
let settled: usize = 0; // SETTLE_SLOT bytes per key: digest, then the kind of its last change
let settledCap: i32 = 0;
let settledCount: i32 = 0;
let settledNext: i32 = -1; // -1: still reading up to settleUntil; else the next key to look at
let settledTooMany = false;
const settledSlot = new Map<u64, i32>(); // the digest's first 8 bytes: its slot (the first one, on a clash)
const SETTLE_SLOT: i32 = 32;
// More keys than this in one successor's head (a watch far behind): a rescan instead of the looks.
const SETTLE_MAX: i32 = 16384;
// A run of damage longer than this (a journal padded by hand, or sparse) is skipped to the end.
const DAMAGE_SKIP: i32 = 64;
const readBuf: usize = heap.alloc(64 * ENTRY_BYTES);
const begin: usize = heap.alloc(ENTRY_BYTES);

/** Opens .iodict/changes: its id in journalId, its size in statBuf; 0 or a WATCH_* code. */
function openCurrent(): i32 {
  if (fd >= 0) host.close(fd);
  fd = -1;
  const len = controlPath(controlBuf, 'changes');
  const n = openReading(controlBuf, len, host.O_READ, begin, ENTRY_BYTES);
  if (readingFd < 0) {
    fail(OP_OPEN, n, controlBuf, len);
    return WATCH_IO;
  }
  fd = readingFd;
  if (n < 0) {
    fail(OP_READ, n, controlBuf, len);
    return WATCH_IO;
  }
  // A journal without its BEGIN is being replaced by a handle that will start a fresh one.
  if (n != ENTRY_BYTES || !entryValid(begin) || entryKind(begin) != JOURNAL_BEGIN) return WATCH_LOST;
  journalId = entryStamp(begin);
  const r = host.fstat(fd, statBuf);
  if (r < 0) {
    fail(OP_STAT, r, controlBuf, len);
    return WATCH_IO;
  }
  return 0;
}

/** Starts the cursor at the end of the journal, or at `position` (fromPosition). */
export function watchStart(fromPosition: bool): i32 {
  successor = 0;
  lost = false;
  drained = false;
  endSealWait();
  endSettle();
  damageRun = 0;
  const opened = openCurrent();
  if (opened != 0) return opened;
  if (!fromPosition) {
    // Opened between a rotator's rename and its seal, the old journal still takes entries of
    // writers that have not noticed, and a cursor here would never read them: it starts once the
    // seal is written (FORMAT.md 8.2), so those come before its start. Up to the lease (a listing
    // waits less: it can list again later, where a cursor past them cannot go back).
    if (load<u64>(begin, 24) != 0) {
      awaitRotation(journalId, fd, handle.lease);
      const r = host.fstat(fd, statBuf); // the size at our start, after the wait
      if (r < 0) {
        fail(OP_STAT, r, controlBuf, controlPath(controlBuf, 'changes'));
        return WATCH_IO;
      }
    }
    offset = statedEnd();
    return 0;
  }
  const size = <u64>load<f64>(statBuf + host.STAT_SIZE);
  const wantId = load<u64>(position);
  const wantOffset = load<u64>(position, 8);
  if (wantId != journalId) return WATCH_LOST;
  if (wantOffset < <u64>ENTRY_BYTES || wantOffset % ENTRY_BYTES != 0 || wantOffset > size) return WATCH_BAD_POSITION;
  offset = wantOffset;
  return 0;
}

export function watchStop(): void {
  if (fd >= 0) host.close(fd);
  fd = -1;
}

/** Copies one entry out as a change, with the position after it. */
function emit(count: i32, e: usize, looked: bool = false): void {
  const out = changes + <usize>count * CHANGE_BYTES;
  memory.copy(out, e, ENTRY_BYTES);
  store<u64>(out, journalId, ENTRY_BYTES);
  store<u64>(out, offset, ENTRY_BYTES + 8);
  store<u8>(out, looked ? 1 : 0, ENTRY_BYTES + 17);
  store<i32>(out, -1, ENTRY_BYTES + 20);
}

/** Adds the key carried by the `n` KEY entries at k to change `count`, when they are whole. */
function emitKey(count: i32, k: usize, n: i32): void {
  const out = changes + <usize>count * CHANGE_BYTES;
  const keyLen = carriedKey(k, n, out + ENTRY_BYTES + 24);
  if (keyLen < 0) return;
  store<u8>(out, keyEntryType(k), ENTRY_BYTES + 16);
  store<i32>(out, keyLen, ENTRY_BYTES + 20);
}

const rescan: usize = heap.alloc(ENTRY_BYTES);
function emitRescan(count: i32): void {
  writeEntry(rescan, JOURNAL_RESCAN, 0, 0, 0);
  emit(count, rescan);
}

/**
 * Reads the changes after the cursor into `changes`: returns how many (0: nothing new), or a
 * WATCH_* code (after handing out the changes read before it, on the next call).
 */
export function watchRead(): i32 {
  if (fd < 0) return WATCH_BAD_POSITION;
  let count = 0;
  while (count < CHANGE_CAP) {
    if (lost) return count > 0 ? count : WATCH_LOST;
    if (settleUntil != 0 && (offset >= settleUntil || successor != 0)) {
      count = settle(count);
      if (settleUntil != 0) return count; // out of room: the rest next time
      continue;
    }
    if (damageRun > DAMAGE_SKIP) {
      // Not read through: the file is skipped to its last DAMAGE_SKIP entries (where entries
      // appended after the damage are), and a rescan placed there covers what the skip passed.
      if (host.fstat(fd, statBuf) == 0) {
        const size = <u64>load<f64>(statBuf + host.STAT_SIZE);
        const last = size - size % ENTRY_BYTES - <u64>DAMAGE_SKIP * ENTRY_BYTES;
        if (size >= <u64>(DAMAGE_SKIP + 1) * ENTRY_BYTES && last > offset) offset = last;
      }
      emitRescan(count++);
      damageRun = 1;
      continue;
    }
    if (successor != 0) {
      const expected = successor;
      const opened = openCurrent();
      if (opened == WATCH_IO) return count > 0 ? count : WATCH_IO;
      if (opened != 0 || journalId != expected) {
        lost = true; // slept through rotations whose journals are gone
        continue;
      }
      successor = 0;
      offset = ENTRY_BYTES;
      drained = false;
      endSealWait();
      const size = <u64>load<f64>(statBuf + host.STAT_SIZE);
      if (size >= <u64>(2 * ENTRY_BYTES)) settleUntil = size - size % ENTRY_BYTES;
    }
    const room = min(CHANGE_CAP - count, 64);
    const n = host.read(fd, readBuf, room * ENTRY_BYTES, <f64>offset);
    // Renamed over by another client (GlusterFS): nothing more can be read from it.
    let gone = replacedUnder(n);
    if (n < 0 && !gone) {
      fail(OP_READ, n, controlBuf, controlPath(controlBuf, 'changes'));
      return count > 0 ? count : WATCH_IO;
    }
    const whole = gone ? 0 : n / ENTRY_BYTES;
    let waitForKey = false;
    for (let i = 0; i < whole; i++) {
      // The head is read: settled before anything after it is handed out (its keys' looks take
      // in what came after, and a later change's report must not come before the look's).
      if (settleUntil != 0 && offset >= settleUntil) break;
      const e = readBuf + <usize>i * ENTRY_BYTES;
      if (!entryValid(e)) {
        offset += ENTRY_BYTES;
        if (damageRun++ == 0) emitRescan(count++); // damage: some change is not named (one rescan a run)
        continue;
      }
      damageRun = 0;
      const kind = entryKind(e);
      if (kind == JOURNAL_SET || kind == JOURNAL_DELETE) {
        // Its KEY entries come in the same append: a reader that sees only part of it waits for
        // the rest (unless the buffer was full: then it reads them first thing next time).
        const keys = keyEntriesAfter(e);
        let carried = 0;
        while (carried < keys && i + 1 + carried < whole && entryKind(e + <usize>(carried + 1) * ENTRY_BYTES) == JOURNAL_KEY) carried++;
        if (carried < keys && i + 1 + carried == whole) {
          waitForKey = true;
          break;
        }
        if (settleUntil != 0 && offset < settleUntil) noteSettled(e);
        offset += <u64>(1 + carried) * ENTRY_BYTES;
        emit(count, e);
        if (carried > 0) emitKey(count, e + ENTRY_BYTES, carried);
        count++;
        i += carried;
        continue;
      }
      offset += ENTRY_BYTES;
      if (kind == JOURNAL_BEGIN || kind == JOURNAL_KEY) continue;
      if (kind == JOURNAL_PREDECESSOR_SEALED) {
        if (offset < settleUntil) settleUntil = offset; // what follows came after the seal
        continue;
      }
      if (kind == JOURNAL_SEALED) {
        // A journal never names itself its successor: such a seal (crafted) would send the
        // cursor round this journal forever. It is damage: some change is not named.
        if (entryStamp(e) == journalId) {
          emitRescan(count++);
          continue;
        }
        successor = entryStamp(e);
        break;
      }
      emit(count++, e);
    }
    if (successor != 0) continue;
    if (waitForKey) return count;
    if (settleUntil != 0 && offset >= settleUntil) continue; // the head is read: settle it now
    if (whole == room) continue;
    // Nothing more here. A journal renamed over without a seal (its rotator died): move on to
    // the current one if it follows ours, telling the host that entries may be missing.
    if (!gone) {
      const r = host.fstat(fd, statBuf);
      gone = replacedUnder(r);
      if (!gone && (r < 0 || load<f64>(statBuf + host.STAT_NLINK) != 0)) return count;
      if (!gone && !drained) {
        drained = true; // writers may have appended since our read: read it to its end once more
        continue;
      }
    }
    if (rotatorAtWork()) return count; // the host reads again shortly: the seal, or the lock free
    if (!lockSeenFree) {
      // A seal written before the lock's release is there now, even when the lock was free at our
      // first look (the rotator sealed and let go between our last read and that look).
      lockSeenFree = true;
      continue;
    }
    drained = false;
    endSealWait();
    endSettle();
    const previous = journalId;
    const opened = openCurrent();
    if (opened == WATCH_IO) return count > 0 ? count : WATCH_IO;
    if (opened != 0 || load<u64>(begin, 24) != previous) {
      lost = true;
      continue;
    }
    offset = ENTRY_BYTES;
    emitRescan(count++);
  }
  return count;
}

/**
 * Whether another handle holds the store lock while our journal, renamed over, shows no seal:
 * a rotator between its rename and its seal (FORMAT.md 8.4 steps 2 and 3), whose seal is coming,
 * with the entries writers appended to the old file meanwhile before it (8.2: readers wait for it
 * likewise). A watch moving on without them would report a rescan for a rotation that lost
 * nothing. Not waited for: a store whose lock this handle cannot take (read-only), and past the
 * lease (the holder is not rotating; its seal will not come).
 */
function rotatorAtWork(): bool {
  if (lockSeenFree || !anotherHoldsStoreLock()) return false;
  if (sealWaitSince == 0) sealWaitSince = host.now();
  return host.now() - sealWaitSince <= <f64>handle.lease;
}

function endSealWait(): void {
  sealWaitSince = 0;
  lockSeenFree = false;
}

function endSettle(): void {
  settleUntil = 0;
  settledCount = 0;
  settledNext = -1;
  settledTooMany = false;
  settledSlot.clear();
}

/** Notes the key a SET or DELETE entry names, and its kind, for settle(). */
function noteSettled(e: usize): void {
  const digest = e + 24;
  const first = load<u64>(digest);
  let slot = settledSlot.has(first) ? settledSlot.get(first) : -1;
  if (slot >= 0 && memory.compare(settled + <usize>slot * SETTLE_SLOT, digest, DIGEST_BYTES) != 0) {
    slot = -1; // another key with the same first bytes (made on purpose): look them all through
    for (let i = 0; i < settledCount && slot < 0; i++) {
      if (memory.compare(settled + <usize>i * SETTLE_SLOT, digest, DIGEST_BYTES) == 0) slot = i;
    }
  }
  if (slot < 0) {
    if (settledCount == SETTLE_MAX) {
      settledTooMany = true;
      return;
    }
    if (settledCount == settledCap) {
      settledCap = max(64, settledCap * 2);
      const bytes = <usize>settledCap * SETTLE_SLOT;
      settled = settled == 0 ? heap.alloc(bytes) : heap.realloc(settled, bytes);
    }
    slot = settledCount++;
    memory.copy(settled + <usize>slot * SETTLE_SLOT, digest, DIGEST_BYTES);
    if (!settledSlot.has(first)) settledSlot.set(first, slot);
  }
  store<u8>(settled + <usize>slot * SETTLE_SLOT, entryKind(e), DIGEST_BYTES);
}

const correction: usize = heap.alloc(ENTRY_BYTES);
/**
 * Looks at each key settleUntil's head named: a record there after a DELETE was reported last is
 * reported set, one gone after a SET is reported deleted (a change also journaled later is then
 * reported twice: replaying the feed still leaves the keys the store holds). Returns the new count.
 */
function settle(count: i32): i32 {
  if (settledNext < 0) {
    settledNext = 0;
    if (settledTooMany) {
      emitRescan(count++);
      settledCount = 0;
    }
  }
  while (settledNext < settledCount && count < CHANGE_CAP) {
    const slot = settled + <usize>settledNext * SETTLE_SLOT;
    settledNext++;
    const wasSet = load<u8>(slot, DIGEST_BYTES) == JOURNAL_SET;
    const r = host.stat(recordBuf, recordPath(recordBuf, slot), statBuf);
    if (r < 0 && r != -host.ENOENT) {
      emitRescan(count++); // cannot tell: the consumer reads the store again, so no more looks
      settledNext = settledCount;
      break;
    }
    if ((r == 0) == wasSet) continue;
    writeEntry(correction, wasSet ? JOURNAL_DELETE : JOURNAL_SET, 0, 0, slot);
    emit(count++, correction, true);
  }
  if (settledNext >= settledCount) endSettle();
  return count;
}

const changedDigest: usize = heap.alloc(DIGEST_BYTES);
/** Reads the record that change i names (expired or not) into the result: where its key comes from. */
export function readChangedRecord(i: i32): i32 {
  memory.copy(changedDigest, changes + <usize>i * CHANGE_BYTES + 24, DIGEST_BYTES);
  return readRecordAt(recordBuf, recordPath(recordBuf, changedDigest), changedDigest);
}
