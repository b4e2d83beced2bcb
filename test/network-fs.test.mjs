// What a network file system (GlusterFS, NFS) does that a local disk does not, injected through
// a host wrapper (FORMAT.md 7.8, 8.2, 10): errnos Node names only by number, and ESTALE from the
// descriptor of a journal another client renamed over. The real thing: npm run test:multihost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

const ESTALE = 116;
const ELOOP = 40;

test('an errno outside the contract reaches the core as itself, not as EIO', () => {
  if (process.platform !== 'linux') return;
  const dir = storePath();
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(`${dir}/loop`, `${dir}/loop`);
  assert.is(nodeHost().open(`${dir}/loop`, 1), -ELOOP);
});

/**
 * A host on which descriptors of a journal opened before `replace()` fail with ESTALE (read and
 * fstat), as on GlusterFS once another client renamed a new journal over it; it also records
 * whether the old journal was closed before the new one was opened.
 */
function staleJournalHost() {
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
  host.read = (fd, buf, pos) => (stale.has(fd) ? -ESTALE : base.read(fd, buf, pos));
  host.fstat = (fd, out) => (stale.has(fd) ? -ESTALE : base.fstat(fd, out));
  host.replace = () => {
    for (const fd of journals) stale.add(fd);
  };
  host.events = events;
  return host;
}

for (const sealed of [true, false]) {
  test(`a journal that turns ESTALE after another client's rotation (${sealed ? 'sealed' : 'seal not yet read'}) is followed, not an error`, () => {
    const path = storePath();
    const host = staleJournalHost();
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

test.run();
