// Temp files: every record and control file is written whole to .iodict/tmp/ and renamed into
// place, so readers see the old file or the new one, never a mix. A crash leaves at most an
// orphan temp file, which no reader ever looks at; removeOrphanTemps() deletes those of owners
// that are gone.
import * as host from '../host/imports';
import { KEY_STRING, KEY_QUEUE } from '../format/key';
import { HEADER_BYTES, RECORD_NOT_FILE } from '../format/record';
import { quarantine } from './records';
import { handle } from './handle';
import { tempBuf, controlBuf, controlPath, putAscii, sidePath, sideBuf } from './paths';
import { putOwner, ownerGone, v1OwnerGone, isOurs, OWNER_CHARS } from './owner';
import { fail, writeAll, listDir, Listing, statBuf, OP_OPEN, OP_WRITE, OP_XATTR, OP_FSYNC, OP_RENAME, ST_OK, ST_MISSING, ST_CORRUPT } from './io';

let tempLength: i32 = 0; // of the path in tempBuf

/** createTemp's status (never the host's): a record is under the name already; nothing changed, the temp file is removed. */
export const ST_EXISTS: i32 = 101;
const attrName: usize = heap.alloc(32);
const attrValue: usize = heap.alloc(8);

/** ".iodict/tmp/<owner, 28 hex>-<counter, 8 hex>": unique to this handle, so O_EXCL never collides. */
function tempPath(counter: u32 = handle.tempCounter++, buf: usize = tempBuf): i32 {
  let at = controlPath(buf, 'tmp/');
  at = putOwner(buf, at);
  store<u8>(buf + at++, 0x2d);
  return putHexU32(buf, at, counter);
}

/** The counter of the temp file writeTemp wrote last (a batch keeps it to find the file again). */
export function lastTempCounter(): u32 {
  return handle.tempCounter - 1;
}

/** Makes this handle's temp file number `counter` the one moveTemp, syncTemp and removeTemp act on. */
export function selectTemp(counter: u32): void {
  tempLength = tempPath(counter);
}

/** fsyncs the selected temp file (written earlier without a sync). */
export function syncTemp(): i32 {
  const fd = host.open(tempBuf, tempLength, host.O_WRITE);
  if (fd < 0) return fail(OP_OPEN, fd, tempBuf, tempLength);
  const r = host.fsync(fd);
  host.close(fd);
  return r < 0 ? fail(OP_FSYNC, r, tempBuf, tempLength) : ST_OK;
}

/** Removes the selected temp file (never renamed into place: no reader can need it). */
export function removeTemp(): void {
  host.unlink(tempBuf, tempLength);
}

function putHexU32(buf: usize, at: i32, v: u32): i32 {
  for (let i = 7; i >= 0; i--) {
    const nibble = <u8>(v & 0xf);
    store<u8>(buf + at + i, nibble < 10 ? 0x30 + nibble : 0x57 + nibble);
    v >>= 4;
  }
  return at + 8;
}

/**
 * Writes buf to a new temp file, with the record's xattrs when `record` points at one being
 * mirrored, and an fsync under durability 'fsync'. On failure the temp file is removed: it is
 * ours alone, and whatever it was to replace is untouched.
 */
export function writeTemp(buf: usize, len: i32, record: usize = 0, keyType: u8 = 0, keyLen: i32 = 0, birth: u64 = 0): i32 {
  tempLength = tempPath();
  const fd = host.open(tempBuf, tempLength, host.O_WRITE | host.O_CREATE | host.O_EXCL);
  if (fd < 0) return fail(OP_OPEN, fd, tempBuf, tempLength);
  let r = writeAll(fd, buf, len);
  let op = OP_WRITE;
  if (r == 0 && record && handle.xattrs) {
    r = mirrorXattrs(fd, record, keyType, keyLen, birth);
    op = OP_XATTR;
  }
  if (r == 0 && handle.fsyncWrites) {
    r = host.fsync(fd);
    op = OP_FSYNC;
  }
  host.close(fd);
  if (r < 0) {
    host.unlink(tempBuf, tempLength);
    return fail(op, r, tempBuf, tempLength);
  }
  return ST_OK;
}

// How a record's temp file moves in: only where no record is (a new key), only over the one there
// (a key believed to exist), or by a plain rename.
export const MOVE_CREATE: i32 = 0;
export const MOVE_REPLACE: i32 = 1;
export const MOVE_ANY: i32 = 2;

/**
 * How the record of a key moves in: created where none is (a key believed new), or replaced (one
 * believed to exist). A queue item's key is written once and never again (FORMAT.md 7.3 step 2):
 * nothing can be under its name, so it is renamed in (without renameIfAbsent, one call fewer).
 */
export function moveFor(keyType: u8, isNew: bool): i32 {
  if (keyType == KEY_QUEUE) return MOVE_ANY;
  return isNew ? MOVE_CREATE : MOVE_REPLACE;
}

/** Moves the temp file of writeTemp to the record `to` (of `recordDigest`) as `move` says: createTemp, replaceTemp or moveTemp. */
export function moveTempAs(move: i32, to: usize, toLen: i32, recordDigest: usize): i32 {
  if (move == MOVE_CREATE) return createTemp(to, toLen, recordDigest);
  return move == MOVE_REPLACE ? replaceTemp(to, toLen, recordDigest) : moveTemp(to, toLen, recordDigest);
}

/** Renames the temp file of writeTemp over its target (atomically replacing it); `recordDigest` names a record's. */
export function moveTemp(to: usize, toLen: i32, recordDigest: usize = 0): i32 {
  let r = host.rename(tempBuf, tempLength, to, toLen);
  // A directory under a record's name is no record (FORMAT.md 2): set it aside and rename again.
  if (r == -host.EISDIR && recordDigest != 0 && quarantine(to, toLen, recordDigest, RECORD_NOT_FILE) == ST_CORRUPT) {
    r = host.rename(tempBuf, tempLength, to, toLen);
  }
  if (r < 0) {
    host.unlink(tempBuf, tempLength);
    return fail(OP_RENAME, r, to, toLen);
  }
  return ST_OK;
}

/**
 * Moves the temp file of writeTemp to the record of a key believed new, only if no record is there
 * (FORMAT.md 7.3 step 2): renameIfAbsent where the host has it, else a hard link under the record's
 * name (which fails where a name exists) and the temp name removed. So of two handles creating a
 * key at once, one creates it and the other overwrites it at its birth, and a key made by another
 * handle since we looked is never replaced by a record carrying a birth of our choosing.
 * - ST_OK: ours is in place. ST_EXISTS: a record is there (nothing changed, the temp file is removed).
 * - A host with neither (ENOTSUP, or any other failure of link: a file system without hard links)
 *   renames: the gap of FORMAT.md 5.
 * - A crash between the link and the unlink leaves a second name of the record in tmp/: an orphan
 *   temp, which is only ever removed (7.3 step 1), never read or returned.
 */
export function createTemp(to: usize, toLen: i32, recordDigest: usize): i32 {
  if (!handle.noRenameIfAbsent) {
    const r = host.renameIfAbsent(tempBuf, tempLength, to, toLen);
    if (r != -host.ENOTSUP) return createdIf(r, to, toLen);
    handle.noRenameIfAbsent = true;
  }
  if (handle.noLink) return moveTemp(to, toLen, recordDigest);
  const linked = host.link(tempBuf, tempLength, to, toLen);
  if (linked == -host.EEXIST || linked == 0) {
    // A failed unlink leaves a second name of our record in tmp/, for close() to remove.
    if (linked == 0 && host.unlink(tempBuf, tempLength) < 0) handle.strayTemps = true;
    return createdIf(linked, to, toLen);
  }
  if (linked == -host.ENOTSUP) handle.noLink = true;
  return moveTemp(to, toLen, recordDigest);
}

function createdIf(r: i32, to: usize, toLen: i32): i32 {
  if (r == 0) return ST_OK;
  host.unlink(tempBuf, tempLength);
  return r == -host.EEXIST ? ST_EXISTS : fail(OP_RENAME, r, to, toLen);
}

/**
 * Moves the temp file of writeTemp over a record believed to exist, by exchanging the two names
 * (FORMAT.md 7.3 step 2), so that a record taken or deleted since its birth stamp was read is never
 * replaced by one keeping that old stamp. ST_OK: our record is in place and the one it replaced,
 * now under the temp name, is removed. ST_MISSING: the record is gone (nothing changed, the temp
 * file is removed): the caller writes the key as a new one. A host without exchange (ENOTSUP) is
 * remembered and replaced by a look and a rename from then on (replaceByRename).
 * - A crash after the exchange, before the unlink, leaves the replaced record under our temp
 *   name: an orphan temp like any other, removed by removeOrphanTemps once we are gone (an owner
 *   of another identity judges it by its mtime, the old record's, and may remove it at once:
 *   harmless, nobody reads it).
 * - Another process sees the old record or ours under the name, never none, as with rename; a
 *   taker racing us either takes the old record first (we get ENOENT) or takes ours.
 */
export function replaceTemp(to: usize, toLen: i32, recordDigest: usize): i32 {
  if (handle.noExchange) return replaceByRename(to, toLen, recordDigest);
  const r = host.exchange(tempBuf, tempLength, to, toLen);
  if (r == -host.ENOTSUP) {
    handle.noExchange = true;
    return replaceByRename(to, toLen, recordDigest);
  }
  if (r < 0) {
    host.unlink(tempBuf, tempLength);
    return r == -host.ENOENT ? ST_MISSING : fail(OP_RENAME, r, to, toLen);
  }
  // A directory that stood under the record's name is no record (FORMAT.md 2): set it aside.
  // Any other failure leaves the replaced record for close() (our own temps are never orphans
  // while we live): the set itself succeeded.
  const removed = host.unlink(tempBuf, tempLength);
  if (removed == -host.EISDIR) quarantine(tempBuf, tempLength, recordDigest, RECORD_NOT_FILE);
  else if (removed < 0 && removed != -host.ENOENT) handle.strayTemps = true;
  return ST_OK;
}

/**
 * replaceTemp on a host without exchange (FORMAT.md 7.3 step 2): a look at the record (stat), then
 * the rename. A record gone by then was taken or deleted since its birth was read: ST_MISSING,
 * nothing changed, and the caller writes the key as a new one. One taken between the look and the
 * rename is the gap of FORMAT.md 5: ours stands at the key's old place.
 */
function replaceByRename(to: usize, toLen: i32, recordDigest: usize): i32 {
  if (host.stat(to, toLen, statBuf) == -host.ENOENT) {
    host.unlink(tempBuf, tempLength);
    return ST_MISSING;
  }
  return moveTemp(to, toLen, recordDigest);
}

/**
 * Writes a control file through a temp file and rename, so readers see all of it or none.
 * MOVE_CREATE puts it in only where none is (createTemp): ST_EXISTS when another was there.
 */
export function writeControlFile(name: string, buf: usize, len: i32, move: i32 = MOVE_ANY): i32 {
  const written = writeTemp(buf, len);
  if (written != ST_OK) return written;
  return moveTempAs(move, controlBuf, controlPath(controlBuf, name), 0);
}

/**
 * user.key (the bytes Python iodict's key.encode() gives for string keys; 0xFF, type and
 * canonical bytes otherwise) and user.birthtime (big-endian float64 seconds, as Python writes).
 * A mirror, never the truth: a file system without xattrs, or a key longer than its xattr limit,
 * simply goes without (the write succeeds); only xattrs: 'on' makes a missing mirror an error.
 */
function mirrorXattrs(fd: i32, record: usize, keyType: u8, keyLen: i32, birth: u64): i32 {
  const keyName = putAscii(attrName, 0, 'user.key');
  let r: i32;
  if (keyType == KEY_STRING) {
    r = host.setxattr(fd, attrName, keyName, record + HEADER_BYTES, keyLen);
  } else {
    // The two bytes before the key are header bytes; borrow them for the prefix and restore.
    const at = record + HEADER_BYTES - 2;
    const saved = load<u16>(at);
    store<u8>(at, 0xff);
    store<u8>(at, keyType, 1);
    r = host.setxattr(fd, attrName, keyName, at, keyLen + 2);
    store<u16>(at, saved);
  }
  if (r == 0) {
    store<u64>(attrValue, bswap<u64>(reinterpret<u64>(<f64>birth / 1e6)));
    r = host.setxattr(fd, attrName, putAscii(attrName, 0, 'user.birthtime'), attrValue, 8);
  }
  if (r == 0 || handle.xattrsRequired) return r;
  // This file system has none: the record alone carries key and birth from now on. Any other
  // failure (a key over the file system's limit, about 4 KB on ext4) leaves this record unmirrored.
  if (r == -host.ENOTSUP) handle.xattrs = false;
  return 0;
}

/**
 * Deletes temp files whose owner is gone (a crash between create and rename): they were never
 * renamed into place, so no reader can need them. An owner of another identity is judged by the
 * file's age against the lease (a live writer finishes a temp file in far less). With
 * handle.strayTemps (at close), this handle's own temps go too: none is in flight then.
 */
export function removeOrphanTemps(): void {
  const n = listDir(sideBuf, controlPath(sideBuf, 'tmp'));
  if (n <= 0) return;
  const listing = new Listing(n);
  while (listing.next()) {
    const name = listing.name;
    const nameLen = listing.nameLength;
    const len = sidePath(sideBuf, 'tmp', name, nameLen);
    let gone = false;
    if (nameLen == OWNER_CHARS + 9 && load<u8>(name + OWNER_CHARS) == 0x2d) {
      if (handle.strayTemps && isOurs(name)) gone = true;
      else if (host.stat(sideBuf, len, statBuf) < 0) continue;
      else gone = ownerGone(name, <u64>(load<f64>(statBuf + host.STAT_MTIME) * 1000));
    } else if (nameLen == 25 && load<u8>(name + 16) == 0x2d) {
      gone = v1OwnerGone(name); // version 1: "<pid, writer 16 hex>-<counter>"
    }
    if (gone) host.unlink(sideBuf, len);
  }
  listing.free();
}
