// Registrations (.iodict/handles/<owner>.<stamp>): every handle that may write says so, so that a
// writer that died between a change and its journal entry is noticed instead of trusted. A
// registration is renewed (renamed to a new stamp) at most every half lease; a handle whose
// journal append failed marks its registration with stamp 0. Any handle that finds a
// registration whose owner is gone (owner.ts), or a mark, lists the directory, tells the others
// (a RESCAN entry), and removes the registration. Crash points: before the registration exists,
// the handle has changed nothing; a registration left by a crash is what triggers the rescan.
import * as host from '../host/imports';
import { handle } from './handle';
import { registrationBuf, registrationBuf2, sideBuf, controlPath, putHex, sidePath } from './paths';
import { putOwner, ownerGone, parseHex, isOurs, OWNER_CHARS, STAMP_CHARS } from './owner';
import { listDir, statBuf, Listing, ST_OK } from './io';
import { appendRescan, relist } from './journal';

let registrationLen: i32 = 0;
let troubled = false;

function registrationPath(buf: usize, stamp: u64): i32 {
  let at = controlPath(buf, 'handles/');
  at = putOwner(buf, at);
  store<u8>(buf + at++, 0x2e);
  return putHex(buf, at, stamp, STAMP_CHARS);
}

/** Creates or renews our registration when it is missing or half a lease old. */
export function renewRegistration(): void {
  const now = <u64>host.now();
  if (troubled) {
    // The mark stays until another handle has acted on it (and removed it).
    if (host.stat(registrationBuf, registrationLen, statBuf) == 0) return;
    troubled = false;
    handle.registeredAt = 0;
  }
  if (handle.registeredAt != 0 && now - handle.registeredAt < handle.lease / 2) return;
  const len = registrationPath(registrationBuf2, now);
  let r = -host.ENOENT;
  if (handle.registeredAt != 0) r = host.rename(registrationBuf, registrationLen, registrationBuf2, len);
  if (r == -host.ENOENT) {
    const fd = host.open(registrationBuf2, len, host.O_WRITE | host.O_CREATE);
    if (fd < 0) return; // a read-only store, or no handles/ folder: nothing of ours to notice
    host.close(fd);
  } else if (r < 0) {
    return;
  }
  memory.copy(registrationBuf, registrationBuf2, len);
  registrationLen = len;
  handle.registeredAt = now;
}

/** Our journal entry was lost: make every other handle list the directory. */
export function markTrouble(): void {
  const len = registrationPath(registrationBuf2, 0);
  let r = -host.ENOENT;
  if (handle.registeredAt != 0 || troubled) r = host.rename(registrationBuf, registrationLen, registrationBuf2, len);
  if (r < 0) {
    const fd = host.open(registrationBuf2, len, host.O_WRITE | host.O_CREATE);
    if (fd >= 0) host.close(fd);
  }
  memory.copy(registrationBuf, registrationBuf2, len);
  registrationLen = len;
  troubled = true;
  handle.registeredAt = 0;
}

/** Removes our registration (close); a mark stays for the others to act on. */
export function unregister(): void {
  if (!troubled && handle.registeredAt != 0) host.unlink(registrationBuf, registrationLen);
  handle.registeredAt = 0;
}

/**
 * Looks for registrations of gone owners and marks; if there are any, lists the directory (the
 * index must be loaded), tells the others, and removes them. Returns a status.
 */
export function checkRegistrations(): i32 {
  const n = listDir(sideBuf, controlPath(sideBuf, 'handles'));
  if (n <= 0) return ST_OK;
  const listing = new Listing(n);
  let found = false;
  let status = ST_OK;
  for (let pass = 0; pass < 2 && status == ST_OK; pass++) {
    listing.rewind();
    while (listing.next()) {
      const name = listing.name;
      const nameLen = listing.nameLength;
      if (nameLen != OWNER_CHARS + 1 + STAMP_CHARS || load<u8>(name + OWNER_CHARS) != 0x2e || isOurs(name)) continue;
      const stamp = parseHex(name + OWNER_CHARS + 1, STAMP_CHARS);
      if (stamp < 0 || !ownerGone(name, <u64>stamp)) continue;
      if (pass == 0) {
        found = true;
        break;
      }
      host.unlink(sideBuf, sidePath(sideBuf, 'handles', name, nameLen));
    }
    // Pass 0 only finds out; the listing and the rescan go before any registration is removed,
    // so a crash in between leaves the registration to be found again.
    if (pass == 0) {
      if (!found) break;
      status = relist();
      if (status == ST_OK) appendRescan();
    }
  }
  listing.free();
  return status;
}
