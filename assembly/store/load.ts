// The in-memory index of a handle: which keys exist, in birth order. It is loaded on the first
// call that needs order or size (get, has, set and delete never need it): from the index cache
// plus the journal since the cache, without listing the directory, unless the protocol cannot
// prove that nothing happened outside the journal (no usable cache, or a registration of a gone
// owner: registry.ts). Live handles keep it coherent through the journal (journal.ts).
import * as host from '../host/imports';
import { resize } from '../util/memory';
import { DIGEST_BYTES } from '../format/key';
import { HEADER_BYTES, RECORD_OK, RECORD_MAGIC, recordBirth, recordKeyType, recordKeyLength, recordExpires, recordExpiry, recordTotalLength, recordHoldsKey } from '../format/record';
import {
  indexFind, indexInsert, indexAppend, indexReserve, indexRemove, indexRebirth, indexBirth, indexSize, indexClear, indexOrder,
  indexSetRecord, indexExpiry, indexRecordLength, indexKeyType, indexKeyLength, indexKey,
} from '../index/ordered';
import { crc32c } from '../crypto/crc32c';
import {
  buildCache, cacheLength, cacheHeaderMatches, cacheSizeFits, cacheOffset, cacheCount, cacheEntryLength, cacheEntryKeyValid,
  cacheEntryBirth, cacheEntryKeyType, cacheEntryKeyLength, cacheEntryKey, cacheEntryExpiry, cacheEntryRecordLength,
  CACHE_HEADER, CACHE_ENTRY_MIN, CACHE_ENTRY_MAX,
} from './cache';
import { handle } from './handle';
import { recordBuf, controlBuf, controlPath, recordPath, parseRecordName } from './paths';
import { io, listDir, statBuf, openRetrying, openReading, readingFd, Listing, ChunkReader, ST_OK, ST_IO } from './io';
import { validate, quarantine, readRecordFile, readHead, notARecord } from './records';
import {
  JOURNAL_SET, JOURNAL_DELETE, REPLACED_SOMETIMES, ENTRY_BYTES, entryKind, entryStamp, entryDigest, entryExpiry, entryRecordLength,
  openJournal, syncJournal, skipToJournalEnd, setApplyOwnEntries, journalReplaced, replayBound, awaitPredecessorSeal, listingUnsure,
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

/**
 * The cache and the journal since it; the directory listing when they cannot be trusted (or
 * `useCache` is false: the cache was caught lying, see distrustIndex).
 */
function loadIndex(useCache: bool = true): i32 {
  // A journal that did not open again (its store was removed, say): opened before anything reads it.
  if (handle.journalFd < 0) {
    const opened = openJournal();
    if (opened != ST_OK) return opened;
  }
  indexClear();
  clearEvents();
  handle.indexLoaded = true;
  listed = false;
  const fromCache = useCache && loadCache() && journalTailFits(indexSize());
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

/**
 * A record read through a slot holds another key than the slot says. Only an index cache that
 * was crafted (or written wrong) puts a key under another key's digest, so the index is loaded
 * again from the directory, whose cache replaces that one. Every slot changes: the host drops
 * all the keys it knew.
 */
export function distrustIndex(): i32 {
  const status = loadIndex(false);
  // As when more slots changed than events hold (event()): the host forgets every slot.
  eventCount = EVENT_CAP;
  eventsOverflowed = true;
  return status;
}

/** Whether the slot's key is the key of the record at r (type and canonical bytes). */
export function slotHoldsKeyOf(slot: i32, r: usize): bool {
  return recordHoldsKey(r, indexKeyType(slot), indexKey(slot), indexKeyLength(slot));
}

// The cache is read a chunk at a time (a chunk holds any entry whole) and only as far as its
// entries go, so a damaged, crafted or sparse file costs what it really holds.
const CACHE_CHUNK: i32 = 4 * CACHE_ENTRY_MAX;
// Room in the index is reserved as entries prove real (doubling from this), not for the count
// the header claims.
const CACHE_RESERVE_STEP: u32 = 1 << 16;

const cacheHead: usize = heap.alloc(CACHE_HEADER);

/** Whether .iodict/index is a cache taken against journal `id` (its header alone). */
export function cacheNamesJournal(id: u64): bool {
  const n = openReading(controlBuf, controlPath(controlBuf, 'index'), host.O_READ, cacheHead, CACHE_HEADER);
  if (readingFd >= 0) host.close(readingFd);
  return n == CACHE_HEADER && cacheHeaderMatches(cacheHead, id);
}

/** Loads the index from .iodict/index when that is an intact cache taken against our journal; false otherwise. */
function loadCache(): bool {
  const len = controlPath(controlBuf, 'index');
  const fd = openRetrying(controlBuf, len, host.O_READ);
  if (fd < 0) return false;
  const reader = new ChunkReader(fd, CACHE_CHUNK);
  const loaded = readCache(fd, reader);
  reader.free();
  host.close(fd);
  return loaded;
}

/**
 * Every entry is checked before it is used: it lies within the file, its key length is at most
 * MAX_KEY_BYTES and its key one a record could hold, its digest is not there twice; the CRC-32C
 * and the file's length are checked at the end (the caller clears the index when this fails).
 * Whether each key's digest is its slot's is checked when a record is read through the slot
 * (store.ts getSlot): hashing every key here would double what loading costs.
 */
function readCache(fd: i32, reader: ChunkReader): bool {
  if (host.fstat(fd, statBuf) != 0 || load<f64>(statBuf + host.STAT_TYPE) != host.TYPE_FILE) return false;
  const size = <u64>load<f64>(statBuf + host.STAT_SIZE);
  const head = reader.peek(CACHE_HEADER);
  if (head == 0 || !cacheHeaderMatches(head, handle.journalId)) return false;
  const count = cacheCount(head);
  if (!cacheSizeFits(size, count)) return false;
  const journalOffset = cacheOffset(head);
  let crc = crc32c(head, CACHE_HEADER);
  reader.advance(CACHE_HEADER);
  let reserved: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    if (i == reserved) {
      const more = min(count - i, max(i, CACHE_RESERVE_STEP));
      indexReserve(more);
      reserved += more;
    }
    const fixed = reader.peek(CACHE_ENTRY_MIN);
    const entryLength = fixed != 0 ? cacheEntryLength(fixed) : 0;
    if (entryLength == 0) return false;
    const e = reader.peek(entryLength);
    if (e == 0 || !cacheEntryKeyValid(e) || indexFind(e) >= 0) return false;
    crc = crc32c(e, entryLength, crc);
    const birth = cacheEntryBirth(e);
    const keyType = cacheEntryKeyType(e);
    const key = cacheEntryKey(e);
    const keyLen = cacheEntryKeyLength(e);
    // In order (as caches are written): appended along the treap's spine; otherwise inserted.
    const appended = indexAppend(e, birth, keyType, key, keyLen);
    const slot = appended >= 0 ? <u32>appended : indexInsert(e, birth, keyType, key, keyLen);
    indexSetRecord(slot, cacheEntryExpiry(e), cacheEntryRecordLength(e));
    reader.advance(entryLength);
  }
  const trailer = reader.peek(4);
  if (trailer == 0 || load<u32>(trailer) != crc || reader.position() + 4 != size) return false;
  handle.journalOffset = journalOffset;
  return true;
}

/**
 * Whether the journal since the cache (from handle.journalOffset) is one a live store makes
 * (journal.ts replayBound): a longer one (grown while every rotator found the store lock held,
 * padded, sparse) is not read; the directory is listed instead, and the next change rotates.
 * So is a cache offset that is not an entry boundary within the journal.
 */
function journalTailFits(items: u32): bool {
  if (journalReplaced() < 0) return false;
  const size = <u64>load<f64>(statBuf + host.STAT_SIZE);
  const from = handle.journalOffset;
  if (from < <u64>ENTRY_BYTES || from % <u64>ENTRY_BYTES != 0 || from > size) return false;
  return (size - from) / <u64>ENTRY_BYTES <= replayBound(items);
}

export function writeCache(): i32 {
  // An index that may lack entries of a journal we never read is no cache for the next handle.
  if (listingUnsure()) return ST_OK;
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

/** Whether reconcile() ran since the index started loading. */
let listed = false;

/**
 * A listed record the index already has, during a reconcile: what no journal entry told us may
 * have changed it too (the key deleted and made again has a new birth; an overwrite, a new length
 * or expiry), so its head is read again, and only one that disagrees with the slot is read whole.
 * Returns the slot, -1 when the record is gone or invalid, or LEARN_FAILED.
 */
function recheckSlot(digest: usize, slot: i32): i32 {
  const len = recordPath(recordBuf, digest);
  const n = readHead(recordBuf, len, HEADER_BYTES);
  if (n == HEADER_BYTES && load<u32>(io) == RECORD_MAGIC && recordBirth(io) == indexBirth(slot) &&
      <u32>recordTotalLength(io) == indexRecordLength(slot) && !recordExpires(io) && indexExpiry(slot) == 0) return slot;
  return learnRecord(digest, slot);
}

/**
 * Makes the index match the directory listing: records the index lacks are read and added,
 * slots whose record is gone are dropped, and those it has are checked again (recheckSlot).
 * Catches what no journal entry said.
 */
export function reconcile(): i32 {
  if (!handle.indexLoaded) return ST_OK;
  listed = true;
  awaitPredecessorSeal();
  const n = listDir(recordBuf, 0);
  if (n < 0) return ST_IO;
  const listing = new Listing(n);
  memory.fill(seen, 0, seenCap);
  while (listing.next()) {
    if (!parseRecordName(listing.name, listing.nameLength, listedDigest)) continue;
    let slot = indexFind(listedDigest);
    slot = slot < 0 ? learnRecord(listedDigest, -1) : recheckSlot(listedDigest, slot);
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
