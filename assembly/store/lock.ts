// The store lock, held by a rotation (and by transact()): the lock file .iodict/lock.owner naming
// its owner, and where the host has flock, flock on .iodict/lock as well (FORMAT.md 7.7). Handles
// without flock (no native helper, WASI) see only the lock file, so a flock holder takes it too;
// flock tells a flock holder that a lock file marked by another flock holder is stale at once.
import * as host from '../host/imports';
import { handle } from './handle';
import { lockBuf, lockBuf2, controlPath } from './paths';
import { putOwner, ownerGone, isOurs, OWNER_CHARS } from './owner';
import { statBuf, openReading, readingFd, fail, OP_OPEN } from './io';

export const LOCK_BUSY: i32 = -1;
export const LOCK_BY_FILE: i32 = -2;
// Held by this handle (transact() holds it across many operations; a rotation inside it nests):
// the lock as acquired, and how many acquisitions have not been released yet.
let heldLock: i32 = LOCK_BUSY;
let heldDepth: i32 = 0;
// The last try could not take the lock at all (its file did not open for writing, or the lock
// file could not be created for a reason other than another holder's: EACCES, EROFS, ...): the
// error is recorded, and a busy answer is no reason to wait (storeLockUsable).
let lockUnusable = false;
// A lock file's owner tag, then 'F' when its owner held the flock too.
const FLOCK_MARK: u8 = 0x46;
const ownerText: usize = heap.alloc(OWNER_CHARS + 1);
const foundText: usize = heap.alloc(OWNER_CHARS + 1);

/**
 * Takes the store lock without waiting: returns a descriptor (flock and the lock file),
 * LOCK_BY_FILE (the lock file alone: a host without flock), or LOCK_BUSY.
 */
export function acquireStoreLock(): i32 {
  if (heldDepth > 0) {
    heldDepth++;
    return heldLock;
  }
  const lock = takeStoreLock();
  if (lock != LOCK_BUSY) {
    heldLock = lock;
    heldDepth = 1;
  }
  return lock;
}

function takeStoreLock(): i32 {
  lockUnusable = false;
  const lockLen = controlPath(lockBuf, 'lock');
  const fd = host.open(lockBuf, lockLen, host.O_READ | host.O_WRITE | host.O_CREATE);
  if (fd < 0) {
    lockUnusable = true;
    fail(OP_OPEN, fd, lockBuf, lockLen);
    return LOCK_BUSY;
  }
  const locked = host.lock(fd, host.LOCK_EXCLUSIVE | host.LOCK_NONBLOCKING);
  if (locked == 0) {
    if (takeLockFile(true)) return fd;
    host.lock(fd, host.LOCK_UNLOCK); // a handle without flock holds the lock file
    host.close(fd);
    return LOCK_BUSY;
  }
  host.close(fd);
  if (locked != -host.ENOTSUP) return LOCK_BUSY;
  return takeLockFile(false) ? LOCK_BY_FILE : LOCK_BUSY;
}

/**
 * Creates the lock file with O_EXCL, holding our owner tag (marked when we hold the flock too).
 * One whose owner is gone (marked while we hold the flock: at once; our identity: its process is
 * dead; another identity: older than the lease) is taken over by renaming it to a name of our own
 * and checking what we got: of two takers, one gets the stale file and the other ENOENT, and a
 * taker that got a live lock (the winner's new one) puts it back.
 */
function takeLockFile(flockHeld: bool): bool {
  putOwner(ownerText, 0);
  store<u8>(ownerText + OWNER_CHARS, FLOCK_MARK);
  const size = flockHeld ? OWNER_CHARS + 1 : OWNER_CHARS;
  for (let attempt = 0; attempt < 3; attempt++) {
    const len = controlPath(lockBuf, 'lock.owner');
    const owner = host.open(lockBuf, len, host.O_WRITE | host.O_CREATE | host.O_EXCL);
    if (owner >= 0) {
      const written = host.write(owner, ownerText, size, 0);
      host.close(owner);
      if (written == size) return true;
      host.unlink(lockBuf, len);
      return false;
    }
    if (owner != -host.EEXIST) {
      lockUnusable = true;
      fail(OP_OPEN, owner, lockBuf, len);
      return false;
    }
    const found = lockFileState(len, flockHeld);
    if (found == HELD) return false;
    // VANISHED: released meanwhile, so create again; never take over what we did not judge.
    if (found == GONE) takeOver(len);
  }
  return false;
}

/** Reads the lock file's owner (and mark) into foundText; its length, or -errno. */
function readOwner(path: usize, len: i32): i32 {
  const n = openReading(path, len, host.O_READ, foundText, OWNER_CHARS + 1);
  const fd = readingFd;
  if (fd < 0) return n;
  const statOk = host.fstat(fd, statBuf);
  host.close(fd);
  return statOk < 0 ? statOk : n;
}

let staleOwner: usize = heap.alloc(OWNER_CHARS);

const HELD: i32 = 0;
const GONE: i32 = 1;
const VANISHED: i32 = 2;

/** Whether foundText holds a whole owner tag (n bytes read), marked or not. */
function wholeOwner(n: i32): bool {
  return n == OWNER_CHARS || (n == OWNER_CHARS + 1 && load<u8>(foundText + OWNER_CHARS) == FLOCK_MARK);
}

/**
 * Judges the lock file: HELD, GONE (its owner is gone: staleOwner names it for takeOver), or
 * VANISHED (released meanwhile). A vanished file must not lead to a takeover: what takeOver would
 * move is a new holder's file, and staleOwner would still name an earlier judgement (the same
 * handle takes the lock again and again under one owner tag), so a live lock would be deleted.
 * `flockHeld`: we hold the flock, so a file marked by a flock holder is a dead one's.
 */
function lockFileState(len: i32, flockHeld: bool): i32 {
  const n = readOwner(lockBuf, len);
  if (n == -host.ENOENT) return VANISHED;
  if (!wholeOwner(n)) {
    // Empty or torn (its creator died between create and write): judge by age alone.
    memory.fill(staleOwner, 0, OWNER_CHARS);
    return leaseOver() ? GONE : HELD;
  }
  memory.copy(staleOwner, foundText, OWNER_CHARS);
  if (flockHeld && n == OWNER_CHARS + 1) return GONE;
  return ownerGone(foundText, <u64>(load<f64>(statBuf + host.STAT_MTIME) * 1000)) ? GONE : HELD;
}

function leaseOver(): bool {
  const age = host.now() - load<f64>(statBuf + host.STAT_MTIME) * 1000;
  return age > <f64>handle.lease;
}

/** Moves the stale lock file aside; puts it back if what moved was not the stale one. */
function takeOver(len: i32): void {
  let asideLen = controlPath(lockBuf2, 'lock.stale-');
  asideLen = putOwner(lockBuf2, asideLen);
  if (host.rename(lockBuf, len, lockBuf2, asideLen) < 0) return; // another taker was first
  const n = readOwner(lockBuf2, asideLen);
  const stale = wholeOwner(n) ? memory.compare(foundText, staleOwner, OWNER_CHARS) == 0 : load<u8>(staleOwner) == 0;
  if (stale) host.unlink(lockBuf2, asideLen);
  else host.rename(lockBuf2, asideLen, lockBuf, len); // a live lock: give it back
}

/**
 * After acquireStoreLock answered LOCK_BUSY: whether this handle could take the lock at all, so
 * that another handle holds it (false: a read-only store, another user's; the error recorded).
 */
export function storeLockUsable(): bool {
  return !lockUnusable;
}

/**
 * Whether another handle holds the store lock now: true when it is busy and this handle could
 * take it; false when it is free (taken and let go at once) or cannot be taken at all. What the
 * waits for another handle's work under the lock ask (a seal, FORMAT.md 8.2 and 8.5).
 */
export function anotherHoldsStoreLock(): bool {
  const lock = acquireStoreLock(); // held by this handle already: taken again, at once
  if (lock == LOCK_BUSY) return storeLockUsable();
  releaseStoreLock(lock);
  return false;
}

/** The lock as this handle holds it (LOCK_BUSY when it holds none). */
export function heldStoreLock(): i32 {
  return heldLock;
}

/** Releases every acquisition this handle holds (a handle closing inside transact()). */
export function dropStoreLock(): void {
  if (heldDepth == 0) return;
  heldDepth = 1;
  releaseStoreLock(heldLock);
}

/**
 * Releases one acquisition; the last one releases the lock: the lock file only while it is still
 * ours (never another's), then the flock. A crash between leaves a marked file and no flock: the
 * next flock holder takes it over at once, a handle without flock by its owner (7.1).
 */
export function releaseStoreLock(lock: i32): void {
  if (lock == LOCK_BUSY || heldDepth == 0) return;
  if (--heldDepth > 0) return;
  heldLock = LOCK_BUSY;
  const len = controlPath(lockBuf, 'lock.owner');
  if (wholeOwner(readOwner(lockBuf, len)) && isOurs(foundText)) host.unlink(lockBuf, len);
  if (lock >= 0) {
    host.lock(lock, host.LOCK_UNLOCK);
    host.close(lock);
  }
}
