// Our own journal appends that no read has met in place yet (FORMAT.md 8.3). Whether an append
// landed before or after a rotator's SEALED is known only once a read meets it, and on a network
// file system the read right after an append can miss it: a FUSE client (GlusterFS) caps reads at
// the file size it last heard of, which lags behind other clients' appends. So each append stays
// here until a read meets it before any seal; at a seal, or a journal replaced under us, every
// one still here is appended again in the successor (and stays until met there). Entries are
// hints: one written twice is harmless, one written never is a lost change.
import * as host from '../host/imports';
import { KEY_ENTRIES_MAX } from './keyentries';

const ENTRY: i32 = 64; // journal.ts ENTRY_BYTES, which this module's init cannot import (journal.ts imports it)
export const PENDING_MAX: i32 = 64;
const SLOT_BYTES: i32 = (1 + KEY_ENTRIES_MAX) * ENTRY;
const slots: usize = heap.alloc(PENDING_MAX * SLOT_BYTES);
const lengths: usize = heap.alloc(PENDING_MAX << 2); // 0: met
// Slots [head, end) in append order; reads meet them in that order, so head just moves on.
let head: i32 = 0;
let end: i32 = 0;
let unmet: i32 = 0;

/** How many appends wait to be met. */
export function pendingCount(): i32 {
  return unmet;
}

@inline function slot(i: i32): usize {
  return slots + <usize>i * SLOT_BYTES;
}
@inline function lengthAt(i: i32): i32 {
  return load<i32>(lengths + (<usize>i << 2));
}
@inline function setLength(i: i32, length: i32): void {
  store<i32>(lengths + (<usize>i << 2), length);
}

/**
 * Keeps an append (`length` bytes at `entry`) until a read meets it. False when the oldest had to
 * be dropped to make room (reads have missed 64 appends in a row): the caller must make up for it.
 */
export function rememberAppend(entry: usize, length: i32): bool {
  let kept = true;
  if (end == PENDING_MAX) compact();
  if (end == PENDING_MAX) {
    memory.copy(slot(0), slot(1), <usize>(end - 1) * SLOT_BYTES);
    memory.copy(lengths, lengths + 4, <usize>(end - 1) << 2);
    end--;
    unmet--;
    kept = false;
  }
  memory.copy(slot(end), entry, length);
  setLength(end, length);
  end++;
  unmet++;
  return kept;
}

/** Moves the unmet slots to the front, in order. */
function compact(): void {
  let to = 0;
  for (let i = head; i < end; i++) {
    if (lengthAt(i) == 0) continue;
    if (i != to) {
      memory.copy(slot(to), slot(i), SLOT_BYTES);
      setLength(to, lengthAt(i));
    }
    to++;
  }
  head = 0;
  end = to;
}

/** A read met our entry `e` (a change, not a KEY entry) before any seal: in place, no longer pending. */
export function metAppend(e: usize): void {
  for (let i = head; i < end; i++) {
    if (lengthAt(i) == 0 || memory.compare(slot(i), e, ENTRY) != 0) continue;
    setLength(i, 0);
    if (--unmet == 0) {
      head = end = 0;
    } else {
      while (lengthAt(head) == 0) head++;
    }
    return;
  }
}

/** Appends every pending entry again to `fd` (a successor journal), in order; how many writes failed. */
export function resendPending(fd: i32): i32 {
  let failed = 0;
  for (let i = head; i < end; i++) {
    const length = lengthAt(i);
    if (length != 0 && host.write(fd, slot(i), length, -1) != length) failed++;
  }
  return failed;
}
