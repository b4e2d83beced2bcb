// The store lock: an exclusive lock file with stale-owner detection, which handles with flock
// (the native helper) take too, beside flock, so that handles without it are excluded as well.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';
import { journalGeneration } from './support/format-reader.mjs';

/** A lock file's content (FORMAT.md section 8): the owner tag, this machine's identity and a pid. */
function ownerFile(pid) {
  const identity = nodeHost().identity().toString(16).padStart(12, '0');
  return Buffer.from(`${identity}${pid.toString(16).padStart(8, '0')}00000007`);
}

function churn(d) {
  // Past the rotation threshold (rotateAfter + n journal entries).
  d.size;
  for (let i = 0; i < 200; i++) d.set(`k${i % 50}`, i);
}

test('a lock file left by a dead process is taken over: the journal rotates and the file is released', () => {
  const path = storePath();
  const d = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 64 });
  const lockFile = `${path}/.iodict/lock.owner`;
  fs.writeFileSync(lockFile, ownerFile(2 ** 22 + 99)); // no such pid
  const journal = journalGeneration(path);
  churn(d);
  assert.ok(journalGeneration(path) > journal, 'rotated');
  assert.not.ok(fs.existsSync(lockFile), 'released after rotating');
  d.close();
});

test('a lock file of a live process is respected: no rotation, the file is untouched', () => {
  const path = storePath();
  const d = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 64 });
  const lockFile = `${path}/.iodict/lock.owner`;
  fs.writeFileSync(lockFile, ownerFile(process.ppid));
  const journal = journalGeneration(path);
  churn(d);
  assert.is(journalGeneration(path), journal, 'not rotated while someone else holds the lock');
  assert.equal(fs.readFileSync(lockFile), ownerFile(process.ppid));
  assert.is(d.size, 50);
  d.close();
});

test('a handle with flock takes the lock file too: a live lock file holds it off, and it leaves none behind', () => {
  const path = storePath();
  const d = new IODict(path, { rotateAfter: 64 });
  const lockFile = `${path}/.iodict/lock.owner`;
  fs.writeFileSync(lockFile, ownerFile(process.ppid)); // a live holder without flock
  const journal = journalGeneration(path);
  churn(d);
  assert.is(journalGeneration(path), journal, 'not rotated while a handle without flock holds the lock');
  fs.rmSync(lockFile);
  let inside;
  d.transact(() => (inside = fs.readFileSync(lockFile, 'latin1')));
  assert.match(inside, /^[0-9a-f]{28}F$/, 'held: the lock file names its owner, marked as a flock holder');
  assert.not.ok(fs.existsSync(lockFile), 'released');
  churn(d);
  assert.ok(journalGeneration(path) > journal, 'rotated once the lock file was gone');
  d.close();
});

test('a marked lock file is taken over at once by a flock holder (its writer held the flock, which is free), and judged by its owner without flock', () => {
  const path = storePath();
  const lockFile = `${path}/.iodict/lock.owner`;
  // A live owner on another machine (another identity): trusted for the lease without flock.
  const marked = Buffer.concat([Buffer.from('ffffffffffff00000001000000070'.slice(0, 28)), Buffer.from('F')]);
  const withoutFlock = new IODict(path, { host: nodeHost({ native: false }), rotateAfter: 64 });
  fs.writeFileSync(lockFile, marked);
  const journal = journalGeneration(path);
  churn(withoutFlock);
  assert.is(journalGeneration(path), journal, 'without flock: an owner of another identity within its lease holds it');
  assert.equal(fs.readFileSync(lockFile), marked);
  withoutFlock.close();
  const withFlock = new IODict(path, { rotateAfter: 64 });
  churn(withFlock);
  assert.ok(journalGeneration(path) > journal, 'with flock: taken over, rotated');
  assert.not.ok(fs.existsSync(lockFile), 'released after rotating');
  withFlock.close();
});

test.run();
