// Journal rotation seen from a second handle that has fallen behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

test('a handle with unread entries in a rotated journal sees writes made after the rotation at once', () => {
  const path = storePath();
  const writer = new IODict(path);
  const reader = new IODict(path);
  assert.is(reader.size, 0);
  // Enough entries to rotate (16384 + n), all unread by `reader`, then one write in the new journal.
  for (let i = 0; i < 17000; i++) writer.set(`k${i % 20}`, i);
  writer.set('after rotation', true);
  assert.is(reader.size, 21, 'the first call already includes the write after the rotation');
  assert.is([...reader.keys()].at(-1), 'after rotation');
  writer.close();
  reader.close();
});

test('a journal replaced without a seal (a rotator that died) is still noticed, within 16 quiet syncs', () => {
  const path = storePath();
  const reader = new IODict(path);
  assert.is(reader.size, 0);
  // What a rotator does before it dies: a fresh journal renamed over the old one, no SEALED entry.
  const journal = `${path}/.iodict/changes`;
  fs.writeFileSync(`${journal}.new`, fs.readFileSync(journal).subarray(0, 64));
  fs.renameSync(`${journal}.new`, journal);
  const writer = new IODict(path);
  writer.set('written after', 1);
  let calls = 0;
  while (reader.size === 0 && calls < 32) calls++;
  assert.ok(calls <= 16, `noticed after ${calls} calls`);
  assert.equal([...reader.keys()], ['written after']);
  writer.close();
  reader.close();
});

test.run();
