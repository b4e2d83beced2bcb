// Races between handles on one key, made deterministic: a host wrapper runs the other handle's
// whole call at the chosen moment of this one's (FORMAT.md 7.4, the rival entries of the journal).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import fs, { readdirSync, linkSync, mkdirSync, appendFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { IODict, DurableQueue, nodeHost, Errno, OpenFlags } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { journalEntry, JOURNAL, readRecord } from './support/format-reader.mjs';
import { runCli } from './support/cli.mjs';

const nameOf = (key) => createHash('sha3-224').update(key).digest('hex');

/**
 * `base` that runs `action` once, before (or after) its first call of `method` (a name, or names
 * sharing the one action) whose arguments `match`: by default, any that names `key`'s record.
 */
function hookedHost(method, key, action, { after = false, base = nodeHost(), match = (args) => args.some((a) => typeof a === 'string' && a.endsWith(`/${nameOf(key)}`)) } = {}) {
  const host = Object.create(base);
  let armed = true;
  for (const name of [method].flat()) {
    host[name] = (...args) => {
      const hit = armed && match(args);
      if (hit) armed = false;
      if (hit && !after) action();
      const result = base[name](...args);
      if (hit && after) action();
      return result;
    };
  }
  return host;
}

/** A handle with its index loaded before the race: it follows the race through the journal alone. */
function watching(path) {
  const handle = new IODict(path);
  assert.is(handle.size, 2);
  return handle;
}

/**
 * A store holding k and j (set by `other`), an `observer` following it, and a `writer` whose host
 * (on `base`) runs `action(other)` at its first `move` of k's record.
 */
function raceOnK(move, base, action, options = {}) {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1).set('j', 1);
  const observer = watching(path);
  const writer = new IODict(path, { ...options, host: hookedHost(move, 'k', () => action(other), { base }) });
  return { path, other, observer, writer, handles: [writer, other, observer] };
}

/** What every handle and a fresh one agree the store holds, in order. */
function agreed(path, ...handles) {
  const fresh = new IODict(path);
  const expected = [...fresh.entries()];
  fresh.close();
  for (const handle of handles) assert.is(handle.size, expected.length, 'size agrees');
  for (const handle of handles) assert.equal([...handle.entries()], expected, 'a live handle agrees with a fresh one');
  return expected;
}

/** The changes a watch hears until `handle` sets 'end' (set now), as 'type key'. */
async function heardUntilEnd(handle, feed) {
  handle.set('end', 0);
  const heard = [];
  for await (const change of feed) {
    if (change.key === 'end') break;
    heard.push(`${change.type} ${change.key}`);
  }
  return heard;
}

/** Every host call that moves a record into place. */
const MOVES = ['rename', 'renameIfAbsent', 'link', 'exchange'];

/** k deleted, then i set and k set again: k's place is after i. */
const remakeK = (other) => other.delete('k').valueOf() && other.set('i', 1).set('k', 3);

// An overwrite moves its record in by exchange where the host has it (the native helper), else it
// looks (stat) and renames. Each write moves its record in once (FORMAT.md 5): what the move cannot
// see leaves the key at the place the writer read, never a value put in twice.
const moves = [
  { move: 'exchange', base: () => nodeHost(), sees: true },
  { move: 'rename', base: () => nodeHost({ native: false }), sees: false },
];

for (const { move, base, sees } of moves) {
  for (const loaded of [false, true]) {
    test(`an overwrite whose key is deleted between reading its place and its ${move} is ${sees ? 'a new key, at the end' : 'at the place it read'} (index ${loaded ? 'loaded' : 'not loaded'})`, () => {
      const { path, writer, handles } = raceOnK(move, base(), (other) => other.delete('k'));
      if (loaded) assert.is(writer.size, 2);
      writer.set('k', 2);
      assert.equal(agreed(path, ...handles), sees ? [['j', 1], ['k', 2]] : [['k', 2], ['j', 1]]);
      for (const handle of handles) handle.close();
    });
  }

  test(`an overwrite whose key is deleted and made again before its ${move} replaces that record, at the place it read`, () => {
    const { path, writer, handles } = raceOnK(move, base(), remakeK);
    assert.is(writer.size, 2, 'its index holds k at its first place');
    writer.set('k', 2);
    assert.equal(agreed(path, ...handles), [['k', 2], ['j', 1], ['i', 1]]);
    for (const handle of handles) handle.close();
  });
}

// Not a race: the other handle's calls all returned before the overwrite began. The index held k
// at its old place; the overwrite reads the journal before it takes the birth from there.
for (const { move, base } of moves) {
  for (const batch of [false, true]) {
    test(`an overwrite${batch ? ' in a batch' : ''} by a handle that has not looked since its key was deleted and made again keeps the new record's place (${move})`, () => {
      const path = seeded();
      const writer = new IODict(path, { host: base() });
      assert.is(writer.size, 2, 'its index holds k at its first place');
      remakeK(new IODict(path)).close();
      if (batch) writer.setMany([['k', 2], ['h', 2]]);
      else writer.set('k', 2);
      assert.equal(agreed(path, writer).map(([key]) => key), ['j', 'i', 'k', ...(batch ? ['h'] : [])]);
      writer.close();
    });
  }
}

for (const [{ move, base, sees }, durability] of moves.flatMap((m) => [[m, 'none'], [m, 'fsync']])) {
  test(`a batch item whose key is taken before its ${move} is ${sees ? 'written again as a new key, at the end' : 'at the place it read'} (durability ${durability})`, () => {
    const { path, writer, handles } = raceOnK(move, base(), (other) => assert.is(other.pop('k'), 1), { durability });
    assert.is(writer.size, 2, 'its index holds k at its first place');
    writer.setMany([['i', 2], ['k', 2], ['h', 2]]);
    // k's new stamp is taken as it lands, after every stamp the batch chose before its renames.
    assert.equal(agreed(path, ...handles), sees ? [['j', 1], ['i', 2], ['h', 2], ['k', 2]] : [['k', 2], ['j', 1], ['i', 2], ['h', 2]]);
    assert.equal(readdirSync(`${path}/.iodict/tmp`), [], 'no temp file left');
    for (const handle of handles) handle.close();
  });
}

// A batch reads the journal once per group of 32 items, after their renames: what it says about an
// item's key is applied to that item as a set's own read is (the item read back from disk).
for (const { move, base, sees } of moves) {
  for (const [size, at] of [[3, 1], [100, 70]]) { // item 71: in the third group
    const batch = () => Array.from({ length: size }, (_, i) => [i === at ? 'k' : `b${i}`, 2]);
    const batchKeys = batch().map(([key]) => key).filter((key) => key !== 'k');

    test(`a batch item (${at + 1} of ${size}) whose key is deleted before its ${move} is ${sees ? 'a new key, at the end' : 'at the place it read'}`, () => {
      const { path, writer, handles } = raceOnK(move, base(), (other) => assert.ok(other.delete('k')));
      assert.is(writer.size, 2, 'its index holds k at its first place');
      writer.setMany(batch());
      assert.equal(agreed(path, ...handles).map(([key]) => key), sees ? ['j', ...batchKeys, 'k'] : ['k', 'j', ...batchKeys]);
      assert.equal(readdirSync(`${path}/.iodict/tmp`), [], 'no temp file left');
      for (const handle of handles) handle.close();
    });

    test(`a batch item (${at + 1} of ${size}) whose key is deleted and made again before its ${move} replaces that record, at the place it read`, () => {
      const { path, writer, handles } = raceOnK(move, base(), remakeK);
      assert.is(writer.size, 2, 'its index holds k at its first place');
      writer.setMany(batch());
      const agreedKeys = agreed(path, ...handles);
      assert.equal(agreedKeys.map(([key]) => key), ['k', 'j', ...batchKeys, 'i']);
      assert.equal(agreedKeys[0], ['k', 2], 'the batch wrote last');
      for (const handle of handles) handle.close();
    });
  }
}

// FORMAT.md 5: exchange replaces only a record that is there, so an overwrite never keeps the old
// place of a key taken after it read that place; without exchange, a take between the overwrite's
// look and its rename leaves the overwrite at that old place. Either way the taker has the old
// value and the key holds the new one: nothing is lost or delivered twice.
for (const { move, base, sees } of moves) {
  test(`an overwrite of a key whose take finished just before its ${move}: ${sees ? 'a new key at the end' : 'at the place it read'}`, () => {
    const { path, writer, handles } = raceOnK(move, base(), (other) => assert.is(other.pop('k'), 1));
    assert.is(writer.size, 2, 'its index holds k at its first place');
    writer.set('k', 2);
    assert.equal(agreed(path, ...handles), sees ? [['j', 1], ['k', 2]] : [['k', 2], ['j', 1]]);
    assert.equal(readdirSync(`${path}/.iodict/tmp`), [], 'no temp file left');
    for (const handle of handles) handle.close();
  });

  test(`an overwrite run whole between a take's claim and its journal entry (${move}): a new key at the end, nothing lost`, () => {
    const path = seeded();
    const writer = new IODict(path, { host: base() });
    assert.is(writer.size, 2, 'its index holds k at its first place');
    let overwritten = false;
    const takerHost = hookedHost('rename', 'k', () => {
      overwritten = true;
      writer.set('k', 2);
    }, { after: true, base: base() });
    const taker = new IODict(path, { host: takerHost });
    assert.equal(taker.popItem(), ['k', 1]);
    assert.ok(overwritten, 'the overwrite ran after the claim');
    const observer = new IODict(path);
    assert.equal(agreed(path, writer, taker, observer), [['j', 1], ['k', 2]]);
    for (const handle of [writer, taker, observer]) handle.close();
  });
}

test('without exchange: other hard links to a record (a cp -al snapshot) leave an overwrite at its place', () => {
  const path = seeded();
  const snapshot = storePath();
  mkdirSync(snapshot);
  linkSync(`${path}/${nameOf('k')}`, `${snapshot}/k-record`);
  const writer = new IODict(path, { host: nodeHost({ native: false }) });
  assert.is(writer.size, 2);
  writer.set('k', 2);
  const observer = new IODict(path);
  assert.equal(agreed(path, writer, observer), [['k', 2], ['j', 1]]);
  assert.equal(readdirSync(`${path}/.iodict/tmp`), [], 'no temp file left');
  for (const handle of [writer, observer]) handle.close();
});

test('without renameIfAbsent or hard links (link answers ENOTSUP): new keys are renamed in, and the handle asks for a link once', () => {
  const path = seeded();
  const base = nodeHost({ native: false });
  const host = Object.create(base);
  let links = 0;
  host.link = () => (links++, -Errno.ENOTSUP);
  const writer = new IODict(path, { host });
  for (const key of ['a', 'b', 'c']) writer.set(key, 2);
  writer.set('k', 4);
  assert.is(links, 1);
  assert.equal(agreed(path, writer), [['k', 4], ['j', 1], ['a', 2], ['b', 2], ['c', 2]]);
  assert.equal(readdirSync(`${path}/.iodict/tmp`), [], 'no temp file left');
  writer.close();
});

test('queue items are renamed in, with the native helper or without: their keys are written once, so no move needs a condition', () => {
  for (const native of [true, false]) {
    const base = nodeHost({ native });
    const host = Object.create(base);
    const moves = [];
    for (const move of ['rename', 'renameIfAbsent', 'link', 'exchange']) {
      // Moves of records: from tmp/ to the store's root (control files move within .iodict/).
      if (typeof base[move] === 'function') host[move] = (from, to, ...rest) => (from.includes('/.iodict/tmp/') && !to.includes('/.iodict/') && moves.push(move), base[move](from, to, ...rest));
    }
    const queue = new DurableQueue(storePath(), { host });
    queue.putNowait('one');
    queue.putMany(['two', 'three']);
    assert.equal(moves, ['rename', 'rename', 'rename'], native ? 'native' : 'no-native');
    assert.equal([queue.getNowait(), queue.getNowait(), queue.getNowait()], ['one', 'two', 'three']);
    queue.close();
  }
});

/**
 * A thread of test/workers/ that stops at its pauses (workers/pauses.mjs): `goOn(n)` lets pause n
 * go and waits for the next (or the end, `DONE`); the thread has reached its first pause on return.
 */
function pausedThread(script, workerData) {
  const shared = new SharedArrayBuffer(8);
  const flags = new Int32Array(shared);
  const DONE = 100; // what the thread stores once its work returned
  const worker = new Worker(new URL(`./workers/${script}`, import.meta.url), { workerData: { ...workerData, shared, done: DONE } });
  const exited = new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', resolve);
  });
  const reached = () => Atomics.load(flags, 0);
  const waitPast = (n) => {
    for (let seen = reached(); seen <= n; seen = reached()) assert.not.equal(Atomics.wait(flags, 0, seen, 30_000), 'timed-out', 'the thread stalled');
  };
  const goOn = (n) => {
    Atomics.store(flags, 1, n);
    Atomics.notify(flags, 1);
    waitPast(n);
  };
  waitPast(0);
  // A failed test leaves the thread waiting at a pause: stop it, or the run would never end.
  const stop = () => worker.terminate();
  return { reached, goOn, exited, stop, DONE };
}

/** k and j, set and closed: a store for a writer thread and a taker to race on. */
function seeded() {
  const path = storePath();
  const seed = new IODict(path);
  seed.set('k', 1).set('j', 1);
  seed.close();
  return path;
}

test('a delete whose key is set again between its unlink and its journal entry leaves no key the journal hides', () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1).set('j', 1);
  const observer = watching(path);
  const deleter = new IODict(path, { host: hookedHost('unlink', 'k', () => other.set('k', 2), { after: true }) });
  assert.is(deleter.size, 2);
  assert.ok(deleter.delete('k'));
  // The set came in during the delete: ordered before it, so the key is gone, for everyone.
  assert.equal(agreed(path, deleter, other, observer), [['j', 1]]);
  assert.is(other.get('k'), undefined);
  for (const handle of [deleter, other, observer]) handle.close();
});

test('a new key taken by another handle, which then makes another key, before the setter reads the journal: keys() names each item by its own key, and a watch hears n go after its set', async () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1);
  const feed = other.watch();
  // Right after n's record moves in, before the read after n's journal entry: n goes and m is
  // made, in the slot n had in the setter's index.
  const setter = new IODict(path, { host: hookedHost(MOVES, 'n', () => other.delete('n') && other.set('m', 2), { after: true }) });
  assert.is(setter.size, 1);
  setter.set('n', 1);
  assert.equal([...setter.keys()], ['k', 'm']);
  assert.equal(agreed(path, setter, other), [['k', 1], ['m', 2]]);
  // The delete's entry came before the set's, though it removed the set's record: the setter
  // says so with a DELETE after its SET, so replaying the feed leaves what the store holds.
  assert.equal(await heardUntilEnd(other, feed), ['delete n', 'set m', 'set n', 'delete n']);
  for (const handle of [setter, other]) handle.close();
});

test('the DELETE a setter appends after its SET, whose record another handle removed first, names its key: a watch that forgot the key meanwhile still hears it by name', async () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1);
  const feed = other.watch();
  const third = new IODict(path);
  // Right after n's move, n goes (its DELETE is journaled before the setter's SET); between the
  // setter's look at n's record and its own DELETE, n is made and deleted again, and the watch
  // forgets the key at that delete.
  const hooked = hookedHost(MOVES, 'n', () => other.delete('n'), { after: true });
  const host = Object.create(hooked);
  let between = true;
  host.stat = (file, out) => {
    const r = hooked.stat(file, out);
    if (between && r === -Errno.ENOENT && file.endsWith(`/${nameOf('n')}`)) {
      between = false;
      third.set('n', 2);
      third.delete('n');
    }
    return r;
  };
  const setter = new IODict(path, { host });
  assert.is(setter.size, 1);
  setter.set('n', 1);
  assert.is(between, false, 'the setter looked at n\'s record');
  assert.equal(await heardUntilEnd(other, feed), ['delete n', 'set n', 'set n', 'delete n', 'delete n']);
  for (const handle of [setter, third, other]) handle.close();
});

test('clear() journals each key it removes by name: a watch hears a key another handle deleted under it by name twice, not once by name and once as undefined', async () => {
  const path = storePath();
  const other = new IODict(path);
  // Right before the clearer's unlink of a, another handle deletes a: the clearer's DELETE of a
  // comes second, when the watch no longer knows the key.
  const clearer = new IODict(path, { host: hookedHost('unlink', 'a', () => other.delete('a')) });
  clearer.set('a', 1).set('b', 2);
  const feed = other.watch();
  clearer.clear();
  assert.equal((await heardUntilEnd(clearer, feed)).sort(), ['delete a', 'delete a', 'delete b']);
  for (const handle of [clearer, other]) handle.close();
});

test('a set whose entry lands past a seal, whose record a delete in the successor removed: its entry written again there is followed by a DELETE', async () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1);
  const feed = other.watch();
  const started = feed.next();
  other.set('start', 0);
  assert.is((await started).value.key, 'start');
  // Its set rotates the journal (one rotation, which a watch follows): the seal lands before
  // the setter's entry, and the delete in the successor.
  const rotator = new IODict(path, { rotateAfter: 1 });
  assert.is(rotator.size, 2); // a handle rotates once its index is loaded
  const setter = new IODict(path, { host: hookedHost(MOVES, 'n', () => rotator.set('x', 1) && other.delete('n'), { after: true }) });
  assert.is(setter.size, 2);
  setter.set('n', 1);
  assert.equal(agreed(path, setter, other), [['k', 1], ['start', 0], ['x', 1]]);
  assert.equal(await heardUntilEnd(other, feed), ['set x', 'delete n', 'set n', 'delete n']);
  for (const handle of [setter, rotator, other]) handle.close();
});

test('a pop whose key is set again after its claim, journaled first, announces that record again with its key: a watch names it though it is gone when read', async () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1);
  const feed = other.watch();
  const popper = new IODict(path, { host: hookedHost('rename', 'k', () => other.set('k', 2), { after: true }) });
  assert.is(popper.pop('k'), 1);
  other.delete('k');
  assert.equal(await heardUntilEnd(other, feed), ['set k', 'delete k', 'set k', 'delete k']);
  for (const handle of [popper, other]) handle.close();
});

test('a pop whose key is set again after its claim, journaled first, leaves the new record listed', () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1).set('j', 1);
  const observer = watching(path);
  const popper = new IODict(path, { host: hookedHost('rename', 'k', () => other.set('k', 2), { after: true }) });
  assert.equal(popper.popItem(), ['k', 1]);
  // The set came after the take: a new key, listed by every handle.
  assert.equal(agreed(path, popper, other, observer), [['j', 1], ['k', 2]]);
  for (const handle of [popper, other, observer]) handle.close();
});

// A pop picks the oldest by its index, then claims by name: a key taken and made again between
// the two (born later) is another item under the same name, younger than others.
for (const { move, base } of moves) {
  for (const last of [false, true]) {
    test(`a ${last ? 'youngest-first ' : ''}pop whose key was taken and made again after it picked it puts that record back and takes the right item (${move})`, () => {
      const path = storePath();
      const other = new IODict(path);
      if (last) other.set('j', 1).set('k', 1);
      else other.set('k', 1).set('j', 1);
      const observer = watching(path);
      // Between the pick and the claim: k taken, and set again before (last: after) the others.
      const remake = () => {
        assert.equal(other.pop('k'), 1);
        if (last) {
          other.delete('j');
          other.set('k', 2).set('j', 2);
        } else {
          other.set('k', 2);
        }
      };
      const popper = new IODict(path, { host: hookedHost('rename', 'k', remake, { base: base() }) });
      assert.is(popper.size, 2, 'its index holds k at its first place');
      assert.equal(popper.popItem({ last }), ['j', last ? 2 : 1], 'the item its place in line names now');
      assert.equal(agreed(path, popper, other, observer), [['k', 2]]);
      assert.equal(readdirSync(`${path}/.iodict/claimed`), [], 'nothing left claimed');
      for (const handle of [popper, other, observer]) handle.close();
    });
  }
}

/**
 * A node host whose opens of k's claimed file fail (EIO), so a take of k moves it back, and which
 * runs `action` once: just before that move (renameIfAbsent, or rename on a host without it), or
 * with `atOpen` at the first failing open, before the put-back reads anything.
 */
function failingClaimHost(action, { atOpen = false } = {}) {
  const base = nodeHost();
  const claimed = `/.iodict/claimed/${nameOf('k')}.`;
  const moveHook = atOpen ? () => {} : action;
  const host = hookedHost(['rename', 'renameIfAbsent'], 'k', moveHook, { base, match: ([from, to]) => from.includes(claimed) && to.endsWith(`/${nameOf('k')}`) });
  let openHook = atOpen ? action : () => {};
  host.open = (path, ...rest) => {
    if (!path.includes(claimed)) return base.open(path, ...rest);
    openHook();
    openHook = () => {};
    return -5;
  };
  return host;
}

test('a take that fails puts its record back only where no set made the key again meanwhile: the set stands', () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1).set('j', 1);
  const observer = watching(path);
  let setDuring = false;
  const popper = new IODict(path, { host: failingClaimHost(() => { other.set('k', 2); setDuring = true; }) });
  assert.throws(() => popper.pop('k'), (error) => error.code === 'EIO');
  assert.ok(setDuring, 'the set ran between the failed read and the put-back');
  // The set's value stands. It found k claimed (absent), so it made the key new: at the end.
  assert.is(other.get('k'), 2);
  assert.is(popper.get('k'), 2);
  assert.equal(agreed(path, popper, other, observer), [['j', 1], ['k', 2]]);
  assert.equal(readdirSync(`${path}/.iodict/claimed`), [], 'the claimed record is gone');
  for (const handle of [popper, other, observer]) handle.close();
});

test('a take that fails does not bring its value back when the key was set and taken again meanwhile', () => {
  const path = storePath();
  const other = new IODict(path);
  other.set('k', 1).set('j', 1);
  const observer = watching(path);
  // k's claimed file fails to open: the take puts it back. The set and the pop run at that open.
  let during = false;
  const setAndPop = () => {
    other.set('k', 2);
    assert.is(other.pop('k'), 2);
    during = true;
  };
  const popper = new IODict(path, { host: failingClaimHost(setAndPop, { atOpen: true }) });
  assert.throws(() => popper.pop('k'), (error) => error.code === 'EIO');
  assert.ok(during, 'the set and the pop ran between the claim and the put-back');
  // The set replaced the claimed value, and its own value was taken: no k, for everyone.
  assert.equal(agreed(path, popper, other, observer), [['j', 1]]);
  assert.is(popper.get('k'), undefined);
  assert.equal(readdirSync(`${path}/.iodict/claimed`), [], 'the claimed record is gone');
  for (const handle of [popper, other, observer]) handle.close();
});

/**
 * `first` and `second` append to one journal: a watch of `first` resumed from its position after
 * `first`'s set of k1 hears `second`'s set of k2 next.
 */
async function appendToOneJournal(first, second, k1, k2) {
  const start = first.watch();
  first.set(k1, 1);
  const { position } = (await start.next()).value;
  await start.return();
  second.set(k2, 1);
  const resumed = first.watch({ since: position });
  assert.equal((await resumed.next()).value.key, k2, 'the second handle appends to the same journal');
  await resumed.return();
}

test('two handles creating one store at once both use the journal that landed first: the other\'s is never renamed over', async () => {
  const path = storePath();
  const journal = `${path}/.iodict/changes`;
  let first;
  let inode;
  // The second handle's fresh journal waits in its temp file while the first creates the store
  // whole, writes, and a watch of its own takes a position in that journal.
  const host = hookedHost(['renameIfAbsent', 'link', 'rename'], null, () => {
    first = new IODict(path);
    first.set('a', 1);
    inode = fs.statSync(journal).ino;
  }, { match: (args) => args[1] === journal });
  const second = new IODict(path, { host });
  assert.ok(first, 'the first handle created the store meanwhile');
  assert.is(fs.statSync(journal).ino, inode, 'the first handle\'s journal is still the one in place');
  await appendToOneJournal(first, second, 'b', 'c');
  assert.equal([...second.keys()], ['a', 'b', 'c']);
  first.close();
  second.close();
});

test('two handles that find the journal damaged at once: the second opens the first\'s replacement instead of renaming its own over it', async () => {
  const path = storePath();
  new IODict(path).set('a', 1).close();
  const journal = `${path}/.iodict/changes`;
  fs.truncateSync(journal, 0); // what a crash can leave where the file system delays allocation
  let first;
  let inode;
  // The second handle has opened the damaged journal; before it reads it, the first handle finds
  // the damage too, replaces the journal, writes, and a watch of its own takes a position in it.
  const host = hookedHost('open', null, () => {
    first = new IODict(path);
    first.set('b', 2);
    inode = fs.statSync(journal).ino;
  }, { after: true, match: (args) => args[0] === journal });
  const second = new IODict(path, { host });
  assert.ok(first, 'the first handle replaced the journal meanwhile');
  assert.is(fs.statSync(journal).ino, inode, 'the first handle\'s replacement is still the one in place');
  await appendToOneJournal(first, second, 'c', 'd');
  assert.equal([...second.keys()], ['a', 'b', 'c', 'd']);
  first.close();
  second.close();
});

for (const native of [true, false]) {
  test(`a handle that finds the journal damaged while another holds the store lock waits, and opens the replacement made meanwhile (${native ? 'flock' : 'the lock file'})`, () => {
    const path = storePath();
    const holder = new IODict(path, { host: nodeHost({ native }) });
    holder.set('a', 1);
    const journal = `${path}/.iodict/changes`;
    const replacement = `${path}/.iodict/tmp/replacement`;
    fs.copyFileSync(journal, replacement);
    const inode = fs.statSync(replacement).ino;
    fs.truncateSync(journal, 0);
    let waits = 0;
    // Each wait of the second handle for the lock: at the first, another handle's replacement lands.
    const host = Object.create(nodeHost({ native }));
    host.sleep = (ms) => {
      if (waits++ === 0) fs.renameSync(replacement, journal);
      nodeHost({ native }).sleep(ms);
    };
    const second = holder.transact(() => new IODict(path, { host }));
    assert.is(waits, 1, 'it waited once for the lock, then found the journal whole');
    assert.is(fs.statSync(journal).ino, inode, 'the replacement made meanwhile is the one in place');
    second.set('b', 2);
    assert.equal([...holder.keys()], ['a', 'b']);
    holder.close();
    second.close();
  });
}

/** Appends a RESCAN entry (FORMAT.md 8.1), as a handle that found a crash does: every handle lists the directory. */
const appendRescan = (path) => appendFileSync(`${path}/.iodict/changes`, journalEntry(JOURNAL.RESCAN));

test('a listing that missed an item put while it ran does not hand out a later one first: the journal is read again after it', () => {
  const path = storePath();
  const producer = new DurableQueue(path);
  producer.putNowait('before');
  // readdir(3) need not return a name added while it runs, and may return one added after it: the
  // consumer's listing sees the producer's second put, not its first.
  const base = nodeHost();
  const host = Object.create(base);
  let armed = false;
  host.readdir = (dir) => {
    const names = base.readdir(dir);
    if (!armed || typeof names === 'number' || !names.includes('.iodict')) return names; // the store's own listing
    armed = false;
    producer.putNowait('first');
    const withFirst = new Set(base.readdir(dir));
    producer.putNowait('second');
    const second = base.readdir(dir).filter((n) => !withFirst.has(n));
    assert.is(second.length, 1);
    return [...names, ...second];
  };
  const consumer = new DurableQueue(path, { host });
  assert.is(consumer.getNowait(), 'before'); // its index is loaded
  armed = true;
  appendRescan(path);
  assert.is(consumer.getNowait(), 'first', 'the older item first');
  assert.not.ok(armed, 'the listing ran');
  assert.is(consumer.getNowait(), 'second');
  consumer.close();
  producer.close();
});

test('a relist overtaken by rotations in every round still hands out a producer\'s items in order: its last listing and read hold the store lock', () => {
  const path = storePath();
  const producer = new DurableQueue(path);
  producer.putNowait('before');
  /** A rotation by another process (iodict compact): false when a handle holds the store lock. */
  const rotated = () => {
    const { code, stdout } = runCli(['compact', '--json', path]);
    assert.is(code, 0, stdout);
    return JSON.parse(stdout).compacted;
  };
  const base = nodeHost();
  const host = Object.create(base);
  let rounds = -1; // from 0 while armed: the listings of one relist
  const rotations = [];
  host.readdir = (dir) => {
    const names = base.readdir(dir);
    if (rounds < 0 || typeof names === 'number' || !names.includes('.iodict')) return names; // the store's own listing
    const round = rounds++;
    if (round < 3) {
      // Two rotations after the listing: the read after it skips the journal between them.
      rotations.push(rotated(), rotated());
      return names;
    }
    rounds = -1;
    // The last round: readdir(3) need not return a name added while it runs, and may return one
    // added after it, so this listing misses 'first' and sees 'second'. Had a rotation come
    // before each put, the read after it would skip the journal holding 'first's entry.
    rotations.push(rotated());
    const withoutFirst = new Set(base.readdir(dir));
    producer.putNowait('first');
    rotations.push(rotated());
    const withFirst = new Set(base.readdir(dir));
    producer.putNowait('second');
    const second = base.readdir(dir).filter((name) => !withFirst.has(name));
    assert.is(second.length, 1);
    assert.equal([...withoutFirst].filter((name) => !names.includes(name)), [], 'no other item came meanwhile');
    return [...names, ...second];
  };
  const consumer = new DurableQueue(path, { host });
  assert.is(consumer.getNowait(), 'before'); // its index is loaded
  rounds = 0;
  appendRescan(path);
  assert.is(consumer.getNowait(), 'first', 'the older item first');
  assert.equal(rotations, [true, true, true, true, true, true, false, false], 'three rounds overtaken, the fourth held the lock');
  assert.is(consumer.getNowait(), 'second');
  assert.is(consumer.qsize(), 0);
  consumer.close();
  producer.close();
});

test('a handle that opens the journal a rotator just renamed in, before its seal, lists once the old one is sealed: an item journaled there meanwhile is not lost to it', () => {
  const path = storePath();
  const producer = new DurableQueue(path); // holds the journal about to be rotated away
  producer.putNowait('before');
  let consumer;
  const rotator = new DurableQueue(path, {
    rotateAfter: 1,
    host: hookedHost(MOVES, '', () => {
      // Between the rename and the seal: a handle opens the new journal and counts, listing the
      // store (no cache names that journal yet); the producer, which has not noticed the rename,
      // then puts, journaling its item in the old journal before the seal. The consumer cannot
      // see the seal from this stack, so it waits its lease out and lists unsure.
      consumer = new DurableQueue(path, { lease: 50 });
      producer.putNowait('late');
    }, { after: true, match: (args) => String(args[1]).endsWith('/.iodict/changes') }),
  });
  assert.is(rotator.qsize(), 1); // its index is loaded: its next put rotates
  rotator.putNowait('x');
  assert.ok(consumer, 'the rotation renamed a journal in');
  assert.is(consumer.qsize(), 3, 'the listing is made again once the old journal is sealed');
  const fresh = new DurableQueue(path);
  assert.is(fresh.qsize(), 3, 'the index cache holds the item too');
  assert.equal([consumer.getNowait(), consumer.getNowait(), consumer.getNowait()], ['before', 'x', 'late']);
  for (const handle of [fresh, consumer, rotator, producer]) handle.close();
});

test('a handle that opens the journal a rotator in another thread just renamed in waits for the old one\'s seal before it lists: an item journaled there meanwhile is in its one listing', () => {
  const path = storePath();
  const producer = new DurableQueue(path); // holds the journal about to be rotated away
  producer.putNowait('before');
  const rotator = pausedThread('paused-rotator.mjs', { path });
  try {
    // The rotator holds the store lock between its rename and its seal. While the consumer waits
    // for the seal, the producer (which has not noticed the rename) journals an item in the old
    // journal, and the rotator goes on to its seal and lets the lock go.
    const base = nodeHost();
    const host = Object.create(base);
    let listings = 0;
    let putWhileWaiting = false;
    host.sleep = (ms) => {
      if (!putWhileWaiting) {
        putWhileWaiting = true;
        producer.putNowait('late');
        rotator.goOn(1);
      }
      return base.sleep(ms);
    };
    host.readdir = (dir) => {
      if (dir === path) listings++;
      return base.readdir(dir);
    };
    const consumer = new DurableQueue(path, { host }); // counts at open: it lists (no cache names the new journal)
    const waited = putWhileWaiting;
    if (!waited) {
      // It listed at once, inside the window: the same put and seal come after its listing.
      producer.putNowait('late');
      rotator.goOn(1);
    }
    assert.is(rotator.reached(), rotator.DONE);
    assert.is(consumer.qsize(), 3);
    assert.ok(waited, 'the consumer waited for the seal');
    assert.is(listings, 1, 'one listing, after the seal');
    assert.equal([consumer.getNowait(), consumer.getNowait(), consumer.getNowait()], ['before', 'x', 'late']);
    consumer.close();
  } finally {
    rotator.stop();
  }
  producer.close();
});

/**
 * A store whose writer holds the journal about to be rotated away; `set(key)` sets through it,
 * and once `started()` was called (a watch returned) lists the change among those the watch must hear.
 */
function writerBeforeRotation() {
  const path = storePath();
  const writer = new IODict(path);
  writer.set('before', 0);
  const madeAfterStart = [];
  let started = false;
  const set = (key) => {
    writer.set(key, 1);
    if (started) madeAfterStart.push(`set ${key}`);
  };
  return { path, writer, set, madeAfterStart, started: () => (started = true) };
}

/**
 * A handle on `path` whose next set rotates the journal, running `inWindow` right after the
 * rotation renamed the new journal in, before the old one's seal (on `base`, a host).
 */
function rotatorWithWindow(path, inWindow, base = nodeHost()) {
  const rotator = new IODict(path, {
    rotateAfter: 1,
    host: hookedHost(MOVES, '', inWindow, { after: true, base, match: (args) => String(args[1]).endsWith('/.iodict/changes') }),
  });
  assert.ok(rotator.size >= 1); // its index is loaded: its next set rotates
  return rotator;
}

/** A host whose append of a PREDECESSOR_SEALED entry fails, as a rotator's crash right after its seal loses it. */
function losingPredecessorSealed() {
  const plain = nodeHost();
  const host = Object.create(plain);
  host.write = (fd, bytes, at) => (bytes.length === 64 && bytes[4] === JOURNAL.PREDECESSOR_SEALED ? -Errno.EIO : plain.write(fd, bytes, at));
  return host;
}

test('a watch started on the journal a rotator just renamed in, before its seal, hears every change made after watch() returned: what the old journal takes meanwhile comes before its start', async () => {
  const { path, writer, set, madeAfterStart, started } = writerBeforeRotation();
  // The watcher waits for the seal, which this stack holds back: while it waits, the writer (which
  // has not noticed the rename) journals a change in the old journal, once.
  const base = nodeHost();
  const waiting = Object.create(base);
  let setWhileWaiting = false;
  waiting.sleep = (ms) => {
    if (!setWhileWaiting) {
      setWhileWaiting = true;
      set('meanwhile');
    }
    return base.sleep(ms);
  };
  let watcher;
  let feed;
  const rotator = rotatorWithWindow(path, () => {
    watcher = new IODict(path, { host: waiting, lease: 50 });
    feed = watcher.watch();
    started();
    if (!setWhileWaiting) set('late'); // a watch that did not wait: its start is already behind it
  });
  rotator.set('x', 1);
  assert.ok(feed, 'the rotation renamed a journal in');
  set('after');
  const heard = await heardUntilEnd(writer, feed);
  assert.equal(heard, madeAfterStart);
  assert.ok(setWhileWaiting, 'the watch waited for the seal');
  for (const handle of [watcher, rotator, writer]) handle.close();
});

// Between a rotator's rename and its seal, a new handle changes k in the new journal, then the
// writer, which has not noticed the rename, changes it back in the old one: journal order says the
// opposite of what happened.
const crossedChanges = [
  { first: 'a set', then: 'a delete', before: [], window: (writer, other) => { other.set('k', 1); assert.ok(writer.delete('k')); }, heardLast: 'delete k' },
  { first: 'a delete', then: 'a set', before: ['k'], window: (writer, other) => { assert.ok(other.delete('k')); writer.set('k', 2); }, heardLast: 'set k' },
];

for (const { first, then, before, window, heardLast } of crossedChanges) {
  for (const marked of [true, false]) {
    test(`a watch that follows a seal looks at the keys the successor named before ${marked ? 'its PREDECESSOR_SEALED entry' : 'it moved there, where that entry was lost'}: ${then} journaled in the old journal after ${first} journaled in the new one is heard last`, async () => {
      const { path, writer } = writerBeforeRotation(); // its handle holds the journal about to be rotated away
      for (const key of before) writer.set(key, 0);
      const watcher = new IODict(path);
      const feed = watcher.watch();
      const base = marked ? nodeHost() : losingPredecessorSealed();
      let other;
      const rotator = rotatorWithWindow(path, () => {
        other = new IODict(path);
        window(writer, other);
      }, base);
      rotator.set('x', 1);
      assert.ok(other, 'the rotation renamed a journal in');
      const heard = [];
      const hear = async (last) => {
        for (let change; (change = (await feed.next()).value).key !== last;) heard.push(`${change.type} ${change.key}`);
        heard.push(`set ${last}`);
      };
      // 'end' is set after the seal: without the entry, the new journal's head ends where it stood
      // when the cursor moved there, after 'end'; the key is looked at before the next change.
      writer.set('end', 0);
      await hear('end');
      writer.set('after', 0);
      await hear('after');
      await feed.return();
      const replayed = new Set(['before', ...before]);
      for (const change of heard) {
        const [type, key] = change.split(' ');
        if (type === 'set') replayed.add(key);
        else replayed.delete(key);
      }
      assert.equal([...replayed].sort(), [...writer.keys()].sort(), `replaying ${heard.join(', ')}`);
      assert.equal(heard.slice(-3), marked ? [heardLast, 'set end', 'set after'] : ['set end', heardLast, 'set after'], 'k\'s last change is heard last');
      for (const handle of [watcher, rotator, other, writer]) handle.close();
    });
  }
}

test('a watch settles the new journal\'s head before it hands out what came after it: changes of the key appended between its move and its first read come after the look', async () => {
  const { path, writer } = writerBeforeRotation();
  // The head ends where the new journal stood when the watch moved there.
  const base = losingPredecessorSealed();
  const plainWatching = nodeHost();
  const watching = Object.create(plainWatching);
  let rotated = false;
  let moved = 0;
  let afterMove;
  watching.open = (file, flags, ...rest) => {
    const fd = plainWatching.open(file, flags, ...rest);
    // The cursor's open of the new journal (read-only; nothing else of the watcher's opens it).
    if (rotated && flags === OpenFlags.READ && String(file).endsWith('/.iodict/changes') && moved++ === 0) afterMove = () => { writer.set('k', 5); writer.delete('k'); };
    return fd;
  };
  watching.fstat = (fd, out) => {
    const r = plainWatching.fstat(fd, out);
    const act = afterMove;
    afterMove = undefined;
    act?.(); // right after the size that ends the head was taken, before the cursor reads on
    return r;
  };
  const watcher = new IODict(path, { host: watching });
  const feed = watcher.watch();
  let other;
  const rotator = rotatorWithWindow(path, () => {
    other = new IODict(path);
    other.set('k', 1);
    assert.ok(writer.delete('k'));
  }, base);
  rotator.set('x', 1);
  rotated = true;
  writer.set('end', 0);
  const heard = [];
  const hear = async () => {
    const change = (await feed.next()).value;
    heard.push(`${change.type} ${change.key}`);
  };
  while (heard.at(-1) !== 'set end') await hear();
  for (let i = 0; i < 3; i++) await hear();
  await feed.return();
  assert.is(moved, 1, 'the watch moved to the new journal once');
  // The head: k's set (after its delete, in journal order) and 'end'; the look finds k gone.
  assert.equal(heard, ['set x', 'delete k', 'set k', 'set end', 'delete k', 'set k', 'delete k'], 'the look, then what came after the head');
  for (const handle of [watcher, rotator, other, writer]) handle.close();
});

test('a key a watch\'s look found gone keeps its name for the change\'s own entry: clear() journals deletes without keys', async () => {
  const { path, writer } = writerBeforeRotation();
  const plainWatching = nodeHost();
  const watching = Object.create(plainWatching);
  let clearAtLook = true;
  watching.stat = (file, out) => {
    if (clearAtLook && /\/[0-9a-f]{56}$/.test(file)) {
      clearAtLook = false;
      writer.clear(); // k goes; its entry (no key) comes after the look
      writer.set('end', 0);
    }
    return plainWatching.stat(file, out);
  };
  const watcher = new IODict(path, { host: watching });
  const feed = watcher.watch();
  let other;
  const rotator = rotatorWithWindow(path, () => {
    other = new IODict(path);
    other.set('k', 1); // the new journal's head
  });
  rotator.set('x', 1);
  const heard = [];
  for (let change; (change = (await feed.next()).value).key !== 'end';) heard.push(`${change.type} ${change.key}`);
  await feed.return();
  assert.is(clearAtLook, false, 'the watch looked at k');
  assert.equal(heard.slice(0, 3), ['set x', 'set k', 'delete k'], 'the look found k gone');
  assert.equal(heard.slice(3).sort(), ['delete before', 'delete k', 'delete x'], 'clear()\'s deletes, each with its key');
  for (const handle of [watcher, rotator, other, writer]) handle.close();
});

for (const { why, keys, watcherHost } of [
  { why: 'names more keys than it looks at (16,384)', keys: 16385, watcherHost: (base) => base },
  {
    why: 'names keys whose looks fail (one rescan)', keys: 3, watcherHost: (base) => {
      const host = Object.create(base);
      host.stat = (file, out) => (/\/[0-9a-f]{56}$/.test(file) ? -Errno.EIO : base.stat(file, out)); // record files only
      return host;
    },
  },
]) {
  test(`a watch that follows a seal reports a rescan where the new journal's head ${why}`, async () => {
    const { path, writer } = writerBeforeRotation();
    const watcher = new IODict(path, { host: watcherHost(nodeHost()) });
    const feed = watcher.watch();
    const rotator = rotatorWithWindow(path, () => {
      const other = new IODict(path, { rotateAfter: 1e6 });
      other.setMany(Array.from({ length: keys }, (_, i) => [`n${i}`, i]));
      other.close();
    });
    rotator.set('x', 1);
    writer.set('end', 0);
    const heard = [];
    for (let change; (change = (await feed.next()).value).key !== 'end';) heard.push(change.type);
    await feed.return();
    assert.equal(heard.slice(-1), ['rescan'], 'a rescan after the head');
    assert.is(heard.length, keys + 2, 'x, the head, the rescan');
    for (const handle of [watcher, rotator, writer]) handle.close();
  });
}

test('a watch whose cursor opens the journal a rotator in another thread just renamed in takes its start once the old journal is sealed: a change journaled there meanwhile comes before its start', async () => {
  const { path, writer, set, madeAfterStart, started } = writerBeforeRotation();
  const base = nodeHost();
  const host = Object.create(base);
  let rotator;
  let waited = false;
  host.open = (file, flags, ...rest) => {
    // The cursor's own open (read-only), after its handle loaded its index: the rotation renames
    // its journal in just before.
    if (!rotator && flags === OpenFlags.READ && String(file).endsWith('/.iodict/changes')) rotator = pausedThread('paused-rotator.mjs', { path, kind: 'dict' });
    return base.open(file, flags, ...rest);
  };
  host.sleep = (ms) => {
    if (rotator && !waited) {
      waited = true;
      set('meanwhile'); // the writer has not noticed the rename: into the old journal
      rotator.goOn(1);
    }
    return base.sleep(ms);
  };
  const watcher = new IODict(path, { host });
  try {
    const feed = watcher.watch();
    started();
    assert.ok(rotator, 'the rotation renamed its journal in before the cursor opened it');
    if (!waited) {
      // A cursor that started at once: this change and the seal come after its start.
      set('late');
      rotator.goOn(1);
    }
    assert.is(rotator.reached(), rotator.DONE);
    set('after');
    assert.equal(await heardUntilEnd(writer, feed), madeAfterStart);
    assert.ok(waited, 'the cursor waited for the seal');
  } finally {
    rotator?.stop();
  }
  for (const handle of [watcher, writer]) handle.close();
});

test('a watch that finds its journal renamed over, and the store lock already free at its first look, reads it once more: the seal is there, and no rescan is reported', async () => {
  const path = storePath();
  const queue = new DurableQueue(path); // holds the journal about to be rotated away
  queue.putNowait('before');
  const base = nodeHost();
  const host = Object.create(base);
  let atLockLook;
  host.open = (file, ...rest) => {
    if (atLockLook && String(file).endsWith('/.iodict/lock')) {
      const act = atLockLook;
      atLockLook = undefined;
      act();
    }
    return base.open(file, ...rest);
  };
  const watcher = new DurableQueue(path, { host });
  const feed = watcher.watch();
  const rotator = pausedThread('paused-rotator.mjs', { path });
  try {
    // The rotator renamed its journal in and holds the lock, not yet sealed. The watch reads the
    // old journal (the rotator's put), finds it renamed over, reads it again: no seal yet. As it
    // looks at the lock, the rotator seals and lets the lock go.
    atLockLook = () => rotator.goOn(1);
    const heard = [(await feed.next()).value.type];
    assert.is(atLockLook, undefined, 'the watch looked at the lock');
    assert.is(rotator.reached(), rotator.DONE);
    queue.putNowait('after');
    heard.push((await feed.next()).value.type);
    assert.equal(heard, ['set', 'set'], 'the rotator\'s put, then the one after the rotation');
  } finally {
    rotator.stop();
  }
  await feed.return();
  for (const handle of [watcher, queue]) handle.close();
});

test('a listing that runs while a batch lands does not hand out a later item of it first: each item is journaled before the next is renamed in', async () => {
  const path = storePath();
  const base = nodeHost();
  const host = Object.create(base);
  let during;
  host.readdir = (dir) => (during && !dir.includes('.iodict') ? during(dir) : base.readdir(dir));
  const consumer = new DurableQueue(path, { host });
  consumer.putNowait('before');
  assert.is(consumer.getNowait(), 'before'); // its index is loaded
  // The producer's batch stops right after its first item is renamed in, and again after its third.
  const producer = pausedThread('batch-writer.mjs', { path, items: ['a', 'b', 'c', 'd'], pauses: [1, 3] });
  try {
    // The consumer lists (a RESCAN asks it to) while the second and third land: readdir(3) need
    // not return a name added while it runs, yet may return one added after it.
    during = (dir) => {
      during = undefined;
      const names = base.readdir(dir);
      producer.goOn(1);
      const added = base.readdir(dir).filter((name) => !names.includes(name));
      assert.is(added.length, 2);
      const [, third] = added.sort((x, y) => readRecord(`${path}/${x}`).birth - readRecord(`${path}/${y}`).birth);
      return [...names, third];
    };
    appendRescan(path);
    assert.is(consumer.getNowait(), 'a');
    assert.is(during, undefined, 'the listing ran');
    assert.is(consumer.getNowait(), 'b', 'the batch\'s second item before its third');
    producer.goOn(2);
  } catch (error) {
    await producer.stop();
    throw error;
  }
  assert.is(producer.reached(), producer.DONE);
  assert.is(await producer.exited, 0);
  assert.equal([consumer.getNowait(), consumer.getNowait()], ['c', 'd']);
  consumer.close();
});

test.run();
