// Random operations on one store from three processes at once (test/workers/model-peer.mjs),
// in rounds. Each process owns some keys and checks them after every change of its own (value,
// presence, their order among its keys() while others write), reads the others' keys (a value
// never goes back to an older one) and writes, deletes and takes shared keys. Between rounds,
// the processes look at the whole store and must all see the same entries in the same order: the
// owners' keys as each owner left them, each in its owner's order and after every key made in an
// earlier round; each shared key as some process's last change to it left it; no shared value
// taken twice, or taken and still there. Every few rounds all of them drain the store with
// popItem at once (oldest first, or youngest): each item goes to exactly one, and each takes in
// the store's order; or one of them clears it. Handles rotate the journal every few changes, mix
// the native helper with its fallbacks and xattrs on and off (and, in two seeds of three,
// AsyncIODicts), reopen from the index cache, and some sit idle through rounds of rotations.
// With Bun installed, one process is a Bun one in even seeds. In two seeds of three, a watch in
// this process hears it all: the keys it heard set and not removed are the keys the store holds,
// at every look. The queue's rounds (runQueue) do the same for DurableQueue.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { IODict, cbor } from '../dist/index.js';
import { fileURLToPath } from 'node:url';
import { storePath } from './support/tmp.mjs';
import { talkingChild } from './support/children.mjs';
import { runtimes } from './support/runtimes.mjs';
import { generator } from './support/random.mjs';
import { readStore, readRecord } from './support/format-reader.mjs';

const FIRST = Number(process.env.IODICT_MODEL_FIRST ?? 1);
const RUNS = Number(process.env.IODICT_MODEL_RUNS ?? 5);
const ROUNDS = 12;
const OPS = 60;
const DRAIN_EVERY = 4;
const peer = fileURLToPath(new URL('./workers/model-peer.mjs', import.meta.url));
const PEERS = ['a', 'b', 'c'];

const ownerOf = (key) => key.slice(0, key.indexOf(':'));
const shown = (value) => JSON.stringify(value);

/** Asks every process in `names` at once; their answers by name (a process's failed check fails the test). */
async function ask(children, names, command) {
  for (const name of names) children[name].send(JSON.stringify(command));
  const answers = {};
  for (const name of names) {
    answers[name] = await children[name].next();
    if (answers[name].failure) assert.unreachable(answers[name].failure);
  }
  return answers;
}

/**
 * A watch of the store in this process, replayed into the set of keys present: after `settled()`
 * (a key of its own set and deleted, and heard), it has heard every change made before.
 */
function replayedWatch(path) {
  const handle = new IODict(path);
  const stop = new AbortController();
  const present = new Set();
  let marks = 0;
  let heardMark;
  const heard = [];
  let failure;
  // Never rejects: a failure is kept for settled() to report (close() only stops the watch).
  const pump = (async () => {
    for await (const change of handle.watch({ signal: stop.signal })) {
      heard.push(`${change.type} ${change.key} at ${change.position}`);
      assert.ok(change.type !== 'rescan' && change.key !== undefined, `the watch heard ${change.type} of ${change.key} at ${change.position} (after ${heard.slice(-8, -1).join(', ')})`);
      if (change.type === 'set') present.add(change.key);
      else present.delete(change.key);
      if (change.type === 'delete' && change.key === `z:${marks}`) heardMark();
    }
  })().catch((error) => {
    if (!stop.signal.aborted) failure = error;
  });
  return {
    present,
    /** What the watch heard of `key`. */
    heardOf: (key) => heard.filter((change) => change.split(' ')[1] === key),
    async settled() {
      const mark = `z:${++marks}`;
      const heard = new Promise((resolve) => (heardMark = resolve));
      handle.set(mark, 0);
      handle.delete(mark);
      // The pump ends only by failing (or at close): then its error is the answer.
      await Promise.race([heard, pump.then(() => {
        throw failure ?? new Error('the watch ended');
      })]);
    },
    async close() {
      stop.abort();
      await pump;
      handle.close(); // its watch's file-system watcher would keep the test process alive
    },
  };
}

async function run(seed) {
  const r = generator(seed);
  const path = storePath(`model-processes-${seed}`);
  // A watch follows one rotation between its reads, not two (FORMAT.md 8.5), and three processes
  // at full speed fill a small journal within a millisecond: where this process watches (two
  // seeds in three), rotations are fewer (a few each round).
  const watch = seed % 3 !== 0 ? replayedWatch(path) : undefined;
  await watch?.settled(); // its place in the journal, before anyone writes
  const rotateAfter = watch ? 300 + r.below(300) : 4 + r.below(24);
  const bunPeer = seed % 2 === 0 && existsSync(runtimes.bun) ? 'c' : undefined;
  // In two seeds of three, handles are now and then AsyncIODicts.
  const asyncHandles = seed % 3 !== 1;
  const children = Object.fromEntries(PEERS.map((name, i) => [name, talkingChild(peer, { path, me: name, seed: seed * 7 + i, rotateAfter, asyncHandles },
    { runtime: name === bunPeer ? runtimes.bun : runtimes.node })]));
  /** What each owner last reported of its keys: [key, value, round made]. */
  const owned = Object.fromEntries(PEERS.map((name) => [name, []]));
  /** Shared keys as the processes last agreed they are. */
  let shared = new Map();
  const written = new Set();
  const taken = new Set();
  const context = (round) => `seed ${seed}, round ${round}`;

  /** Every process in `names` looks at the store: all see the same, and it is what the rounds left. */
  const agree = async (names, round, candidates = new Map()) => {
    const views = await ask(children, names, { cmd: 'view', round });
    const [first, ...rest] = names;
    const entries = views[first].entries;
    const listing = (list) => list.map(([key, value]) => `${key}=${value.k === key ? value.s : shown(value)}`).join(' ');
    for (const name of rest) {
      assert.is(listing(views[name].entries), listing(entries),
        `${context(round)}: ${name} sees the store otherwise than ${first} (key=op that wrote it; ${name}'s last calls: ${views[name].recent.join(', ')}; ${first}'s: ${views[first].recent.join(', ')})`);
    }
    let lastBorn = -1;
    for (const [name, keys] of Object.entries(owned)) {
      const listed = entries.filter(([key]) => ownerOf(key) === name);
      assert.equal(listed, keys.map(([key, value]) => [key, value]), `${context(round)}: ${name}'s keys as all see them, against as ${name} left them`);
    }
    const bornOf = new Map(Object.values(owned).flat().map(([key, , born]) => [key, born]));
    for (const [key] of entries) {
      if (!bornOf.has(key)) continue;
      assert.ok(bornOf.get(key) >= lastBorn, `${context(round)}: ${key}, made in round ${bornOf.get(key)}, is listed after a key made in round ${lastBorn}`);
      lastBorn = bornOf.get(key);
    }
    const now = new Map(entries.filter(([key]) => ownerOf(key) === 's'));
    for (const key of new Set([...shared.keys(), ...now.keys(), ...candidates.keys()])) {
      const value = now.get(key) ?? null;
      const allowed = candidates.get(key) ?? [shared.get(key) ?? null];
      assert.ok(allowed.some((v) => shown(v) === shown(value)), `${context(round)}: shared ${key} is ${shown(value)}, the last changes to it were ${allowed.map(shown).join(', ')}`);
      if (value) assert.not.ok(taken.has(shown(value)), `${context(round)}: shared ${key} still holds ${shown(value)}, which a pop took`);
    }
    shared = now;
    if (watch) {
      await watch.settled();
      const held = new Set(entries.map(([key]) => key));
      const wrong = [...new Set([...watch.present, ...held])].filter((key) => watch.present.has(key) !== held.has(key));
      assert.equal(wrong, [], `${context(round)}: the watch heard otherwise of ${wrong.map((key) => `${key} (${watch.heardOf(key).join(', ')})`).join('; ')}`);
    }
    return entries;
  };

  try {
    for (let round = 1; round <= ROUNDS; round++) {
      if (round % DRAIN_EVERY === 0 && r.next() < 0.25) {
        // One process clears the store; the others learn it at their next look.
        await agree(PEERS, round);
        await ask(children, [PEERS[r.below(PEERS.length)]], { cmd: 'clear', round });
        await ask(children, PEERS, { cmd: 'forget', round });
        for (const name of PEERS) owned[name] = [];
        shared = new Map();
        continue;
      }
      if (round % DRAIN_EVERY === 0) {
        const before = await agree(PEERS, round);
        const last = r.next() < 0.5;
        const drained = await ask(children, PEERS, { cmd: 'drain', round, last });
        const place = new Map(before.map(([key], i) => [key, i]));
        const got = new Map();
        for (const name of PEERS) {
          let previous = last ? before.length : -1;
          for (const [key, value] of drained[name].took) {
            assert.not.ok(got.has(key), `${context(round)}: ${key} taken by ${name} and by ${got.get(key)}`);
            got.set(key, name);
            assert.ok(place.has(key), `${context(round)}: ${name} took ${key}, which the store did not hold`);
            assert.equal(value, before[place.get(key)][1], `${context(round)}: the value ${name} took for ${key}`);
            assert.ok(last ? place.get(key) < previous : place.get(key) > previous, `${context(round)}: ${name} took ${key} after ${last ? 'an older' : 'a younger'} item`);
            previous = place.get(key);
            if (ownerOf(key) === 's') taken.add(shown(value));
          }
        }
        assert.is(got.size, before.length, `${context(round)}: the drain took ${got.size} of ${before.length} items`);
        await ask(children, PEERS, { cmd: 'forget', round });
        for (const name of PEERS) owned[name] = [];
        shared = new Map();
        continue;
      }
      const active = PEERS.filter(() => r.next() < 0.8);
      if (active.length === 0) active.push(PEERS[r.below(PEERS.length)]);
      const reports = await ask(children, active, { cmd: 'round', round, ops: OPS, others: PEERS });
      const candidates = new Map();
      for (const name of active) {
        const report = reports[name];
        owned[name] = report.own;
        for (const value of report.sharedWritten) written.add(shown(value));
        for (const [key, value] of Object.entries(report.sharedLast)) candidates.set(key, [...(candidates.get(key) ?? []), value]);
      }
      for (const name of active) {
        for (const value of reports[name].sharedSeen) assert.ok(written.has(shown(value)), `${context(round)}: ${name} read ${shown(value)}, which no process wrote`);
        for (const value of reports[name].taken) {
          assert.ok(written.has(shown(value)), `${context(round)}: ${name} took ${shown(value)}, which no process wrote`);
          assert.not.ok(taken.has(shown(value)), `${context(round)}: ${shown(value)} taken twice`);
          taken.add(shown(value));
        }
      }
      // Some look now; the others sleep through this round's rotations and look later.
      const looking = PEERS.filter(() => r.next() < 0.6);
      if (looking.length === 0) looking.push(active[0]);
      await agree(looking, round, candidates);
    }
    await agree(PEERS, ROUNDS + 1);
  } finally {
    for (const child of Object.values(children)) child.end();
    await watch?.close();
  }
}

const queuePeer = fileURLToPath(new URL('./workers/queue-peer.mjs', import.meta.url));

/** A queue item's name: its producer and number. */
const item = (value) => `${value.p}${value.n}`;

/** Where the items that should be in the queue are, and what else is there (a failure's message). */
function whereItems(path, put, taken, history) {
  const inStore = new Set(readStore(path).map((r) => item(r.decoded)));
  const claimedDir = `${path}/.iodict/claimed`;
  const claimed = readdirSync(claimedDir).map((file) => `${item(cbor.decode(readRecord(`${claimedDir}/${file}`).value))} (${file.slice(57)})`);
  const missing = [...put].filter((value) => !taken.has(value) && !inStore.has(value));
  const extra = [...inStore].filter((value) => taken.has(value) || !put.has(value));
  const told = (list) => list.map((value) => `${value} [${(history.get(value) ?? []).join('; ')}]`).join(', ') || 'none';
  return `missing from the store: ${told(missing)}; there though taken: ${told(extra)}; claimed: ${claimed.join(', ') || 'none'}; temp files: ${readdirSync(`${path}/.iodict/tmp`).length}`;
}

/**
 * The queue: three processes put, take (with and without acknowledgement), acknowledge and
 * release at once, in rounds; between rounds they count the same size, the items put less those
 * taken for good. Every few rounds they drain it at once: every item is taken exactly once over
 * the whole run, and each process takes each producer's items in the order they were put.
 */
async function runQueue(seed) {
  const r = generator(seed + 1000003);
  const path = storePath(`queue-processes-${seed}`);
  const rotateAfter = 4 + r.below(24);
  const maxsize = r.next() < 0.3 ? 10 + r.below(20) : 0;
  const bunPeer = seed % 2 === 0 && existsSync(runtimes.bun) ? 'c' : undefined;
  const children = Object.fromEntries(PEERS.map((name, i) => [name, talkingChild(queuePeer, { path, me: name, seed: seed * 7 + i, rotateAfter, maxsize },
    { runtime: name === bunPeer ? runtimes.bun : runtimes.node })]));
  const put = new Set();
  const taken = new Map();
  /** What happened to each item, for a failure's message. */
  const history = new Map();
  const happened = (value, what) => history.set(item(value), [...(history.get(item(value)) ?? []), what]);
  const context = (round) => `seed ${seed}, round ${round}`;
  const take = (round, name, value) => {
    assert.ok(put.has(item(value)), `${context(round)}: ${name} took ${item(value)}, which nobody put`);
    assert.not.ok(taken.has(item(value)), `${context(round)}: ${item(value)} taken by ${name}, and before by ${taken.get(item(value))}`);
    taken.set(item(value), name);
    happened(value, `round ${round}: taken by ${name}`);
  };
  const drain = async (round) => {
    const drained = await ask(children, PEERS, { cmd: 'drain', round });
    for (const name of PEERS) {
      const last = {};
      for (const value of drained[name].took) {
        take(round, name, value);
        assert.ok(value.n > (last[value.p] ?? 0), `${context(round)}: ${name} took ${item(value)} after ${value.p}${last[value.p]}`);
        last[value.p] = value.n;
      }
    }
    const left = [...put].filter((name) => !taken.has(name));
    assert.equal(left, [], `${context(round)}: put, and not taken by a drain of every process`);
  };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      if (round % DRAIN_EVERY === 0) {
        await drain(round);
        continue;
      }
      const active = PEERS.filter(() => r.next() < 0.8);
      if (active.length === 0) active.push(PEERS[r.below(PEERS.length)]);
      const reports = await ask(children, active, { cmd: 'round', round, ops: OPS });
      for (const name of active) {
        for (const value of reports[name].put) {
          assert.not.ok(put.has(item(value)), `${context(round)}: ${item(value)} put twice`);
          put.add(item(value));
          happened(value, `round ${round}: put`);
        }
      }
      for (const name of active) {
        for (const value of reports[name].took) take(round, name, value);
        for (const value of reports[name].released) {
          assert.ok(put.has(item(value)), `${context(round)}: ${name} released ${item(value)}, which nobody put`);
          happened(value, `round ${round}: released by ${name}`);
        }
      }
      const looking = PEERS.filter(() => r.next() < 0.6);
      if (looking.length === 0) looking.push(active[0]);
      const sizes = await ask(children, looking, { cmd: 'size', round });
      for (const name of looking) {
        if (sizes[name].size === put.size - taken.size) continue;
        // What a handle opened anew counts tells a stale handle from a store that lost items; the
        // files say where the items are.
        const fresh = (await ask(children, [name], { cmd: 'size', round, reopen: true }))[name].size;
        assert.is(sizes[name].size, put.size - taken.size, `${context(round)}: ${name}'s qsize() (a handle opened anew counts ${fresh}; ${name}'s last calls: ${sizes[name].recent.join(', ')}; ${whereItems(path, put, taken, history)})`);
      }
    }
    await drain(ROUNDS + 1);
  } finally {
    for (const child of Object.values(children)) child.end();
  }
}

for (let seed = FIRST; seed < FIRST + RUNS; seed++) {
  test(`three processes at once, seed ${seed}: every process sees the same store, each owner's keys as it left them, each item taken once`, () => run(seed));
  test(`three processes on one queue at once, seed ${seed}: the same size for all, each item taken once, each producer's in order`, () => runQueue(seed));
}

test.run();
