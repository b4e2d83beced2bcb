// Store operations: the protocol of FORMAT.md over the import table.
// Writes go to a temp file renamed into place; claims rename a record away first, so two
// handles can never take the same item; every change is announced in the journal.
import * as host from '../host/imports';
import { resize } from '../util/memory';
import { keyDigest, DIGEST_BYTES, NAME_CHARS, KEY_STRING } from '../format/key';
import {
  sealRecord, checkRecord, HEADER_BYTES, RECORD_OK, RECORD_WRONG_NAME,
  recordBirth, recordKeyType, recordKeyLength,
} from '../format/record';
import {
  indexFind, indexInsert, indexRemove, indexRebirth, indexBirth, indexSize, indexFirst, indexLast,
  indexDigest, indexClear, indexOrder as indexOrderInto,
} from '../index/ordered';
import {
  ENTRY_BYTES, JOURNAL_BEGIN, JOURNAL_SET, JOURNAL_DELETE, JOURNAL_SEALED, writeEntry, entryValid, entryKind,
  entryWriter, entryStamp, entryDigest,
} from './journal';
import {
  buildCache, cacheLength, cacheMatches, cacheOffset, cacheCount, cacheNext, cacheEntryBirth,
  cacheEntryKeyType, cacheEntryKeyLength, cacheEntryKey, CACHE_HEADER,
} from './cache';
import {
  pathA, pathB, putAscii, putHex, recordPath, controlPath, asidePath, parseRecordName,
} from './paths';
import {
  ST_OK, ST_MISSING, ST_NEWER_FORMAT, ST_IO, OP_OPEN, notStore, OP_READ, OP_WRITE,
  OP_RENAME, OP_UNLINK, OP_MKDIR, OP_FSYNC, OP_STAT, OP_XATTR, fail, corrupt,
  io, statBuf, openRetrying, readWhole, writeAll, listDir, MAX_BUFFER,
} from './io';

// open() flags from the host.
export const OPEN_FSYNC: i32 = 1; // durability 'fsync'
export const OPEN_XATTRS_OFF: i32 = 2;
export const OPEN_XATTRS_ON: i32 = 4; // fail instead of falling back when xattrs are missing
export const OPEN_KIND_DICT: i32 = 8; // a dictionary: refuse a queue's store (tools pass no kind)
export const OPEN_KIND_QUEUE: i32 = 16; // a queue: refuse a dictionary's store

// The kind a store was made for, on the marker's second line ("kind dict" / "kind queue").
export const KIND_ANY: i32 = 0;
export const KIND_DICT: i32 = 1;
export const KIND_QUEUE: i32 = 2;
let requestedKind: i32 = KIND_ANY;

const FORMAT_TEXT = 'iodict-store 1\n';
const FORMAT_PREFIX = 'iodict-store ';

let fsyncWrites = false;
let xattrs = true; // mirror user.key and user.birthtime
let xattrsRequired = false;
let writerId: u32 = 0;
let ownerTag: u64 = 0; // claims are named by it: the pid that holds them, then the handle
let tempCounter: u32 = 0;
let lastBirth: u64 = 0;

let journalFd: i32 = -1;
let journalOffset: u64 = 0;
let journalId: u64 = 0;
let journalSize: u64 = 0;
let entriesSinceCache: u32 = 0;
const JOURNAL_READ: i32 = 64 * ENTRY_BYTES;
const journalBuf: usize = heap.alloc(JOURNAL_READ);
const entryBuf: usize = heap.alloc(ENTRY_BYTES);
const digestBuf: usize = heap.alloc(DIGEST_BYTES);
const checkDigestBuf: usize = heap.alloc(DIGEST_BYTES);
const xattrBuf: usize = heap.alloc(16);

// The write buffer: the host places key and value at rec + HEADER_BYTES.
let rec: usize = heap.alloc(65536);
let recCap: i32 = 65536;

// Results of the last operation, read by the host through the getters in index.ts.
export let resultSlot: i32 = -1;
export let resultRecord: usize = 0; // the record (header on) of a get or pop, in io
export let resultIsNew: bool = false;

// Slots whose key another handle added or removed since the host last looked.
const EVENT_CAP: i32 = 4096;
export const events: usize = heap.alloc(EVENT_CAP << 2);
export let eventCount: i32 = 0;
export let eventsOverflowed: bool = false;

function event(slot: u32): void {
  if (eventCount < EVENT_CAP) store<u32>(events + (<usize>(eventCount++) << 2), slot);
  else eventsOverflowed = true;
}
export function clearEvents(): void {
  eventCount = 0;
  eventsOverflowed = false;
}

function nextBirth(): u64 {
  let now = <u64>host.now();
  if (now <= lastBirth) now = lastBirth + 1;
  lastBirth = now;
  return now;
}

function randomU64(): u64 {
  host.random(xattrBuf, 8);
  return load<u64>(xattrBuf);
}

export function reservedRecord(): usize {
  return rec;
}

/** Room for a record of this many bytes at the returned pointer; 0 when over MAX_BUFFER. */
export function reserve(bytes: i32): usize {
  if (bytes > MAX_BUFFER || bytes < 0) return 0;
  if (bytes > recCap) {
    let cap = recCap;
    while (cap < bytes) cap = min(cap << 1, MAX_BUFFER);
    heap.free(rec);
    rec = heap.alloc(cap);
    recCap = cap;
  }
  return rec;
}

// ---- opening -------------------------------------------------------------------------

export function open(flags: i32): i32 {
  fsyncWrites = (flags & OPEN_FSYNC) != 0;
  xattrs = (flags & OPEN_XATTRS_OFF) == 0;
  xattrsRequired = (flags & OPEN_XATTRS_ON) != 0;
  requestedKind = flags & OPEN_KIND_QUEUE ? KIND_QUEUE : flags & OPEN_KIND_DICT ? KIND_DICT : KIND_ANY;
  writerId = <u32>randomU64();
  ownerTag = (<u64><u32>host.pid() << 32) | writerId;
  const status = ensureStore();
  if (status != ST_OK) return status;
  const opened = openJournal();
  if (opened != ST_OK) return opened;
  return loadIndex();
}

function ensureStore(): i32 {
  let r = host.stat(pathA, 0, statBuf);
  if (r == -host.ENOENT) {
    r = host.mkdir(pathA, 0);
    if (r < 0 && r != -host.EEXIST) return fail(OP_MKDIR, r, pathA, 0);
    r = host.stat(pathA, 0, statBuf);
  }
  if (r < 0) return fail(OP_STAT, r, pathA, 0);
  if (load<f64>(statBuf + host.STAT_ISDIR) == 0) return notStore(0);
  const len = controlPath(pathA, 'format');
  const n = readWhole(pathA, len);
  if (n >= 0) return checkFormat(n);
  if (n != -host.ENOENT) return ST_IO;
  return createStore();
}

/**
 * Checks the marker in io[0, n): version 1, and when this handle asked for a kind, a store of
 * that kind (a marker without a kind line, or a handle without a kind, accepts any). A store of
 * the other kind is ST_NOT_STORE with errorDetail the kind found.
 */
export function checkFormat(n: i32): i32 {
  const prefix = FORMAT_PREFIX.length;
  if (n < prefix + 2) return notStore(0);
  for (let i = 0; i < prefix; i++) if (load<u8>(io + i) != <u8>FORMAT_PREFIX.charCodeAt(i)) return notStore(0);
  let version = 0;
  let i = prefix;
  for (; i < n && load<u8>(io + i) != 0x0a; i++) {
    const c = load<u8>(io + i);
    if (c < 0x30 || c > 0x39) return notStore(0);
    version = version * 10 + (c - 0x30);
  }
  if (version != 1) return version > 1 ? ST_NEWER_FORMAT : notStore(0);
  const found = markerKind(i + 1, n);
  if (requestedKind != KIND_ANY && found != KIND_ANY && found != requestedKind) {
    return notStore(found);
  }
  return ST_OK;
}

function markerKind(at: i32, n: i32): i32 {
  if (lineIs(at, n, 'kind dict')) return KIND_DICT;
  if (lineIs(at, n, 'kind queue')) return KIND_QUEUE;
  return KIND_ANY;
}

function lineIs(at: i32, n: i32, text: string): bool {
  if (at + text.length > n) return false;
  for (let i = 0; i < text.length; i++) if (load<u8>(io + at + i) != <u8>text.charCodeAt(i)) return false;
  return at + text.length == n || load<u8>(io + at + text.length) == 0x0a;
}

/** Makes an empty directory (or one holding only a half-made .iodict) into a store. */
function createStore(): i32 {
  const n = listDir(pathA, 0);
  if (n < 0) return ST_IO;
  // Anything but our own control folder means this directory belongs to something else.
  if (n > 0 && !(n == 8 && load<u64>(io) == 0x00746369646f692e)) return notStore(0); // ".iodict\0"
  const folders = ['', 'tmp', 'claimed', 'quarantine'];
  for (let i = 0; i < folders.length; i++) {
    const len = i == 0 ? putAscii(pathA, 0, '.iodict') : controlPath(pathA, folders[i]);
    const r = host.mkdir(pathA, len);
    if (r < 0 && r != -host.EEXIST) return fail(OP_MKDIR, r, pathA, len);
  }
  const journal = replaceJournal();
  if (journal != ST_OK) return journal;
  // The format marker goes last: a directory is a store only once it is complete.
  let len = putAscii(rec, 0, FORMAT_TEXT);
  if (requestedKind == KIND_DICT) len = putAscii(rec, len, 'kind dict\n');
  if (requestedKind == KIND_QUEUE) len = putAscii(rec, len, 'kind queue\n');
  return writeControlFile('format', rec, len);
}

/** Writes a control file through a temp file and rename, so readers see all of it or none. */
function writeControlFile(name: string, buf: usize, len: i32): i32 {
  const written = writeTemp(buf, len, false, 0, 0, 0);
  if (written != ST_OK) return written;
  return moveTemp(pathA, controlPath(pathA, name));
}

let tempLength: i32 = 0; // of the path in pathB that writeTemp wrote

/**
 * Writes buf to a new temp file (path left in pathB), with the record's xattrs when mirror is
 * set and an fsync under durability 'fsync'. On failure the temp file is removed: it is ours
 * alone, and whatever it was to replace is untouched.
 */
function writeTemp(buf: usize, len: i32, mirror: bool, keyType: u8, keyLen: i32, birth: u64): i32 {
  tempLength = tempPath(pathB);
  const fd = host.open(pathB, tempLength, host.O_WRITE | host.O_CREATE | host.O_EXCL);
  if (fd < 0) return fail(OP_OPEN, fd, pathB, tempLength);
  let r = writeAll(fd, buf, len);
  let op = OP_WRITE;
  if (r == 0 && mirror && xattrs) {
    r = mirrorXattrs(fd, keyType, keyLen, birth);
    op = OP_XATTR;
  }
  if (r == 0 && fsyncWrites) {
    r = host.fsync(fd);
    op = OP_FSYNC;
  }
  host.close(fd);
  if (r < 0) {
    host.unlink(pathB, tempLength);
    return fail(op, r, pathB, tempLength);
  }
  return ST_OK;
}

/** Renames the temp file of writeTemp over its target (atomically replacing it). */
function moveTemp(to: usize, toLen: i32): i32 {
  const r = host.rename(pathB, tempLength, to, toLen);
  if (r < 0) {
    host.unlink(pathB, tempLength);
    return fail(OP_RENAME, r, to, toLen);
  }
  return ST_OK;
}

/**
 * ".iodict/tmp/<owner>-<counter>": unique to this handle, so O_EXCL never collides, and named
 * by the owner tag (pid, handle) so a dead writer's leftovers can be told from live writes.
 */
function tempPath(buf: usize): i32 {
  let at = controlPath(buf, 'tmp/');
  at = putHex(buf, at, ownerTag, 16);
  store<u8>(buf + at++, 0x2d);
  return putHex(buf, at, tempCounter++, 8);
}

// ---- the journal -----------------------------------------------------------------------

/** Puts a fresh journal (a BEGIN entry with a new id) in place of the current one. */
function replaceJournal(): i32 {
  writeEntry(entryBuf, JOURNAL_BEGIN, writerId, randomU64(), 0);
  return writeControlFile('changes', entryBuf, ENTRY_BYTES);
}

function openJournal(replacedBad: bool = false): i32 {
  const len = controlPath(pathA, 'changes');
  let fd = openRetrying(pathA, len, host.O_READ | host.O_WRITE | host.O_APPEND);
  if (fd == -host.ENOENT) {
    const made = replaceJournal();
    if (made != ST_OK) return made;
    fd = openRetrying(pathA, len, host.O_READ | host.O_WRITE | host.O_APPEND);
  }
  // A read-only store still reads: its writes fail at their own first step.
  if (fd == -host.EROFS || fd == -host.EACCES) fd = openRetrying(pathA, len, host.O_READ);
  if (fd < 0) return fail(OP_OPEN, fd, pathA, len);
  const n = host.read(fd, journalBuf, ENTRY_BYTES, 0);
  if (n != ENTRY_BYTES || !entryValid(journalBuf) || entryKind(journalBuf) != JOURNAL_BEGIN) {
    // A damaged journal is only a lost hint log: start a new one (once: a fresh one that reads
    // back damaged means the file system is not returning what was written).
    host.close(fd);
    if (replacedBad) return fail(OP_READ, -host.EIO, pathA, len);
    const made = replaceJournal();
    if (made != ST_OK) return made;
    return openJournal(true);
  }
  if (journalFd >= 0) host.close(journalFd);
  journalFd = fd;
  journalId = entryStamp(journalBuf);
  journalOffset = ENTRY_BYTES;
  return ST_OK;
}

/**
 * Applies what other handles appended since we last looked. With checkReplaced, also notices
 * a rotation (our journal file was renamed over: nlink 0), drains the old file and moves on.
 */
export function syncJournal(checkReplaced: bool): i32 {
  while (true) {
    sealedSeen = false;
    const read = readJournalTail();
    if (read < 0) return ST_IO;
    // A SEALED entry says the file was replaced: move on now, not at the next call.
    if (!sealedSeen) {
      if (read > 0 || !checkReplaced) return ST_OK;
      // Every rotation seals the file it replaces, so nlink is only a backstop for a file
      // replaced without a seal (a rotator that died mid-way, two handles creating the store
      // at once): look at it on every 16th quiet sync, not on every one.
      if ((++quietSyncs & 15) != 0) return ST_OK;
      const replaced = journalReplaced();
      if (replaced < 0) return ST_IO;
      if (!replaced) return ST_OK;
      if (readJournalTail() < 0) return ST_IO;
    }
    const opened = openJournal();
    if (opened != ST_OK) return opened;
  }
}

let quietSyncs: u32 = 0;

function journalReplaced(): i32 {
  const r = host.fstat(journalFd, statBuf);
  if (r < 0) {
    fail(OP_STAT, r, pathA, controlPath(pathA, 'changes'));
    return -1;
  }
  journalSize = <u64>load<f64>(statBuf + host.STAT_SIZE);
  return load<f64>(statBuf + host.STAT_NLINK) == 0 ? 1 : 0;
}

/**
 * Returns how many entries of other handles it read (0: nothing new), or -1 on a failed read.
 * Our own entries do not count: after another handle rotated, they are all a sync finds in the
 * old file, and counting them would skip the check that moves us to the new journal.
 */
let sealedSeen = false; // a rotator marked the journal we read as replaced

function readJournalTail(): i32 {
  let total = 0;
  while (true) {
    const n = host.read(journalFd, journalBuf, JOURNAL_READ, <f64>journalOffset);
    if (n < 0) {
      fail(OP_READ, n, pathA, controlPath(pathA, 'changes'));
      return -1;
    }
    const whole = n / ENTRY_BYTES; // a partial entry is still being written: take it next time
    for (let i = 0; i < whole; i++) {
      const e = journalBuf + <usize>i * ENTRY_BYTES;
      if (!entryValid(e)) continue;
      if (entryKind(e) == JOURNAL_SEALED) sealedSeen = true;
      else if (entryWriter(e) != writerId) {
        applyEntry(e);
        total++;
      }
    }
    journalOffset += <u64>whole * ENTRY_BYTES;
    entriesSinceCache += whole;
    if (n < JOURNAL_READ) return total;
  }
}

function applyEntry(e: usize): void {
  const kind = entryKind(e);
  if (kind != JOURNAL_SET && kind != JOURNAL_DELETE) return;
  const digest = entryDigest(e);
  const slot = indexFind(digest);
  // An overwrite keeps its birth: nothing to learn if we know the record at that birth.
  if (kind == JOURNAL_SET && slot >= 0 && indexBirth(slot) == entryStamp(e)) return;
  if (kind == JOURNAL_DELETE && slot < 0) return;
  learnRecord(digest, slot);
}

/** Brings one digest's slot in line with its record file (present, absent, or corrupt); returns the slot or -1. */
function learnRecord(digest: usize, slot: i32): i32 {
  const len = recordPath(pathA, digest);
  const n = readWhole(pathA, len);
  const check = n >= 0 ? validate(n, digest) : RECORD_OK;
  if (n >= 0 && check == RECORD_OK) {
    const birth = recordBirth(io);
    if (slot < 0) {
      slot = indexInsert(digest, birth, recordKeyType(io), io + HEADER_BYTES, recordKeyLength(io));
      event(slot);
    } else if (indexBirth(slot) != birth) {
      indexRebirth(slot, birth);
    }
    return slot;
  }
  if (n >= 0) quarantine(pathA, len, digest, check);
  if (slot >= 0 && (n >= 0 || n == -host.ENOENT)) {
    indexRemove(slot);
    event(slot);
    return -1;
  }
  return slot; // an I/O error: keep what we knew
}

function announce(kind: u8, digest: usize, birth: u64): i32 {
  writeEntry(entryBuf, kind, writerId, birth, digest);
  let r = host.write(journalFd, entryBuf, ENTRY_BYTES, -1);
  if (r < 0) return fail(OP_WRITE, r, pathA, controlPath(pathA, 'changes'));
  entriesSinceCache++;
  const replaced = journalReplaced();
  if (replaced < 0) return ST_IO;
  if (replaced) {
    // Rotated under us: our entry may have landed after the rotator drained the old file.
    if (readJournalTail() < 0) return ST_IO;
    const opened = openJournal();
    if (opened != ST_OK) return opened;
    r = host.write(journalFd, entryBuf, ENTRY_BYTES, -1);
    if (r < 0) return fail(OP_WRITE, r, pathA, controlPath(pathA, 'changes'));
  } else if (journalSize > rotationThreshold()) {
    rotate();
  }
  return ST_OK;
}

function rotationThreshold(): u64 {
  return (<u64>16384 + indexSize()) * ENTRY_BYTES;
}

/**
 * Starts a new journal and snapshots the index into the cache, under the store lock so only
 * one handle rotates at a time. Skipped (the journal just grows) when another handle holds it.
 */
function rotate(): i32 {
  const lock = acquireStoreLock();
  if (lock == LOCK_BUSY) return ST_MISSING;
  let status = readJournalTail() < 0 ? ST_IO : replaceJournal();
  if (status == ST_OK) status = readJournalTail() < 0 ? ST_IO : sealJournal();
  if (status == ST_OK) status = openJournal();
  if (status == ST_OK) status = writeCache();
  releaseStoreLock(lock);
  return status;
}

/** Marks the (already replaced) journal we hold as sealed, so its readers switch at once. */
function sealJournal(): i32 {
  writeEntry(entryBuf, JOURNAL_SEALED, writerId, 0, 0);
  const r = host.write(journalFd, entryBuf, ENTRY_BYTES, -1);
  return r < 0 ? fail(OP_WRITE, r, pathA, controlPath(pathA, 'changes')) : ST_OK;
}

/** Rotates now, whatever the journal's size (iodict compact); ST_MISSING when another handle holds the store lock. */
export function compact(): i32 {
  const synced = syncJournal(true);
  return synced != ST_OK ? synced : rotate();
}

const LOCK_BUSY: i32 = -1;
const LOCK_BY_FILE: i32 = -2;
const STALE_LOCK_FILE_MS: f64 = 60000;

/**
 * The store lock: flock on .iodict/lock (returns its descriptor), or where there is no flock, an
 * exclusive lock file .iodict/lock.owner naming its owner (LOCK_BY_FILE). A lock file whose
 * owner's process is gone is stale and taken over; where the host cannot tell (WASI), one older
 * than a minute is (a rotation takes milliseconds).
 */
function acquireStoreLock(): i32 {
  const lockLen = controlPath(pathB, 'lock');
  const fd = host.open(pathB, lockLen, host.O_READ | host.O_WRITE | host.O_CREATE);
  if (fd < 0) return LOCK_BUSY;
  const locked = host.lock(fd, host.LOCK_EXCLUSIVE | host.LOCK_NONBLOCKING);
  if (locked == 0) return fd;
  host.close(fd);
  if (locked != -host.ENOTSUP) return LOCK_BUSY;
  for (let attempt = 0; attempt < 2; attempt++) {
    const len = controlPath(pathB, 'lock.owner');
    const owner = host.open(pathB, len, host.O_WRITE | host.O_CREATE | host.O_EXCL);
    if (owner >= 0) {
      store<u64>(xattrBuf, ownerTag);
      host.write(owner, xattrBuf, 8, 0);
      host.close(owner);
      return LOCK_BY_FILE;
    }
    if (owner != -host.EEXIST || !lockFileStale(len)) return LOCK_BUSY;
    host.unlink(pathB, len);
  }
  return LOCK_BUSY;
}

function lockFileStale(len: i32): bool {
  const fd = host.open(pathB, len, host.O_READ);
  if (fd < 0) return fd == -host.ENOENT; // released meanwhile: try again
  const n = host.read(fd, xattrBuf, 8, 0);
  const statOk = host.fstat(fd, statBuf) == 0;
  host.close(fd);
  const pid = n == 8 ? <i32>(load<u64>(xattrBuf) >> 32) : 0;
  const alive = pid > 0 ? host.alive(pid) : -host.ENOTSUP;
  if (alive >= 0) return alive == 0;
  return statOk && host.now() / 1000 - load<f64>(statBuf + host.STAT_MTIME) > STALE_LOCK_FILE_MS;
}

function releaseStoreLock(lock: i32): void {
  if (lock == LOCK_BY_FILE) {
    host.unlink(pathB, controlPath(pathB, 'lock.owner'));
  } else if (lock >= 0) {
    host.lock(lock, host.LOCK_UNLOCK);
    host.close(lock);
  }
}

function writeCache(): i32 {
  const buf = buildCache(journalId, journalOffset);
  const status = writeControlFile('index', buf, cacheLength);
  if (status == ST_OK) entriesSinceCache = 0;
  heap.free(buf);
  return status;
}

// ---- loading the index -------------------------------------------------------------------

function loadIndex(): i32 {
  indexClear();
  clearEvents();
  const len = controlPath(pathA, 'index');
  const n = readWhole(pathA, len);
  let fromCache = false;
  if (n > 0 && cacheMatches(io, n, journalId)) fromCache = loadCache(n);
  if (!fromCache) {
    indexClear();
    // Everything after this point in the journal is replayed over the scan below.
    if (journalReplaced() < 0) return ST_IO;
    journalOffset = journalSize - journalSize % ENTRY_BYTES;
  }
  const scanned = reconcile();
  if (scanned != ST_OK) return scanned;
  removeDeadTemps();
  const synced = syncJournal(true);
  clearEvents();
  return synced;
}

function loadCache(n: i32): bool {
  const end = io + n - 4;
  let e = io + CACHE_HEADER;
  const count = cacheCount(io);
  for (let i: u32 = 0; i < count; i++) {
    if (e + 41 > end || cacheNext(e) > end) return false;
    const slot = indexFind(e);
    if (slot < 0) indexInsert(e, cacheEntryBirth(e), cacheEntryKeyType(e), cacheEntryKey(e), cacheEntryKeyLength(e));
    e = cacheNext(e);
  }
  journalOffset = cacheOffset(io);
  return true;
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

/**
 * Makes the index match the directory listing: records the index lacks are read and added,
 * slots whose record is gone are dropped. Catches what no journal said (a writer that died
 * between its rename and its journal entry).
 */
export function reconcile(): i32 {
  const n = listDir(pathA, 0);
  if (n < 0) return ST_IO;
  // Copy the listing out of io: reading records reuses io.
  const listing = heap.alloc(max(n, 1));
  memory.copy(listing, io, n);
  memory.fill(seen, 0, seenCap);
  let start = 0;
  for (let i = 0; i < n; i++) {
    if (load<u8>(listing + i) != 0) continue;
    if (parseRecordName(listing + start, i - start, digestBuf)) {
      let slot = indexFind(digestBuf);
      if (slot < 0) slot = learnRecord(digestBuf, -1);
      if (slot >= 0) markSeen(slot);
    }
    start = i + 1;
  }
  heap.free(listing);
  const order = heap.alloc(<usize>max<u32>(indexSize(), 1) << 2);
  const count = indexOrderInto(order);
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

// ---- records -------------------------------------------------------------------------------

/** Validates the record in io[0, n) and that it belongs under this digest. */
export function validate(n: i32, digest: usize): i32 {
  const check = checkRecord(io, n);
  if (check != RECORD_OK) return check;
  keyDigest(recordKeyType(io), io + HEADER_BYTES, recordKeyLength(io), checkDigestBuf);
  return memory.compare(checkDigestBuf, digest, DIGEST_BYTES) == 0 ? RECORD_OK : RECORD_WRONG_NAME;
}

/** Moves a bad record into .iodict/quarantine (never deletes it); returns ST_CORRUPT. */
export let quarantinedCount: i32 = 0; // since open: the host reports them

export function quarantine(path: usize, len: i32, digest: usize, detail: i32): i32 {
  quarantinedCount++;
  const asideLen = asidePath(pathB, 'quarantine', digest, nextBirth());
  const r = host.rename(path, len, pathB, asideLen);
  if (r < 0 && r != -host.ENOENT) return fail(OP_RENAME, r, pathB, asideLen);
  return corrupt(detail, path, len, pathB, asideLen);
}

/** Reads and validates the record of a digest into io (resultRecord). */
function readRecord(digest: usize): i32 {
  const len = recordPath(pathA, digest);
  const n = readWhole(pathA, len);
  if (n == -host.ENOENT) return ST_MISSING;
  if (n < 0) return ST_IO;
  const check = validate(n, digest);
  if (check != RECORD_OK) {
    const slot = indexFind(digest);
    if (slot >= 0) indexRemove(slot);
    return quarantine(pathA, len, digest, check);
  }
  resultRecord = io;
  return ST_OK;
}

/** The key the host placed at rec + HEADER_BYTES, digested into digestBuf. */
@inline function digestKey(keyType: u8, keyLen: i32): usize {
  keyDigest(keyType, rec + HEADER_BYTES, keyLen, digestBuf);
  return digestBuf;
}

export function get(keyType: u8, keyLen: i32): i32 {
  const status = readRecord(digestKey(keyType, keyLen));
  if (status != ST_OK) return status;
  // The name matched, so the key matches unless SHA3-224 collided; check the bytes anyway.
  if (recordKeyLength(io) != keyLen || memory.compare(io + HEADER_BYTES, rec + HEADER_BYTES, keyLen) != 0)
    return ST_MISSING;
  return ST_OK;
}

export function getSlot(slot: i32): i32 {
  memory.copy(digestBuf, indexDigest(slot), DIGEST_BYTES);
  const status = readRecord(digestBuf);
  if (status == ST_MISSING) {
    // Deleted by another handle after our last sync.
    const current = indexFind(digestBuf);
    if (current >= 0) {
      indexRemove(current);
      event(current);
    }
  }
  return status;
}

export function has(keyType: u8, keyLen: i32): i32 {
  const len = recordPath(pathA, digestKey(keyType, keyLen));
  const r = host.stat(pathA, len, statBuf);
  if (r == -host.ENOENT) return ST_MISSING;
  if (r < 0) return fail(OP_STAT, r, pathA, len);
  return ST_OK;
}

export function set(keyType: u8, keyLen: i32, valueLen: i32, codec: u8): i32 {
  const synced = syncJournal(false);
  if (synced != ST_OK) return synced;
  const digest = digestKey(keyType, keyLen);
  let slot = indexFind(digest);
  const birth = slot >= 0 ? indexBirth(slot) : nextBirth();
  const total = sealRecord(rec, codec, keyType, birth, keyLen, valueLen);
  const written = writeRecord(digest, total, keyType, keyLen, birth);
  if (written != ST_OK) return written;
  resultIsNew = slot < 0;
  if (slot < 0) slot = indexInsert(digest, birth, keyType, rec + HEADER_BYTES, keyLen);
  resultSlot = slot;
  return announce(JOURNAL_SET, digest, birth);
}

/** temp file, [xattrs], [fsync], rename into place, [fsync the directory]. */
function writeRecord(digest: usize, total: i32, keyType: u8, keyLen: i32, birth: u64): i32 {
  const written = writeTemp(rec, total, true, keyType, keyLen, birth);
  if (written != ST_OK) return written;
  // The target path is built only now: mirrorXattrs borrows pathA for attribute names.
  const moved = moveTemp(pathA, recordPath(pathA, digest));
  if (moved != ST_OK) return moved;
  return fsyncWrites ? fsyncRoot() : ST_OK;
}

function fsyncRoot(): i32 {
  const fd = host.open(pathA, 0, host.O_DIRECTORY);
  if (fd < 0) return fail(OP_OPEN, fd, pathA, 0);
  const r = host.fsync(fd);
  host.close(fd);
  return r < 0 ? fail(OP_FSYNC, r, pathA, 0) : ST_OK;
}

/**
 * user.key (the bytes Python iodict's key.encode() gives for string keys; 0xFF, type and
 * canonical bytes otherwise) and user.birthtime (big-endian float64 seconds, as Python writes).
 * Returns 0, or -errno when xattrs are required but missing.
 */
function mirrorXattrs(fd: i32, keyType: u8, keyLen: i32, birth: u64): i32 {
  const keyName = putAscii(pathA, 0, 'user.key');
  let r: i32;
  if (keyType == KEY_STRING) {
    r = host.setxattr(fd, pathA, keyName, rec + HEADER_BYTES, keyLen);
  } else {
    // The two bytes before the key are header bytes; borrow them for the prefix and restore.
    const at = rec + HEADER_BYTES - 2;
    const saved = load<u16>(at);
    store<u8>(at, 0xff);
    store<u8>(at, keyType, 1);
    r = host.setxattr(fd, pathA, keyName, at, keyLen + 2);
    store<u16>(at, saved);
  }
  if (r == 0) {
    store<u64>(xattrBuf, bswap<u64>(reinterpret<u64>(<f64>birth / 1e6)));
    r = host.setxattr(fd, pathA, putAscii(pathA, 0, 'user.birthtime'), xattrBuf, 8);
  }
  if (r == -host.ENOTSUP && !xattrsRequired) {
    xattrs = false; // this file system has none: the record alone carries key and birth
    return 0;
  }
  return r;
}

export function xattrsActive(): bool {
  return xattrs;
}

export function remove(keyType: u8, keyLen: i32): i32 {
  const digest = digestKey(keyType, keyLen);
  const len = recordPath(pathA, digest);
  const r = host.unlink(pathA, len);
  if (r == -host.ENOENT) return ST_MISSING;
  if (r < 0) return fail(OP_UNLINK, r, pathA, len);
  const slot = indexFind(digest);
  if (slot >= 0) indexRemove(slot);
  if (fsyncWrites) {
    const synced = fsyncRoot();
    if (synced != ST_OK) return synced;
  }
  return announce(JOURNAL_DELETE, digest, 0);
}

export const CLAIM_DELETE: i32 = 0; // pop: the record is gone once read
export const CLAIM_KEEP: i32 = 1; // get with ack: the record waits in claimed/ for ack or release
export const claimedPath: usize = heap.alloc(256);
/** Digest of the last claimed record; the host passes it back to settle a CLAIM_KEEP claim. */
export const claimedDigest: usize = heap.alloc(DIGEST_BYTES);

export const SETTLE_ACK: i32 = 0; // processed: remove the claimed record
export const SETTLE_RELEASE: i32 = 1; // not processed: put it back, at its old place in line

/** Ends this handle's CLAIM_KEEP claim of the record whose digest is at claimedDigest. */
export function settle(how: i32): i32 {
  const len = asidePath(claimedPath, 'claimed', claimedDigest, ownerTag);
  if (how == SETTLE_ACK) {
    const r = host.unlink(claimedPath, len);
    if (r == -host.ENOENT) return ST_MISSING;
    return r < 0 ? fail(OP_UNLINK, r, claimedPath, len) : ST_OK;
  }
  return restore(claimedPath, len, claimedDigest);
}

/** Renames a claimed record back into the store and tells the other handles. */
function restore(path: usize, len: i32, digest: usize): i32 {
  const to = recordPath(pathA, digest);
  const r = host.rename(path, len, pathA, to);
  if (r == -host.ENOENT) return ST_MISSING;
  if (r < 0) return fail(OP_RENAME, r, path, len);
  const slot = learnRecord(digest, indexFind(digest));
  return announce(JOURNAL_SET, digest, slot >= 0 ? indexBirth(slot) : 0);
}

/**
 * Returns the claims of dead processes to the store: a claimed record is named by its owner's
 * pid, and a pid that no longer exists on this machine cannot come back to acknowledge it.
 * Claims of live processes (and of hosts that cannot tell) are left alone. Returns the count
 * in resultSlot.
 */
export function recoverClaims(): i32 {
  const n = listDir(pathB, controlPath(pathB, 'claimed'));
  if (n < 0) return ST_IO;
  const listing = heap.alloc(max(n, 1));
  memory.copy(listing, io, n);
  let recovered = 0;
  let start = 0;
  let status = ST_OK;
  for (let i = 0; i < n && status == ST_OK; i++) {
    if (load<u8>(listing + i) != 0) continue;
    const name = listing + start;
    const nameLen = i - start;
    start = i + 1;
    // "<56 hex>.<16 hex owner>": the owner's pid is the first 8 hex digits of the tag.
    if (nameLen != NAME_CHARS + 17 || load<u8>(name + NAME_CHARS) != 0x2e) continue;
    if (!parseRecordName(name, NAME_CHARS, digestBuf)) continue;
    const pid = parseHex32(name + NAME_CHARS + 1);
    if (pid < 0 || pid == host.pid() || host.alive(pid) != 0) continue;
    let at = controlPath(pathB, 'claimed/');
    memory.copy(pathB + at, name, nameLen);
    at += nameLen;
    const restored = restore(pathB, at, digestBuf);
    if (restored == ST_OK) recovered++;
    else if (restored != ST_MISSING) status = restored; // ST_MISSING: another handle recovered it first
  }
  heap.free(listing);
  resultSlot = recovered;
  return status;
}

/**
 * Deletes temp files of writers whose process is gone (a crash between create and rename):
 * they were never renamed into place, so no reader can need them. Live writers' files, and
 * everything when the host cannot tell (WASI), are left alone.
 */
function removeDeadTemps(): void {
  const n = listDir(pathB, controlPath(pathB, 'tmp'));
  if (n <= 0) return;
  let start = 0;
  for (let i = 0; i < n; i++) {
    if (load<u8>(io + i) != 0) continue;
    const name = io + start;
    const nameLen = i - start;
    start = i + 1;
    if (nameLen < 17 || load<u8>(name + 16) != 0x2d) continue;
    const pid = parseHex32(name);
    if (pid <= 0 || pid == host.pid() || host.alive(pid) != 0) continue;
    let at = controlPath(pathA, 'tmp/');
    memory.copy(pathA + at, name, nameLen);
    at += nameLen;
    host.unlink(pathA, at);
  }
}

function parseHex32(p: usize): i32 {
  let v: u32 = 0;
  for (let i = 0; i < 8; i++) {
    const c = load<u8>(p + i);
    const d: i32 = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    v = (v << 4) | <u32>d;
  }
  return <i32>v;
}

/**
 * Takes a record: rename it into claimed/ first, so of two handles racing for it exactly one
 * wins (the loser's rename fails with ENOENT: ST_MISSING). CLAIM_DELETE then removes it;
 * CLAIM_KEEP leaves it in claimed/ (at claimedPath) until the owner acknowledges it.
 */
function claim(digest: usize, mode: i32): i32 {
  const slot = indexFind(digest);
  if (slot >= 0) {
    indexRemove(slot);
    event(slot);
  }
  const from = recordPath(pathA, digest);
  const to = asidePath(claimedPath, 'claimed', digest, ownerTag);
  const r = host.rename(pathA, from, claimedPath, to);
  if (r == -host.ENOENT) return ST_MISSING;
  if (r < 0) return fail(OP_RENAME, r, pathA, from);
  // Announce before reading: announcing can read other records into io (a journal rotation).
  const announced = announce(JOURNAL_DELETE, digest, 0);
  if (announced != ST_OK) return announced;
  const n = readWhole(claimedPath, to);
  if (n < 0) return ST_IO;
  const check = validate(n, digest);
  if (check != RECORD_OK) return quarantine(claimedPath, to, digest, check);
  resultRecord = io;
  memory.copy(claimedDigest, digest, DIGEST_BYTES);
  if (mode == CLAIM_DELETE) {
    const u = host.unlink(claimedPath, to);
    if (u < 0 && u != -host.ENOENT) return fail(OP_UNLINK, u, claimedPath, to);
  }
  return ST_OK;
}

/** Takes the record of one key (pop(key)); ST_MISSING when absent or taken by another handle. */
export function take(keyType: u8, keyLen: i32, mode: i32): i32 {
  return claim(digestKey(keyType, keyLen), mode);
}

/** Takes the oldest (or youngest) record; another handle's win just moves us to the next. */
export function pop(youngest: bool, mode: i32): i32 {
  const synced = syncJournal(true);
  if (synced != ST_OK) return synced;
  let rescanned = false;
  while (true) {
    const slot = youngest ? indexLast() : indexFirst();
    if (slot < 0) {
      // Empty by our index; the listing is the truth (a journal entry can be lost on
      // network file systems), so look once before answering empty.
      if (rescanned) return ST_MISSING;
      rescanned = true;
      const scanned = reconcile();
      if (scanned != ST_OK) return scanned;
      continue;
    }
    memory.copy(digestBuf, indexDigest(slot), DIGEST_BYTES);
    const status = claim(digestBuf, mode);
    if (status != ST_MISSING) return status;
  }
}

/** Removes every record; returns how many it removed in resultSlot. */
export function clear(): i32 {
  const synced = syncJournal(true);
  if (synced != ST_OK) return synced;
  const scanned = reconcile();
  if (scanned != ST_OK) return scanned;
  let removed = 0;
  while (true) {
    const slot = indexFirst();
    if (slot < 0) break;
    memory.copy(digestBuf, indexDigest(slot), DIGEST_BYTES);
    indexRemove(slot);
    event(slot);
    const len = recordPath(pathA, digestBuf);
    const r = host.unlink(pathA, len);
    if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, pathA, len);
    if (r == 0) removed++;
    const announced = announce(JOURNAL_DELETE, digestBuf, 0);
    if (announced != ST_OK) return announced;
  }
  resultSlot = removed;
  return ST_OK;
}

export function close(): void {
  if (journalFd < 0) return;
  // Leave a fresh cache behind when the journal has grown well past it: next open is faster.
  if (entriesSinceCache > 1024 && syncJournal(true) == ST_OK) writeCache();
  host.close(journalFd);
  journalFd = -1;
}

/**
 * Removes the store: every record, then its control files and folders, then the directory if
 * nothing foreign is left in it. The handle is closed afterwards.
 */
export function destroy(): i32 {
  const cleared = clear();
  if (cleared != ST_OK) return cleared;
  host.close(journalFd);
  journalFd = -1;
  const folders = ['tmp', 'claimed', 'quarantine'];
  for (let f = 0; f < folders.length; f++) {
    const emptied = emptyFolder(folders[f]);
    if (emptied != ST_OK) return emptied;
  }
  const files = ['index', 'changes', 'lock', 'format'];
  for (let f = 0; f < files.length; f++) {
    const len = controlPath(pathA, files[f]);
    const r = host.unlink(pathA, len);
    if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, pathA, len);
  }
  const len = putAscii(pathA, 0, '.iodict');
  const r = host.rmdir(pathA, len);
  if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, pathA, len);
  host.rmdir(pathA, 0); // ENOTEMPTY: someone else's files stay, and so does the directory
  return ST_OK;
}

function emptyFolder(folder: string): i32 {
  const dirLen = controlPath(pathB, folder);
  const n = listDir(pathB, dirLen);
  if (n == -host.ENOENT) return ST_OK;
  if (n < 0) return ST_IO;
  let start = 0;
  for (let i = 0; i < n; i++) {
    if (load<u8>(io + i) != 0) continue;
    let at = controlPath(pathA, folder + '/');
    memory.copy(pathA + at, io + start, i - start);
    at += i - start;
    start = i + 1;
    const r = host.unlink(pathA, at);
    if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, pathA, at);
  }
  const r = host.rmdir(pathB, dirLen);
  return r < 0 && r != -host.ENOENT ? fail(OP_UNLINK, r, pathB, dirLen) : ST_OK;
}
