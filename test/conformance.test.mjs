// The host contract, checked against every host of the runtime running the tests (Node: node,
// node without native helper, memory; Bun: the same plus bun and bun without native helper),
// then what only the memory host offers, then which host a store gets by default.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryHost, Errno, OpenFlags, LockMode } from '../dist/index.js';
import { conformanceSuite } from './support/conformance.mjs';
import { runtimeHosts } from './support/hosts.mjs';
import { runChild } from './support/children.mjs';
import { storePath } from './support/tmp.mjs';

for (const entry of runtimeHosts()) conformanceSuite(entry).run();

const { READ, WRITE, CREATE } = OpenFlags;
const text = (s) => new TextEncoder().encode(s);
const stat = new Float64Array(4);

const memory = suite('memoryHost');

memory('each memoryHost() is its own file system; relative paths and .. resolve from /', () => {
  const a = memoryHost();
  const b = memoryHost();
  assert.is(a.mkdir('/x/y'), 0);
  assert.is(b.stat('/x', stat), -Errno.ENOENT);
  assert.is(a.close(a.open('x/y/../f', WRITE | CREATE)), 0);
  assert.equal(a.readdir('/x'), ['y', 'f']);
  assert.is(a.stat('/x/./y/../../x/f', stat), 0);
  assert.is(a.stat('/../..', stat), 0, 'above the root is the root');
  assert.is(stat[3], 1);
  assert.is(a.rmdir('/'), -Errno.EAGAIN, 'the root is busy');
});

memory('capacity: a write past it is ENOSPC and changes nothing; space comes back when the last holder closes', () => {
  const host = memoryHost({ capacity: 100 });
  const fd = host.open('/big', READ | WRITE | CREATE);
  assert.is(host.write(fd, new Uint8Array(80), 0), 80);
  const other = host.open('/other', WRITE | CREATE);
  assert.is(host.write(other, new Uint8Array(30), 0), -Errno.ENOSPC);
  assert.is(host.fstat(other, stat), 0);
  assert.is(stat[0], 0, 'nothing written');
  assert.is(host.write(other, new Uint8Array(20), 0), 20, 'what fits is written');
  assert.is(host.unlink('/big'), 0);
  assert.is(host.write(other, new Uint8Array(10), 20), -Errno.ENOSPC, 'an unlinked file still open keeps its bytes');
  assert.is(host.close(fd), 0);
  assert.is(host.write(other, new Uint8Array(70), 20), 70);
  const trunc = host.open('/other', WRITE | OpenFlags.TRUNC);
  assert.is(host.write(trunc, text('freed by truncation'), 0), 19);
  for (const d of [other, trunc]) assert.is(host.close(d), 0);
});

memory('maxOpenFiles: an open past it is EMFILE; closing makes room', () => {
  const host = memoryHost({ maxOpenFiles: 2 });
  const a = host.open('/a', WRITE | CREATE);
  const b = host.open('/b', WRITE | CREATE);
  assert.ok(a >= 0 && b >= 0);
  assert.is(host.open('/c', WRITE | CREATE), -Errno.EMFILE);
  assert.is(host.stat('/c', stat), -Errno.ENOENT, 'nothing created');
  assert.is(host.close(a), 0);
  assert.ok(host.open('/c', WRITE | CREATE) >= 0);
});

memory('lock: a blocking request for a lock held in this thread fails instead of hanging', () => {
  const host = memoryHost();
  const a = host.open('/l', WRITE | CREATE);
  const b = host.open('/l', WRITE);
  assert.is(host.lock(a, LockMode.EXCLUSIVE), 0);
  assert.is(host.lock(b, LockMode.SHARED), -Errno.EAGAIN);
  assert.is(host.lock(a, LockMode.SHARED), 0, 'conversion');
  assert.is(host.lock(b, LockMode.SHARED), 0);
});

memory.run();

const defaults = suite('default host');
const worker = new URL('./workers/runtime-worker.mjs', import.meta.url).pathname;
const runtime = process.versions.bun ? 'bun' : 'node';

defaults(`a store opened without a host uses this runtime's binding (${runtime}), with its native helper`, async () => {
  const report = await runChild(worker, { role: 'default-host', path: storePath() });
  assert.is(report.runtime, runtime);
  assert.ok(report.xattrs, 'records carry xattrs');
  // koffi is the Node binding's helper; the Bun binding uses bun:ffi.
  assert.is(report.koffiLoaded, runtime === 'node');
});

defaults('IODICT_NATIVE=0 turns the native helper off', async () => {
  const report = await runChild(worker, { role: 'default-host', path: storePath() }, { env: { IODICT_NATIVE: '0' } });
  assert.is(report.runtime, runtime);
  assert.not.ok(report.xattrs);
  assert.not.ok(report.koffiLoaded);
});

defaults.run();
