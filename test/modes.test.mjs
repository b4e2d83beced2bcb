// Finding 11 of issue 9: the files and directories a store creates get the `mode` option's
// permission bits (directories searchable where readable), less the umask as fs does; without
// it, 0o666 and 0o777 less the umask. Checked on disk, under a umask each child sets itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, cliEnv } from './support/cli.mjs';
import { createHash } from 'node:crypto';
import { storePath, tempDir } from './support/tmp.mjs';

const dist = new URL('../dist/index.js', import.meta.url).href;

/**
 * In a child under `umask`: a store made at `dir` by `code` (which has IODict, DurableQueue,
 * AsyncIODict, FlushQueue and dir in scope), then the permission bits of everything in it, by relative path.
 */
function modesAfter(umask, dir, code) {
  // A script file, not -e: AsyncIODict's worker threads inherit the process's flags.
  const script = path.join(tempDir(), 'child.mjs');
  fs.writeFileSync(script, `
    import { IODict, DurableQueue, AsyncIODict, FlushQueue } from ${JSON.stringify(dist)};
    process.umask(${umask});
    const dir = ${JSON.stringify(dir)};
    ${code}
  `);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0 && r.signal !== 'SIGKILL') throw new Error(`child failed: ${r.stderr}`);
  const modes = {};
  const walk = (at) => {
    for (const name of fs.readdirSync(at)) {
      const full = path.join(at, name);
      const stat = fs.lstatSync(full);
      modes[path.relative(dir, full)] = { dir: stat.isDirectory(), mode: stat.mode & 0o777 };
      if (stat.isDirectory()) walk(full);
    }
  };
  modes['.'] = { dir: true, mode: fs.statSync(dir).mode & 0o777 };
  walk(dir);
  return modes;
}

/** Every kind of file a store makes: records, journal (rotated), index cache, lock file, marker, registrations (a watcher's too), a claim. */
const EVERYTHING = `
  const d = new IODict(dir, { MODE rotateAfter: 4 });
  for (let i = 0; i < 40; i++) d.set('k' + i, i);
  d.transact(() => d.set('locked', true));
  d.size;
  const q = new DurableQueue(dir + '/queue', { MODE });
  q.putNowait('job');
  q.getNowaitAck();
  // A watcher's handle of its own: its registration too.
  const changes = d.watch();
  const next = changes.next();
  d.set('watched', 1);
  await next;
  // Killed with its handles open: their registrations in handles/ and the claim in claimed/ stay for the parent to see.
  process.kill(process.pid, 'SIGKILL');
`;

/** Every entry has the file or directory bits; returns the paths checked. */
function expectAll(modes, file, directory) {
  for (const [name, { dir, mode }] of Object.entries(modes)) assert.is(mode, dir ? directory : file, `${name}: 0o${mode.toString(8)}`);
  return Object.keys(modes);
}

test('mode 0o600: every file the store makes is 0600 and every directory 0700, whatever the umask leaves open', () => {
  const dir = storePath();
  const modes = modesAfter(0o022, dir, EVERYTHING.replaceAll('MODE', 'mode: 0o600,'));
  const names = expectAll(modes, 0o600, 0o700);
  for (const expected of ['.iodict/changes', '.iodict/index', '.iodict/format', '.iodict/lock', 'queue/.iodict/format']) {
    assert.ok(names.includes(expected), `${expected} was made and checked`);
  }
  assert.ok(names.some((n) => /^[0-9a-f]{56}$/.test(n)), 'records');
  assert.ok(names.some((n) => n.startsWith('.iodict/handles/') && n.length > 16), 'a registration');
  assert.ok(names.some((n) => n.startsWith('queue/.iodict/claimed/') && n.length > 24), 'a claim');
});

test('no mode: the umask decides (0o666 and 0o777 less it), for umask 022 and 002', () => {
  for (const [umask, file, directory] of [[0o022, 0o644, 0o755], [0o002, 0o664, 0o775]]) {
    const dir = storePath();
    expectAll(modesAfter(umask, dir, EVERYTHING.replaceAll('MODE', '')), file, directory);
  }
});

test('the umask still applies to a mode: 0o640 under umask 027 gives 0640 and 0750, under 077 0600 and 0700', () => {
  for (const [umask, file, directory] of [[0o027, 0o640, 0o750], [0o077, 0o600, 0o700]]) {
    const dir = storePath();
    expectAll(modesAfter(umask, dir, EVERYTHING.replaceAll('MODE', 'mode: 0o640,')), file, directory);
  }
});

test('AsyncIODict passes mode to its workers', () => {
  const dir = storePath();
  const modes = modesAfter(0o022, dir, `
    const d = new AsyncIODict(dir, { mode: 0o600 });
    await d.set('a', 1);
    await d.set('b', 2);
    await d.close();
  `);
  expectAll(modes, 0o600, 0o700);
  assert.ok(Object.keys(modes).some((n) => /^[0-9a-f]{56}$/.test(n)), 'records');
});

test('FlushQueue: the store flush() makes gets its mode', () => {
  const dir = storePath();
  const modes = modesAfter(0o022, dir, `
    const q = new FlushQueue({ path: dir, mode: 0o600 });
    q.putNowait('a');
    q.putNowait('b');
    await q.flush();
  `);
  expectAll(modes, 0o600, 0o700);
  assert.is(Object.keys(modes).filter((n) => /^[0-9a-f]{56}$/.test(n)).length, 2, 'both items flushed');
});

test('the CLI: set and import --mode 600 make the store 0600 and 0700 under umask 022; a mode without owner read and write is a usage error', () => {
  const dir = storePath();
  const run = (...args) => spawnSync('sh', ['-c', 'umask 022 && exec "$@"', 'sh', process.execPath, CLI, ...args], { encoding: 'utf8', env: cliEnv(), input: '{"key":"b","value":2}\n' });
  assert.is(run('set', `${dir}/set`, 'a', '1', '--mode', '600').status, 0);
  assert.is(run('import', `${dir}/import`, '-', '--mode', '0600').status, 0);
  const modes = modesAfter(0o022, dir, '');
  expectAll(Object.fromEntries(Object.entries(modes).filter(([name]) => name !== '.')), 0o600, 0o700);
  assert.is(Object.keys(modes).filter((n) => /^(set|import)\/[0-9a-f]{56}$/.test(n)).length, 2, 'both records');
  const refused = run('set', `${dir}/other`, 'a', '1', '--mode', '400');
  assert.is(refused.status, 2);
  assert.match(refused.stderr, /--mode must be octal permission bits from 600 to 777/);
  assert.not.ok(fs.existsSync(`${dir}/other`), 'nothing made');
});

test('copyTo keeps the mode of the handle it copies from, unless told otherwise', () => {
  const dir = storePath();
  const modes = modesAfter(0o022, dir, `
    const d = new IODict(dir + '/private', { mode: 0o600 });
    d.set('a', 1);
    d.copyTo(dir + '/copy').close();
    d.copyTo(dir + '/open', { mode: 0o644 }).close();
    d.close();
  `);
  for (const [name, { dir: isDir, mode }] of Object.entries(modes)) {
    if (name === '.') continue;
    const open = name === 'open' || name.startsWith('open/');
    assert.is(mode, isDir ? (open ? 0o755 : 0o700) : open ? 0o644 : 0o600, name);
  }
});

test('a store made without a mode, opened with 0o600: what the handle makes is 0600, what was there keeps its bits', () => {
  const dir = storePath();
  modesAfter(0o022, dir, `new IODict(dir).set('old', 1).close();`);
  const modes = modesAfter(0o022, dir, `const d = new IODict(dir, { mode: 0o600 }); d.set('new', 1); d.close();`);
  const record = (key) => modes[createHash('sha3-224').update(key).digest('hex')];
  assert.is(record('old').mode, 0o644);
  assert.is(record('new').mode, 0o600);
  assert.is(modes['.'].mode, 0o755);
});

test.run();
