// The change feed (watch()): a cursor over the journal of its own, apart from the handle's, that
// hands the host every entry about a change in journal order, each with its position (journal
// id, offset after it). It follows rotations as readers do (FORMAT.md 8.2): at a SEALED entry
// it moves to the named successor, skipping entries appended to the old file after the seal
// (their writers write them again in the successor, so none is reported twice). When the
// position's journal is gone and the current one is not its successor, or a journal was
// replaced without a seal, entries may have been lost: WATCH_LOST, or a RESCAN entry.
import * as host from '../host/imports';
import { DIGEST_BYTES } from '../format/key';
import { controlBuf, controlPath, recordBuf, recordPath } from './paths';
import { readRecordAt } from './records';
import { statBuf, openRetrying, fail, OP_OPEN, OP_READ, OP_STAT } from './io';
import {
  ENTRY_BYTES, JOURNAL_BEGIN, JOURNAL_SEALED, JOURNAL_RESCAN, entryValid, entryKind, entryStamp, writeEntry,
} from './journal';

/** One change handed to the host: the 64-byte entry, the journal id, the offset after it. */
export const CHANGE_BYTES: i32 = ENTRY_BYTES + 16;
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
const readBuf: usize = heap.alloc(64 * ENTRY_BYTES);
const begin: usize = heap.alloc(ENTRY_BYTES);

/** Opens .iodict/changes: its id in journalId, its size in statBuf; 0 or a WATCH_* code. */
function openCurrent(): i32 {
  if (fd >= 0) host.close(fd);
  fd = -1;
  const len = controlPath(controlBuf, 'changes');
  const opened = openRetrying(controlBuf, len, host.O_READ);
  if (opened < 0) {
    fail(OP_OPEN, opened, controlBuf, len);
    return WATCH_IO;
  }
  fd = opened;
  const n = host.read(fd, begin, ENTRY_BYTES, 0);
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
  const opened = openCurrent();
  if (opened != 0) return opened;
  const size = <u64>load<f64>(statBuf + host.STAT_SIZE);
  if (!fromPosition) {
    offset = size - size % ENTRY_BYTES;
    return 0;
  }
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
function emit(count: i32, e: usize): void {
  const out = changes + <usize>count * CHANGE_BYTES;
  memory.copy(out, e, ENTRY_BYTES);
  store<u64>(out, journalId, ENTRY_BYTES);
  store<u64>(out, offset, ENTRY_BYTES + 8);
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
    }
    const room = min(CHANGE_CAP - count, 64);
    const n = host.read(fd, readBuf, room * ENTRY_BYTES, <f64>offset);
    if (n < 0) {
      fail(OP_READ, n, controlBuf, controlPath(controlBuf, 'changes'));
      return count > 0 ? count : WATCH_IO;
    }
    const whole = n / ENTRY_BYTES;
    for (let i = 0; i < whole; i++) {
      const e = readBuf + <usize>i * ENTRY_BYTES;
      offset += ENTRY_BYTES;
      if (!entryValid(e)) {
        emitRescan(count++); // damage: some change is not named
        continue;
      }
      const kind = entryKind(e);
      if (kind == JOURNAL_BEGIN) continue;
      if (kind == JOURNAL_SEALED) {
        successor = entryStamp(e);
        break;
      }
      emit(count++, e);
    }
    if (successor != 0) continue;
    if (whole == room) continue;
    // Nothing more here. A journal renamed over without a seal (its rotator died): move on to
    // the current one if it follows ours, telling the host that entries may be missing.
    const r = host.fstat(fd, statBuf);
    if (r < 0 || load<f64>(statBuf + host.STAT_NLINK) != 0) return count;
    if (!drained) {
      drained = true; // writers may have appended since our read: read it to its end once more
      continue;
    }
    drained = false;
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

const changedDigest: usize = heap.alloc(DIGEST_BYTES);
/** Reads the record that change i names (expired or not) into the result: where its key comes from. */
export function readChangedRecord(i: i32): i32 {
  memory.copy(changedDigest, changes + <usize>i * CHANGE_BYTES + 24, DIGEST_BYTES);
  return readRecordAt(recordBuf, recordPath(recordBuf, changedDigest), changedDigest);
}
