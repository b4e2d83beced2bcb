// The store's operations, as the host calls them: each one a sequence of the protocol steps kept
// in the files beside this one (marker, temp, journal, lock, registry, load, claims, records).
// FORMAT.md is the reference for every step and what a crash at each leaves behind.
import * as host from '../host/imports';
import { keyDigest, DIGEST_BYTES } from '../format/key';
import { sealRecord, HEADER_BYTES, RECORD_OK, headerBirth, recordBirth, recordHoldsKey } from '../format/record';
import { indexFind, indexInsert, indexBirth, indexExpiry, indexFirst, indexLast, indexDigest, indexKey, indexKeyType, indexKeyLength } from '../index/ordered';
import {
  handle, nextBirth, OPEN_FSYNC, OPEN_XATTRS_OFF, OPEN_XATTRS_ON, OPEN_XATTRS_AUTO, OPEN_KIND_DICT, OPEN_KIND_QUEUE,
  KIND_ANY, KIND_DICT, KIND_QUEUE,
} from './handle';
import { recordBuf, controlBuf, controlPath, recordPath, putAscii, sideBuf, sidePath } from './paths';
import { io, listDir, fail, readingFd, syncAfterChange, Listing, MAX_BUFFER, OP_OPEN, OP_READ, OP_UNLINK, ST_OK, ST_MISSING, ST_IO } from './io';
import { readRecordAt, notARecord, resultRecord } from './records';
import { writeTemp, moveTempAs, removeOrphanTemps, ST_EXISTS, MOVE_CREATE, MOVE_REPLACE, MOVE_ANY, moveFor } from './temp';
import { ensureStore, checkFolder } from './marker';
import { dropStoreLock } from './lock';
import { openJournal, syncJournal, skipToJournalEnd, announce, settleAppends, relist, rivalSetBefore, JOURNAL_SET, JOURNAL_DELETE, REPLACED_SOMETIMES, CAUSE_CALL } from './journal';
import { ensureIndex, forget, writeCache, distrustIndex, slotHoldsKeyOf } from './load';
import { renewRegistration, unregister, checkRegistrations } from './registry';
import { claim, finishTake, recoverClaims, settle, claimedStamp, SETTLE_RELEASE } from './claims';
import { nextExpiry, writtenLength, noteWritten, noteSlot, liveRecord, hasLive, expired, readHeader, headerExpiry } from './expiry';
import { KEY_CARRIED_MAX } from './keyentries';

export {
  OPEN_FSYNC, OPEN_XATTRS_OFF, OPEN_XATTRS_ON, OPEN_XATTRS_AUTO, OPEN_KIND_DICT, OPEN_KIND_QUEUE, KIND_ANY, KIND_DICT, KIND_QUEUE,
};
export { CLAIM_DELETE, CLAIM_KEEP, SETTLE_ACK, SETTLE_RELEASE, SETTLE_QUARANTINE, SETTLE_RENEW } from './claims';

export const digestBuf: usize = heap.alloc(DIGEST_BYTES);
const randomBuf: usize = heap.alloc(8);

// The write buffer: the host places key and value at rec + HEADER_BYTES.
let rec: usize = heap.alloc(65536);
let recCap: i32 = 65536;

// Results of the last operation, read by the host through the getters in index.ts.
export let resultSlot: i32 = -1;
export let resultIsNew: bool = false;

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

// ---- opening and closing ----------------------------------------------------------------

/**
 * Opens the store: O(1), whatever its size (marker, journal, registration); the index loads
 * on the first call that needs it. leaseMs and rotateAfter: 0 for the defaults.
 */
export function open(flags: i32, leaseMs: f64, rotateAfter: f64): i32 {
  handle.fsyncWrites = (flags & OPEN_FSYNC) != 0;
  handle.xattrsRequired = (flags & OPEN_XATTRS_ON) != 0;
  handle.xattrs = (flags & (OPEN_XATTRS_ON | OPEN_XATTRS_AUTO)) != 0 && (flags & OPEN_XATTRS_OFF) == 0;
  handle.kind = flags & OPEN_KIND_QUEUE ? KIND_QUEUE : flags & OPEN_KIND_DICT ? KIND_DICT : KIND_ANY;
  if (leaseMs > 0) handle.lease = <u64>(leaseMs * 1000);
  if (rotateAfter > 0) handle.rotateAfter = <u64>rotateAfter;
  host.random(randomBuf, 8);
  handle.writer = load<u32>(randomBuf);
  handle.pid = <u32>host.pid();
  handle.identity = <u64>host.identity() & 0xffffffffffff;
  const status = ensureStore();
  if (status != ST_OK) return status;
  const opened = openJournal();
  if (opened != ST_OK) return opened;
  // Until the index loads, entries already in the journal tell this handle nothing.
  const skipped = skipToJournalEnd();
  if (skipped != ST_OK) return skipped;
  renewRegistration();
  // Leftovers of gone owners (small folders: only writes and claims in flight). A store we may
  // not write to still opens for reading: its leftovers wait for a writer.
  removeOrphanTemps();
  recoverClaims();
  return ST_OK;
}

export function close(): void {
  if (handle.journalFd < 0) return;
  dropStoreLock();
  // Leave a fresh cache behind when the journal has grown well past it: next open is faster.
  if (handle.indexLoaded && handle.entriesSinceCache > 1024 && syncJournal(REPLACED_SOMETIMES) == ST_OK) writeCache();
  settleAppends();
  if (handle.strayTemps) removeOrphanTemps(); // and ours: a replaced record we could not remove
  unregister();
  host.close(handle.journalFd);
  handle.journalFd = -1;
}

// ---- reading --------------------------------------------------------------------------------

/** The key the host placed at rec + HEADER_BYTES, digested into digestBuf. */
@inline function digestKey(keyType: u8, keyLen: i32): usize {
  keyDigest(keyType, rec + HEADER_BYTES, keyLen, digestBuf);
  return digestBuf;
}

/** Reads a record (of the key at `key`, when known: validate()); a corrupt one is quarantined and dropped from the index. */
function readRecord(digest: usize, key: usize = 0, keyType: u8 = 0, keyLen: i32 = 0): i32 {
  const status = readRecordAt(recordBuf, recordPath(recordBuf, digest), digest, key, keyType, keyLen);
  if (status != ST_OK && status != ST_MISSING) forget(digest);
  return status;
}

export function get(keyType: u8, keyLen: i32): i32 {
  const status = readRecord(digestKey(keyType, keyLen), rec + HEADER_BYTES, keyType, keyLen);
  if (status != ST_OK) return status;
  // Valid under the key's digest, yet another key's record only if SHA3-224 collided.
  if (!recordHoldsKey(io, keyType, rec + HEADER_BYTES, keyLen)) return ST_MISSING;
  return liveRecord(digestBuf);
}

export function getSlot(slot: i32): i32 {
  memory.copy(digestBuf, indexDigest(slot), DIGEST_BYTES);
  const status = readRecord(digestBuf);
  if (status == ST_MISSING) forget(digestBuf); // deleted by another handle after our last sync
  if (status != ST_OK) return status;
  // The record's key is the one its name is the digest of (validated); a slot that says another
  // came from a lying index cache: never pair its key with this value.
  if (!slotHoldsKeyOf(slot, io)) {
    const reloaded = distrustIndex();
    return reloaded != ST_OK ? reloaded : ST_MISSING;
  }
  return liveRecord(digestBuf);
}

export function has(keyType: u8, keyLen: i32): i32 {
  const digest = digestKey(keyType, keyLen);
  return hasLive(recordBuf, recordPath(recordBuf, digest), digest);
}

/** Brings the index up to date (loading it first if needed): for size and order. */
export function sync(): i32 {
  const loaded = ensureIndex();
  if (loaded != ST_OK) return loaded;
  const synced = syncJournal(REPLACED_SOMETIMES);
  if (synced != ST_OK) return synced;
  return checkNow();
}

/**
 * Every 256 syncs a live handle also looks for gone owners (registrations and claims), so it
 * converges after another handle's crash within a bounded number of calls.
 */
function checkNow(): i32 {
  if (++handle.syncsSinceCheck < 256) return ST_OK;
  handle.syncsSinceCheck = 0;
  const checked = checkRegistrations();
  return checked != ST_OK ? checked : recoverClaims();
}

// ---- writing ----------------------------------------------------------------------------------

/** Sets after which a handle that never needed its index loads it (each one costs a read before). */
const INDEXLESS_SETS: u32 = 64;

/**
 * temp file, [xattrs], [fsync], into place (exchanged with the record of a key that exists,
 * created where none is otherwise), [fsync the root], journal entry. A key we do not know keeps
 * the birth its record has (read from the file when the index is not loaded); what the move finds
 * settles the rest (writeChosen).
 */
export function set(keyType: u8, keyLen: i32, valueLen: i32, codec: u8): i32 {
  birthsCurrent = false;
  const chosen = chooseBirth(keyType, keyLen);
  if (chosen != ST_OK) return chosen;
  const digest = digestBuf;
  const written = writeChosen(digest, keyType, keyLen, valueLen, codec, writeRecord(rec, digest, keyType, keyLen, valueLen, codec, chosenBirth, chosenMove));
  if (written != ST_OK) return written;
  landed(digest, keyType, keyLen, chosenBirth, chosenIsNew);
  return ST_OK;
}

/** Moves after which a key that keeps changing under a write is renamed in blindly, as new. */
const CONDITIONAL_MOVES: i32 = 4;

/**
 * Settles a record move (`moved`: what writeRecord, or a batch's move, returned for the record at
 * rec with chosenBirth) against what it found (FORMAT.md 7.3 step 2). Each write puts its record in
 * place once: a move that failed changed nothing, so a value is never put back after a take.
 * - ST_EXISTS: another handle created the key since we looked: ours overwrites that record,
 *   exchanged with it at its birth (chosenBirth, chosenIsNew updated).
 * - ST_MISSING: the record an overwrite meant to replace was taken or deleted since its birth was
 *   read: this write makes the key again (writeAsNew).
 * A key created and taken by others over and over bounds the tries: the last is a plain rename.
 */
export function writeChosen(digest: usize, keyType: u8, keyLen: i32, valueLen: i32, codec: u8, moved: i32): i32 {
  for (let tries = 1; moved == ST_EXISTS || moved == ST_MISSING; tries++) {
    const last = tries >= CONDITIONAL_MOVES;
    const onDisk = moved == ST_EXISTS ? birthOnDisk(digest) : 0;
    if (onDisk == -1) return ST_IO;
    if (onDisk > 0) {
      chosenBirth = <u64>onDisk;
      chosenIsNew = false;
      moved = writeRecord(rec, digest, keyType, keyLen, valueLen, codec, chosenBirth, last ? MOVE_ANY : MOVE_REPLACE);
    } else {
      // None there (made new where none is), or an expired one (made new in its place).
      moved = writeAsNew(digest, keyType, keyLen, valueLen, codec, last ? MOVE_ANY : onDisk == BIRTH_EXPIRED ? MOVE_REPLACE : MOVE_CREATE);
    }
  }
  return moved;
}

/**
 * This write makes the key again (writeChosen): it gets a new birth (chosenBirth, chosenIsNew)
 * and its record, in a new temp file, is moved in.
 */
export function writeAsNew(digest: usize, keyType: u8, keyLen: i32, valueLen: i32, codec: u8, move: i32): i32 {
  forget(digest); // its old place in our index: landed() indexes the new one
  chosenIsNew = true;
  chosenBirth = nextBirth(<u64>host.now());
  return writeRecord(rec, digest, keyType, keyLen, valueLen, codec, chosenBirth, move);
}

// What chooseBirth found: the birth the record gets, whether the key is new, and how its record
// moves in (created where none is; replacing one: an overwrite, or a new key's over an expired one).
export let chosenBirth: u64 = 0;
export let chosenIsNew: bool = false;
export let chosenMove: i32 = MOVE_CREATE;

/**
 * Whether the index has read the journal since this call began (set, or a batch: batchBegin), so
 * the births it holds are current for an overwrite.
 */
let birthsCurrent = false;
export function birthsMayBeStale(): void {
  birthsCurrent = false;
}

/** What chooseBirth found for a batch item, earlier (writeChosen settles its move from there). */
export function chooseAgain(birth: u64, isNew: bool): void {
  chosenBirth = birth;
  chosenIsNew = isNew;
}

/**
 * Before writing the record of the key at rec + HEADER_BYTES (digested into digestBuf): its birth
 * (the index's, else the record's on disk, else a new stamp) into chosenBirth / chosenIsNew.
 */
export function chooseBirth(keyType: u8, keyLen: i32): i32 {
  if (!handle.indexLoaded && ++handle.indexlessSets > INDEXLESS_SETS) {
    const loaded = ensureIndex();
    if (loaded != ST_OK) return loaded;
  }
  renewRegistration();
  const digest = digestKey(keyType, keyLen);
  let slot = handle.indexLoaded ? indexFind(digest) : -1;
  if (slot >= 0 && !birthsCurrent) {
    // An overwrite keeps the birth of the record it replaces: the index's, once it has read what
    // others did since its last look (the key may have been deleted and made again, born later:
    // the exchange would put it back at its old place). A key the index lacks needs no read: a
    // record made meanwhile stops its create-if-absent move, whose birth is then read (writeChosen).
    const synced = syncJournal(REPLACED_SOMETIMES);
    if (synced != ST_OK) return synced;
    birthsCurrent = true;
    slot = indexFind(digest);
  }
  let birth = slot >= 0 ? indexBirth(slot) : 0;
  let overExpired = slot >= 0 && expired(indexExpiry(slot));
  if (slot < 0 && !handle.indexLoaded) {
    const onDisk = birthOnDisk(digest);
    if (onDisk == -1) return ST_IO; // not knowing the key's place, change nothing
    overExpired = onDisk == BIRTH_EXPIRED;
    birth = onDisk > 0 ? <u64>onDisk : 0;
  }
  if (overExpired) {
    // An expired item is absent (7.9): set again, its key is new, at the end, like any new key.
    forget(digest);
    birth = 0;
  }
  chosenIsNew = birth == 0;
  chosenBirth = chosenIsNew ? nextBirth(<u64>host.now()) : birth;
  chosenMove = moveFor(keyType, chosenIsNew && !overExpired);
  return ST_OK;
}

/** After the record (key and value still at rec + HEADER_BYTES) was moved into place: index and journal entry. */
export function landed(digest: usize, keyType: u8, keyLen: i32, birth: u64, isNew: bool): void {
  indexLanded(digest, keyType, keyLen, birth, isNew);
  announce(JOURNAL_SET, digest, birth, nextExpiry, writtenLength, CAUSE_CALL, rec + HEADER_BYTES, keyType, keyLen);
}

/** The index slot (and the host's results) of a record just renamed into place, key at rec + HEADER_BYTES. */
export function indexLanded(digest: usize, keyType: u8, keyLen: i32, birth: u64, isNew: bool): void {
  resultIsNew = isNew;
  let slot = handle.indexLoaded ? indexFind(digest) : -1;
  if (handle.indexLoaded && slot < 0) slot = indexInsert(digest, birth, keyType, rec + HEADER_BYTES, keyLen);
  resultSlot = slot;
  noteSlot(slot);
}

/** Besides the host's failures: ST_EXISTS (MOVE_CREATE) or ST_MISSING (MOVE_REPLACE); see writeChosen. */
function writeRecord(buf: usize, digest: usize, keyType: u8, keyLen: i32, valueLen: i32, codec: u8, birth: u64, move: i32): i32 {
  const total = sealRecord(buf, codec, keyType, birth, keyLen, valueLen, nextExpiry);
  noteWritten(total);
  const written = writeTemp(buf, total, buf, keyType, keyLen, birth);
  if (written != ST_OK) return written;
  const len = recordPath(recordBuf, digest);
  const moved = moveTempAs(move, recordBuf, len, digest);
  if (moved != ST_OK) return moved;
  if (handle.fsyncWrites) syncAfterChange(controlBuf, 0);
  return moved;
}

/** birthOnDisk's answer for a record that has expired: absent (7.9), but a record to replace. */
const BIRTH_EXPIRED: i64 = -2;

/**
 * The birth stamp of a key's current record: 0 when there is none (or it is no record),
 * BIRTH_EXPIRED, or -1 on a failed read.
 */
function birthOnDisk(digest: usize): i64 {
  const len = recordPath(recordBuf, digest);
  const n = readHeader(recordBuf, len, io);
  if (n == -host.ENOENT || (n < 0 && notARecord(n) != RECORD_OK)) return 0;
  if (n < 0) {
    fail(readingFd < 0 ? OP_OPEN : OP_READ, n, recordBuf, len);
    return -1;
  }
  return expired(headerExpiry) ? BIRTH_EXPIRED : <i64>headerBirth(io, n);
}

export function xattrsActive(): bool {
  return handle.xattrs;
}

export function remove(keyType: u8, keyLen: i32): i32 {
  renewRegistration();
  const digest = digestKey(keyType, keyLen);
  const len = recordPath(recordBuf, digest);
  const r = host.unlink(recordBuf, len);
  if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, recordBuf, len);
  // Gone already (taken by a take whose entry we have not read yet): our index forgets it too,
  // so a set that follows makes the key new instead of keeping its old place (a take that
  // fails puts the record back and announces it).
  forget(digest);
  if (r == -host.ENOENT) return ST_MISSING;
  if (handle.fsyncWrites) syncAfterChange(controlBuf, 0);
  const key = rec + HEADER_BYTES;
  announce(JOURNAL_DELETE, digest, 0, 0, 0, CAUSE_CALL, key, keyType, keyLen);
  // A SET of this key journaled before our DELETE whose record is there now was renamed in after
  // our unlink, during this call: readers applying our entry after its own would drop a present
  // key. This delete is the later of the two, so it removes that record too (bounded: a key
  // rewritten without pause is left to the next reconcile).
  for (let again = 0; rivalSetBefore(0) && again < 3; again++) {
    if (host.unlink(recordBuf, recordPath(recordBuf, digest)) < 0) break; // ENOENT: none came in
    forget(digest); // our index learnt that SET from the journal
    announce(JOURNAL_DELETE, digest, 0, 0, 0, CAUSE_CALL, key, keyType, keyLen);
  }
  return ST_OK;
}

// ---- taking ------------------------------------------------------------------------------------

/** Claims the record of one key (pop(key)); ST_MISSING when absent or taken by another handle. */
export function take(keyType: u8, keyLen: i32): i32 {
  renewRegistration();
  return claim(digestKey(keyType, keyLen));
}

/** Claims the oldest (or youngest) record; another handle's win just moves us to the next. */
export function pop(youngest: bool): i32 {
  const synced = sync();
  if (synced != ST_OK) return synced;
  renewRegistration();
  let rescanned = false;
  let retakes = 0;
  while (true) {
    const slot = youngest ? indexLast() : indexFirst();
    if (slot < 0) {
      // Empty by our index. The listing is the truth (a journal entry can be lost on network
      // file systems, or a claim of a gone owner be waiting): look once before answering empty.
      if (rescanned) return ST_MISSING;
      rescanned = true;
      const recovered = recoverClaims();
      if (recovered != ST_OK) return recovered;
      const scanned = rescan();
      if (scanned != ST_OK) return scanned;
      continue;
    }
    memory.copy(digestBuf, indexDigest(slot), DIGEST_BYTES);
    const picked = indexBirth(slot);
    const status = claim(digestBuf);
    if (status == ST_OK && retakes < RETAKES && recordBirth(resultRecord) != picked) {
      // The record under that name is another than the one we picked: its key was taken and made
      // again since our index looked (a process slow to take, or long idle), born later, and
      // others may have been born between. It goes back where it was (as a take that did not
      // happen), and we look again with what the journal says since.
      retakes++;
      const back = settle(SETTLE_RELEASE, claimedStamp);
      if (back != ST_OK && back != ST_MISSING) return back;
      const synced = syncJournal(REPLACED_SOMETIMES);
      if (synced != ST_OK) return synced;
      continue;
    }
    if (status != ST_MISSING) return status;
  }
}

/** Times a pop puts back a record made again since its index looked, before it takes what it finds. */
const RETAKES: i32 = 4;

export { finishTake };

/** Lists the directory now, and reads the journal after it (refresh(), and a pop that found nothing). */
export function rescan(): i32 {
  const loaded = ensureIndex();
  if (loaded != ST_OK) return loaded;
  return relist();
}


const clearedKey: usize = heap.alloc(KEY_CARRIED_MAX);

/** Removes every record; returns how many it removed in resultSlot. */
export function clear(): i32 {
  const synced = sync();
  if (synced != ST_OK) return synced;
  const scanned = rescan();
  if (scanned != ST_OK) return scanned;
  renewRegistration();
  let removed = 0;
  while (true) {
    const slot = indexFirst();
    if (slot < 0) break;
    memory.copy(digestBuf, indexDigest(slot), DIGEST_BYTES);
    // Its key goes with its entry (a watcher may know it no longer: another handle's delete of it
    // may come first); kept aside, since forget() frees the slot.
    const keyType = indexKeyType(slot);
    const keyLen = indexKeyLength(slot);
    const carried = keyLen <= KEY_CARRIED_MAX;
    if (carried) memory.copy(clearedKey, indexKey(slot), keyLen);
    forget(digestBuf);
    const len = recordPath(recordBuf, digestBuf);
    const r = host.unlink(recordBuf, len);
    if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, recordBuf, len);
    if (r == 0) removed++;
    announce(JOURNAL_DELETE, digestBuf, 0, 0, 0, CAUSE_CALL, carried ? clearedKey : 0, keyType, keyLen);
  }
  resultSlot = removed;
  return ST_OK;
}

/**
 * Removes the store: every record, then its control files and folders, then the directory if
 * nothing foreign is left in it. The handle is closed afterwards.
 */
export function destroy(): i32 {
  const cleared = clear();
  if (cleared != ST_OK) return cleared;
  dropStoreLock();
  unregister();
  host.close(handle.journalFd);
  handle.journalFd = -1;
  const folders = ['tmp', 'claimed', 'quarantine', 'handles'];
  for (let f = 0; f < folders.length; f++) {
    const emptied = emptyFolder(folders[f]);
    if (emptied != ST_OK) return emptied;
  }
  const files = ['index', 'changes', 'lock', 'lock.owner', 'format'];
  for (let f = 0; f < files.length; f++) {
    const len = controlPath(controlBuf, files[f]);
    const r = host.unlink(controlBuf, len);
    if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, controlBuf, len);
  }
  const len = putAscii(controlBuf, 0, '.iodict');
  const r = host.rmdir(controlBuf, len);
  if (r < 0 && r != -host.ENOENT) return fail(OP_UNLINK, r, controlBuf, len);
  host.rmdir(controlBuf, 0); // ENOTEMPTY: someone else's files stay, and so does the directory
  return ST_OK;
}

function emptyFolder(folder: string): i32 {
  const dirLen = controlPath(sideBuf, folder);
  // Checked again right before the listing: the unlinks below never reach through a link.
  const contained = checkFolder(sideBuf, dirLen);
  if (contained != ST_OK) return contained;
  const n = listDir(sideBuf, dirLen);
  if (n == -host.ENOENT) return ST_OK;
  if (n < 0) return ST_IO;
  const listing = new Listing(n);
  let status = ST_OK;
  while (status == ST_OK && listing.next()) {
    const len = sidePath(controlBuf, folder, listing.name, listing.nameLength);
    const r = host.unlink(controlBuf, len);
    if (r < 0 && r != -host.ENOENT) status = fail(OP_UNLINK, r, controlBuf, len);
  }
  listing.free();
  if (status != ST_OK) return status;
  const r = host.rmdir(sideBuf, dirLen);
  return r < 0 && r != -host.ENOENT ? fail(OP_UNLINK, r, sideBuf, dirLen) : ST_OK;
}

