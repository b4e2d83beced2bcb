// Expiry (FORMAT.md 3.3 and 7.9): a record may carry an expiry stamp (flag bit 0). From that
// moment every read of every handle treats it as absent, whatever it finds on disk: get, has,
// getSlot and claims check the record they read; size and iteration skip index slots whose
// stamp has passed. Expired records are removed lazily, by whoever reads one, or by
// purgeExpired(), as a claim (claims.ts): the record is renamed away first, so a record set
// again meanwhile (a fresh one, under the same name) is never removed by mistake: it is put back.
import * as host from '../host/imports';
import { HEADER_BYTES, RECORD_MAGIC, RECORD_OK, RECORD_NOT_FILE, recordExpires, recordExpiry } from '../format/record';
import { DIGEST_BYTES } from '../format/key';
import { indexSetRecord, indexExpiry, indexExpiring, indexOrder, indexSize, indexDigest, indexCountExpired } from '../index/ordered';
import { resize } from '../util/memory';
import { io, statBuf, openReading, readingFd, fail, OP_OPEN, OP_READ, ST_OK, ST_MISSING } from './io';
import { quarantine, notARecord } from './records';
import { claim, settle, claimedStamp, SETTLE_RELEASE } from './claims';

/** A clock the host set (µs; tests inject one), or 0: the host's real-time clock. */
let fixedNow: u64 = 0;
export function setClock(us: u64): void {
  fixedNow = us;
}
/** Now, for expiry (µs since the Unix epoch). */
export function expiryNow(): u64 {
  return fixedNow != 0 ? fixedNow : <u64>host.now();
}

/** The expiry stamp the next set gives its record (0: none); the host sets it, set() clears it. */
export let nextExpiry: u64 = 0;
export function setNextExpiry(us: u64): void {
  nextExpiry = us;
}
/** Length of the record the last set wrote. */
export let writtenLength: u32 = 0;
export function noteWritten(length: i32): void {
  writtenLength = <u32>length;
}
/** Records the written record's expiry and length in its index slot (when it has one). */
export function noteSlot(slot: i32): void {
  if (slot >= 0) indexSetRecord(slot, nextExpiry, writtenLength);
}

export function expired(expiry: u64): bool {
  return expiry != 0 && expiry <= expiryNow();
}
export function recordExpired(rec: usize): bool {
  return expired(recordExpiry(rec));
}

/** Expired records this handle removed since it opened (the host reports purgeExpired's count from it). */
export let removedCount: i32 = 0;
export function countRemoved(): void {
  removedCount++;
}

/**
 * Removes the expired record of a digest (a claim that finds it expired deletes it, see
 * claims.ts); a record that is no longer expired (set again meanwhile) is put back.
 */
export function removeExpired(digest: usize): void {
  if (claim(digest) == ST_OK) settle(SETTLE_RELEASE, claimedStamp);
}

/**
 * After a read found a valid record for digest in io: ST_OK when it is live, else ST_MISSING
 * (and it is removed, lazily; a failure to remove it changes nothing for the reader).
 */
export function liveRecord(digest: usize): i32 {
  if (!recordExpired(io)) return ST_OK;
  removeExpired(digest);
  return ST_MISSING;
}

const headBuf: usize = heap.alloc(HEADER_BYTES);
const stampBuf: usize = heap.alloc(8);

/** The expiry stamp readHeader found (0: none, or one that did not read). */
export let headerExpiry: u64 = 0;

/**
 * Reads the header of the record at path into buf, and its expiry stamp (which follows the value)
 * into headerExpiry when the header flags one: not the whole file. Returns the header's byte
 * count or -errno (readingFd < 0: the open failed). A short read of something that is no regular
 * file (an empty FIFO reads 0 bytes) is -EINVAL. A stamp that does not read is 0: the record is
 * not whole, and its reader quarantines it.
 */
export function readHeader(path: usize, len: i32, buf: usize): i32 {
  headerExpiry = 0;
  let n = openReading(path, len, host.O_READ, buf, HEADER_BYTES);
  const fd = readingFd;
  if (fd < 0) return n;
  if (n >= 0 && n < HEADER_BYTES && host.fstat(fd, statBuf) == 0 && load<f64>(statBuf + host.STAT_TYPE) != host.TYPE_FILE) n = -host.EINVAL;
  if (n == HEADER_BYTES && load<u32>(buf) == RECORD_MAGIC && recordExpires(buf)) {
    const at = <f64>HEADER_BYTES + <f64>load<u32>(buf, 16) + <f64>load<u32>(buf, 20);
    if (host.read(fd, stampBuf, 8, at) == 8) headerExpiry = load<u64>(stampBuf);
  }
  host.close(fd);
  return n;
}

/**
 * has(): the record's header (and its expiry stamp, when flagged). A regular file that is not a
 * valid record header still counts as present, as a stat would (get tells the truth); a link,
 * directory or FIFO under the name is no record: quarantined, as get() does.
 */
export function hasLive(path: usize, len: i32, digest: usize): i32 {
  const n = readHeader(path, len, headBuf);
  if (readingFd < 0 && n == -host.ENOENT) return ST_MISSING;
  if (readingFd < 0) return notARecord(n) != RECORD_OK ? quarantine(path, len, digest, RECORD_NOT_FILE) : fail(OP_OPEN, n, path, len);
  if (n < 0) {
    const check = notARecord(n);
    return check != RECORD_OK ? quarantine(path, len, digest, check) : fail(OP_READ, n, path, len);
  }
  if (!expired(headerExpiry)) return ST_OK;
  removeExpired(digest);
  return ST_MISSING;
}

const purgeDigest: usize = heap.alloc(DIGEST_BYTES);
let orderBuf: usize = 0;
/** Removes every record the (synced) index knows to be expired; returns how many this handle removed. */
export function purgeIndexed(): i32 {
  const before = removedCount;
  if (indexExpiring() == 0) return 0;
  const n = indexSize();
  orderBuf = resize(orderBuf, <usize>max<u32>(n, 1) << 2);
  const count = indexOrder(orderBuf);
  for (let i: u32 = 0; i < count; i++) {
    const slot = load<u32>(orderBuf + (<usize>i << 2));
    if (!expired(indexExpiry(slot))) continue;
    memory.copy(purgeDigest, indexDigest(slot), DIGEST_BYTES);
    removeExpired(purgeDigest);
  }
  return removedCount - before;
}

/** Index slots that are live now: indexSize() less the expired ones still indexed. */
export function liveSize(): u32 {
  if (indexExpiring() == 0) return indexSize();
  return indexSize() - indexCountExpired(expiryNow());
}

/** Drops expired slots from an order (n slots at out); returns how many are left. */
export function filterOrder(out: usize, n: u32): u32 {
  if (indexExpiring() == 0) return n;
  let kept: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const slot = load<u32>(out + (<usize>i << 2));
    if (expired(indexExpiry(slot))) continue;
    store<u32>(out + (<usize>(kept++) << 2), slot);
  }
  return kept;
}

