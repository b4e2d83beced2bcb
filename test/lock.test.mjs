// The store lock without flock (no native helper): an exclusive lock file with stale-owner detection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

function ownerFile(pid) {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE((BigInt(pid) << 32n) | 7n);
  return bytes;
}

function churn(d) {
  // Past the rotation threshold (16384 + n journal entries).
  for (let i = 0; i < 17000; i++) d.set(`k${i % 50}`, i);
}

test('a lock file left by a dead process is taken over: the journal rotates and the file is released', () => {
  const path = storePath();
  const d = new IODict(path, { host: nodeHost({ native: false }) });
  const lockFile = `${path}/.iodict/lock.owner`;
  fs.writeFileSync(lockFile, ownerFile(2 ** 22 + 99)); // no such pid
  const journal = fs.statSync(`${path}/.iodict/changes`).ino;
  churn(d);
  assert.is.not(fs.statSync(`${path}/.iodict/changes`).ino, journal, 'rotated');
  assert.not.ok(fs.existsSync(lockFile), 'released after rotating');
  d.close();
});

test('a lock file of a live process is respected: no rotation, the file is untouched', () => {
  const path = storePath();
  const d = new IODict(path, { host: nodeHost({ native: false }) });
  const lockFile = `${path}/.iodict/lock.owner`;
  fs.writeFileSync(lockFile, ownerFile(process.ppid));
  const journal = fs.statSync(`${path}/.iodict/changes`).ino;
  churn(d);
  assert.is(fs.statSync(`${path}/.iodict/changes`).ino, journal, 'not rotated while someone else holds the lock');
  assert.equal(fs.readFileSync(lockFile), ownerFile(process.ppid));
  assert.is(d.size, 50);
  d.close();
});

test.run();
