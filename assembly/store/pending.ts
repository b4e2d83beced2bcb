// Our own journal appends that no read has met in place yet (FORMAT.md 8.3). Whether an append
// landed before or after a rotator's SEALED is known only once a read meets it, and on a network
// file system the read right after an append can miss it: a FUSE client (GlusterFS) caps reads at
// the file size it last heard of, which lags behind other clients' appends. So each append stays
// here until a read meets it before any seal; at a seal, or a journal replaced under us, every
// one still here is appended again in the successor (and stays until met there). Entries are
// hints: one written twice is harmless, one written never is a lost change.
import { KEY_ENTRIES_MAX } from './keyentries';

const ENTRY: i32 = 64; // journal.ts ENTRY_BYTES, which this module's init cannot import (journal.ts imports it)
export const PENDING_MAX: i32 = 64;
const SLOT_BYTES: i32 = (1 + KEY_ENTRIES_MAX) * ENTRY;
const slots: usize = heap.alloc(PENDING_MAX * SLOT_BYTES);
const lengths: usize = heap.alloc(PENDING_MAX << 2);
let count: i32 = 0;

/** How many appends wait to be met. */
export function pendingCount(): i32 {
  return count;
}
/** Pending append i: its bytes (the entry and its KEY entries) and their length. */
export function pendingEntry(i: i32): usize {
  return slots + <usize>i * SLOT_BYTES;
}
export function pendingLength(i: i32): i32 {
  return load<i32>(lengths + (<usize>i << 2));
}

/**
 * Keeps an append (`length` bytes at `entry`) until a read meets it. False when the oldest had to
 * be dropped to make room (reads have missed 64 appends in a row): the caller must make up for it.
 */
export function rememberAppend(entry: usize, length: i32): bool {
  let kept = true;
  if (count == PENDING_MAX) {
    drop(0);
    kept = false;
  }
  memory.copy(pendingEntry(count), entry, length);
  store<i32>(lengths + (<usize>count << 2), length);
  count++;
  return kept;
}

/** A read met our entry `e` before any seal: it is in place, no longer pending. */
export function metAppend(e: usize): void {
  for (let i = 0; i < count; i++) {
    if (memory.compare(pendingEntry(i), e, ENTRY) == 0) {
      drop(i);
      return;
    }
  }
}

function drop(i: i32): void {
  const after = count - i - 1;
  memory.copy(pendingEntry(i), pendingEntry(i + 1), <usize>after * SLOT_BYTES);
  memory.copy(lengths + (<usize>i << 2), lengths + (<usize>(i + 1) << 2), <usize>after << 2);
  count--;
}
