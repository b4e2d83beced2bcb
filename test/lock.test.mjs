// The store lock without flock (no native helper): an exclusive lock file with stale-owner detection.
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

test.run();
