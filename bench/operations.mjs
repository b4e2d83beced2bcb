// The operations, the grid of configurations they run in, and what each sample of an operation
// works on (which keys, how many), so that every contender does the same work in a round.

/**
 * Every operation: its title in the report, the store kind it needs, what one unit of it is, and
 * how many untimed passes each contender makes first (`warm`: keys()'s bar is for a warm listing,
 * and a listing's first passes run unoptimized, about 0.15 µs a key whatever the store).
 */
export const OPS = {
  set: { title: 'set, new key', kind: 'dict', unit: 'op' },
  setTtl: { title: 'set, new key, with a ttl', kind: 'dict', unit: 'op' },
  setBatch: { title: 'set, batch of 100 in one call', kind: 'dict', unit: 'batch' },
  setConcurrent: { title: '100 sets in flight at once (a sync store: one after another)', kind: 'dict', unit: 'batch' },
  get: { title: 'get', kind: 'dict', unit: 'op' },
  has: { title: 'has', kind: 'dict', unit: 'op' },
  delete: { title: 'delete', kind: 'dict', unit: 'op' },
  keys: { title: 'ordered keys() (birth order)', kind: 'dict', unit: 'key', warm: 3 },
  listKeys: { title: 'list every key (store order)', kind: 'dict', unit: 'key' },
  values: { title: 'every value (store order)', kind: 'dict', unit: 'value' },
  popItem: { title: 'popItem() (oldest)', kind: 'dict', unit: 'op' },
  openGet: { title: 'open + first get', kind: 'dict', unit: 'open' },
  openList: { title: 'open + every key', kind: 'dict', unit: 'open' },
  put: { title: 'queue put', kind: 'queue', unit: 'op' },
  putBatch: { title: 'queue put, batch of 100 in one call', kind: 'queue', unit: 'batch' },
  queueGet: { title: 'queue get', kind: 'queue', unit: 'op' },
  roundTrip: { title: 'queue put + get', kind: 'queue', unit: 'op' },
};
export const OPEN_OPS = new Set(['openGet', 'openList']);
export const BATCH = 100;

const KiB = 1024;
const MiB = 1024 * KiB;

/** A value whose JSON is `bytes` long: the object every store is given, and its JSON bytes for the floor. */
export function makeValue(bytes) {
  const base = { id: 12345, name: 'a record', tags: ['x', 'y'], score: 0.75, ok: true, pad: '' };
  base.pad = 'x'.repeat(Math.max(0, bytes - JSON.stringify(base).length));
  const json = JSON.stringify(base);
  return { bytesLabel: sizeLabel(bytes), size: bytes, object: base, json, bytes: Buffer.from(json) };
}

export const sizeLabel = (bytes) => (bytes >= MiB ? `${bytes / MiB} MiB` : bytes >= KiB ? `${bytes / KiB} KiB` : `${bytes} B`);
export const countLabel = (n) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

/**
 * The grid. `n` is the number of items in the store before the first sample; `perSample` how
 * many operations one sample times (listings and opens time one pass). Value sizes and the fsync
 * rows run at one store size each, to keep a full run within minutes and a few GiB.
 */
export function grid({ quick = false, sizes } = {}) {
  const counts = sizes ?? (quick ? [1000] : [1000, 10000, 100000]);
  const perSample = quick ? 200 : 1000;
  const first = counts[0];
  const configs = [];
  for (const n of counts) {
    configs.push({
      kind: 'dict', n, value: 100, durability: 'none', perSample,
      ops: ['set', ...(n === first ? ['setTtl', 'setBatch', 'setConcurrent'] : []), 'get', 'has', 'delete', 'keys', 'listKeys', 'values', 'popItem', 'openGet', 'openList'],
      memory: n === counts.at(-1),
    });
  }
  configs.push({ kind: 'dict', n: first, value: 4 * KiB, durability: 'none', perSample: perSample / 2, ops: ['set', 'get', 'values'] });
  configs.push({ kind: 'dict', n: quick ? 20 : 100, value: MiB, durability: 'none', perSample: quick ? 5 : 10, ops: ['set', 'get'] });
  // The 'fsync' rows at the two smallest sizes: a bar is judged out of reach only where the bare
  // calls miss it at more than one size (bench/report.mjs), and fsync'd prefills of 100k take long.
  const synced = counts.slice(0, 2);
  for (const n of synced) {
    configs.push({ kind: 'dict', n, value: 100, durability: 'fsync', perSample: quick ? 20 : 100, ops: ['set', ...(n === first ? ['setBatch', 'setConcurrent'] : []), 'delete', 'popItem'] });
  }
  for (const n of counts) {
    configs.push({ kind: 'queue', n, value: 100, durability: 'none', perSample, ops: ['put', ...(n === first ? ['putBatch'] : []), 'queueGet', 'roundTrip'] });
  }
  for (const n of synced) {
    configs.push({ kind: 'queue', n, value: 100, durability: 'fsync', perSample: quick ? 20 : 100, ops: ['put', ...(n === first ? ['putBatch'] : []), 'queueGet', 'roundTrip'] });
  }
  return configs;
}

export const rowId = (op, config) => `${op} n=${countLabel(config.n)} ${sizeLabel(config.value)} ${config.durability}`;
export const prefillKey = (i) => `k${i}`;

/**
 * What sample `round` of `op` works on: keys for set/get/has/delete, batches of keys for batch
 * writes, a count for pops and queue operations, nothing for listings. Pops take the oldest
 * third of the prefilled items and deletes the newest third, so the middle third (where
 * `survivorKey` lives) is there for the open rows.
 */
export function sampleArgs(op, config, round, rounds, limit) {
  const { n } = config;
  const count = Math.min(config.perSample, limit ?? Infinity);
  const consuming = Math.max(1, Math.min(count, Math.floor(n / (3 * rounds))));
  switch (op) {
    case 'set':
      return Array.from({ length: count }, (_, i) => `s${round}-${i}`);
    case 'setTtl':
      return Array.from({ length: count }, (_, i) => `t${round}-${i}`);
    case 'setBatch':
    case 'setConcurrent':
    case 'putBatch':
      return Array.from({ length: batchesPerSample(config) }, (_, b) => Array.from({ length: BATCH }, (_, i) => `b${round}-${b}-${i}`));
    case 'get':
    case 'has':
      // A fixed stride through the middle third: every contender reads the same keys, spread out.
      return Array.from({ length: count }, (_, i) => prefillKey(Math.floor(n / 3) + ((i * 7919 + round * 31) % Math.max(1, Math.floor(n / 3)))));
    case 'delete':
      return Array.from({ length: consuming }, (_, i) => prefillKey(n - 1 - (round * consuming + i)));
    case 'popItem':
      return consuming;
    case 'put':
    case 'queueGet':
    case 'roundTrip':
      return count;
    default:
      return undefined;
  }
}

export const survivorKey = (config) => prefillKey(Math.floor(config.n / 2));
export const batchesPerSample = (config) => (config.durability === 'fsync' ? 3 : 5);
