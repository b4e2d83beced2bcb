// Random operations on one store through several handles of one process, one after another,
// each checked against a Map: whichever handle looks sees the order, size and values the Map
// holds. The handles follow each other through the journal alone (rotations every few changes),
// with and without the native helper, so every path by which a handle learns of another's
// change is taken: the read after its own change, the read before an overwrite, a reload; with
// maxItems, evictions; with an injected clock, expiry; with an AsyncIODict among them, its
// workers' handles. Keys are of every type (a number and a bigint of one value, a string of its
// digits and byte arrays are different keys); values range from undefined to records of 6 KB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IODict, AsyncIODict, DurableQueue, Empty, Full, nodeHost, cbor } from '../dist/index.js';
import { openWasiStore } from '../dist/wasi.js';
import { inspect } from 'node:util';
import { storePath } from './support/tmp.mjs';
import { canonicalBytes, keyFromCanonical } from './support/format-reader.mjs';
import { generator } from './support/random.mjs';

// `npm run test:model` runs many more seeds: IODICT_MODEL_RUNS of them from IODICT_MODEL_FIRST.
const FIRST = Number(process.env.IODICT_MODEL_FIRST ?? 1);
const RUNS = Number(process.env.IODICT_MODEL_RUNS ?? 5);
const seeds = (count) => Array.from({ length: count }, (_, i) => FIRST + i);
const STEPS = 400;

const KEYS = [0, 'k1', 'k2', 3, 3n, '3', true, false, new Uint8Array([3]), new Uint8Array([3, 0]), 'k10', 11];

/** A key's name in the model (and in a failure's message): one per key as the store tells keys apart. */
function named(key) {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'bigint') return `${key}n`;
  if (key instanceof Uint8Array) return `bytes[${key}]`;
  return String(key);
}

/** A value of one of several kinds: every codec path from a small integer to a record of 6 KB. */
function randomValue(r) {
  const n = r.below(1000);
  switch (r.below(8)) {
    case 0: return undefined;
    case 1: return `v${n}`;
    case 2: return { n, list: [n, `${n}`, null], nested: { bigint: BigInt(n) } };
    case 3: return new Uint8Array([n & 255, n >> 8]);
    case 4: return 'x'.repeat(6000) + n;
    case 5: return new Map([[n, [n]]]);
    default: return n;
  }
}

/** `value` for a failure's message. */
const shown = (value) => inspect(value, { breakLength: Infinity, maxStringLength: 12 });

/**
 * A store driven through the WASI build (openWasiStore: node:wasi, its own host functions over
 * preview1, no xattrs, no flock, no renameat2), with the calls it has: set, get, delete, keys.
 */
class WasiDict {
  static OPERATIONS = new Set(['set', 'delete']);

  constructor(store) {
    this.store = store;
  }

  set(key, value) {
    const { keyType, key: bytes } = canonicalBytes(key);
    this.store.set(keyType, bytes, 0, cbor.encode(value));
  }

  get(key) {
    const { keyType, key: bytes } = canonicalBytes(key);
    const found = this.store.get(keyType, bytes);
    return found && cbor.decode(found.value);
  }

  delete(key) {
    const { keyType, key: bytes } = canonicalBytes(key);
    return this.store.delete(keyType, bytes);
  }

  keys() {
    return this.store.list().map(({ keyType, key }) => keyFromCanonical(keyType, key));
  }

  *entries() {
    for (const key of this.keys()) yield [key, this.get(key)];
  }

  get size() {
    return this.store.list().length;
  }

  close() {
    this.store.close();
  }
}

/** The outcome of `call` (sync or async): its value, or the error it threw. */
async function outcome(call) {
  try {
    return { value: await call() };
  } catch (error) {
    return { error };
  }
}

/**
 * What a handle shows of the store: its order (key names), its size, one key's value, and with
 * `whole`, every entry (key name and value, read through entries()).
 */
async function look(dict, key, whole) {
  const keys = [];
  const entries = [];
  if (dict instanceof AsyncIODict) {
    for await (const k of dict.keys()) keys.push(named(k));
    if (whole) for await (const [k, v] of dict.entries()) entries.push([named(k), v]);
  } else {
    for (const k of dict.keys()) keys.push(named(k));
    if (whole) for (const [k, v] of dict.entries()) entries.push([named(k), v]);
  }
  return { keys, entries, size: await dict.size, value: await dict.get(key) };
}

/**
 * What the store should hold: a Map in birth order. With `maxItems` it evicts as the store does
 * (after a write, the oldest keys but the one written last); with expiry, an item whose time has
 * come is absent: a set makes its key new, and a delete may still find its record (lazily
 * removed), so either answer is right for it.
 */
class Model {
  entries = new Map();
  /** The changes a watch should hear, as `type key` (without expiry, whose removals are lazy). */
  changes = [];
  #expiries = new Map();
  #expired = new Set();

  constructor(maxItems) {
    this.maxItems = maxItems;
  }

  write(key, value, expiry) {
    this.entries.set(key, value);
    this.changes.push(`set ${key}`);
    this.#expired.delete(key);
    if (expiry) this.#expiries.set(key, expiry);
    else this.#expiries.delete(key);
  }

  /** After a write (a batch: its last key), the oldest others go while over maxItems. */
  settle(kept) {
    while (this.maxItems && this.entries.size > this.maxItems) this.remove([...this.entries.keys()].find((key) => key !== kept), 'evict');
  }

  remove(key, type = 'delete') {
    this.#expiries.delete(key);
    if (!this.entries.delete(key)) return;
    this.changes.push(`${type} ${key}`);
  }

  /** What delete(key) may answer. */
  deleteAnswers(key) {
    const answers = [this.entries.has(key)];
    if (this.#expired.has(key)) answers.push(true);
    this.#expired.delete(key);
    return answers;
  }

  expireUntil(now) {
    for (const [key, expiry] of this.#expiries) {
      if (expiry > now) continue;
      this.#expiries.delete(key);
      this.entries.delete(key);
      this.#expired.add(key);
    }
  }
}

/**
 * The operations: each does one call on `dict` (an IODict or an AsyncIODict) and the same on
 * `model`, and checks what it returned. The model's keys are the keys' names (named()).
 */
const OPERATIONS = [
  [35, 'set', async (dict, model, r, now) => {
    const key = r.pick(KEYS);
    const value = randomValue(r);
    const ttl = now && r.next() < 0.5 ? 1 + r.below(8) : undefined;
    await dict.set(key, value, { ttl });
    model.write(named(key), value, ttl && now + ttl);
    model.settle(named(key));
    return `set(${named(key)}, ${shown(value)}${ttl ? `, { ttl: ${ttl} }` : ''})`;
  }],
  [15, 'delete', async (dict, model, r) => {
    const key = r.pick(KEYS);
    const answers = model.deleteAnswers(named(key));
    const answer = await dict.delete(key);
    assert.ok(answers.includes(answer), `delete(${named(key)}) answered ${answer}`);
    model.remove(named(key));
    return `delete(${named(key)})`;
  }],
  [10, 'popItem', async (dict, model, r) => {
    const last = r.next() < 0.4;
    const { value: pair, error } = await outcome(() => dict.popItem({ last }));
    if (model.entries.size === 0) {
      assert.is(error?.name, 'KeyError', `popItem({ last: ${last} }) of an empty store`);
    } else {
      if (error) throw error;
      const key = last ? [...model.entries.keys()].at(-1) : model.entries.keys().next().value;
      assert.equal([named(pair[0]), pair[1]], [key, model.entries.get(key)], `popItem({ last: ${last} })`);
      model.remove(key);
    }
    return `popItem({ last: ${last} })`;
  }],
  [8, 'pop', async (dict, model, r) => {
    const key = r.pick(KEYS);
    const name = named(key);
    assert.equal(await dict.pop(key, 'none'), model.entries.has(name) ? model.entries.get(name) : 'none', `pop(${name})`);
    model.remove(name);
    return `pop(${name})`;
  }],
  [5, 'setDefault', async (dict, model, r) => {
    const key = r.pick(KEYS);
    const name = named(key);
    const value = randomValue(r);
    const current = model.entries.has(name) ? model.entries.get(name) : value;
    if (!model.entries.has(name)) {
      model.write(name, value);
      model.settle(name);
    }
    assert.equal(await dict.setDefault(key, value), current, `setDefault(${name})`);
    return `setDefault(${name}, ${shown(value)})`;
  }],
  [5, 'update', async (dict, model, r) => {
    const pairs = [[r.pick(KEYS), randomValue(r)], [r.pick(KEYS), randomValue(r)]];
    await dict.update(pairs);
    // One group commit, its last key kept; a repeated key starts a second one (host/core/batch.ts).
    const groups = named(pairs[0][0]) === named(pairs[1][0]) ? [[pairs[0]], [pairs[1]]] : [pairs];
    for (const group of groups) {
      for (const [key, value] of group) model.write(named(key), value);
      model.settle(named(group.at(-1)[0]));
    }
    return `update(${pairs.map(([key, value]) => `[${named(key)}, ${shown(value)}]`).join(', ')})`;
  }],
  [4, 'transact', async (dict, model, r) => {
    // A read-modify-write under the store lock: a counter at key (0 where it held no number).
    const key = r.pick(KEYS);
    const name = named(key);
    const bump = (value) => (typeof value === 'number' ? value + 1 : 0);
    const result = dict instanceof AsyncIODict
      ? await dict.transact(async (t) => t.set(key, bump(await t.get(key))).then(() => 'done'))
      : dict.transact((t) => (t.set(key, bump(t.get(key))), 'done'));
    assert.is(result, 'done', `transact(${name}) returns what its function returned`);
    model.write(name, bump(model.entries.get(name)));
    model.settle(name);
    return `transact(${name}: +1)`;
  }],
  [3, 'clear', async (dict, model) => {
    await dict.clear();
    for (const key of [...model.entries.keys()]) model.remove(key);
    return 'clear()';
  }],
];
const WEIGHT = OPERATIONS.reduce((sum, [weight]) => sum + weight, 0);

/**
 * `expiring`: the handles share an injected clock, which moves on between calls, and half the
 * sets carry a ttl of a few ms. `watched`: a fourth handle's watch() hears every change, in order,
 * after each call. `asynchronous`: the second handle is an AsyncIODict (one or two workers; every
 * call awaited before the next), which takes neither a host nor a clock. `wasi`: the third handle
 * is the WASI build's (sets and deletes; the other calls go to it as sets).
 */
async function run(seed, native, { maxItems, expiring = false, watched = false, asynchronous = false, wasi = false }) {
  const r = generator(seed);
  const path = storePath();
  let now = 1_800_000_000_000;
  const clock = expiring ? { clock: () => now } : {};
  // A watch follows one rotation between its reads (the seal names the next journal), not two.
  const options = () => ({ host: nodeHost({ native }), rotateAfter: (watched ? 32 : 1) + r.below(20), xattrs: r.next() < 0.5 ? 'off' : 'auto', maxItems, ...clock });
  const open = async (at) => {
    if (wasi && at === 2) return new WasiDict(await openWasiStore(path));
    if (!asynchronous || at !== 1) return new IODict(path, options());
    const { host, ...rest } = options(); // its workers use this runtime's file system
    return new AsyncIODict(path, { ...rest, threads: 1 + r.below(2) });
  };
  const handles = [];
  for (let at = 0; at < 3; at++) handles.push(await open(at)); // the first makes the store
  const model = new Model(maxItems);
  const done = [];
  const watcher = !watched ? undefined : asynchronous ? new AsyncIODict(path) : new IODict(path);
  const stop = new AbortController();
  const changes = watcher?.watch({ signal: stop.signal });
  let upcoming = changes?.next(); // reading from the start: a position is only kept while read
  const heard = [];
  let heardBefore = 0;
  /** The next change the watch hears, as `type key`. */
  const hear = async () => {
    const { type, key } = (await withinSeconds(upcoming, 20, 'a change')).value;
    upcoming = changes.next();
    return `${type} ${named(key)}`;
  };
  try {
    if (changes) {
      // An AsyncIODict's watch starts in its worker, after watch() returns: a key set until the
      // watch hears it shows it running; then deleted, and the watch read up to that delete.
      let heardReady = false;
      upcoming.then(() => (heardReady = true), () => {});
      for (let i = 0; !heardReady; i++) {
        await handles[0].set('ready', i);
        await Promise.race([upcoming, new Promise((resolve) => setTimeout(resolve, 5))]);
      }
      await handles[0].delete('ready');
      while ((await hear()) !== 'delete "ready"');
    }
    for (let step = 0; step < STEPS; step++) {
      if (expiring && r.next() < 0.3) {
        now += r.below(4);
        model.expireUntil(now);
      }
      const at = r.below(handles.length);
      if (r.next() < 0.03) {
        await handles[at].close();
        handles[at] = await open(at);
        done.push(`h${at}: reopened`);
      } else {
        let roll = r.below(WEIGHT);
        const [, name, operate] = OPERATIONS.find(([weight]) => (roll -= weight) < 0);
        const call = handles[at] instanceof WasiDict && !WasiDict.OPERATIONS.has(name) ? OPERATIONS[0][2] : operate;
        done.push(`h${at}.${await call(handles[at], model, r, expiring && now)}`);
      }
      const looker = r.below(handles.length);
      const key = r.pick(KEYS);
      const whole = r.next() < 0.25;
      const seen = await look(handles[looker], key, whole);
      assert.equal(seen.keys, [...model.entries.keys()], `h${looker}'s order`);
      if (whole) assert.equal(seen.entries, [...model.entries.entries()], `h${looker}'s entries()`);
      assert.is(seen.size, model.entries.size, `h${looker}'s size`);
      assert.equal(seen.value, model.entries.get(named(key)), `h${looker}.get(${named(key)})`);
      while (changes && heard.length < model.changes.length) heard.push(await hear());
      if (changes) assert.equal(heard.slice(heardBefore), model.changes.slice(heardBefore), 'what the watch heard of this call');
      heardBefore = heard.length;
    }
    const fresh = new IODict(path, clock);
    assert.equal([...fresh.entries()].map(([key, value]) => [named(key), value]), [...model.entries.entries()], 'a fresh handle');
    fresh.close();
  } catch (error) {
    error.message = `seed ${seed} (${native ? 'native helper' : 'no native helper'}, maxItems ${maxItems}, expiring ${expiring}, asynchronous ${asynchronous}), after ${done.slice(-8).join('; ')}: ${error.message}`;
    throw error;
  } finally {
    stop.abort();
    await upcoming?.catch(() => {}); // ended by the signal
    for (const dict of [...handles, watcher]) await dict?.close();
  }
}

/** `promise`, or a failure naming `what` after `seconds` (a guard against a hang, not a wait). */
function withinSeconds(promise, seconds, what) {
  let timer;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${seconds} s`)), seconds * 1000)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Item n's value: each kind a value can be (undefined too), told apart by n. */
function itemValue(n) {
  switch (n % 5) {
    case 0: return undefined;
    case 1: return `s${n}`;
    case 2: return { n, bytes: new Uint8Array([n & 255]) };
    case 3: return 'x'.repeat(5000) + n;
    default: return n;
  }
}

/**
 * The same for a queue: puts, batches, takes with and without ack (the nowait forms and the
 * promise forms that do not wait), acks and releases through three handles, against an array of
 * item numbers in FIFO order (a released item goes back to its place). With `maxsize`, a put
 * beyond it is refused with Full and changes nothing. After the run, a fresh handle drains every
 * item, held ones released first, in order. Returns how many puts were refused.
 */
async function runQueue(seed, native, maxsize = 0) {
  const r = generator(seed);
  const path = storePath();
  const options = () => ({ host: nodeHost({ native }), rotateAfter: 1 + r.below(20), xattrs: r.next() < 0.5 ? 'off' : 'auto', maxsize });
  const handles = Array.from({ length: 3 }, () => new DurableQueue(path, options()));
  const held = handles.map(() => []); // per handle: [item, delivery] not acked or released yet
  let model = [];
  let next = 0;
  const done = [];
  const takeHeld = (at) => held[at].splice(r.below(held[at].length), 1)[0];
  let refused = 0;
  /** Puts `items` through `put` when maxsize leaves room for them all; else expects Full and nothing put. */
  const putting = async (items, put) => {
    const { error } = await outcome(put);
    if (maxsize > 0 && model.length + items.length > maxsize) {
      assert.instance(error, Full, 'a put beyond maxsize');
      refused++;
      return 'Full';
    }
    if (error) throw error;
    model.push(...items);
    return 'ok';
  };
  try {
    for (let step = 0; step < STEPS; step++) {
      const at = r.below(handles.length);
      const queue = handles[at];
      const roll = r.next();
      const promised = r.next() < 0.5; // the promise form (block: false) or the nowait one
      if (roll < 0.3) {
        const item = next++;
        const got = await putting([item], () => (promised ? queue.put(itemValue(item), { block: false }) : queue.putNowait(itemValue(item))));
        done.push(`h${at}.put${promised ? '' : 'Nowait'}(${item}): ${got}`);
      } else if (roll < 0.38) {
        const items = [next++, next++, next++];
        const got = await putting(items, () => queue.putMany(items.map(itemValue)));
        done.push(`h${at}.putMany(${items}): ${got}`);
      } else if (roll < 0.58) {
        const { value, error } = await outcome(() => (promised ? queue.get({ block: false }) : queue.getNowait()));
        if (model.length === 0) assert.instance(error, Empty, `h${at}.get of an empty queue`);
        else if (error) throw error;
        else assert.equal(value, itemValue(model.shift()), `h${at}.get${promised ? '' : 'Nowait'}()`);
        done.push(`h${at}.get${promised ? '' : 'Nowait'}()`);
      } else if (roll < 0.7) {
        if (model.length > 0) {
          const delivery = await (promised ? queue.get({ ack: true, block: false }) : queue.getNowaitAck());
          const item = model.shift();
          assert.equal(delivery.value, itemValue(item), `h${at}.get with ack`);
          held[at].push([item, delivery]);
        }
        done.push(`h${at}.get${promised ? '' : 'Nowait'}Ack()`);
      } else if (roll < 0.8 && held[at].length > 0) {
        const [item, delivery] = takeHeld(at);
        delivery.ack();
        done.push(`h${at}: ack ${item}`);
      } else if (roll < 0.9 && held[at].length > 0) {
        const [item, delivery] = takeHeld(at);
        delivery.release();
        model = [...model, item].sort((a, b) => a - b);
        done.push(`h${at}: release ${item}`);
      } else if (roll < 0.93) {
        for (const [, delivery] of held[at].splice(0)) delivery.ack();
        queue.close();
        handles[at] = new DurableQueue(path, options());
        done.push(`h${at}: acked all, reopened`);
      }
      const looker = handles[r.below(handles.length)];
      assert.is(looker.qsize(), model.length, 'qsize()');
      assert.is(looker.empty(), model.length === 0, 'empty()');
      assert.is(looker.full(), maxsize > 0 && model.length >= maxsize, 'full()');
    }
    for (const list of held) {
      for (const [item, delivery] of list.splice(0)) {
        delivery.release();
        model.push(item);
      }
    }
    for (const queue of handles) queue.close();
    const fresh = new DurableQueue(path);
    const drained = [];
    while (!fresh.empty()) drained.push(fresh.getNowait());
    fresh.close();
    assert.equal(drained, model.sort((a, b) => a - b).map(itemValue), 'a fresh handle drains every item in order');
    return refused;
  } catch (error) {
    error.message = `queue seed ${seed} (${native ? 'native helper' : 'no native helper'}, maxsize ${maxsize}), after ${done.slice(-8).join('; ')}: ${error.message}`;
    throw error;
  } finally {
    for (const queue of handles) queue.close();
  }
}

test(`${RUNS} runs of ${STEPS} random calls through three handles, one the WASI build's, agree with a Map after every call`, async () => {
  for (const seed of seeds(RUNS)) await run(seed, true, { wasi: true });
});

for (const native of [true, false]) {
  for (const maxsize of [0, 4]) {
    test(`${RUNS} runs of ${STEPS} random queue calls through three handles agree with an array after every call (${native ? 'native helper' : 'no native helper'}${maxsize ? `, maxsize ${maxsize}` : ''})`, async () => {
      let refused = 0;
      for (const seed of seeds(RUNS)) refused += await runQueue(seed, native, maxsize);
      if (maxsize) assert.ok(refused > 0, 'some puts met a full queue');
    });
  }
  for (const variant of [{}, { maxItems: 5 }, { expiring: true }, { asynchronous: true }, { asynchronous: true, maxItems: 5 }]) {
    const about = `${variant.asynchronous ? ', one an AsyncIODict' : ''}${variant.maxItems ? `, maxItems ${variant.maxItems}` : ''}${variant.expiring ? ', ttl' : ''}`;
    test(`${RUNS} runs of ${STEPS} random calls through three handles agree with a Map after every call (${native ? 'native helper' : 'no native helper'}${about})`, async () => {
      for (const seed of seeds(RUNS)) await run(seed, native, variant);
    });
  }
}

for (const variant of [{}, { maxItems: 5 }, { asynchronous: true }]) {
  const about = `${variant.maxItems ? ', evictions' : ''}${variant.asynchronous ? ' (the watch and one handle an AsyncIODict)' : ''}`;
  test(`a watch hears every change of random calls through three handles, in order: sets, deletes, takes${about}`, async () => {
    for (const seed of seeds(Math.ceil(RUNS / 2))) await run(seed, true, { ...variant, watched: true });
  });
}

test.run();
