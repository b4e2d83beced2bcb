// A store directory is input too (issue 9): nothing under it is followed as a link, only regular
// files are records, and nothing there makes an open block or read without bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { spawnSync, execFileSync } from 'node:child_process';
import { runCli } from './support/cli.mjs';
import { createHash } from 'node:crypto';
import { IODict, StoreError, CorruptRecordError } from '../dist/index.js';
import { storePath, tempDir } from './support/tmp.mjs';
import { recordBytes, stringKey } from './support/record-writer.mjs';

const nameOf = (key) => createHash('sha3-224').update(key).digest('hex');
const dist = new URL('../dist/index.js', import.meta.url).href;

/** A directory outside the store with a file of someone else's in it. */
function outside() {
  const dir = tempDir();
  fs.writeFileSync(`${dir}/precious`, 'mine');
  return dir;
}

for (const folder of ['tmp', 'claimed', 'quarantine', 'handles']) {
  test(`.iodict/${folder} as a link to a directory outside: the store is refused, and destroy never reaches through it`, () => {
    const path = storePath();
    const d = new IODict(path, { temporary: true });
    d.set('a', 1);
    const victim = outside();
    fs.rmSync(`${path}/.iodict/${folder}`, { recursive: true, force: true });
    fs.symlinkSync(victim, `${path}/.iodict/${folder}`);
    assert.throws(() => new IODict(path), (e) => e instanceof StoreError && e.code === 'ELOOP' && e.message.includes(`.iodict/${folder}`));
    // A handle that opened before the link appeared: its destroy (close of a temporary store) refuses too.
    assert.throws(() => d.close(), (e) => e instanceof StoreError && e.code === 'ELOOP');
    assert.equal(fs.readdirSync(victim), ['precious']);
    assert.is(fs.readFileSync(`${victim}/precious`, 'utf8'), 'mine');
  });
}

test('.iodict itself as a link is refused', () => {
  const path = storePath();
  new IODict(path).set('a', 1).close();
  const elsewhere = tempDir();
  fs.renameSync(`${path}/.iodict`, `${elsewhere}/.iodict`);
  fs.symlinkSync(`${elsewhere}/.iodict`, `${path}/.iodict`);
  assert.throws(() => new IODict(path), (e) => e instanceof StoreError && e.code === 'ELOOP');
});

test('the store root may be a link to the store', () => {
  const path = storePath();
  new IODict(path).set('a', 1).close();
  const link = `${tempDir()}/link`;
  fs.symlinkSync(path, link);
  const d = new IODict(link);
  assert.is(d.get('a'), 1);
  d.set('b', 2);
  assert.equal([...d.keys()], ['a', 'b']);
  d.close();
});

test('.iodict/lock as a link: nothing is created outside the store', () => {
  const path = storePath();
  const d = new IODict(path);
  d.set('a', 1);
  const target = `${tempDir()}/made-by-iodict`;
  fs.rmSync(`${path}/.iodict/lock`, { force: true });
  fs.symlinkSync(target, `${path}/.iodict/lock`);
  // The lock is taken by a rotation (rotateAfter) and by clear(): both refuse instead of following.
  try {
    d.clear();
  } catch (e) {
    assert.ok(e instanceof StoreError, `a StoreError, not ${e}`);
  }
  assert.not.ok(fs.existsSync(target), 'no file made through the link');
  d.close();
});

test('a record that is a link to a file outside is never read: it is quarantined as no regular file', () => {
  const path = storePath();
  const d = new IODict(path);
  d.set('other', 1);
  const secret = `${tempDir()}/secret`;
  fs.writeFileSync(secret, recordBytes(stringKey('k'), Buffer.from([0xf5]))); // a valid record of k: true
  fs.symlinkSync(secret, `${path}/${nameOf('k')}`);
  assert.throws(() => d.get('k'), (e) => e instanceof CorruptRecordError && /not a regular file/.test(e.message));
  assert.not.ok(fs.existsSync(`${path}/${nameOf('k')}`));
  assert.ok(fs.existsSync(secret), 'the target is left alone');
  assert.equal([...d.entries()], [['other', 1]]);
  d.close();
});

test('a directory named like a record is no record: has and get set it aside, a set there moves it aside and lands', () => {
  const path = storePath();
  const quarantined = () => fs.readdirSync(`${path}/.iodict/quarantine`).filter((name) => !name.startsWith('.')).map((name) => name.slice(0, 56));
  const d = new IODict(path, { onCorrupt() {} });
  d.set('other', 1);
  fs.mkdirSync(`${path}/${nameOf('k')}/inside`, { recursive: true });
  d.set('k', 2); // its index is not loaded: the rename meets the directory
  assert.equal(quarantined(), [nameOf('k')]);
  assert.equal(fs.readdirSync(`${path}/.iodict/quarantine/${fs.readdirSync(`${path}/.iodict/quarantine`).find((n) => n.startsWith(nameOf('k')))}`), ['inside']);
  assert.equal([...d.entries()], [['other', 1], ['k', 2]]);
  fs.mkdirSync(`${path}/${nameOf('j')}`);
  assert.throws(() => d.has('j'), (e) => e instanceof CorruptRecordError && /not a regular file/.test(e.message));
  assert.is(d.has('j'), false);
  fs.mkdirSync(`${path}/${nameOf('i')}`);
  assert.throws(() => d.get('i'), (e) => e instanceof CorruptRecordError && /not a regular file/.test(e.message));
  assert.equal(quarantined().sort(), [nameOf('i'), nameOf('j'), nameOf('k')].sort());
  d.setMany([['i', 3], ['j', 4]]);
  assert.equal([...new IODict(path).entries()], [['other', 1], ['k', 2], ['i', 3], ['j', 4]]);
  d.close();
});

/** Runs `body` (a module text using `IODict`, `path`) in a child, bounded: a hang is a failure, not a stuck test run. */
function inChild(body, path) {
  const script = `import { IODict } from ${JSON.stringify(dist)}; const path = ${JSON.stringify(path)};\n${body}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.is(run.signal, null, `the child did not finish (a hang): ${run.stderr}`);
  assert.is(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

test('a FIFO named like a record blocks nothing: open, keys, get and verify go on, and it is quarantined', () => {
  const path = storePath();
  new IODict(path).set('a', 1).close();
  try {
    execFileSync('mkfifo', [`${path}/${nameOf('k')}`]);
  } catch {
    console.log('  (skipped: no mkfifo here)');
    return;
  }
  const seen = inChild(`const d = new IODict(path, { onCorrupt() {} }); const keys = [...d.keys()]; let got; try { got = d.get('k'); } catch (e) { got = e.name; } d.close(); console.log(JSON.stringify({ keys, got }));`, path);
  assert.equal(seen.keys, ['a']);
  assert.ok(seen.got === undefined || seen.got === 'CorruptRecordError');
  assert.not.ok(fs.existsSync(`${path}/${nameOf('k')}`), 'moved to quarantine');
});

test('a 900 MB sparse file and a link to /dev/zero among the records: open and keys() stay small and go on', () => {
  const path = storePath();
  new IODict(path).set('a', 1).close();
  const fd = fs.openSync(`${path}/${nameOf('huge')}`, 'w');
  fs.ftruncateSync(fd, 900 * 2 ** 20);
  fs.closeSync(fd);
  fs.symlinkSync('/dev/zero', `${path}/${nameOf('zero')}`);
  const seen = inChild(`let reported = 0; const d = new IODict(path, { onCorrupt() { reported++; } }); const keys = [...d.keys()]; d.close(); console.log(JSON.stringify({ keys, rss: process.memoryUsage().rss }));`, path);
  assert.equal(seen.keys, ['a']);
  assert.ok(seen.rss < 400 * 2 ** 20, `RSS ${Math.round(seen.rss / 2 ** 20)} MB`);
  assert.is(fs.readdirSync(`${path}/.iodict/quarantine`).length, 2);
});

test('finding 2: iodict stat and iodict verify finish on a store with a FIFO named like a record', () => {
  const path = storePath();
  new IODict(path).set('a', 1).close();
  const fifo = `${path}/${nameOf('k')}`;
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    console.log('  (skipped: no mkfifo here)');
    return;
  }
  // A hang fails the test: runCli throws when the timeout stops the child.
  const run = (args) => runCli(args, { timeout: 60_000 });
  const verify = run(['verify', path]);
  assert.is(verify.code, 1, 'a bad record is reported');
  assert.match(verify.stdout + verify.stderr, /not a regular file/);
  const stat = run(['stat', path, '--json']);
  assert.is(JSON.parse(stat.stdout).items, 1);
});

test.run();
