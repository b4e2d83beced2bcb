// The in-memory index of a handle: which keys exist, in birth order. It is loaded on the first
// call that needs order or size (get, has, set and delete never need it): from the index cache
// plus the journal since the cache, without listing the directory, unless the protocol cannot
// prove that nothing happened outside the journal (no usable cache, or a registration of a gone
// owner: registry.ts). Live handles keep it coherent through the journal (journal.ts).
import * as host from '../host/imports';
import { resize } from '../util/memory';
import { DIGEST_BYTES } from '../format/key';
import { HEADER_BYTES, RECORD_OK, recordBirth, recordKeyType, recordKeyLength, recordExpiry } from '../format/record';
import {
  indexFind, indexInsert, indexAppend, indexReserve, indexRemove, indexRebirth, indexBirth, indexSize, indexClear, indexOrder,
  indexSetRecord, indexExpiry, indexRecordLength,
} from '../index/ordered';
import {
  buildCache, cacheLength, cacheMatches, cacheOffset, cacheCount, cacheNext, cacheEntryBirth,
  cacheEntryKeyType, cacheEntryKeyLength, cacheEntryKey, cacheEntryExpiry, cacheEntryRecordLength, CACHE_HEADER, CACHE_ENTRY_MIN,
} from './cache';
import { handle } from './handle';
import { recordBuf, controlBuf, controlPath, recordPath, parseRecordName } from './paths';
import { io, readWhole, listDir, statBuf, fail, Listing, OP_STAT, ST_OK, ST_IO } from './io';
import { validate, quarantine, readRecordFile, notARecord } from './records';
import {
  JOURNAL_SET, JOURNAL_DELETE, REPLACED_SOMETIMES, entryKind, entryStamp, entryDigest, entryExpiry, entryRecordLength,
  syncJournal, skipToJournalEnd, setApplyOwnEntries,
} from './journal';
import { writeControlFile } from './temp';
import { checkRegistrations } from './registry';
import { recoverClaims } from './claims';

// Slots whose key another handle added or removed since the host last looked.
const EVENT_CAP: i32 = 4096;
export const events: usize = heap.alloc(EVENT_CAP << 2);
export let eventCount: i32 = 0;
export let eventsOverflowed: bool = false;

export function event(slot: u32): void {
  if (eventCount < EVENT_CAP) store<u32>(events + (<usize>(eventCount++) << 2), slot);
  else eventsOverflowed = true;
}
export function clearEvents(): void {
  eventCount = 0;
  eventsOverflowed = false;
}

/** Loads the index if this handle has not yet. */
export function ensureIndex(): i32 {
  return handle.indexLoaded ? ST_OK : loadIndex();
}

/** The cache and the journal since it; the directory listing when they cannot be trusted. */
function loadIndex(): i32 {
  indexClear();
  clearEvents();
  handle.indexLoaded = true;
  listed = false;
  const n = readWhole(controlBuf, controlPath(controlBuf, 'index'));
  let fromCache = n > 0 && cacheMatches(io, n, handle.journalId) && loadCache(n);
  if (!fromCache) {
    indexClear();
    // Everything from here on in the journal is applied over the listing below.
    const skipped = skipToJournalEnd();
    if (skipped != ST_OK) return failLoad(skipped);
    const scanned = reconcile();
    if (scanned != ST_OK) return failLoad(scanned);
  }
  setApplyOwnEntries(true);
  let status = syncJournal(REPLACED_SOMETIMES);
  setApplyOwnEntries(false);
  if (status == ST_OK && fromCache) status = checkRegistrations();
  if (status != ST_OK) return failLoad(status);
  status = recoverClaims();
  if (status != ST_OK) return failLoad(status);
  // A load that had to list the directory leaves a cache behind, so the next one need not.
  if (listed && syncJournal(REPLACED_SOMETIMES) == ST_OK) writeCache();
  clearEvents();
  return ST_OK;
}

function failLoad(status: i32): i32 {
  handle.indexLoaded = false;
  indexClear();
  return status;
}

function loadCache(n: i32): bool {
  const end = io + n - 4;
  let e = io + CACHE_HEADER;
  const count = cacheCount(io);
  // A count the file cannot hold is damage, not a size to reserve.
  if (<u64>count * CACHE_ENTRY_MIN > <u64>(end - e)) return false;
  indexReserve(count);
  for (let i: u32 = 0; i < count; i++) {
    if (e + CACHE_ENTRY_MIN > end || cacheNext(e) > end) return false;
    const birth = cacheEntryBirth(e);
    const keyType = cacheEntryKeyType(e);
    const key = cacheEntryKey(e);
    const keyLen = cacheEntryKeyLength(e);
    // In order (as caches are written): appended along the treap's spine; otherwise inserted.
    if (indexFind(e) < 0 && !indexAppend(e, birth, keyType, key, keyLen)) indexInsert(e, birth, keyType, key, keyLen);
    indexSetRecord(indexFind(e), cacheEntryExpiry(e), cacheEntryRecordLength(e));
    e = cacheNext(e);
  }
  handle.journalOffset = cacheOffset(io);
  return true;
}

export function writeCache(): i32 {
  const buf = buildCache(handle.journalId, handle.journalOffset);
  const status = writeControlFile('index', buf, cacheLength);
  if (status == ST_OK) handle.entriesSinceCache = 0;
  heap.free(buf);
  return status;
}

/** One journal entry of another handle, checked against the record itself; false when the record could not be read. */
export function applyEntry(e: usize): bool {
  const kind = entryKind(e);
  if (kind != JOURNAL_SET && kind != JOURNAL_DELETE) return true;
  const digest = entryDigest(e);
  const slot = indexFind(digest);
  // An overwrite keeps its birth: nothing to learn if we know the record at that birth (with
  // the expiry and length the entry names).
  if (kind == JOURNAL_SET && slot >= 0 && indexBirth(slot) == entryStamp(e) &&
      indexExpiry(slot) == entryExpiry(e) && indexRecordLength(slot) == entryRecordLength(e)) return true;
  if (kind == JOURNAL_DELETE && slot < 0) return true;
  return learnRecord(digest, slot) != LEARN_FAILED;
}

/** learnRecord's answer when the record could not be read (an I/O error): the index is unchanged. */
export const LEARN_FAILED: i32 = -2;

const learnDigest: usize = heap.alloc(DIGEST_BYTES);

/**
 * Brings one digest's slot in line with its record file (present, absent, or corrupt); returns
 * the slot, -1 when there is no valid record, or LEARN_FAILED when it could not be read.
 */
export function learnRecord(digest: usize, slot: i32): i32 {
  memory.copy(learnDigest, digest, DIGEST_BYTES);
  const len = recordPath(recordBuf, learnDigest);
  const n = readRecordFile(recordBuf, len);
  const check = n >= 0 ? validate(n, learnDigest) : notARecord(n);
  if (n >= 0 && check == RECORD_OK) {
    const birth = recordBirth(io);
    if (slot < 0) {
      slot = indexInsert(learnDigest, birth, recordKeyType(io), io + HEADER_BYTES, recordKeyLength(io));
      event(slot);
    } else if (indexBirth(slot) != birth) {
      indexRebirth(slot, birth);
      event(slot);
    }
    indexSetRecord(slot, recordExpiry(io), n);
    return slot;
  }
  if (check != RECORD_OK) quarantine(recordBuf, len, learnDigest, check);
  else if (n != -host.ENOENT) return LEARN_FAILED; // keep what we knew; the caller decides
  if (slot >= 0) {
    indexRemove(slot);
    event(slot);
  }
  return -1;
}

/** Drops a slot we know is gone (taken or deleted). */
export function forget(digest: usize): void {
  if (!handle.indexLoaded) return;
  const slot = indexFind(digest);
  if (slot >= 0) {
    indexRemove(slot);
    event(slot);
  }
}

// Marks for reconcile(): one byte per slot seen in the listing.
let seen: usize = 0;
let seenCap: i32 = 0;

function markSeen(slot: i32): void {
  if (slot >= seenCap) {
    const cap = max(max(slot + 1, seenCap * 2), 4096);
    seen = resize(seen, cap);
    memory.fill(seen + seenCap, 0, cap - seenCap);
    seenCap = cap;
  }
  store<u8>(seen + slot, 1);
}

const listedDigest: usize = heap.alloc(DIGEST_BYTES);

/**
 * Makes the index match the directory listing: records the index lacks are read and added,
 * slots whose record is gone are dropped. Catches what no journal entry said.
 */
/** Whether reconcile() ran since the index started loading. */
let listed = false;

export function reconcile(): i32 {
  if (!handle.indexLoaded) return ST_OK;
  listed = true;
  const n = listDir(recordBuf, 0);
  if (n < 0) return ST_IO;
  const listing = new Listing(n);
  memory.fill(seen, 0, seenCap);
  while (listing.next()) {
    if (!parseRecordName(listing.name, listing.nameLength, listedDigest)) continue;
    let slot = indexFind(listedDigest);
    if (slot < 0) slot = learnRecord(listedDigest, -1);
    if (slot == LEARN_FAILED) {
      // A record we cannot read now: an index without it would misreport; fail, and list again next time.
      listing.free();
      return ST_IO;
    }
    if (slot >= 0) markSeen(slot);
  }
  listing.free();
  const order = heap.alloc(<usize>max<u32>(indexSize(), 1) << 2);
  const count = indexOrder(order);
  for (let i: u32 = 0; i < count; i++) {
    const slot = load<u32>(order + (<usize>i << 2));
    if (<i32>slot >= seenCap || load<u8>(seen + slot) == 0) {
      indexRemove(slot);
      event(slot);
    }
  }
  heap.free(order);
  return ST_OK;
}
