// What a network file system (GlusterFS, NFS) does that a local disk does not, injected through
// a host wrapper (FORMAT.md 7.8, 8.2, 10): errnos Node names only by number, and ESTALE from the
// descriptor of a journal another client renamed over. The real thing: npm run test:multihost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { journalGeneration } from './support/format-reader.mjs';

const ESTALE = 116;
const ELOOP = 40;
const ENOENT = 2;

test('an errno outside the contract reaches the core as itself, not as EIO', () => {
  if (process.platform !== 'linux') return;
  const dir = storePath();
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(`${dir}/loop`, `${dir}/loop`);
  assert.is(nodeHost().open(`${dir}/loop`, 1), -ELOOP);
});

/**
 * A host on which descriptors of a journal opened before `replace()` fail with `errno` (read,
 * fstat and write), as on GlusterFS once another client renamed a new journal over it (ESTALE or
 * ENOENT); it also records whether the old journal was closed before the new one was opened.
 */
function staleJournalHost(errno = ESTALE) {
  const base = nodeHost({ native: false });
  const host = Object.create(base);
  const journals = new Set(); // open descriptors of .iodict/changes
  const stale = new Set();
  const events = [];
  host.open = (path, flags) => {
    const fd = base.open(path, flags);
    if (fd >= 0 && path.endsWith('.iodict/changes')) {
      events.push({ opened: fd, stillOpen: [...stale] });
      journals.add(fd);
    }
    return fd;
  };
  host.close = (fd) => {
    journals.delete(fd);
    stale.delete(fd); // its number can be reused
    return base.close(fd);
  };
  host.read = (fd, buf, pos) => (stale.has(fd) ? -errno : base.read(fd, buf, pos));
  host.fstat = (fd, out) => (stale.has(fd) ? -errno : base.fstat(fd, out));
  host.write = (fd, buf, pos) => (stale.has(fd) ? -errno : base.write(fd, buf, pos));
  host.replace = () => {
    for (const fd of journals) stale.add(fd);
  };
  host.events = events;
  return host;
}

for (const [sealed, errno] of [[true, ESTALE], [false, ESTALE], [true, ENOENT], [false, ENOENT]]) {
  const name = errno === ESTALE ? 'ESTALE' : 'ENOENT';
  test(`a journal that turns ${name} after another client's rotation (${sealed ? 'sealed' : 'seal not yet read'}) is followed, not an error`, () => {
    const path = storePath();
    const host = staleJournalHost(errno);
    const a = new IODict(path, { host });
    const b = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 2 });
    a.set('a0', 0);
    assert.is(a.size, 1);
    if (!sealed) host.replace(); // the old journal is gone before A reads its seal
    for (let i = 0; i < 20; i++) b.set(`b${i}`, i); // B rotates several times
    if (sealed) host.replace();
    const before = host.events.length;
    assert.is(a.size, 21);
    assert.equal([...a.keys()], [...b.keys()]);
    a.set('a1', 1);
    assert.is(b.get('a1'), 1);
    assert.ok(host.events.length > before, 'A opened the new journal');
    assert.equal(host.events.flatMap((e) => e.stillOpen), [], 'the stale journal was closed before the new one was opened');
    a.close();
    b.close();
  });
}

/**
 * A host on which, while `host.during` is set, the next file opened whose path passes `matches`
 * is renamed over by another client before its first read: `during()` runs right after the open
 * (the other client's rewrite) and reads of that descriptor fail with `errno`, as GlusterFS's do
 * once the file they were opened on is gone.
 */
function replacedUnderReadHost(errno, matches) {
  const base = nodeHost({ native: false });
  const host = Object.create(base);
  const gone = new Set();
  host.replaced = 0;
  host.open = (path, flags) => {
    const fd = base.open(path, flags);
    if (fd >= 0 && host.during && matches(path)) {
      const during = host.during;
      host.during = undefined;
      during();
      gone.add(fd);
      host.replaced++;
    }
    return fd;
  };
  host.read = (fd, buf, pos) => (gone.has(fd) ? -errno : base.read(fd, buf, pos));
  host.fstat = (fd, out) => (gone.has(fd) ? -errno : base.fstat(fd, out));
  host.close = (fd) => {
    gone.delete(fd);
    return base.close(fd);
  };
  return host;
}

const isRecord = (path) => /\/[0-9a-f]{56}$/.test(path);

for (const errno of [ESTALE, ENOENT]) {
  const name = errno === ESTALE ? 'ESTALE' : 'ENOENT';
  test(`get and has of a record another client rewrites between our open and read (${name}) see the new record, never an absence`, () => {
    const path = storePath();
    const host = replacedUnderReadHost(errno, isRecord);
    const a = new IODict(path, { host });
    const b = new IODict(path, { host: nodeHost({ native: false }) });
    b.set('k', 1);
    host.during = () => b.set('k', 2);
    assert.is(a.get('k'), 2);
    host.during = () => b.set('k', 3);
    assert.ok(a.has('k'));
    host.during = () => b.set('k', 4);
    assert.equal([...a.entries()], [['k', 4]]);
    assert.is(host.replaced, 3);
    a.close();
    b.close();
  });

  test(`a journal rotated between our open and our read of its BEGIN (${name}) is opened again, not started afresh`, () => {
    const path = storePath();
    const b = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 2 });
    b.set('k', 0);
    assert.is(b.size, 1); // B's index is loaded: it rotates
    const host = replacedUnderReadHost(errno, (p) => p.endsWith('.iodict/changes'));
    let generation = -1n;
    host.during = () => {
      for (let i = 1; i < 12; i++) b.set('k', i); // B rotates
      generation = journalGeneration(path);
    };
    const a = new IODict(path, { host });
    assert.is(host.replaced, 1);
    assert.ok(generation > 0n);
    assert.is(journalGeneration(path), generation, 'the rotated journal stayed in place');
    assert.is(a.get('k'), 11);
    a.close();
    b.close();
  });
}

/**
 * A host whose journal reads, while `host.lagging` is set, stop where the file ended before this
 * handle's last append: a FUSE client (GlusterFS) caps reads at the size it last heard of, so a
 * read right after an append can miss the appended entry itself. `host.blind`: they find nothing.
 * `host.readOnce`: the next journal read returns at most that many bytes.
 */
function laggingJournalHost() {
  const base = nodeHost({ native: false });
  const host = Object.create(base);
  const journals = new Set();
  const capAt = new Map();
  const stat = new Float64Array(4);
  host.open = (path, flags) => {
    const fd = base.open(path, flags);
    if (fd >= 0 && path.endsWith('.iodict/changes')) journals.add(fd);
    return fd;
  };
  host.close = (fd) => {
    journals.delete(fd);
    capAt.delete(fd);
    return base.close(fd);
  };
  host.write = (fd, buf, pos) => {
    if (host.lagging && journals.has(fd) && base.fstat(fd, stat) === 0) capAt.set(fd, stat[0]);
    return base.write(fd, buf, pos);
  };
  host.read = (fd, buf, pos) => {
    if (host.blind && journals.has(fd)) return 0; // this client never hears of the journal growing
    if (host.readOnce && journals.has(fd)) {
      const bytes = host.readOnce; // this client heard of this much of the growth
      host.readOnce = 0;
      return base.read(fd, buf.subarray(0, bytes), pos);
    }
    const cap = capAt.get(fd);
    if (cap === undefined) return base.read(fd, buf, pos);
    capAt.delete(fd);
    return pos >= cap ? 0 : base.read(fd, buf.subarray(0, Math.min(buf.length, cap - pos)), pos);
  };
  return host;
}

const markedRegistrations = (path) => fs.readdirSync(`${path}/.iodict/handles`).filter((n) => n.endsWith('.0000000000000000'));

const batchOf100 = Array.from({ length: 100 }, (_, i) => [`a${i + 1}`, i]); // four groups: 32, 32, 32, 4
for (const [what, write, written] of [
  ['an append', (a) => a.set('a1', 1), [['a1', 1]]],
  ["a batch's groups", (a) => a.setMany(batchOf100), batchOf100],
]) {
  test(`${what} landing after another handle's seal, unseen by the read right after, is written again in the successor`, () => {
    const path = storePath();
    const host = laggingJournalHost();
    const a = new IODict(path, { host });
    const b = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 2 });
    a.set('a0', 0);
    assert.is(a.size, 1, 'its index is loaded: a batch reads the journal only after its first group');
    assert.is(b.size, 1);
    for (let i = 0; i < 8; i++) b.set(`b${i}`, i); // B rotates: the journal A holds is sealed
    host.lagging = true;
    write(a); // lands after the seal; A's read meets the seal but not its own entry
    host.lagging = false;
    assert.equal([...b.entries()].slice(-written.length), written, "B, which follows only the journal, learnt of A's change");
    assert.equal(markedRegistrations(path), [], 'nothing marked lost');
    a.close();
    b.close();
  });
}

test('a handle that closes with an append no read has met leaves its registration marked', () => {
  const path = storePath();
  const host = laggingJournalHost();
  const a = new IODict(path, { host });
  host.blind = true;
  a.set('a0', 0);
  a.close();
  assert.is(markedRegistrations(path).length, 1);
  const b = new IODict(path);
  assert.equal([...b.keys()], ['a0']);
  b.close();
});

test('appends no read meets: 64 are kept; reads that meet some make room for more; past 64 the registration is marked', () => {
  const path = storePath();
  const host = laggingJournalHost();
  const a = new IODict(path, { host });
  assert.is(a.size, 0, 'its index is loaded: it follows the journal by reading it');
  const b = new IODict(path);
  host.blind = true;
  a.setMany(Array.from({ length: 64 }, (_, i) => [`k${i}`, i])); // two groups: 64 pending
  host.blind = false;
  host.readOnce = 10 * 64; // the next read meets the first 5 (each with its KEY entry)
  assert.is(a.size, 64);
  host.blind = true;
  for (let i = 0; i < 5; i++) a.set(`more${i}`, i); // fit in the room the 5 met ones left
  host.blind = false;
  assert.is(a.size, 69);
  assert.equal(markedRegistrations(path), [], 'every append was kept until met');
  assert.is(b.size, 69);
  host.blind = true;
  a.setMany(Array.from({ length: 65 }, (_, i) => [`x${i}`, i])); // 64, then one more: the oldest is let go
  assert.is(markedRegistrations(path).length, 1, 'the registration says an entry may be lost');
  assert.is(b.size, 134, 'another handle lists the directory instead of trusting the journal');
  host.blind = false;
  a.close();
  b.close();
});

/** The writer ids (bytes 8..12) of the SET entries in a store's current journal. */
function setWriters(path) {
  const journal = fs.readFileSync(`${path}/.iodict/changes`);
  const writers = [];
  for (let at = 0; at + 64 <= journal.length; at += 64) if (journal[at + 4] === 2) writers.push(journal.readUInt32LE(at + 8));
  return writers;
}

for (const errno of [ESTALE, ENOENT]) {
  test(`a set whose append meets a replaced journal (${errno === ESTALE ? 'ESTALE' : 'ENOENT'}) appends to the new one; nothing is marked lost`, () => {
    const path = storePath();
    const host = staleJournalHost(errno);
    const a = new IODict(path, { host });
    const b = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 2 });
    for (let i = 0; i < 20; i++) b.set(`b${i}`, i); // B rotates several times
    host.replace();
    const before = new Set(setWriters(path));
    a.set('a0', 0); // A has not read anything since it opened: its first call is this append
    const writers = setWriters(path);
    assert.ok(writers.some((w) => !before.has(w)), "A's SET is in the current journal");
    assert.equal(fs.readdirSync(`${path}/.iodict/handles`).filter((n) => n.endsWith('.0000000000000000')), [], 'no registration marked');
    assert.is(b.size, 21);
    assert.is([...b.keys()].at(-1), 'a0');
    assert.equal(host.events.flatMap((e) => e.stillOpen), [], 'the stale journal was closed before the new one was opened');
    a.close();
    b.close();
  });
}

test.run();
