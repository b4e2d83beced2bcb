// The birth-order index: every live record as a slot (digest, birth stamp), ordered by
// (birth, digest) in a treap and found by digest in an open-addressing hash table.
// Insert, remove, first and last are O(log n); lookup by digest is O(1).
// The index also holds each key's canonical bytes (the truth for listings and the
// index cache); keys of up to 16 bytes sit inline in the slot, longer ones on the heap.
// A slot costs 76 bytes plus its hash entry (4 to 8 bytes), and a long key its length: 12 of
// them hold the record's expiry stamp and length, for expiry and the size limits.
//
// The treap's priority is the digest's first word: digests are SHA3 output, so
// priorities are uniformly random without storing any.
import { resize } from '../util/memory';
import { DIGEST_BYTES } from '../format/key';

const NIL: u32 = 0xffffffff;
const FREE: u64 = 0xffffffffffffffff;
const KEY_INLINE: usize = 16;

let capacity: u32 = 0;
let count: u32 = 0;
let freeHead: u32 = NIL;
let used: u32 = 0; // slots ever handed out: [0, used) are live or on the free list
let births: usize = 0; // u64 per slot, FREE for a free slot
let digests: usize = 0; // DIGEST_BYTES per slot
let lefts: usize = 0; // u32 per slot; a free slot's left links the free list
let rights: usize = 0;
let keyHeads: usize = 0; // u32 per slot: key length << 8 | key type
let keyBodies: usize = 0; // KEY_INLINE bytes per slot: the key, or a heap pointer to it
let expiries: usize = 0; // u64 per slot: the record's expiry stamp, 0 for none
let lengths: usize = 0; // u32 per slot: the record file's length in bytes
let totalLength: u64 = 0; // sum of lengths over live slots
let expiring: u32 = 0; // live slots with an expiry stamp
let root: u32 = NIL;

let table: usize = 0; // u32 per bucket: slot + 1, 0 for empty
let tableMask: u32 = 0;

let stack: usize = 0;
let stackCap: u32 = 0;

@inline function L(s: u32): u32 {
  return load<u32>(lefts + (<usize>s << 2));
}
@inline function R(s: u32): u32 {
  return load<u32>(rights + (<usize>s << 2));
}
@inline function setL(s: u32, v: u32): void {
  store<u32>(lefts + (<usize>s << 2), v);
}
@inline function setR(s: u32, v: u32): void {
  store<u32>(rights + (<usize>s << 2), v);
}
@inline function digestAt(s: u32): usize {
  return digests + <usize>s * DIGEST_BYTES;
}
@inline function priority(s: u32): u32 {
  return load<u32>(digestAt(s));
}
@inline function bucketOf(digest: usize): u32 {
  return load<u32>(digest, 4) & tableMask;
}

function digestsEqual(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8) &&
    load<u64>(a, 16) == load<u64>(b, 16) && load<u32>(a, 24) == load<u32>(b, 24);
}

/** Order of two slots: by birth, ties (births from two processes in the same microsecond) by digest. */
function before(a: u32, b: u32): bool {
  const ba = load<u64>(births + (<usize>a << 3));
  const bb = load<u64>(births + (<usize>b << 3));
  if (ba != bb) return ba < bb;
  return memory.compare(digestAt(a), digestAt(b), DIGEST_BYTES) < 0;
}

/** Room for at least `least` slots, in one move of each array (1.25x steps: slack stays under 25%). */
function grow(least: u32): void {
  const next: u32 = max(least, capacity ? capacity + (capacity >> 2) : 1024);
  births = resize(births, <usize>next << 3);
  digests = resize(digests, <usize>next * DIGEST_BYTES);
  lefts = resize(lefts, <usize>next << 2);
  rights = resize(rights, <usize>next << 2);
  keyHeads = resize(keyHeads, <usize>next << 2);
  keyBodies = resize(keyBodies, <usize>next * KEY_INLINE);
  expiries = resize(expiries, <usize>next << 3);
  lengths = resize(lengths, <usize>next << 2);
  capacity = next;
}

function rehash(buckets: u32): void {
  if (table) heap.free(table);
  table = heap.alloc(<usize>buckets << 2);
  memory.fill(table, 0, <usize>buckets << 2);
  tableMask = buckets - 1;
  for (let s: u32 = 0; s < used; s++) {
    if (load<u64>(births + (<usize>s << 3)) != FREE) tablePut(s);
  }
}

function tablePut(s: u32): void {
  let b = bucketOf(digestAt(s));
  while (load<u32>(table + (<usize>b << 2)) != 0) b = (b + 1) & tableMask;
  store<u32>(table + (<usize>b << 2), s + 1);
}

/** Linear-probing delete with backward shift, so lookups never need tombstones. */
function tableRemove(s: u32): void {
  let hole = bucketOf(digestAt(s));
  while (load<u32>(table + (<usize>hole << 2)) != s + 1) hole = (hole + 1) & tableMask;
  let b = hole;
  while (true) {
    b = (b + 1) & tableMask;
    const entry = load<u32>(table + (<usize>b << 2));
    if (entry == 0) break;
    const home = bucketOf(digestAt(entry - 1));
    // Move the entry into the hole unless its home lies cyclically in (hole, b].
    const stays = hole <= b ? home > hole && home <= b : home > hole || home <= b;
    if (!stays) {
      store<u32>(table + (<usize>hole << 2), entry);
      hole = b;
    }
  }
  store<u32>(table + (<usize>hole << 2), 0);
}

function insertAt(t: u32, s: u32): u32 {
  if (t == NIL) return s;
  if (before(s, t)) {
    const l = insertAt(L(t), s);
    setL(t, l);
    if (priority(l) > priority(t)) {
      setL(t, R(l));
      setR(l, t);
      return l;
    }
  } else {
    const r = insertAt(R(t), s);
    setR(t, r);
    if (priority(r) > priority(t)) {
      setR(t, L(r));
      setL(r, t);
      return r;
    }
  }
  return t;
}

function merge(a: u32, b: u32): u32 {
  if (a == NIL) return b;
  if (b == NIL) return a;
  if (priority(a) > priority(b)) {
    setR(a, merge(R(a), b));
    return a;
  }
  setL(b, merge(a, L(b)));
  return b;
}

function removeAt(t: u32, s: u32): u32 {
  if (t == s) return merge(L(t), R(t));
  if (before(s, t)) setL(t, removeAt(L(t), s));
  else setR(t, removeAt(R(t), s));
  return t;
}

export function indexSize(): u32 {
  return count;
}

// Counts every change to the set of slots or their order, so a listing of the order can be kept
// until the next one (u64: never wraps back to a count a caller still holds).
let changes: u64 = 0;

/** How many times slots were added, removed, moved or cleared so far. */
export function indexChanges(): u64 {
  return changes;
}

/** The slot holding this digest, or -1. */
export function indexFind(digest: usize): i32 {
  if (!table) return -1;
  let b = bucketOf(digest);
  while (true) {
    const entry = load<u32>(table + (<usize>b << 2));
    if (entry == 0) return -1;
    if (digestsEqual(digestAt(entry - 1), digest)) return <i32>(entry - 1);
    b = (b + 1) & tableMask;
  }
}

/** Adds a digest that is not in the index, with its key; returns its slot. */
export function indexInsert(digest: usize, birth: u64, keyType: u8, key: usize, keyLen: i32): u32 {
  const s = newSlot(digest, birth, keyType, key, keyLen);
  root = insertAt(root, s);
  spineLength = SPINE_STALE;
  return s;
}

// The treap's right spine (root, its right child, ...), kept while slots are appended in order.
const SPINE_STALE: u32 = 0xffffffff;
let spine: usize = 0;
let spineCap: u32 = 0;
let spineLength: u32 = SPINE_STALE;

/** Room for n more slots, so a bulk load grows the arrays and the hash table once. */
export function indexReserve(n: u32): void {
  if (capacity < used + n) grow(used + n);
  let buckets: u32 = table ? tableMask + 1 : 2048;
  while ((count + n) * 4 > buckets * 3) buckets <<= 1;
  if (!table || buckets != tableMask + 1) rehash(buckets);
}

/**
 * Adds a digest that orders after every slot in the index (a bulk load in birth order, as the
 * index cache stores it): amortized O(1), building the treap along its right spine instead of
 * descending from the root. Returns its slot, or -1 when it does not order last (the caller
 * inserts it instead).
 */
export function indexAppend(digest: usize, birth: u64, keyType: u8, key: usize, keyLen: i32): i32 {
  if (spineLength == SPINE_STALE) {
    spineLength = 0;
    for (let t = root; t != NIL; t = R(t)) pushSpine(t);
  }
  if (spineLength > 0) {
    const last = load<u32>(spine + (<usize>(spineLength - 1) << 2));
    const lastBirth = load<u64>(births + (<usize>last << 3));
    if (birth < lastBirth || (birth == lastBirth && memory.compare(digest, digestAt(last), DIGEST_BYTES) <= 0)) return -1;
  }
  const s = newSlot(digest, birth, keyType, key, keyLen);
  let child = NIL;
  while (spineLength > 0) {
    const top = load<u32>(spine + (<usize>(spineLength - 1) << 2));
    if (priority(top) >= priority(s)) break;
    child = top;
    spineLength--;
  }
  setL(s, child);
  if (spineLength > 0) setR(load<u32>(spine + (<usize>(spineLength - 1) << 2)), s);
  else root = s;
  pushSpine(s);
  return <i32>s;
}

function pushSpine(t: u32): void {
  if (spineLength >= spineCap) {
    spineCap = spineCap ? spineCap << 1 : 64;
    spine = resize(spine, <usize>spineCap << 2);
  }
  store<u32>(spine + (<usize>(spineLength++) << 2), t);
}

/** Takes a slot and fills it (digest, birth, key) and its hash entry; not yet in the treap. */
function newSlot(digest: usize, birth: u64, keyType: u8, key: usize, keyLen: i32): u32 {
  let s: u32;
  if (freeHead != NIL) {
    s = freeHead;
    freeHead = L(s);
  } else {
    if (used == capacity) grow(used + 1);
    s = used++;
  }
  memory.copy(digestAt(s), digest, DIGEST_BYTES);
  store<u64>(births + (<usize>s << 3), birth);
  store<u32>(keyHeads + (<usize>s << 2), (<u32>keyLen << 8) | keyType);
  const body = keyBodies + <usize>s * KEY_INLINE;
  if (<usize>keyLen <= KEY_INLINE) {
    memory.copy(body, key, keyLen);
  } else {
    const copy = heap.alloc(keyLen);
    memory.copy(copy, key, keyLen);
    store<usize>(body, copy);
  }
  setL(s, NIL);
  setR(s, NIL);
  changes++;
  store<u64>(expiries + (<usize>s << 3), 0);
  store<u32>(lengths + (<usize>s << 2), 0);
  count++;
  if (!table || count * 4 > (tableMask + 1) * 3) {
    rehash(table ? (tableMask + 1) << 1 : 2048);
  } else {
    tablePut(s);
  }
  return s;
}

export function indexRemove(s: u32): void {
  changes++;
  spineLength = SPINE_STALE;
  root = removeAt(root, s);
  tableRemove(s);
  if (<usize>indexKeyLength(s) > KEY_INLINE) heap.free(load<usize>(keyBodies + <usize>s * KEY_INLINE));
  indexSetRecord(s, 0, 0);
  store<u64>(births + (<usize>s << 3), FREE);
  setL(s, freeHead);
  freeHead = s;
  count--;
}

/** Moves a slot to a new birth stamp (a key deleted and set again elsewhere). */
export function indexRebirth(s: u32, birth: u64): void {
  changes++;
  spineLength = SPINE_STALE;
  root = removeAt(root, s);
  store<u64>(births + (<usize>s << 3), birth);
  setL(s, NIL);
  setR(s, NIL);
  root = insertAt(root, s);
}

export function indexBirth(s: u32): u64 {
  return load<u64>(births + (<usize>s << 3));
}

export function indexDigest(s: u32): usize {
  return digestAt(s);
}

export function indexKeyType(s: u32): u8 {
  return <u8>load<u32>(keyHeads + (<usize>s << 2));
}

export function indexKeyLength(s: u32): i32 {
  return <i32>(load<u32>(keyHeads + (<usize>s << 2)) >> 8);
}

/** Where the slot's key bytes are (valid until the slot is removed). */
export function indexKey(s: u32): usize {
  const body = keyBodies + <usize>s * KEY_INLINE;
  return <usize>indexKeyLength(s) <= KEY_INLINE ? body : load<usize>(body);
}

/** The buffer indexPackKeys fills: per key its type (u8), length (u32) and canonical bytes. */
export let packedKeys: usize = 0;
let packedCap: usize = 0;

/** Packs the keys of `count` slots listed (u32 each) at `slots` into packedKeys; returns the byte count. */
export function indexPackKeys(slots: usize, count: u32): usize {
  let total: usize = 0;
  for (let i: u32 = 0; i < count; i++) total += 5 + <usize>indexKeyLength(load<u32>(slots + (<usize>i << 2)));
  if (total > packedCap) {
    packedCap = total + (total >> 1) + 64;
    packedKeys = packedKeys == 0 ? heap.alloc(packedCap) : heap.realloc(packedKeys, packedCap);
  }
  let at = packedKeys;
  for (let i: u32 = 0; i < count; i++) {
    const slot = load<u32>(slots + (<usize>i << 2));
    const len = indexKeyLength(slot);
    store<u8>(at, indexKeyType(slot));
    store<u32>(at + 1, len);
    memory.copy(at + 5, indexKey(slot), len);
    at += 5 + <usize>len;
  }
  return total;
}

/** Oldest slot, or -1 when empty. */
export function indexFirst(): i32 {
  if (root == NIL) return -1;
  let t = root;
  while (L(t) != NIL) t = L(t);
  return <i32>t;
}

/** The slot after s in birth order (s live), or -1 when s is the youngest. */
export function indexNext(s: u32): i32 {
  if (R(s) != NIL) {
    let t = R(s);
    while (L(t) != NIL) t = L(t);
    return <i32>t;
  }
  // The youngest ancestor that s lies to the left of.
  let next: i32 = -1;
  let t = root;
  while (t != s) {
    if (before(s, t)) {
      next = <i32>t;
      t = L(t);
    } else {
      t = R(t);
    }
  }
  return next;
}

/** Youngest slot, or -1 when empty. */
export function indexLast(): i32 {
  if (root == NIL) return -1;
  let t = root;
  while (R(t) != NIL) t = R(t);
  return <i32>t;
}

/** Writes every slot, oldest first, as u32s at out (room for indexSize() of them). */
export function indexOrder(out: usize): u32 {
  let sp: u32 = 0;
  let t = root;
  let n: u32 = 0;
  while (t != NIL || sp > 0) {
    while (t != NIL) {
      if (sp == stackCap) {
        stackCap = stackCap ? stackCap << 1 : 128;
        stack = resize(stack, <usize>stackCap << 2);
      }
      store<u32>(stack + (<usize>(sp++) << 2), t);
      t = L(t);
    }
    t = load<u32>(stack + (<usize>(--sp) << 2));
    store<u32>(out + (<usize>(n++) << 2), t);
    t = R(t);
  }
  return n;
}

export function indexClear(): void {
  for (let s: u32 = 0; s < used; s++) {
    if (load<u64>(births + (<usize>s << 3)) != FREE && <usize>indexKeyLength(s) > KEY_INLINE)
      heap.free(load<usize>(keyBodies + <usize>s * KEY_INLINE));
  }
  changes++;
  count = 0;
  used = 0;
  totalLength = 0;
  expiring = 0;
  freeHead = NIL;
  root = NIL;
  spineLength = SPINE_STALE;
  if (table) memory.fill(table, 0, <usize>(tableMask + 1) << 2);
}

/** Bytes the index holds in memory (for the memory bar). */
export function indexBytes(): usize {
  return <usize>capacity * (32 + DIGEST_BYTES + KEY_INLINE) + (table ? <usize>(tableMask + 1) << 2 : 0);
}

/** Notes what a slot's record holds beyond its key: its expiry stamp (0: none) and its length. */
export function indexSetRecord(s: u32, expiry: u64, length: u32): void {
  const e = expiries + (<usize>s << 3);
  const l = lengths + (<usize>s << 2);
  if (load<u64>(e) != 0) expiring--;
  if (expiry != 0) expiring++;
  totalLength = totalLength - load<u32>(l) + length;
  store<u64>(e, expiry);
  store<u32>(l, length);
}
export function indexExpiry(s: u32): u64 {
  return load<u64>(expiries + (<usize>s << 3));
}
export function indexRecordLength(s: u32): u32 {
  return load<u32>(lengths + (<usize>s << 2));
}
/** Sum of the record lengths of every slot. */
export function indexTotalLength(): u64 {
  return totalLength;
}
/** Slots whose record carries an expiry stamp. */
export function indexExpiring(): u32 {
  return expiring;
}
/** Live slots whose expiry stamp is at or before now. */
export function indexCountExpired(now: u64): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < used; s++) {
    const expiry = load<u64>(expiries + (<usize>s << 3));
    if (expiry != 0 && expiry <= now && load<u64>(births + (<usize>s << 3)) != FREE) n++;
  }
  return n;
}
