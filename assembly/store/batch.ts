// Batches (setMany, putMany): many sets with one group commit (FORMAT.md 7.3.1). A set under
// durability 'fsync' pays two syncs (its temp file, then the root); a batch writes every temp file
// first and syncs them as one round before the first rename, then renames them all and syncs the
// root once. Each item's birth and journal entry are exactly a set's (store.ts chooseBirth/landed);
// each entry is appended as its item lands, before the next rename (as a set's: a listing that
// sees an item finds the earlier ones in the journal after it, journal.ts relist), and the
// journal is read once per group of GROUP_MAX (the read a set makes after its append).
//
// The host calls: batchBegin(); batchWrite() per item (key and value at reserve() + 24, as for
// set); batchSync(); batchLand(i) per item in order (the item placed at reserve() again); and
// batchEnd() always, also after a failure. batchLanded() says how many items are in place.
//
// What each step leaves behind:
// - a crash or failed call while writing or syncing temps: temp files only, which no reader looks
//   at (removed by batchEnd, or by the next opener once we are gone, 7.3 step 1). Nothing changed.
// - a crash while renaming: the items renamed so far are in place (a prefix, in order), the rest
//   are orphan temps; the journal lacks at most the last one's entry, which our registration
//   covers (7.2), exactly as for a set that died after its rename.
// - a failed rename: that temp and the later ones are removed; batchLanded() items are in place
//   and journaled (read back at batchEnd); the host reports them (BatchError.landed).
// - a power loss under 'fsync' before batchEnd's root sync: any subset of the renames may be lost,
//   but each record that is there is whole, old or new (its temp was synced before any rename).
// - another process sees each item appear as it lands, like single sets; a handle that slept
//   through it all follows the journal entries (or lists the directory) as for sets.
import { DIGEST_BYTES } from '../format/key';
import { sealRecord, HEADER_BYTES } from '../format/record';
import { resize } from '../util/memory';
import { handle } from './handle';
import * as host from '../host/imports';
import { recordBuf, recordPath, controlBuf, controlPath } from './paths';
import { syncAfterChange, fail, ST_OK, OP_OPEN, OP_FSYNC } from './io';
import { writeTemp, moveTempAs, lastTempCounter, selectTemp, syncTemp, removeTemp } from './temp';
import { reservedRecord, chooseBirth, birthsMayBeStale, indexLanded, writeChosen, chooseAgain, chosenBirth, chosenIsNew, chosenMove, digestBuf } from './store';
import { nextExpiry, setNextExpiry, noteWritten, writtenLength } from './expiry';
import { appendChange, publishChanges, GROUP_MAX, JOURNAL_SET, CAUSE_CALL } from './journal';
import { evictPastLimits } from './limits';

let count: i32 = 0;
let landedCount: i32 = 0;
let publishedCount: i32 = 0; // landed items whose journal entries are appended
let digests: usize = 0; // count * DIGEST_BYTES
let digestCap: i32 = 0;
const births = new Array<u64>();
const fresh = new Array<bool>();
const moves = new Array<i32>();
const temps = new Array<u32>();
const expiries = new Array<u64>();
const lengths = new Array<i32>();

export function batchBegin(): void {
  birthsMayBeStale();
  count = 0;
  landedCount = 0;
  publishedCount = 0;
  births.length = 0;
  fresh.length = 0;
  moves.length = 0;
  temps.length = 0;
  expiries.length = 0;
  lengths.length = 0;
}

/**
 * The item at reserve() + 24 (with the expiry stamp setNextExpiry gave it, as for a set): its
 * birth chosen, its record written to a temp file (not synced yet).
 */
export function batchWrite(keyType: u8, keyLen: i32, valueLen: i32, codec: u8): i32 {
  const expiry = nextExpiry;
  setNextExpiry(0);
  const chosen = chooseBirth(keyType, keyLen);
  if (chosen != ST_OK) return chosen;
  const rec = reservedRecord();
  const total = sealRecord(rec, codec, keyType, chosenBirth, keyLen, valueLen, expiry);
  // The temp files are synced together in batchSync, not one by one.
  const fsyncWrites = handle.fsyncWrites;
  handle.fsyncWrites = false;
  const written = writeTemp(rec, total, rec, keyType, keyLen, chosenBirth);
  handle.fsyncWrites = fsyncWrites;
  if (written != ST_OK) return written;
  if ((count + 1) * DIGEST_BYTES > digestCap) {
    digestCap = max(64 * DIGEST_BYTES, digestCap << 1);
    digests = resize(digests, digestCap);
  }
  memory.copy(digests + count * DIGEST_BYTES, digestBuf, DIGEST_BYTES);
  births.push(chosenBirth);
  fresh.push(chosenIsNew);
  moves.push(chosenMove);
  temps.push(lastTempCounter());
  expiries.push(expiry);
  lengths.push(total);
  count++;
  return ST_OK;
}

/**
 * Under durability 'fsync', every temp file on disk before the first rename: one syncfs of the
 * file system holding tmp/ where the host has it (one journal commit for the whole batch, where
 * an fsync per file costs one each), else, or when the host finds that flush costlier (others'
 * unwritten data), an fsync of each temp file.
 */
export function batchSync(): i32 {
  if (!handle.fsyncWrites) return ST_OK;
  const dirLen = controlPath(controlBuf, 'tmp');
  const fd = host.open(controlBuf, dirLen, host.O_DIRECTORY);
  if (fd < 0) return fail(OP_OPEN, fd, controlBuf, dirLen);
  const r = host.syncfs(fd, count);
  host.close(fd);
  if (r == 0) return ST_OK;
  if (r != -host.ENOTSUP) return fail(OP_FSYNC, r, controlBuf, dirLen);
  for (let i = 0; i < count; i++) {
    selectTemp(temps[i]);
    const synced = syncTemp();
    if (synced != ST_OK) return synced;
  }
  return ST_OK;
}

/**
 * Moves item i (placed at reserve() + 24 again) into place as a set does (exchanged with the record
 * of a key that exists; one taken meanwhile makes the key new, written again with a new birth and
 * its own fsyncs), then indexes it and appends its journal entry; after each full group of
 * GROUP_MAX, and the last at batchEnd, one read (publishLanded).
 */
export function batchLand(i: i32, keyType: u8, keyLen: i32, valueLen: i32, codec: u8): i32 {
  // A full group goes out first: what its read brings (rewrites, evictions) is done before this
  // item, whose results (store.ts resultSlot, resultIsNew) the host reads after this call.
  if (landedCount - publishedCount == GROUP_MAX) publishLanded();
  const digest = digests + i * DIGEST_BYTES;
  selectTemp(temps[i]);
  const len = recordPath(recordBuf, digest);
  // Its record, index slot and journal entry carry its expiry and length, as a set's do.
  setNextExpiry(expiries[i]);
  noteWritten(lengths[i]);
  // What the move finds is settled as for a set; a record written again gets its own fsyncs.
  chooseAgain(births[i], fresh[i]);
  const moved = writeChosen(digest, keyType, keyLen, valueLen, codec, moveTempAs(moves[i], recordBuf, len, digest));
  births[i] = chosenBirth;
  fresh[i] = chosenIsNew;
  if (moved != ST_OK) {
    setNextExpiry(0);
    return moved;
  }
  landedCount = i + 1;
  indexLanded(digest, keyType, keyLen, births[i], fresh[i]);
  // Nothing between here and publishLanded announces on its own, which would end this group early.
  appendChange(JOURNAL_SET, digest, births[i], nextExpiry, writtenLength, CAUSE_CALL, reservedRecord() + HEADER_BYTES, keyType, keyLen);
  setNextExpiry(0);
  return ST_OK;
}

/**
 * One read after the journal entries of the items landed since the last group (FORMAT.md 7.3.1
 * step 5, as a set's of 7.3 step 4), then evictions past the store's limits.
 */
function publishLanded(): void {
  if (landedCount == publishedCount) return;
  publishedCount = landedCount;
  publishChanges();
  // As after a set, with the group's last item kept; the batch's older items may go, as they
  // would by evictions after each item.
  evictPastLimits(digests + <usize>(landedCount - 1) * DIGEST_BYTES);
}

/**
 * Removes the temp files of items that did not land; syncs the root once when any did (under
 * 'fsync'); then reads after the last group.
 */
export function batchEnd(): void {
  for (let i = landedCount; i < count; i++) {
    selectTemp(temps[i]);
    removeTemp(); // ENOENT for one a failed call removed already
  }
  if (landedCount > 0 && handle.fsyncWrites) syncAfterChange(controlBuf, 0);
  publishLanded();
  count = 0;
}

export function batchLanded(): i32 {
  return landedCount;
}
