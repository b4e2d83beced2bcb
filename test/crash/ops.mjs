// The operations under test, defined once for the crash children, the crash checker and the
// fault matrix: how each is called on real handles (run), what it does to a model of the store
// and what it must return (apply), its fixed case (example) and how a random mix picks it (pick).
//
// Values are unique per write ({ key, seq } in the dictionary, { p, i } in the queue), so a stale
// or foreign value is always detectable. Results are plain JSON, so children can log them.
import { IODict, DurableQueue, KeyError, Empty, nodeHost } from '../../dist/index.js';
import { instrumentedHost } from './host.mjs';

/** Options the new store protocol adds (ignored by cores that lack them): short leases, frequent rotations. */
export const HANDLE_OPTIONS = { lease: 200, rotateAfter: 8 };

/** The store configurations every check covers: both durabilities, with and without the native helper. */
export const VARIANTS = ['none', 'fsync'].flatMap((durability) => ['native', 'no-native'].map((host) => ({ durability, host })));

export const variantName = ({ durability, host }) => `${durability}/${host}`;

/** The base host of a variant: nodeHost() or nodeHost({ native: false }). */
export const baseHost = (name) => (name === 'native' ? nodeHost() : nodeHost({ native: false }));

/**
 * A dictionary at `${root}/dict` and a queue at `${root}/queue`, each opened when first used (an op
 * of one store leaves the other unmade), and the deliveries held, by item id.
 */
export function openHandles(root, { host, durability }) {
  const options = { host, durability, ...HANDLE_OPTIONS };
  const opened = {};
  return {
    get dict() {
      return (opened.dict ??= new IODict(`${root}/dict`, options));
    },
    get queue() {
      return (opened.queue ??= new DurableQueue(`${root}/queue`, options));
    },
    deliveries: new Map(),
    close: () => Object.values(opened).forEach((handle) => handle.close()),
  };
}

// ---- The model: what the store holds. An entry taken by a claim that its owner may give back
// (an unacknowledged delivery, or a take cut short by a crash) stays with `claimedBy` set and is
// invisible until released. Order is birth order (FORMAT.md 5), and a new entry's birth stamp was
// taken while its step ran: `born` ({ lo, hi, by, item }: the log positions its step began and
// ended at, the step, and the item's index in a batch) bounds it, and `floor` (when set) raises
// the lower bound to what takes have shown since. The checker keeps entries in a canonical order
// and decides which may stand first (test/crash/check.mjs); the model's own order is apply order.

export const emptyModel = () => ({ dict: [], queue: [] });

/** A queue item's identity, also the key of the deliveries a child holds. */
export const itemId = (value) => `${value.p}.${value.i}`;

const visible = (entry) => entry.claimedBy === null;
const dictIndex = (model, key) => model.dict.findIndex((e) => visible(e) && e.key === key);

/** Removes the entry, or with `claim` marks it claimed by `child` (to be released later). */
function take(list, index, child, claim) {
  const entry = list[index];
  if (claim) entry.claimedBy = child;
  else list.splice(index, 1);
  return entry;
}

/** Gives back the claimed entries `which` selects; a dictionary key set again meanwhile keeps the newer value. */
export function release(model, which) {
  const back = (e) => e.claimedBy !== null && which(e);
  model.dict = model.dict.filter((e) => !(back(e) && dictIndex(model, e.key) >= 0));
  for (const entry of [...model.dict, ...model.queue]) if (back(entry)) entry.claimedBy = null;
  return model;
}

/** What a reader sees: [{ key, value }] in order, and the queue's values in order. */
export const visibleState = (model) => ({
  dict: model.dict.filter(visible).map(({ key, value }) => ({ key, value })),
  queue: model.queue.filter(visible).map((e) => e.value),
});

/** Turns an expected "not found" into a result; anything else is thrown on. */
function expectMissing(ErrorClass, call) {
  try {
    return call();
  } catch (error) {
    if (error instanceof ErrorClass) return { error: error.name };
    throw error;
  }
}

// ---- The random mix: each child owns a lane of dictionary keys (so its writes to them are in
// order) and pops from anyone; it tracks what it believes it holds to pick sensible arguments.

const LANE_KEYS = 6;
const laneKeys = (lane) => Array.from({ length: LANE_KEYS }, (_, j) => `${lane}.k${j}`);

export function mixContext(child, lane) {
  return { child, lane, writes: 0, puts: 0, present: new Set(), held: [] };
}

/** A small seeded generator (mulberry32): the same seed gives the same mix. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const choose = (random, list) => (list.length ? list[Math.floor(random() * list.length)] : undefined);
const newValue = (ctx, key) => ({ key, seq: `${ctx.child}.${++ctx.writes}` });
const anyLaneKey = (random, ctx) => ({ key: choose(random, laneKeys(ctx.lane)) });

const write = {
  store: 'dict',
  run: (h, { key, value }) => (h.dict.set(key, value), null),
  apply(model, { key, value }, _child, _claim, born) {
    const i = dictIndex(model, key);
    if (i >= 0) model.dict[i].value = value;
    else model.dict.push({ key, value, claimedBy: null, born });
    return null;
  },
  note: (ctx, { key }) => ctx.present.add(key),
};

const removed = (ctx, { key }) => ctx.present.delete(key);

export const OPS = {
  'dict.set': {
    ...write,
    weight: 3,
    example: { args: { key: 'new', value: { key: 'new', seq: 'op' } } },
    pick(random, ctx) {
      const key = choose(random, laneKeys(ctx.lane).filter((k) => !ctx.present.has(k)));
      return key && { key, value: newValue(ctx, key) };
    },
  },
  'dict.overwrite': {
    ...write,
    weight: 2,
    example: { args: { key: 'k1', value: { key: 'k1', seq: 'op' } } },
    pick(random, ctx) {
      const key = choose(random, [...ctx.present]);
      return key && { key, value: newValue(ctx, key) };
    },
  },
  'dict.delete': {
    store: 'dict',
    weight: 1,
    example: { args: { key: 'k1' } },
    pick: anyLaneKey,
    run: (h, { key }) => h.dict.delete(key),
    apply(model, { key }) {
      const i = dictIndex(model, key);
      if (i >= 0) model.dict.splice(i, 1);
      return i >= 0;
    },
    note: removed,
  },
  'dict.popItem': {
    store: 'dict',
    takes: true,
    takesFirst: 'dict',
    weight: 1,
    example: { args: {} },
    pick: () => ({}),
    run: (h) =>
      expectMissing(KeyError, () => {
        const [key, value] = h.dict.popItem();
        return { key, value };
      }),
    apply(model, _args, child, claim) {
      const i = model.dict.findIndex(visible);
      if (i < 0) return { error: 'KeyError' };
      const { key, value } = take(model.dict, i, child, claim);
      return { key, value };
    },
    note: (ctx, _args, result) => ctx.present.delete(result.key),
  },
  'dict.pop': {
    store: 'dict',
    takes: true,
    weight: 1,
    example: { args: { key: 'k2' } },
    pick: anyLaneKey,
    run: (h, { key }) => expectMissing(KeyError, () => ({ value: h.dict.pop(key) })),
    apply(model, { key }, child, claim) {
      const i = dictIndex(model, key);
      return i < 0 ? { error: 'KeyError' } : { value: take(model.dict, i, child, claim).value };
    },
    note: removed,
  },
  'queue.put': {
    store: 'queue',
    weight: 2,
    example: { args: { value: { p: 'op', i: 0 } } },
    pick: (_random, ctx) => ({ value: { p: ctx.child, i: ctx.puts++ } }),
    run: (h, { value }) => (h.queue.putNowait(value), null),
    apply(model, { value }, _child, _claim, born) {
      model.queue.push({ value, claimedBy: null, born });
      return null;
    },
  },
  'queue.get': {
    store: 'queue',
    takes: true,
    takesFirst: 'queue',
    weight: 1,
    example: { args: {} },
    pick: () => ({}),
    run: (h) => expectMissing(Empty, () => ({ value: h.queue.getNowait() })),
    apply(model, _args, child, claim) {
      const i = model.queue.findIndex(visible);
      return i < 0 ? { error: 'Empty' } : { value: take(model.queue, i, child, claim).value };
    },
  },
  'queue.getAck': {
    store: 'queue',
    takesFirst: 'queue',
    weight: 1,
    example: { args: {} },
    pick: (_random, ctx) => (ctx.held.length < 3 ? {} : undefined),
    run: (h) =>
      expectMissing(Empty, () => {
        const delivery = h.queue.getNowaitAck();
        h.deliveries.set(itemId(delivery.value), delivery);
        return { value: delivery.value };
      }),
    // The claim is the effect: the item stays in place until acknowledged, or released at its owner's death.
    apply(model, _args, child) {
      const i = model.queue.findIndex(visible);
      return i < 0 ? { error: 'Empty' } : { value: take(model.queue, i, child, true).value };
    },
    note: (ctx, _args, result) => result.value && ctx.held.push(result.value),
  },
  'queue.ack': {
    store: 'queue',
    weight: 2,
    example: { before: [['queue.getAck', {}]], args: { value: { p: 'setup', i: 0 } } },
    pick: (random, ctx) => {
      const value = choose(random, ctx.held);
      return value && { value };
    },
    run(h, { value }) {
      h.deliveries.get(itemId(value)).ack();
      h.deliveries.delete(itemId(value));
      return null;
    },
    apply(model, { value }, child) {
      const i = model.queue.findIndex((e) => e.claimedBy === child && itemId(e.value) === itemId(value));
      if (i < 0) return { error: `${itemId(value)} is not claimed by ${child}` };
      model.queue.splice(i, 1);
      return null;
    },
    note: (ctx, { value }) => ctx.held.splice(ctx.held.indexOf(value), 1),
  },
};

/**
 * A batch (setMany, putMany): `applyFirst` applies its first `landed` items, which is what a batch
 * that failed part way (BatchError.landed) leaves in place; `parts` are its items as single steps
 * (the checker's view of a batch cut short by a crash, whose items may reach others one by one).
 */
function batchOp(store, single, items, toArgs) {
  const applyFirst = (model, args, landed, born) => {
    // An item whose key another process took (before the batch, unseen by its writer, or during
    // it) may have been made again, with a later birth than the others (FORMAT.md 5): only the
    // rest keep item order.
    const { unordered, ...bounds } = born ?? {};
    items(args)
      .slice(0, landed)
      .forEach((item, index) => {
        const { key } = toArgs(item);
        const free = unordered === true || unordered?.includes(key);
        OPS[single].apply(model, toArgs(item), undefined, false, born && { ...bounds, ...(free ? {} : { item: index }) });
      });
    return null;
  };
  const apply = (model, args, _child, _claim, born) => applyFirst(model, args, Infinity, born);
  const parts = (args) => items(args).map((item) => ({ op: single, args: toArgs(item) }));
  return { store, weight: 1, applyFirst, landedCounts: (args) => items(args).length, apply, parts };
}

OPS['dict.setMany'] = {
  ...batchOp('dict', 'dict.set', (args) => args.entries, ([key, value]) => ({ key, value })),
  example: { args: { entries: ['k1', 'new'].map((key) => [key, { key, seq: 'op' }]) } },
  pick(random, ctx) {
    const keys = laneKeys(ctx.lane).filter(() => random() < 0.5);
    return keys.length ? { entries: keys.map((key) => [key, newValue(ctx, key)]) } : undefined;
  },
  run: (h, { entries }) => (h.dict.setMany(entries), null),
  note: (ctx, { entries }) => entries.forEach(([key]) => ctx.present.add(key)),
};

/**
 * A batch past one journal group (32 items, FORMAT.md 7.3.1): the first group is journaled while
 * the rest are still to land. Only the positional sweep and the fault matrix run it, and only
 * around that point (`sweep`: from the last temp file written to the end); the random mix has
 * the small batches above.
 */
const GROUP = 32;
OPS['dict.setManyGroups'] = {
  ...batchOp('dict', 'dict.set', (args) => args.entries, ([key, value]) => ({ key, value })),
  weight: 0,
  example: {
    args: { entries: [...Array.from({ length: GROUP + 1 }, (_, i) => `g${i}`), 'k1'].map((key) => [key, { key, seq: 'op' }]) },
  },
  pick: () => undefined,
  run: (h, { entries }) => (h.dict.setMany(entries), null),
  note: (ctx, { entries }) => entries.forEach(([key]) => ctx.present.add(key)),
  /** The positions (1-based) worth a fault or a kill: the moves of the last items of the first group on. */
  sweep: (trace) => {
    // A new key moves in by renameIfAbsent, or by link where the host lacks it (FORMAT.md 7.3 step 2).
    const moves = trace.flatMap((call, i) => (/^(exchange|rename|renameIfAbsent|link) tmp\//.test(call) ? [i] : []));
    const from = moves[GROUP - 3] ?? 0;
    return Array.from({ length: trace.length + 1 - from }, (_, i) => from + i + 1);
  },
};

OPS['queue.putMany'] = {
  ...batchOp('queue', 'queue.put', (args) => args.values, (value) => ({ value })),
  example: { args: { values: [0, 1].map((i) => ({ p: 'op', i })) } },
  pick: (random, ctx) => ({ values: Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ p: ctx.child, i: ctx.puts++ })) }),
  run: (h, { values }) => (h.queue.putMany(values), null),
};

export const OP_NAMES = Object.keys(OPS);

/** The call positions (1-based; trace.length + 1: none, the op runs to its end) to fault or kill `op` at. */
export const sweptPositions = (op, trace) => OPS[op].sweep?.(trace) ?? Array.from({ length: trace.length + 1 }, (_, i) => i + 1);

/** The state every fixed case of a store starts from: four keys, or three queue items. */
const SETUP = {
  dict: ['k0', 'k1', 'k2', 'k3'].map((key) => ['dict.set', { key, value: { key, seq: 'setup' } }]),
  queue: [0, 1, 2].map((i) => ['queue.put', { value: { p: 'setup', i } }]),
};

/** The fixed case of an op (positional sweep, fault matrix): the steps before it, and its own step. */
export function fixedCase(name) {
  const { before = [], args } = OPS[name].example;
  return { setup: [...SETUP[OPS[name].store], ...before], step: [name, args] };
}

/** The next step of a random mix. */
export function randomStep(random, ctx) {
  for (;;) {
    const weighted = OP_NAMES.flatMap((name) => Array(OPS[name].weight).fill(name));
    const name = choose(random, weighted);
    const args = OPS[name].pick(random, ctx);
    if (args) return [name, args];
  }
}

/** Updates a mix's beliefs with a step's result. */
export function noteResult(ctx, [name, args], result) {
  if (result?.error === undefined) OPS[name].note?.(ctx, args, result);
}

/** Applies steps that succeeded to a model, as `child`. */
export function modelAfter(steps, child, model = emptyModel()) {
  for (const [name, args] of steps) OPS[name].apply(model, args, child);
  return model;
}

const performStep = (handles, [name, args]) => OPS[name].run(handles, args);

/**
 * Runs the fixed case of `name` on `handles`, whose host is an instrumentedHost armed for the op's
 * calls to `methods` only, with `before` (test/crash/host.mjs). Returns { step, result | error, trace }.
 */
export function runFixedCase(name, handles, host, { methods, before, perform = performStep }) {
  const { setup, step } = fixedCase(name);
  for (const s of setup) perform(handles, s);
  host.arm(methods, before);
  let outcome;
  try {
    outcome = { step, result: perform(handles, step) };
  } catch (error) {
    outcome = { step, error };
  }
  outcome.trace = host.disarm();
  return outcome;
}

/** A dry run: the calls to `methods` that the fixed case of `name` makes on `base`, in a store at `root`. */
export function traceFixedCase(name, { base, root, durability, methods }) {
  const host = instrumentedHost(base);
  const handles = openHandles(root, { host, durability });
  const { trace, error } = runFixedCase(name, handles, host, { methods });
  if (error) throw error;
  handles.close();
  return trace;
}
