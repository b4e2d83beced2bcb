// Bounded size (the maxItems and maxBytes options): a set that takes the store past a limit
// evicts the oldest items (birth order) until it is back within it. Expired items go first (they
// are free to remove), then the oldest live ones. Each eviction is a claim (claims.ts), so of
// several writers evicting at once each item is removed by exactly one, and announced as an
// eviction (a DELETE entry with cause CAUSE_EVICT). A writer counts what its index knows after
// the journal read that follows its own entry, and removes that excess by evictions of its own:
// an item another writer is evicting at the same moment (its claim wins) is that writer's
// share, not ours. Records of other writers not yet announced are not counted, so each writer
// running at the same time can leave the store over by one item (its own) until its eviction;
// two writers that counted each other's items may both evict for them, leaving the store a few
// items under its limit until the next sets.
import { DIGEST_BYTES } from '../format/key';
import { indexFirst, indexNext, indexFind, indexDigest, indexTotalLength, indexExpiring, indexRecordLength } from '../index/ordered';
import { ensureIndex } from './load';
import { claim, finishTake, CLAIM_DELETE } from './claims';
import { CAUSE_EVICT } from './journal';
import { purgeIndexed, liveSize } from './expiry';
import { ST_OK, ST_MISSING, ST_CORRUPT } from './io';

let maxItems: u32 = 0; // 0: no limit
let maxBytes: u64 = 0;

export function setLimits(items: f64, bytes: f64): void {
  maxItems = items > 0 ? <u32>items : 0;
  maxBytes = bytes > 0 ? <u64>bytes : 0;
}

/** Evictions made by this handle since it opened. */
export let evictedCount: i32 = 0;

function excessItems(): i64 {
  return maxItems != 0 ? <i64>liveSize() - maxItems : 0;
}
function excessBytes(): i64 {
  return maxBytes != 0 ? <i64>indexTotalLength() - <i64>maxBytes : 0;
}

const victim: usize = heap.alloc(DIGEST_BYTES);

/**
 * After a set (or a batch's group, batch.ts) whose record is named by `kept` (never evicted): evicts
 * until within the limits, counting what the journal read after the change told. The kept record's
 * slot is looked up once the index is loaded: a set made before it loaded has none to pass. A
 * failed eviction does not fail the set, which stands: takeEvictionFailure() tells the host.
 */
export function evictPastLimits(kept: usize): void {
  if (enforceLimits(kept) != ST_OK) evictionFailed = true;
}

let evictionFailed = false;
/** True once after a set whose eviction failed (errorOp and friends say why). */
export function takeEvictionFailure(): bool {
  const failed = evictionFailed;
  evictionFailed = false;
  return failed;
}

function enforceLimits(keptDigest: usize): i32 {
  if (maxItems == 0 && maxBytes == 0) return ST_OK;
  const loaded = ensureIndex();
  if (loaded != ST_OK) return loaded;
  const kept = indexFind(keptDigest);
  if (excessItems() <= 0 && excessBytes() <= 0) return ST_OK;
  if (indexExpiring() != 0) purgeIndexed();
  let items = excessItems();
  let bytes = excessBytes();
  while (items > 0 || bytes > 0) {
    // The oldest but the kept record: a set that overwrote the oldest key evicts the next.
    let first = indexFirst();
    if (first >= 0 && first == kept) first = indexNext(<u32>first);
    if (first < 0) break;
    memory.copy(victim, indexDigest(first), DIGEST_BYTES);
    const status = claim(victim);
    // MISSING: another handle took it first (or it had expired), CORRUPT: quarantined (reported
    // in passing); either way it left the index. One that stays (a removal that failed) ends it.
    if (status == ST_MISSING || status == ST_CORRUPT) {
      if (indexFind(victim) == first) break;
      continue;
    }
    if (status != ST_OK) return status;
    const length = indexRecordLength(first);
    const finished = finishTake(CLAIM_DELETE, CAUSE_EVICT);
    if (finished != ST_OK) return finished;
    evictedCount++;
    items--;
    bytes -= length;
  }
  return ST_OK;
}
