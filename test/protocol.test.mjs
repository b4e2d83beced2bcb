// Store protocol v2 (FORMAT.md section 7-9): journal generations across rotations, the store
// lock's takeover, owners in other pid namespaces, registrations that catch a crashed writer,
// claims that never strand an item, and version 1 stores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { IODict, DurableQueue, nodeHost, CorruptRecordError, StoreError, Empty } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { runChild } from './support/children.mjs';
import { crc32c, journalGeneration, journalEntry, JOURNAL } from './support/format-reader.mjs';
import { liveChild, pidNamespaceRefusal } from './support/live-child.mjs';

const worker = new URL('./workers/protocol-worker.mjs', import.meta.url).pathname;
const nameOf = (key) => createHash('sha3-224').update(key).digest('hex');
const identityHex = () => nodeHost().identity().toString(16).padStart(12, '0');

test('a handle idle across three rotations converges: a deleted key goes, new keys come, and its cache is right', () => {
  const path = storePath();
  const idle = new IODict(path);
  idle.set('stays', 1).set('goes', 2);
  assert.equal([...idle.keys()], ['stays', 'goes']);
  const busy = new IODict(path, { rotateAfter: 4 });
  busy.size;
  busy.delete('goes');
  const journals = new Set([journalGeneration(path)]);
  for (let i = 0; journals.size < 4; i++) {
    busy.set(`new${i % 5}`, i);
    journals.add(journalGeneration(path));
    assert.ok(i < 200, 'rotates');
  }
  const expected = [...busy.keys()];
  assert.ok(expected.includes('stays') && !expected.includes('goes') && expected.includes('new0'));
  assert.equal([...idle.keys()], expected, 'the idle handle sees what the busy one sees');
  assert.is(idle.size, expected.length);
  idle.close();
  busy.close();
  const fresh = new IODict(path);
  assert.equal([...fresh.keys()], expected, 'and a fresh open agrees');
  fresh.close();
});

test('a handle idle across rotations learns that a key was deleted and made again (a new birth, at the end), not only that it exists', () => {
  const path = storePath();
  const idle = new IODict(path);
  idle.set('a', 1).set('b', 2).set('c', 3);
  assert.equal([...idle.keys()], ['a', 'b', 'c']);
  const busy = new IODict(path, { rotateAfter: 4 });
  busy.size;
  const journals = new Set([journalGeneration(path)]);
  const rotateTo = (count) => {
    for (let i = 0; journals.size < count; i++) {
      busy.set(`filler${i % 3}`, i);
      journals.add(journalGeneration(path));
      assert.ok(i < 200, 'rotates');
    }
  };
  rotateTo(2);
  busy.delete('a');
  busy.set('a', 'again'); // made again in a journal the idle handle will never read
  rotateTo(4);
  const expected = [...busy.keys()];
  assert.equal(expected.slice(0, 2), ['b', 'c']);
  assert.ok(expected.indexOf('a') > expected.indexOf('filler0'), 'a now stands after the keys made before it again');
  assert.equal([...idle.keys()], expected, 'the idle handle orders it as the busy one does');
  assert.equal(idle.popItem(), ['b', 2], 'and pops the oldest');
  idle.close();
  busy.close();
});

test('a delete that finds the record already taken makes the index forget it: a set after it is a new key, at the end (without exchange too)', () => {
  for (const native of [false, true]) {
    const path = storePath();
    const dict = new IODict(path, { host: nodeHost({ native }) });
    dict.set('k', 1).set('j', 2);
    assert.equal([...dict.keys()], ['k', 'j']);
    // Another process's take in flight: the record is gone, its journal entry not written yet.
    fs.renameSync(`${path}/${nameOf('k')}`, `${path}.taken`);
    assert.is(dict.delete('k'), false);
    dict.set('k', 3);
    assert.equal([...dict.keys()], ['j', 'k'], `native ${native}`);
    assert.equal(dict.popItem(), ['j', 2]);
    dict.close();
  }
});

test('two rotating processes race: every key and value is seen alike by both and by a fresh handle', async () => {
  const path = storePath();
  new IODict(path).close();
  const results = await Promise.all([0, 1].map((id) => runChild(worker, { role: 'churn', path, id, count: 400 })));
  const d = new IODict(path);
  const all = Object.fromEntries([...d]);
  for (const [id, result] of results.entries()) {
    for (const key of result.keys) assert.is(all[key], result.values[key], `${key} of ${id}`);
    assert.equal(Object.keys(all).filter((k) => k.startsWith(`${id}-`)).sort(), [...result.keys].sort());
  }
  d.close();
});

test('a stale lock file taken over by two handles at once: the one that got a live lock gives it back', () => {
  const path = storePath();
  const deadPid = 2 ** 22 + 321;
  const lockFile = `${path}/.iodict/lock.owner`;
  let interleaved = false;
  let innerRename;
  // Handle B's host: right after B has created its own lock file, A's pending takeover rename runs.
  const baseB = nodeHost({ native: false });
  const hostB = Object.create(baseB);
  hostB.open = (file, flags) => {
    const fd = baseB.open(file, flags);
    if (innerRename && file.includes('/.iodict/tmp/') && fs.existsSync(lockFile)) {
      const pending = innerRename;
      innerRename = undefined;
      pending();
    }
    return fd;
  };
  // Handle A's host: its takeover rename (lock.owner -> lock.stale-...) waits until B holds the lock.
  const baseA = nodeHost({ native: false });
  const hostA = Object.create(baseA);
  let renamedOver;
  hostA.rename = (from, to) => {
    if (!interleaved && from === lockFile && to.includes('lock.stale-')) {
      interleaved = true;
      innerRename = () => (renamedOver = baseA.rename(from, to));
      b.set('b', 1); // B takes over the stale lock, rotates and, inside, lets A's rename run
      return renamedOver;
    }
    return baseA.rename(from, to);
  };
  const a = new IODict(path, { host: hostA, rotateAfter: 2 });
  const b = new IODict(path, { host: hostB, rotateAfter: 2 });
  a.size;
  b.size;
  const staleLock = `${identityHex()}${deadPid.toString(16).padStart(8, '0')}00000001`;
  fs.writeFileSync(lockFile, staleLock);
  const before = journalGeneration(path);
  // Overwrites grow the journal past the threshold; A's rotation judges the lock stale and takes
  // it over, interleaved with B.
  for (let i = 0; i < 20 && !interleaved; i++) a.set('a', i);
  assert.ok(interleaved, 'the interleaving happened');
  assert.is(renamedOver, 0, "A's rename moved B's live lock file");
  assert.ok(journalGeneration(path) > before, 'B rotated');
  assert.not.ok(fs.existsSync(lockFile), 'B released its lock, which A had given back');
  assert.equal(fs.readdirSync(`${path}/.iodict`).filter((n) => n.startsWith('lock.stale')), [], 'nothing left aside');
  assert.equal([...a.keys()], [...b.keys()]);
  a.close();
  b.close();
});

test('a release removes only its own lock file', () => {
  const path = storePath();
  const d = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 2 });
  d.size;
  const lockFile = `${path}/.iodict/lock.owner`;
  // Someone else (alive: this process's parent) holds the lock: no rotation, and their file stays.
  const theirs = `${identityHex()}${process.ppid.toString(16).padStart(8, '0')}00000009`;
  fs.writeFileSync(lockFile, theirs);
  const before = journalGeneration(path);
  for (let i = 0; i < 20; i++) d.set(`k${i}`, i);
  assert.is(journalGeneration(path), before);
  assert.is(fs.readFileSync(lockFile, 'utf8'), theirs);
  d.close();
});

const namespaceRefusal = pidNamespaceRefusal();
const nsTest = namespaceRefusal ? test.skip : test;
const nsName = (name) => (namespaceRefusal ? `${name} (skipped: ${namespaceRefusal})` : name);

nsTest(nsName('a consumer in another pid namespace keeps its live claim; the claim comes back only once its lease has expired'), async () => {
  const path = storePath();
  const q = new DurableQueue(path);
  q.putNowait('job');
  q.close();
  const consumer = liveChild(worker, { role: 'hold-claim', path }, { namespace: true });
  try {
    const { claimed } = await consumer.first;
    assert.is(claimed, 'job');
    const claims = fs.readdirSync(`${path}/.iodict/claimed`);
    assert.is(claims.length, 1);
    assert.is.not(claims[0].split('.')[1].slice(0, 12), identityHex(), 'the claim names the other namespace');
    // Within its lease: not taken, however dead its pid looks from here.
    const patient = new DurableQueue(path, { lease: 60_000 });
    assert.throws(() => patient.getNowait(), (e) => e instanceof Empty);
    assert.is(fs.readdirSync(`${path}/.iodict/claimed`).length, 1);
    patient.close();
    // Past its lease (1 ms here): returned and delivered again.
    const strict = new DurableQueue(path, { lease: 1 });
    assert.is(strict.getNowait(), 'job');
    strict.close();
  } finally {
    await consumer.kill();
  }
});

nsTest(nsName("a writer's temp file in another pid namespace is kept while its lease runs, removed after"), async () => {
  const path = storePath();
  new IODict(path).close();
  const writer = liveChild(worker, { role: 'hold-temp', path }, { namespace: true });
  try {
    const { temp } = await writer.first;
    new IODict(path, { lease: 60_000 }).close();
    assert.ok(fs.existsSync(`${path}/.iodict/tmp/${temp}`), 'kept: its owner may be writing');
    new IODict(path, { lease: 1 }).close();
    assert.not.ok(fs.existsSync(`${path}/.iodict/tmp/${temp}`), 'removed once the lease is over');
  } finally {
    await writer.kill();
  }
});

for (const change of ['set', 'delete']) {
  test(`a writer killed between its ${change} and the journal entry is seen by a live handle within 256 calls`, async () => {
    const path = storePath();
    const live = new IODict(path);
    live.set('there', 1);
    assert.equal([...live.keys()], ['there']);
    const child = liveChild(worker, { role: 'crash-before-entry', path, key: 'there', value: 2, delete: change === 'delete', ...(change === 'set' ? { key: 'new' } : {}) });
    const { signal } = await child.exited;
    assert.is(signal, 'SIGKILL');
    const expected = change === 'set' ? ['there', 'new'] : [];
    assert.ok(fs.readdirSync(`${path}/.iodict/handles`).length >= 2, 'the dead writer\'s registration is still there');
    let calls = 0;
    while (JSON.stringify([...live.keys()]) !== JSON.stringify(expected)) {
      calls++;
      assert.ok(calls <= 256, `converged within 256 calls (${[...live.keys()]})`);
    }
    assert.is(live.size, expected.length);
    live.close();
    const fresh = new IODict(path);
    assert.equal([...fresh.keys()], expected);
    fresh.close();
  });
}

/**
 * A store holding k and j, and a claim of k whose owner (a child process popping k) was killed
 * right after the claim's rename. Returns the handle that set them: opened before the crash and
 * without its index loaded, it neither lists nor returns claims.
 */
async function deadPopOfK(path) {
  const writer = new IODict(path);
  writer.set('k', 1).set('j', 1);
  const { signal } = await liveChild(worker, { role: 'crash-after-claim', path, key: 'k' }).exited;
  assert.is(signal, 'SIGKILL');
  return writer;
}

// FORMAT.md 7.5: a claim whose owner died comes back, unless the key was written after the
// claim. A later write replaced the claimed value, even when it was taken or deleted since.
for (const after of ['nothing', 'set', 'set and delete', 'set and pop']) {
  test(`a pop killed after its claim: its value comes back unless the key was written since (${after})`, async () => {
    const path = storePath();
    const writer = await deadPopOfK(path);
    if (after !== 'nothing') writer.set('k', 2);
    if (after === 'set and delete') assert.ok(writer.delete('k'));
    if (after === 'set and pop') assert.is(writer.pop('k'), 2);
    assert.is(fs.readdirSync(`${path}/.iodict/claimed`).length, 1, 'the claim waits for its dead owner');
    writer.close();
    const expected = { nothing: [['k', 1], ['j', 1]], set: [['j', 1], ['k', 2]] }[after] ?? [['j', 1]];
    const fresh = new IODict(path);
    assert.equal([...fresh.entries()], expected);
    assert.equal(fs.readdirSync(`${path}/.iodict/claimed`), [], 'the claim was returned or dropped');
    fresh.close();
  });
}

// The journal reading behind a put-back, with entries appended by hand after the claim: a SET of
// the key stamped after the claim counts, unless a SET of the claimed record itself (its birth)
// follows it; one stamped before the claim never counts.
for (const [name, later, own, back] of [
  ['a set stamped after the claim: dropped', [1000n], false, false],
  ['then the claimed record\'s own set: back', [1000n], true, true],
  ['a set stamped before the claim: back', [-1000n], false, true],
]) {
  test(`a returned claim reads the journal for later sets of its key (${name})`, async () => {
    const path = storePath();
    const writer = await deadPopOfK(path);
    const [claimName] = fs.readdirSync(`${path}/.iodict/claimed`);
    const claimStamp = BigInt(`0x${claimName.split('.').at(-1)}`);
    const birth = fs.readFileSync(`${path}/.iodict/claimed/${claimName}`).readBigUInt64LE(8);
    const digest = Buffer.from(nameOf('k'), 'hex');
    for (const offset of later) fs.appendFileSync(`${path}/.iodict/changes`, journalEntry(JOURNAL.SET, { stamp: claimStamp + offset, digest }));
    if (own) fs.appendFileSync(`${path}/.iodict/changes`, journalEntry(JOURNAL.SET, { stamp: birth, digest }));
    writer.close();
    const fresh = new IODict(path);
    assert.equal([...fresh.entries()], back ? [['k', 1], ['j', 1]] : [['j', 1]]);
    assert.equal(fs.readdirSync(`${path}/.iodict/claimed`), []);
    fresh.close();
  });
}

test('two processes creating one store at once both succeed', async () => {
  for (let round = 0; round < 8; round++) {
    const path = storePath();
    await Promise.all([0, 1].map((id) => runChild(worker, { role: 'create', path, id })));
    const d = new IODict(path);
    assert.equal([...d.keys()].sort(), ['from 0', 'from 1']);
    d.close();
  }
});

test('a version 1 store opens without loss: records, a dead process\'s claim, and its marker becomes version 2', () => {
  const path = storePath();
  const d = new IODict(path);
  for (let i = 0; i < 5; i++) d.set(`k${i}`, i);
  d.close();
  fs.writeFileSync(`${path}/.iodict/format`, 'iodict-store 1\nkind dict\n');
  fs.rmSync(`${path}/.iodict/handles`, { recursive: true });
  const deadPid = (2 ** 22 + 77).toString(16).padStart(8, '0');
  fs.renameSync(`${path}/${nameOf('k2')}`, `${path}/.iodict/claimed/${nameOf('k2')}.${deadPid}00000001`);
  fs.writeFileSync(`${path}/.iodict/tmp/${deadPid}00000001-00000003`, 'half');
  const v2 = new IODict(path);
  assert.equal([...v2.keys()], ['k0', 'k1', 'k2', 'k3', 'k4']);
  assert.equal([...v2.values()], [0, 1, 2, 3, 4]);
  assert.is(fs.readFileSync(`${path}/.iodict/format`, 'utf8'), 'iodict-store 2\nkind dict\n');
  assert.equal(fs.readdirSync(`${path}/.iodict/tmp`), []);
  v2.close();
});

test('a key longer than the file system\'s xattr limit is stored, unmirrored', () => {
  const path = storePath();
  const d = new IODict(path, { xattrs: 'auto' });
  const key = 'k'.repeat(5000);
  d.set(key, 1);
  d.set('short', 2);
  assert.is(d.get(key), 1);
  assert.equal([...d.keys()], [key, 'short']);
  d.close();
});

/** A host on this disk that presents itself as another machine (another identity). */
function otherMachine() {
  const host = Object.create(nodeHost());
  host.identity = () => 0x0123456789ab;
  return host;
}

test('a claim that outlives its lease is taken back, and its holder\'s ack() then says so; renew() restarts the lease', () => {
  const path = storePath();
  const consumer = new DurableQueue(path, { host: otherMachine() });
  consumer.putNowait('a');
  consumer.putNowait('b');
  const first = consumer.getNowaitAck();
  const second = consumer.getNowaitAck();
  const claimed = () => fs.readdirSync(`${path}/.iodict/claimed`).sort();
  const before = claimed();
  second.renew();
  assert.is(claimed().length, 2);
  assert.is.not(JSON.stringify(claimed()), JSON.stringify(before), 'the renewed claim carries a new stamp');
  const patient = new DurableQueue(path, { lease: 60_000 });
  assert.throws(() => patient.getNowait(), (e) => e instanceof Empty, 'claims within their lease stay');
  patient.close();
  const strict = new DurableQueue(path, { lease: 0.001 });
  assert.equal([strict.getNowait(), strict.getNowait()], ['a', 'b'], 'both taken back once their lease is over, in order');
  strict.close();
  assert.throws(() => first.ack(), (e) => e instanceof StoreError && e.code === 'ELEASE' && /delivered again/.test(e.message));
  assert.throws(() => second.renew(), (e) => e instanceof StoreError && e.code === 'ELEASE');
  consumer.close();
});

test('a queue item whose value is undefined is delivered, not lost', async () => {
  const q = new DurableQueue(storePath());
  q.putNowait(undefined);
  q.putNowait(null);
  assert.is(q.qsize(), 2);
  assert.is(q.getNowait(), undefined);
  assert.is(await q.get({ timeout: 0 }), null);
  assert.throws(() => q.getNowait(), (e) => e instanceof Empty);
  q.close();
});

test('a pop of a record this handle cannot decode leaves it: an unknown codec stays in place, invalid bytes go to quarantine', () => {
  const path = storePath();
  const appCodec = { id: 200, encode: (v) => new TextEncoder().encode(String(v)), decode: (b) => new TextDecoder().decode(b) };
  const writer = new IODict(path, { codec: appCodec });
  writer.set('app', 'value');
  writer.close();
  const d = new IODict(path);
  assert.throws(() => d.popItem(), (e) => e instanceof StoreError && e.code === 'ECODEC' && /codec 200/.test(e.message));
  assert.throws(() => d.pop('app'), (e) => e instanceof StoreError && e.code === 'ECODEC');
  assert.ok(fs.existsSync(`${path}/${nameOf('app')}`), 'the record stays where it was');
  assert.equal(fs.readdirSync(`${path}/.iodict/claimed`), []);
  assert.equal([...d.keys()], ['app']);
  d.close();
  assert.is(new IODict(path, { codec: appCodec }).popItem()[1], 'value', 'the right codec still takes it');

  // CBOR that passes the checksum but is not a value (0xff: a lone "break").
  const bad = new IODict(path);
  bad.set('bad', 1);
  bad.close();
  const e = new IODict(path);
  assert.is(e.size, 1, 'loaded before the damage: the pop itself meets it (a load would quarantine it in passing)');
  const file = `${path}/${nameOf('bad')}`;
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 5] = 0xff; // the value's one byte
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
  fs.writeFileSync(file, bytes);
  assert.throws(() => e.popItem(), (err) => err instanceof CorruptRecordError);
  assert.not.ok(fs.existsSync(`${path}/${nameOf('bad')}`));
  assert.is(fs.readdirSync(`${path}/.iodict/quarantine`).length, 1, 'kept in quarantine, not deleted');
  assert.is(e.size, 0);
  e.close();
});

test('a queue get of an item this handle cannot decode puts it back where it was', () => {
  const path = storePath();
  const appCodec = { id: 200, encode: (v) => new TextEncoder().encode(String(v)), decode: (b) => new TextDecoder().decode(b) };
  const producer = new DurableQueue(path, { codec: appCodec });
  producer.putNowait('value');
  producer.close();
  const before = fs.readdirSync(path).filter((n) => n !== '.iodict');
  const q = new DurableQueue(path);
  assert.throws(() => q.getNowait(), (e) => e instanceof StoreError && e.code === 'ECODEC' && /codec 200/.test(e.message));
  assert.equal(fs.readdirSync(path).filter((n) => n !== '.iodict'), before, 'the record stays where it was');
  assert.is(q.qsize(), 1);
  q.close();
  const right = new DurableQueue(path, { codec: appCodec });
  assert.is(right.getNowait(), 'value', 'the right codec still takes it');
  right.close();
});

test('durability fsync covers takes: a pop and a queue get sync the folders they changed', () => {
  for (const [durability, expectSync] of [['none', false], ['fsync', true]]) {
    const base = nodeHost();
    const host = Object.create(base);
    let syncs = 0;
    host.fsync = (fd) => (syncs++, base.fsync(fd));
    const d = new IODict(storePath(), { host, durability });
    d.set('k', 1);
    syncs = 0;
    assert.equal(d.popItem(), ['k', 1]);
    assert.is(syncs >= 2, expectSync, `${durability}: ${syncs} fsyncs`);
    d.close();
    const q = new DurableQueue(storePath(), { host, durability });
    q.putNowait('item');
    syncs = 0;
    assert.is(q.getNowait(), 'item');
    assert.is(syncs >= 1, expectSync, `${durability}: a queue get, ${syncs} fsyncs`);
    q.close();
  }
});

test('a journal append that fails after the rename: set succeeds, and another live handle still learns of it', () => {
  const path = storePath();
  const base = nodeHost();
  const host = Object.create(base);
  let journalFd = -1;
  let failJournal = false;
  host.open = (file, flags) => {
    const fd = base.open(file, flags);
    if (file.endsWith('/.iodict/changes')) journalFd = fd;
    return fd;
  };
  host.write = (fd, buf, pos) => (failJournal && fd === journalFd ? -28 : base.write(fd, buf, pos));
  const live = new IODict(path);
  live.set('first', 1);
  assert.equal([...live.keys()], ['first']);
  const d = new IODict(path, { host });
  failJournal = true;
  d.set('second', 2); // ENOSPC on the journal only: the value is in place, so this succeeds
  assert.is(d.get('second'), 2);
  assert.ok(fs.readdirSync(`${path}/.iodict/handles`).some((n) => n.endsWith('.0000000000000000')), 'the registration is marked');
  let calls = 0;
  while (!live.has('second') || ![...live.keys()].includes('second')) {
    assert.ok(++calls <= 256, 'the live handle converges within 256 calls');
  }
  failJournal = false;
  d.close();
  live.close();
});

test.run();
