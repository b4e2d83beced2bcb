// The tracing host (test/support/trace-host.mjs), the model's debug aid: what it logs must be
// what happened, or a trace misleads whoever reads it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { DurableQueue, nodeHost } from '../dist/index.js';
import { storePath, tempDir } from './support/tmp.mjs';
import { tracingHost, flushTrace } from './support/trace-host.mjs';

test('a traced queue\'s put and get: the record\'s rename, its SET and DELETE entries by one writer, decoded', () => {
  const path = storePath();
  const log = `${tempDir()}/trace.log`;
  const queue = new DurableQueue(path, { host: tracingHost(nodeHost(), log) });
  queue.putNowait('item');
  const [record] = readdirSync(path).filter((name) => /^[0-9a-f]{56}$/.test(name));
  assert.is(queue.getNowait(), 'item');
  queue.close();
  flushTrace();
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const short = record.slice(0, 8);
  const at = (pattern) => lines.findIndex((line) => pattern.test(line));
  const renamedIn = at(new RegExp(`^\\d+ (rename|renameIfAbsent|link) tmp/\\S+ \\S+/${short} -> 0$`));
  const set = at(new RegExp(`^\\d+ write \\.iodict/changes @-1 -> 128 SET:([0-9a-f]+):${short}:\\d+:`));
  const claimed = at(new RegExp(`^\\d+ rename \\S+/${short} claimed/${short}\\.\\S+ -> 0$`));
  const deleted = at(new RegExp(`^\\d+ write \\.iodict/changes @-1 -> 128 DELETE:([0-9a-f]+):${short}:`));
  assert.ok(renamedIn >= 0 && renamedIn < set && set < claimed && claimed < deleted, lines.join('\n'));
  const writer = (i) => lines[i].split(' ')[6].split(':')[1];
  assert.is(writer(set), writer(deleted), 'one writer');
  const stamps = lines.map((line) => Number(line.split(' ')[0]));
  assert.equal(stamps, [...stamps].sort((a, b) => a - b), 'stamps in call order');
});

test.run();
