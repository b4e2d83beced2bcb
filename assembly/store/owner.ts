// Owner tags: who holds a temp file, a claim, a lock file or a registration, and whether that
// owner is gone. An owner of our identity (same machine boot and pid namespace) is asked
// directly (alive(pid)); any other is trusted until its lease expires, since its pid means
// nothing here (containers sharing a volume, other hosts).
//
// Tag: identity (48 bits) in 12 hex, pid in 8 hex, writer id in 8 hex: 28 hex digits.
import * as host from '../host/imports';
import { handle } from './handle';
import { putHex } from './paths';

export const OWNER_CHARS: i32 = 28;
export const STAMP_CHARS: i32 = 16;

/** Writes our owner tag as 28 hex digits at buf + at; returns the end. */
export function putOwner(buf: usize, at: i32): i32 {
  at = putHex(buf, at, handle.identity, 12);
  at = putHex(buf, at, handle.pid, 8);
  return putHex(buf, at, handle.writer, 8);
}

/** Parses n hex digits (n <= 16); -1 when one is not lowercase hex. */
export function parseHex(p: usize, n: i32): i64 {
  let v: u64 = 0;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(p + i);
    const d: i32 = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    v = (v << 4) | <u64>d;
  }
  return <i64>v;
}

/** True when the tag at p is ours. */
export function isOurs(p: usize): bool {
  return parseHex(p, 12) == <i64>handle.identity && parseHex(p + 12, 8) == <i64>handle.pid &&
    parseHex(p + 20, 8) == <i64>handle.writer;
}

/**
 * Whether the owner tagged at p is gone: of our identity, its process no longer exists (or, when
 * the host cannot tell, its lease ran out); of another identity, its lease ran out. `since` is
 * when the owner last showed itself (µs); 0 means it gave itself up (always gone).
 */
export function ownerGone(p: usize, since: u64): bool {
  if (since == 0) return true;
  const identity = parseHex(p, 12);
  const pid = parseHex(p + 12, 8);
  if (identity < 0 || pid < 0) return false; // not a tag of ours: leave it alone
  if (<u64>identity == handle.identity && <u32>pid != handle.pid) {
    const alive = host.alive(<i32>pid);
    if (alive >= 0) return alive == 0;
  } else if (<u64>identity == handle.identity) {
    return false; // this process: alive
  }
  return leaseExpired(since);
}

export function leaseExpired(since: u64): bool {
  const now = <u64>host.now();
  return now > since && now - since > handle.lease;
}

/** Version 1 tags (16 hex: pid, writer id) name a process of this machine: asked directly. */
export function v1OwnerGone(p: usize): bool {
  const pid = parseHex(p, 8);
  if (pid <= 0 || pid > 0x7fffffff || <u32>pid == handle.pid) return false;
  return host.alive(<i32>pid) == 0;
}
