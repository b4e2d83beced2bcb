// The store lock, held by a rotation (and by transact()): flock on .iodict/lock where the host
// has it (the kernel drops it when its holder dies), otherwise the lock file .iodict/lock.owner
// naming its owner (FORMAT.md section 8).
import * as host from '../host/imports';
import { handle } from './handle';
import { lockBuf, lockBuf2, controlPath } from './paths';
import { putOwner, ownerGone, isOurs, OWNER_CHARS } from './owner';
import { statBuf, openReading, readingFd } from './io';

export const LOCK_BUSY: i32 = -1;
export const LOCK_BY_FILE: i32 = -2;
// Held by this handle (transact() holds it across many operations; a rotation inside it nests):
// the lock as acquired, and how many acquisitions have not been released yet.
let heldLock: i32 = LOCK_BUSY;
let heldDepth: i32 = 0;
const ownerText: usize = heap.alloc(OWNER_CHARS);
const foundText: usize = heap.alloc(OWNER_CHARS);

/**
 * Takes the store lock without waiting: returns a descriptor (flock), LOCK_BY_FILE, or LOCK_BUSY.
 * The lock file is created with O_EXCL and holds our owner tag. One whose owner is gone (our
 * identity: its process is dead; another identity: older than the lease) is taken over by
 * renaming it to a name of our own and checking what we got: of two takers, one gets the stale
 * file and the other ENOENT, and a taker that got a live lock (the winner's new one) puts it back.
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
  const lockLen = controlPath(lockBuf, 'lock');
  const fd = host.open(lockBuf, lockLen, host.O_READ | host.O_WRITE | host.O_CREATE);
  if (fd < 0) return LOCK_BUSY;
  const locked = host.lock(fd, host.LOCK_EXCLUSIVE | host.LOCK_NONBLOCKING);
  if (locked == 0) return fd;
  host.close(fd);
  if (locked != -host.ENOTSUP) return LOCK_BUSY;
  putOwner(ownerText, 0);
  for (let attempt = 0; attempt < 3; attempt++) {
    const len = controlPath(lockBuf, 'lock.owner');
    const owner = host.open(lockBuf, len, host.O_WRITE | host.O_CREATE | host.O_EXCL);
    if (owner >= 0) {
      const written = host.write(owner, ownerText, OWNER_CHARS, 0);
      host.close(owner);
      if (written == OWNER_CHARS) return LOCK_BY_FILE;
      host.unlink(lockBuf, len);
      return LOCK_BUSY;
    }
    if (owner != -host.EEXIST) return LOCK_BUSY;
    const found = lockFileState(len);
    if (found == HELD) return LOCK_BUSY;
    // VANISHED: released meanwhile, so create again; never take over what we did not judge.
    if (found == GONE) takeOver(len);
  }
  return LOCK_BUSY;
}

/** Reads the lock file's owner into foundText; its length, or -errno. */
function readOwner(path: usize, len: i32): i32 {
  const n = openReading(path, len, host.O_READ, foundText, OWNER_CHARS);
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

/**
 * Judges the lock file: HELD, GONE (its owner is gone: staleOwner names it for takeOver), or
 * VANISHED (released meanwhile). A vanished file must not lead to a takeover: what takeOver would
 * move is a new holder's file, and staleOwner would still name an earlier judgement (the same
 * handle takes the lock again and again under one owner tag), so a live lock would be deleted.
 */
function lockFileState(len: i32): i32 {
  const n = readOwner(lockBuf, len);
  if (n == -host.ENOENT) return VANISHED;
  if (n != OWNER_CHARS) {
    // Empty or torn (its creator died between create and write): judge by age alone.
    memory.fill(staleOwner, 0, OWNER_CHARS);
    return leaseOver() ? GONE : HELD;
  }
  memory.copy(staleOwner, foundText, OWNER_CHARS);
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
  const stale = n == OWNER_CHARS ? memory.compare(foundText, staleOwner, OWNER_CHARS) == 0 : load<u8>(staleOwner) == 0;
  if (stale) host.unlink(lockBuf2, asideLen);
  else host.rename(lockBuf2, asideLen, lockBuf, len); // a live lock: give it back
}

/** Whether this handle could take the store lock at all: false where its file does not open for writing (a read-only store, another user's). */
export function storeLockUsable(): bool {
  const len = controlPath(lockBuf, 'lock');
  const fd = host.open(lockBuf, len, host.O_READ | host.O_WRITE | host.O_CREATE);
  if (fd < 0) return false;
  host.close(fd);
  return true;
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

/** Releases one acquisition; the last one releases the lock: a lock file only while it is still ours (never another's). */
export function releaseStoreLock(lock: i32): void {
  if (lock == LOCK_BUSY || heldDepth == 0) return;
  if (--heldDepth > 0) return;
  heldLock = LOCK_BUSY;
  if (lock == LOCK_BY_FILE) {
    const len = controlPath(lockBuf, 'lock.owner');
    if (readOwner(lockBuf, len) == OWNER_CHARS && isOurs(foundText)) host.unlink(lockBuf, len);
  } else if (lock >= 0) {
    host.lock(lock, host.LOCK_UNLOCK);
    host.close(lock);
  }
}
