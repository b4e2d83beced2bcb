// One process of the cross-process model test (model-processes.test.mjs): a handle on a store
// that other processes change at the same time. It owns the keys `<me>:<n>` (no other process
// writes them, so after each of its own changes it knows exactly what a get and its own keys'
// order must show) and writes the shared keys `s:<n>` that every process writes, deletes and
// takes. Commands arrive as JSON lines on stdin; each is answered with one JSON line:
// - round: random operations, checked as they go; reports its own keys (in its birth order),
//   its last change to each shared key, every shared value it wrote and every one it read;
// - view: the whole store as this handle sees it (entries in order, size);
// - drain: popItem (oldest first, or youngest) until the store is empty; reports what it took, in order;
// - clear: clear() the store;
// - forget: the store was drained or cleared: its own keys are gone.
// A check that fails answers { failure } and the process goes on answering.
import { IODict, AsyncIODict, KeyError } from '../../dist/index.js';
import { generator } from '../support/random.mjs';
import { Failure, callLog, takeAll, serve, peerHost } from '../support/peer.mjs';

const { path, me, seed, rotateAfter, asyncHandles } = JSON.parse(process.argv[2]);

const r = generator(seed);

const OWN_KEYS = 10;
const SHARED_KEYS = 6;

/** A handle: now and then an AsyncIODict (its workers' handles do the calls), else an IODict. */
const open = () => {
  const native = r.next() < 0.7;
  const xattrs = r.next() < 0.5 ? 'off' : 'auto';
  if (asyncHandles && r.next() < 0.3) {
    did(`open async (xattrs ${xattrs})`);
    return new AsyncIODict(path, { rotateAfter, xattrs });
  }
  did(`open (native ${native}, xattrs ${xattrs})`);
  return new IODict(path, { host: peerHost({ native }, `${seed}-${me}`), rotateAfter, xattrs });
};
/** An iterator's items, sync or async alike. */
async function listed(items) {
  const out = [];
  for await (const item of items) out.push(item);
  return out;
}
let seq = 0;
let round = 0;

/** Our keys as they must be: key → { value, born: the round its record was made in }; Map order is birth order. */
const own = new Map();
/** Per key of another process: the last sequence number a get of it showed, and whether it was absent since. */
const seenOf = new Map();

const ownerOf = (key) => key.slice(0, key.indexOf(':'));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const { recent, did } = callLog();

let dict = open();

function check(ok, what) {
  if (!ok) throw new Failure(`${me}, round ${round}, op ${seq}: ${what} (last operations: ${recent.join(', ')})`);
}

/** A value names who wrote it, for which key, at which of that writer's operations. */
const valueFor = (key) => ({ o: me, k: key, s: ++seq });

async function checkOwn(key) {
  const expected = own.get(key)?.value;
  const got = await dict.get(key);
  check(same(got, expected), `get(${key}) gave ${JSON.stringify(got)}, its owner last left ${JSON.stringify(expected)}`);
  check(await dict.has(key) === own.has(key), `has(${key}) is ${!own.has(key)}`);
}

/** A key another process writes: any value it shows is one written to it, none older than one shown before. */
async function readOther(key, sharedSeen) {
  const got = await dict.get(key);
  const last = seenOf.get(key) ?? { s: 0, absentSince: false };
  if (got === undefined) {
    seenOf.set(key, { ...last, absentSince: true });
    return;
  }
  check(got && got.k === key && typeof got.s === 'number', `get(${key}) gave ${JSON.stringify(got)}, written for another key`);
  if (ownerOf(key) !== 's') {
    check(got.o === ownerOf(key), `get(${key}) gave a value written by ${got.o}`);
    // Its owner's changes are one after another: once absent, the key comes back only newer.
    check(last.absentSince ? got.s > last.s || last.s === 0 : got.s >= last.s,
      `get(${key}) gave ${got.o}'s value of op ${got.s} after ${last.absentSince ? 'absent, after ' : ''}op ${last.s}`);
    seenOf.set(key, { s: got.s, absentSince: false });
  } else {
    sharedSeen.push(got);
  }
}

async function ownOrder() {
  const mine = (await listed(dict.keys())).filter((k) => typeof k === 'string' && ownerOf(k) === me);
  check(same(mine, [...own.keys()]), `keys() lists my keys as ${mine.join(' ')}, I made them in the order ${[...own.keys()].join(' ')}`);
}

async function runRound({ ops, others }) {
  const sharedLast = {};
  const sharedWritten = [];
  const sharedSeen = [];
  const taken = [];
  for (let i = 0; i < ops; i++) {
    const choice = r.below(100);
    if (choice < 35) {
      const key = `${me}:${r.below(OWN_KEYS)}`;
      const value = valueFor(key);
      await dict.set(key, value);
      did(`set ${key}=${value.s}`);
      const had = own.get(key);
      own.set(key, { value, born: had ? had.born : round });
      await checkOwn(key);
    } else if (choice < 40) {
      // One group commit of a few of our keys (a key twice: the later value wins, at the first's place).
      const pairs = Array.from({ length: 2 + r.below(3) }, () => {
        const key = `${me}:${r.below(OWN_KEYS)}`;
        return [key, valueFor(key)];
      });
      if (r.next() < 0.5) await dict.setMany(pairs);
      else await dict.update(pairs);
      did(`setMany ${pairs.map(([key, value]) => `${key}=${value.s}`).join(' ')}`);
      for (const [key, value] of pairs) own.set(key, { value, born: own.get(key)?.born ?? round });
      for (const [key] of pairs) await checkOwn(key);
    } else if (choice < 45) {
      const key = `${me}:${r.below(OWN_KEYS)}`;
      did(`delete ${key}`);
      check(await dict.delete(key) === own.has(key), `delete(${key}) answered ${!own.has(key)}`);
      own.delete(key);
      await checkOwn(key);
    } else if (choice < 49) {
      const key = `${me}:${r.below(OWN_KEYS)}`;
      const got = await dict.pop(key, undefined);
      did(`pop ${key}`);
      check(same(got, own.get(key)?.value), `pop(${key}) gave ${JSON.stringify(got)}, expected ${JSON.stringify(own.get(key)?.value)}`);
      own.delete(key);
      await checkOwn(key);
    } else if (choice < 52) {
      const key = `${me}:${r.below(OWN_KEYS)}`;
      const value = valueFor(key);
      const got = await dict.setDefault(key, value);
      did(`setDefault ${key}=${value.s}`);
      if (!own.has(key)) own.set(key, { value, born: round });
      check(same(got, own.get(key).value), `setDefault(${key}) gave ${JSON.stringify(got)}`);
      await checkOwn(key);
    } else if (choice < 62) {
      const key = `s:${r.below(SHARED_KEYS)}`;
      const value = valueFor(key);
      await dict.set(key, value);
      did(`set ${key}=${value.s}`);
      sharedWritten.push(value);
      sharedLast[key] = value;
    } else if (choice < 67) {
      const key = `s:${r.below(SHARED_KEYS)}`;
      await dict.delete(key);
      did(`delete ${key}`);
      seq++;
      sharedLast[key] = null;
    } else if (choice < 72) {
      const key = `s:${r.below(SHARED_KEYS)}`;
      const got = await dict.pop(key, undefined);
      did(`pop ${key}`);
      seq++;
      if (got !== undefined) {
        check(got && got.k === key, `pop(${key}) gave ${JSON.stringify(got)}, written for another key`);
        taken.push(got);
      }
      sharedLast[key] = null;
    } else if (choice < 88) {
      const owner = others[r.below(others.length)];
      await readOther(r.next() < 0.6 ? `${owner}:${r.below(OWN_KEYS)}` : `s:${r.below(SHARED_KEYS)}`, sharedSeen);
    } else if (choice < 93) {
      await checkOwn(`${me}:${r.below(OWN_KEYS)}`);
    } else if (choice < 97) {
      await ownOrder();
    } else if (choice < 98) {
      await dict.refresh();
      did('refresh');
    } else {
      // A handle opened anew finds the store from the index cache and the journal's tail.
      await dict.close();
      dict = open();
      await ownOrder();
    }
  }
  await ownOrder();
  return {
    own: [...own].map(([key, { value, born }]) => [key, value, born]),
    sharedLast,
    sharedWritten,
    sharedSeen,
    taken,
  };
}

async function view() {
  const entries = await listed(dict.entries());
  check((await dict.size) === entries.length, `size is ${await dict.size}, entries() lists ${entries.length}`);
  return { entries, recent };
}

async function drain({ last }) {
  did(`drain (last ${last})`);
  return { took: await takeAll(() => dict.popItem({ last }), KeyError) };
}

await serve(async (command) => {
  if (command.round !== undefined) round = command.round;
  if (command.cmd === 'round') return runRound(command);
  if (command.cmd === 'view') return view();
  if (command.cmd === 'drain') return drain(command);
  if (command.cmd === 'clear') {
    did('clear');
    await dict.clear();
    return {};
  }
  if (command.cmd === 'forget') return (own.clear(), {});
  throw new Error(`unknown command ${command.cmd}`);
}, (e) => `${me}, round ${round}, op ${seq}: ${e.stack}`);
await dict.close();
