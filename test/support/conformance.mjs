// The import-table contract (assembly/host/imports.ts, StoreHost in host/core/host.ts) as one
// suite, run by test/conformance.test.mjs against every host this runtime offers. A new host
// (WASI, ...) passes when conformanceSuite(itsEntry) does.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Errno, OpenFlags, LockMode } from '../../dist/index.js';
import { tempDir } from './tmp.mjs';
import { crc32c as referenceCrc } from './format-reader.mjs';
import { checksumHelperInstalled } from './hosts.mjs';

const { READ, WRITE, CREATE, EXCL, TRUNC, APPEND, DIRECTORY } = OpenFlags;
const { SHARED, EXCLUSIVE, NONBLOCKING, UNLOCK } = LockMode;

const text = (s) => new TextEncoder().encode(s);
const decode = (bytes) => new TextDecoder().decode(bytes);

/** A writable directory on another file system than `dir`'s (/dev/shm is tmpfs on most Linux), or undefined. */
function otherFileSystemDir(dir) {
  for (const candidate of ['/dev/shm', '/run', '/var/tmp', '/tmp']) {
    try {
      fs.accessSync(candidate, fs.constants.W_OK);
      if (fs.statSync(candidate).dev !== fs.statSync(dir).dev) return candidate;
    } catch {
      // not there, or not writable: the next
    }
  }
  return undefined;
}

export function conformanceSuite({ label, host, disk, native, watch }) {
  const test = suite(`host contract [${label}]`);
  const stat = new Float64Array(4);

  /** A fresh empty directory for one test, on the disk or in the host's own file system. */
  const fresh = () => {
    const dir = tempDir('iodict-conformance-');
    if (!disk) assert.is(host.mkdir(dir), 0);
    return dir;
  };
  const ok = (result, what) => {
    assert.ok(result >= 0, `${what}: ${result}`);
    return result;
  };
  const create = (path, content = '') => {
    const fd = ok(host.open(path, READ | WRITE | CREATE | TRUNC), `create ${path}`);
    if (content) assert.is(host.write(fd, text(content), 0), content.length);
    return fd;
  };
  const makeFile = (path, content = '') => assert.is(host.close(create(path, content)), 0);
  const readAt = (fd, pos, length = 64) => {
    const buf = new Uint8Array(length);
    const n = ok(host.read(fd, buf, pos), 'read');
    return decode(buf.subarray(0, n));
  };
  const fstat = (fd) => (assert.is(host.fstat(fd, stat), 0), { size: stat[0], mtime: stat[1], nlink: stat[2], dir: stat[3] });

  test('open: ENOENT without CREATE; CREATE|EXCL creates once, then EEXIST; missing parent ENOENT; through a file ENOTDIR', () => {
    const dir = fresh();
    assert.is(host.open(`${dir}/missing`, READ), -Errno.ENOENT);
    const fd = ok(host.open(`${dir}/f`, READ | WRITE | CREATE | EXCL), 'O_EXCL create');
    assert.is(host.close(fd), 0);
    assert.is(host.open(`${dir}/f`, READ | WRITE | CREATE | EXCL), -Errno.EEXIST);
    assert.is(host.close(ok(host.open(`${dir}/f`, READ | WRITE | CREATE), 'CREATE without EXCL opens')), 0);
    assert.is(host.open(`${dir}/no/such/dir`, WRITE | CREATE), -Errno.ENOENT);
    assert.is(host.open(`${dir}/f/below`, WRITE | CREATE), -Errno.ENOTDIR);
    assert.is(host.open(`${dir}/f/below`, READ), -Errno.ENOTDIR);
  });

  (disk ? test : test.skip)('containment: open never follows a link (ELOOP), stat does not (type 2), a FIFO opens without blocking; types 0 file, 1 directory', () => {
    const dir = fresh();
    makeFile(`${dir}/f`, 'x');
    fs.symlinkSync(`${dir}/f`, `${dir}/link`);
    fs.symlinkSync(dir, `${dir}/dirlink`);
    assert.is(host.open(`${dir}/link`, READ), -Errno.ELOOP);
    assert.is(host.open(`${dir}/link`, READ | WRITE | CREATE), -Errno.ELOOP);
    assert.ok([-Errno.ELOOP, -Errno.ENOTDIR].includes(host.open(`${dir}/dirlink`, DIRECTORY)), 'a link to a directory is no directory to open');
    assert.is(host.stat(`${dir}/link`, stat), 0);
    assert.is(stat[3], 2, 'a link is type 2');
    assert.is(host.stat(`${dir}/f`, stat), 0);
    assert.is(stat[3], 0, 'a file is type 0');
    assert.is(host.stat(dir, stat), 0);
    assert.is(stat[3], 1, 'a directory is type 1');
    if (spawnSync('mkfifo', [`${dir}/fifo`]).status === 0) {
      const fd = ok(host.open(`${dir}/fifo`, READ), 'a FIFO opens at once');
      assert.is(host.fstat(fd, stat), 0);
      assert.is(stat[3], 2, 'a FIFO is type 2');
      assert.is(host.close(fd), 0);
    }
  });

  test('open: a directory for writing is EISDIR; DIRECTORY on a file is ENOTDIR, on a directory a descriptor to fsync', () => {
    const dir = fresh();
    makeFile(`${dir}/f`);
    assert.is(host.open(dir, READ | WRITE), -Errno.EISDIR);
    assert.is(host.open(dir, WRITE | CREATE), -Errno.EISDIR);
    assert.is(host.open(`${dir}/f`, DIRECTORY), -Errno.ENOTDIR);
    assert.is(host.open(`${dir}/missing`, DIRECTORY), -Errno.ENOENT);
    const fd = ok(host.open(dir, DIRECTORY), 'open a directory');
    assert.is(host.fsync(fd), 0);
    // syncfs is optional: where present it flushes the file system, or says ENOTSUP (also to
    // decline, when an fsync of each of the `files` files would cost less).
    if (host.syncfs) assert.ok([0, -Errno.ENOTSUP].includes(host.syncfs(fd, 1)), 'syncfs: 0 or -ENOTSUP');
    assert.is(fstat(fd).dir, 1);
    assert.is(host.read(fd, new Uint8Array(4), 0), -Errno.EISDIR);
    assert.is(host.close(fd), 0);
  });

  test('open: a name over 255 bytes is ENAMETOOLONG (open, stat, mkdir)', () => {
    const dir = fresh();
    const long = `${dir}/${'n'.repeat(256)}`;
    assert.is(host.open(long, WRITE | CREATE), -Errno.ENAMETOOLONG);
    assert.is(host.stat(long, stat), -Errno.ENAMETOOLONG);
    assert.is(host.mkdir(long), -Errno.ENAMETOOLONG);
    makeFile(`${dir}/${'n'.repeat(255)}`); // 255 is allowed
  });

  test('close, and every descriptor call on a closed or unknown descriptor: EBADF, never a throw', () => {
    const dir = fresh();
    const fd = create(`${dir}/f`, 'x');
    assert.is(host.close(fd), 0);
    for (const bad of [fd, 987654]) {
      assert.is(host.close(bad), -Errno.EBADF);
      assert.is(host.read(bad, new Uint8Array(4), 0), -Errno.EBADF);
      assert.is(host.read(bad, new Uint8Array(4), -1), -Errno.EBADF);
      assert.is(host.write(bad, text('y'), 0), -Errno.EBADF);
      assert.is(host.fsync(bad), -Errno.EBADF);
      assert.is(host.fstat(bad, stat), -Errno.EBADF);
      const expected = native ? -Errno.EBADF : -Errno.ENOTSUP;
      assert.is(host.getxattr(bad, 'user.k', new Uint8Array(8)), expected);
      assert.is(host.setxattr(bad, 'user.k', text('v')), expected);
      assert.is(host.lock(bad, EXCLUSIVE | NONBLOCKING), expected);
    }
  });

  test('read/write at a position leave the position alone; at the current position (pos < 0) they advance it', () => {
    const dir = fresh();
    const fd = ok(host.open(`${dir}/f`, READ | WRITE | CREATE), 'open');
    assert.is(host.write(fd, text('hello'), -1), 5);
    assert.is(host.write(fd, text(' world'), -1), 6);
    assert.is(host.write(fd, text('HE'), 0), 2, 'positional write');
    assert.is(host.write(fd, text('!'), -1), 1, 'appends at the current position, not after the positional write');
    assert.is(readAt(fd, 0), 'HEllo world!');
    assert.is(readAt(fd, 6, 3), 'wor');
    assert.is(readAt(fd, 12), '', 'at the end: 0 bytes');
    assert.is(readAt(fd, 100), '', 'past the end: 0 bytes');
    assert.is(readAt(fd, -1), '', 'the current position is the end');
    assert.is(host.close(fd), 0);
    const again = ok(host.open(`${dir}/f`, READ), 'reopen');
    assert.is(readAt(again, -1, 5), 'HEllo', 'a new descriptor starts at 0');
    assert.is(readAt(again, 0, 2), 'HE');
    assert.is(readAt(again, -1, 3), ' wo', 'the positional read did not move it');
    assert.is(host.close(again), 0);
  });

  test('a write past the end leaves a hole that reads as zeros; fstat reports the new size', () => {
    const dir = fresh();
    const fd = create(`${dir}/f`, 'ab');
    assert.is(host.write(fd, text('z'), 6), 1);
    const buf = new Uint8Array(16);
    assert.is(host.read(fd, buf, 0), 7);
    assert.equal([...buf.subarray(0, 7)], [97, 98, 0, 0, 0, 0, 122]);
    assert.is(fstat(fd).size, 7);
    assert.is(host.close(fd), 0);
  });

  test('a read-only descriptor cannot write, a write-only one cannot read: EBADF', () => {
    const dir = fresh();
    makeFile(`${dir}/f`, 'data');
    const reader = ok(host.open(`${dir}/f`, READ), 'open read-only');
    assert.is(host.write(reader, text('x'), 0), -Errno.EBADF);
    assert.is(host.write(reader, text('x'), -1), -Errno.EBADF);
    const writer = ok(host.open(`${dir}/f`, WRITE), 'open write-only');
    assert.is(host.read(writer, new Uint8Array(4), 0), -Errno.EBADF);
    assert.is(host.write(writer, text('D'), 0), 1);
    assert.is(readAt(reader, 0), 'Data');
    for (const fd of [reader, writer]) assert.is(host.close(fd), 0);
  });

  test('TRUNC empties a file; APPEND writes at the end, also after another descriptor grew it', () => {
    const dir = fresh();
    makeFile(`${dir}/f`, 'old content');
    const fd = ok(host.open(`${dir}/f`, READ | WRITE | TRUNC), 'truncate');
    assert.is(fstat(fd).size, 0);
    assert.is(readAt(fd, 0), '');
    const appender = ok(host.open(`${dir}/f`, WRITE | APPEND), 'open for append');
    const other = ok(host.open(`${dir}/f`, WRITE), 'another descriptor');
    assert.is(host.write(appender, text('one;'), -1), 4);
    assert.is(host.write(other, text('TWO;'), 4), 4, 'another descriptor grows the file');
    assert.is(host.write(appender, text('three'), -1), 5);
    assert.is(readAt(fd, 0), 'one;TWO;three');
    for (const d of [fd, appender, other]) assert.is(host.close(d), 0);
  });

  test('fstat and stat: size, mtime in ms, nlink, isDirectory; stat ENOENT, ENOTDIR through a file', () => {
    const dir = fresh();
    const before = Date.now();
    const fd = create(`${dir}/f`, '12345');
    const s = fstat(fd);
    assert.is(s.size, 5);
    assert.is(s.nlink, 1);
    assert.is(s.dir, 0);
    assert.ok(Math.abs(s.mtime - before) < 5000, `mtime ${s.mtime} vs now ${before}`);
    assert.is(host.stat(`${dir}/f`, stat), 0);
    assert.equal([...stat], [5, s.mtime, 1, 0]);
    assert.is(host.stat(dir, stat), 0);
    assert.is(stat[3], 1);
    assert.ok(stat[2] >= 1, 'a directory has links');
    assert.is(host.stat(`${dir}/missing`, stat), -Errno.ENOENT);
    assert.is(host.stat(`${dir}/missing/below`, stat), -Errno.ENOENT);
    assert.is(host.stat(`${dir}/f/below`, stat), -Errno.ENOTDIR);
    assert.is(host.close(fd), 0);
  });

  test('rename replaces its target: an open descriptor of the old target keeps its bytes and sees nlink 0', () => {
    const dir = fresh();
    makeFile(`${dir}/new`, 'new');
    const old = create(`${dir}/target`, 'old');
    assert.is(fstat(old).nlink, 1);
    assert.is(host.rename(`${dir}/new`, `${dir}/target`), 0);
    assert.is(fstat(old).nlink, 0, 'the renamed-over file has no name left');
    assert.is(readAt(old, 0), 'old', 'and still reads');
    assert.is(host.stat(`${dir}/new`, stat), -Errno.ENOENT);
    const now = ok(host.open(`${dir}/target`, READ), 'open the new target');
    assert.is(readAt(now, 0), 'new');
    assert.is(fstat(now).nlink, 1);
    for (const fd of [old, now]) assert.is(host.close(fd), 0);
  });

  test('rename: ENOENT once the source is gone (the claim primitive); a missing target directory is ENOENT', () => {
    const dir = fresh();
    makeFile(`${dir}/item`, 'x');
    assert.is(host.mkdir(`${dir}/claimed`), 0);
    assert.is(host.rename(`${dir}/item`, `${dir}/claimed/item.1`), 0);
    assert.is(host.rename(`${dir}/item`, `${dir}/claimed/item.2`), -Errno.ENOENT, 'the second claimer loses');
    assert.equal(host.readdir(`${dir}/claimed`), ['item.1']);
    assert.is(host.rename(`${dir}/claimed/item.1`, `${dir}/nowhere/item`), -Errno.ENOENT);
    assert.is(host.rename(`${dir}/claimed/item.1`, `${dir}/claimed/item.1`), 0, 'onto itself: nothing happens');
    assert.equal(host.readdir(`${dir}/claimed`), ['item.1']);
  });

  // A file system other than the one test directories are on (EXDEV, which the contract has as EIO).
  const elsewhere = disk ? otherFileSystemDir(tempDir('iodict-conformance-')) : undefined;
  (elsewhere ? test : test.skip)(`rename to another file system (${elsewhere ?? 'none here'}): EIO, changing nothing`, () => {
    const dir = fresh();
    makeFile(`${dir}/item`, 'x');
    assert.is(host.rename(`${dir}/item`, `${elsewhere}/iodict-exdev-${process.pid}`), -Errno.EIO);
    assert.equal(host.readdir(dir), ['item']);
  });

  // exchange is optional: Linux renameat2(RENAME_EXCHANGE) through the native helper, and the
  // memory host; a disk host without the helper answers ENOTSUP (the core renames instead).
  test(`exchange: ${native ? 'swaps two names; ENOENT when either is missing, changing nothing' : 'ENOTSUP, changing nothing'}`, () => {
    const dir = fresh();
    makeFile(`${dir}/a`, 'first');
    const held = create(`${dir}/b`, 'second');
    const contents = () => ['a', 'b'].map((name) => {
      const fd = ok(host.open(`${dir}/${name}`, READ), `open ${name}`);
      const content = readAt(fd, 0);
      assert.is(host.close(fd), 0);
      return content;
    });
    if (!native) {
      assert.is(host.exchange?.(`${dir}/a`, `${dir}/b`) ?? -Errno.ENOTSUP, -Errno.ENOTSUP);
      assert.equal(contents(), ['first', 'second']);
      assert.is(host.close(held), 0);
      return;
    }
    assert.is(host.exchange(`${dir}/a`, `${dir}/b`), 0);
    assert.equal(contents(), ['second', 'first']);
    assert.is(readAt(held, 0), 'second', 'an open descriptor follows its file to the other name');
    assert.is(fstat(held).nlink, 1);
    assert.is(host.exchange(`${dir}/a`, `${dir}/missing`), -Errno.ENOENT, 'a missing target');
    assert.is(host.exchange(`${dir}/missing`, `${dir}/b`), -Errno.ENOENT, 'a missing source');
    assert.equal(contents(), ['second', 'first'], 'nothing changed');
    assert.equal(host.readdir(dir).sort(), ['a', 'b']);
    assert.is(host.close(held), 0);
  });

  // renameIfAbsent is optional: Linux renameat2(RENAME_NOREPLACE) through the native helper, and
  // the memory host; a disk host without the helper answers ENOTSUP (the core looks, then renames).
  test(`renameIfAbsent: ${native ? 'moves to a free name; EEXIST onto a file, ENOENT from a missing one, changing nothing' : 'ENOTSUP, changing nothing'}`, () => {
    const dir = fresh();
    makeFile(`${dir}/claimed`, 'taken');
    makeFile(`${dir}/record`, 'newer');
    const listing = () => host.readdir(dir).sort();
    if (!native) {
      assert.is(host.renameIfAbsent?.(`${dir}/claimed`, `${dir}/free`) ?? -Errno.ENOTSUP, -Errno.ENOTSUP);
      assert.equal(listing(), ['claimed', 'record']);
      return;
    }
    assert.is(host.renameIfAbsent(`${dir}/claimed`, `${dir}/record`), -Errno.EEXIST, 'onto a file');
    assert.equal(listing(), ['claimed', 'record'], 'nothing changed');
    const fd = ok(host.open(`${dir}/record`, READ), 'open record');
    assert.is(readAt(fd, 0), 'newer', 'the file there is kept');
    assert.is(host.close(fd), 0);
    assert.is(host.renameIfAbsent(`${dir}/missing`, `${dir}/free`), -Errno.ENOENT, 'a missing source');
    assert.is(host.renameIfAbsent(`${dir}/claimed`, `${dir}/free`), 0);
    assert.equal(listing(), ['free', 'record']);
    const moved = ok(host.open(`${dir}/free`, READ), 'open free');
    assert.is(readAt(moved, 0), 'taken');
    assert.is(host.close(moved), 0);
  });

  // link is optional (an overwrite without exchange probes with it, FORMAT.md 7.3 step 2); every
  // host here has it.
  test('link: a second name of a file, counted in nlink; EEXIST onto a name, ENOENT from a missing one', () => {
    const dir = fresh();
    makeFile(`${dir}/record`, 'old');
    const links = (name) => (assert.is(host.stat(`${dir}/${name}`, stat), 0), stat[2]);
    assert.is(host.link(`${dir}/record`, `${dir}/probe`), 0);
    assert.is(links('probe'), 2);
    assert.is(links('record'), 2);
    assert.is(host.link(`${dir}/record`, `${dir}/probe`), -Errno.EEXIST, 'onto a name');
    assert.is(host.link(`${dir}/missing`, `${dir}/other`), -Errno.ENOENT, 'a missing source');
    // Renamed away (a claim): still two names. Renamed over (a replacing write): one left.
    assert.is(host.rename(`${dir}/record`, `${dir}/claimed`), 0);
    assert.is(links('probe'), 2);
    makeFile(`${dir}/temp`, 'new');
    assert.is(host.rename(`${dir}/temp`, `${dir}/claimed`), 0);
    assert.is(links('probe'), 1);
    const fd = ok(host.open(`${dir}/probe`, READ), 'open probe');
    assert.is(readAt(fd, 0), 'old', 'the probe keeps the replaced file');
    assert.is(host.close(fd), 0);
    assert.is(host.unlink(`${dir}/probe`), 0);
    assert.equal(host.readdir(dir), ['claimed']);
  });

  // crc32c is optional (the native helper's machine-code CRC, for long records and caches);
  // its values land on disk, so where a host has it, it must be CRC-32C exactly.
  const helperExpected = disk && native && checksumHelperInstalled();
  test(`crc32c: ${helperExpected ? 'CRC-32C of any bytes, continuing a seed, also on a view of WebAssembly memory' : 'absent'}`, () => {
    assert.is(typeof host.crc32c, helperExpected ? 'function' : 'undefined', 'offered with the native helper installed');
    if (!host.crc32c) return;
    const bytes = new Uint8Array(70_001);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) >>> 3;
    assert.is(host.crc32c(text('123456789'), 0), 0xe3069283, 'the check value, unsigned');
    for (const length of [0, 1, 7, 1023, 1024, 4096, 70_001]) {
      const input = bytes.subarray(0, length);
      assert.is(host.crc32c(input, 0), referenceCrc(input), `${length} bytes`);
      const cut = length >> 1;
      assert.is(host.crc32c(input.subarray(cut), referenceCrc(input.subarray(0, cut))), referenceCrc(input), `${length} bytes, continued after ${cut}`);
    }
    const memory = new WebAssembly.Memory({ initial: 2 });
    const view = new Uint8Array(memory.buffer, 65_537, 5000);
    view.set(bytes.subarray(0, 5000));
    assert.is(host.crc32c(view, 0), referenceCrc(bytes.subarray(0, 5000)), 'a view of WebAssembly memory at an odd offset');
  });

  test('rename of directories: moves their content; ENOTEMPTY, EISDIR, ENOTDIR, EINVAL into itself', () => {
    const dir = fresh();
    assert.is(host.mkdir(`${dir}/a/sub`), 0);
    makeFile(`${dir}/a/sub/f`, 'inside');
    assert.is(host.mkdir(`${dir}/empty`), 0);
    assert.is(host.mkdir(`${dir}/full/x`), 0);
    makeFile(`${dir}/file`);
    assert.is(host.rename(`${dir}/a`, `${dir}/full`), -Errno.ENOTEMPTY);
    assert.is(host.rename(`${dir}/file`, `${dir}/empty`), -Errno.EISDIR);
    assert.is(host.rename(`${dir}/a`, `${dir}/file`), -Errno.ENOTDIR);
    assert.is(host.rename(`${dir}/a`, `${dir}/a/sub/deeper`), -Errno.EINVAL);
    assert.is(host.rename(`${dir}/a`, `${dir}/empty`), 0, 'over an empty directory');
    const fd = ok(host.open(`${dir}/empty/sub/f`, READ), 'content moved along');
    assert.is(readAt(fd, 0), 'inside');
    assert.is(host.close(fd), 0);
    assert.is(host.stat(`${dir}/a`, stat), -Errno.ENOENT);
  });

  test('unlink: an open file keeps reading with nlink 0; ENOENT; EISDIR on a directory', () => {
    const dir = fresh();
    const fd = create(`${dir}/f`, 'still here');
    assert.is(host.unlink(`${dir}/f`), 0);
    assert.is(fstat(fd).nlink, 0);
    assert.is(readAt(fd, 0), 'still here');
    assert.is(host.write(fd, text('!'), -1), 1, 'and writable');
    assert.is(host.unlink(`${dir}/f`), -Errno.ENOENT);
    assert.is(host.open(`${dir}/f`, READ), -Errno.ENOENT);
    assert.is(host.unlink(dir), -Errno.EISDIR);
    assert.is(host.unlink(`${dir}/f/x`), -Errno.ENOENT);
    assert.is(host.close(fd), 0);
  });

  test('mkdir creates missing parents; EEXIST for a directory or a file; ENOTDIR through a file', () => {
    const dir = fresh();
    assert.is(host.mkdir(`${dir}/a/b/c`), 0);
    assert.is(host.stat(`${dir}/a/b/c`, stat), 0);
    assert.is(stat[3], 1);
    assert.is(host.mkdir(`${dir}/a/b`), -Errno.EEXIST);
    assert.is(host.mkdir(`${dir}/a/b/c`), -Errno.EEXIST);
    makeFile(`${dir}/f`);
    assert.is(host.mkdir(`${dir}/f`), -Errno.EEXIST);
    assert.is(host.mkdir(`${dir}/f/x`), -Errno.ENOTDIR);
    assert.is(host.mkdir(`${dir}/f/x/y`), -Errno.ENOTDIR);
  });

  (disk ? test : test.skip)('modes: a created file gets open\'s mode, each directory mkdir makes gets its mode, less the umask (defaults 0o666, 0o777); an existing file keeps its own', () => {
    const dir = fresh();
    const umask = process.umask();
    const modeOf = (p) => fs.statSync(p).mode & 0o777;
    assert.is(host.close(ok(host.open(`${dir}/private`, READ | WRITE | CREATE | EXCL, 0o600), 'create 0o600')), 0);
    assert.is(modeOf(`${dir}/private`), 0o600 & ~umask);
    assert.is(host.close(ok(host.open(`${dir}/shared`, WRITE | CREATE, 0o664), 'create 0o664')), 0);
    assert.is(modeOf(`${dir}/shared`), 0o664 & ~umask);
    assert.is(host.close(ok(host.open(`${dir}/plain`, WRITE | CREATE), 'create')), 0);
    assert.is(modeOf(`${dir}/plain`), 0o666 & ~umask);
    assert.is(host.close(ok(host.open(`${dir}/plain`, WRITE | CREATE | TRUNC, 0o600), 'open existing')), 0);
    assert.is(modeOf(`${dir}/plain`), 0o666 & ~umask, 'the mode is for creating only');
    assert.is(host.mkdir(`${dir}/a/b`, 0o700), 0);
    assert.equal([modeOf(`${dir}/a`), modeOf(`${dir}/a/b`)], [0o700 & ~umask, 0o700 & ~umask], 'missing parents too');
    assert.is(host.mkdir(`${dir}/c`), 0);
    assert.is(modeOf(`${dir}/c`), 0o777 & ~umask);
  });

  test('rmdir: ENOTEMPTY, ENOENT, ENOTDIR; an emptied directory goes', () => {
    const dir = fresh();
    assert.is(host.mkdir(`${dir}/d`), 0);
    makeFile(`${dir}/d/f`);
    assert.is(host.rmdir(`${dir}/d`), -Errno.ENOTEMPTY);
    assert.is(host.rmdir(`${dir}/d/f`), -Errno.ENOTDIR);
    assert.is(host.rmdir(`${dir}/missing`), -Errno.ENOENT);
    assert.is(host.unlink(`${dir}/d/f`), 0);
    assert.is(host.rmdir(`${dir}/d`), 0);
    assert.is(host.stat(`${dir}/d`, stat), -Errno.ENOENT);
    assert.equal(host.readdir(dir), []);
  });

  test('readdir: every name (files and directories, no . or ..), in any order; ENOENT, ENOTDIR', () => {
    const dir = fresh();
    assert.equal(host.readdir(dir), []);
    const names = Array.from({ length: 3000 }, (_, i) => `entry-${i}`);
    for (const name of names) makeFile(`${dir}/${name}`);
    assert.is(host.mkdir(`${dir}/.hidden-dir`), 0);
    const listed = host.readdir(dir);
    assert.ok(Array.isArray(listed));
    assert.equal([...listed].sort(), [...names, '.hidden-dir'].sort());
    assert.is(host.readdir(`${dir}/missing`), -Errno.ENOENT);
    assert.is(host.readdir(`${dir}/entry-0`), -Errno.ENOTDIR);
  });

  if (native) {
    test('xattrs: set and get back; ENODATA when unset; a small buffer gets the length; ENOTSUP outside user.*', () => {
      const dir = fresh();
      const fd = create(`${dir}/f`);
      const buf = new Uint8Array(64);
      assert.is(host.getxattr(fd, 'user.key', buf), -Errno.ENODATA);
      assert.is(host.setxattr(fd, 'user.key', text('value')), 0);
      assert.is(host.getxattr(fd, 'user.key', buf), 5);
      assert.is(decode(buf.subarray(0, 5)), 'value');
      assert.is(host.setxattr(fd, 'user.key', text('a longer value')), 0, 'overwrite');
      const small = new Uint8Array(4);
      assert.is(host.getxattr(fd, 'user.key', small), 14, 'too small: the length, to call again bigger');
      assert.is(host.getxattr(fd, 'user.key', buf), 14);
      assert.is(decode(buf.subarray(0, 14)), 'a longer value');
      const bytes = new Uint8Array(300).map((_, i) => i);
      assert.is(host.setxattr(fd, 'user.birthtime', bytes), 0, 'any bytes, independent of other names');
      assert.is(host.getxattr(fd, 'user.birthtime', new Uint8Array(300)), 300);
      assert.is(host.setxattr(fd, 'user.empty', new Uint8Array(0)), 0);
      assert.is(host.getxattr(fd, 'user.empty', buf), 0);
      assert.is(host.setxattr(fd, 'nonamespace', text('v')), -Errno.ENOTSUP);
      assert.is(host.getxattr(fd, 'nonamespace', buf), -Errno.ENOTSUP);
      const reader = ok(host.open(`${dir}/f`, READ), 'another descriptor');
      assert.is(host.getxattr(reader, 'user.key', buf), 14, 'the attribute belongs to the file');
      for (const d of [fd, reader]) assert.is(host.close(d), 0);
    });

    test('locks: flock between descriptors of one file; EAGAIN when held and non-blocking; close releases', () => {
      const dir = fresh();
      makeFile(`${dir}/lock`);
      const a = ok(host.open(`${dir}/lock`, READ | WRITE), 'a');
      const b = ok(host.open(`${dir}/lock`, READ | WRITE), 'b');
      const c = ok(host.open(`${dir}/lock`, READ), 'c');
      assert.is(host.lock(a, 3), -Errno.EINVAL, 'not a mode');
      assert.is(host.lock(a, EXCLUSIVE | NONBLOCKING), 0);
      assert.is(host.lock(a, EXCLUSIVE | NONBLOCKING), 0, 'again by its holder');
      assert.is(host.lock(b, EXCLUSIVE | NONBLOCKING), -Errno.EAGAIN);
      assert.is(host.lock(b, SHARED | NONBLOCKING), -Errno.EAGAIN);
      assert.is(host.lock(a, UNLOCK), 0);
      assert.is(host.lock(b, SHARED | NONBLOCKING), 0);
      assert.is(host.lock(c, SHARED | NONBLOCKING), 0, 'shared locks coexist');
      assert.is(host.lock(a, EXCLUSIVE | NONBLOCKING), -Errno.EAGAIN);
      assert.is(host.lock(b, UNLOCK), 0);
      assert.is(host.close(c), 0, 'closing releases the lock');
      assert.is(host.lock(a, EXCLUSIVE), 0, 'free: a blocking request is granted at once');
      assert.is(host.lock(b, UNLOCK), 0, 'unlocking what one does not hold is fine');
      assert.is(host.close(a), 0);
      assert.is(host.lock(b, EXCLUSIVE | NONBLOCKING), 0);
      assert.is(host.close(b), 0);
    });
  } else {
    test('without a native helper: xattrs and locks are ENOTSUP', () => {
      const dir = fresh();
      const fd = create(`${dir}/f`);
      assert.is(host.setxattr(fd, 'user.key', text('v')), -Errno.ENOTSUP);
      assert.is(host.getxattr(fd, 'user.key', new Uint8Array(8)), -Errno.ENOTSUP);
      assert.is(host.lock(fd, EXCLUSIVE | NONBLOCKING), -Errno.ENOTSUP);
      assert.is(host.lock(fd, UNLOCK), -Errno.ENOTSUP);
      assert.is(host.close(fd), 0);
    });
  }

  test('now, random, pid, alive, sleep', () => {
    const now = host.now();
    assert.ok(Number.isInteger(now));
    assert.ok(Math.abs(now / 1000 - Date.now()) < 1000, `now() ${now} µs`);
    if (disk) {
      // Within the millisecond the wall clock says (so processes on one machine agree on the order
      // of their birth stamps), and strictly increasing. Calls 2 µs apart: closer ones are pushed
      // a µs apart each, ahead of the clock (strictly increasing wins).
      let last = 0;
      for (let i = 0; i < 500; i++) {
        const apart = performance.now() + 0.002;
        while (performance.now() < apart);
        const before = Date.now();
        const t = host.now();
        const after = Date.now();
        assert.ok(t > last && t >= before * 1000 - 50 && t < (after + 1.05) * 1000 + 10, `now() ${t} µs between ${before} and ${after} ms`);
        last = t;
      }
    }
    const a = new Uint8Array(100000);
    const b = new Uint8Array(100000);
    host.random(a);
    host.random(b);
    assert.ok(a.subarray(99900).some((x) => x !== 0), 'the whole buffer is filled');
    assert.not.equal(a, b);
    // Small draws (an open takes 8 bytes) may come from a pool the host refills: every one differs.
    const draws = new Set();
    for (let i = 0; i < 1000; i++) {
      const draw = new Uint8Array(8);
      host.random(draw);
      draws.add(Buffer.from(draw).toString('hex'));
    }
    assert.is(draws.size, 1000, 'a thousand 8-byte draws, across refills, all differ');
    const pid = host.pid();
    assert.ok(Number.isInteger(pid) && pid > 0);
    assert.is(host.alive(pid), 1);
    if (disk) {
      assert.is(pid, process.pid);
      // A process that has exited and been reaped is gone.
      const child = spawnSync(process.execPath, ['-e', '0']);
      assert.is(child.status, 0);
      assert.is(host.alive(child.pid), 0);
    } else {
      assert.is(host.alive(pid + 1), 0, 'no other process can use this file system');
    }
    const started = performance.now();
    host.sleep(30);
    assert.ok(performance.now() - started >= 25, 'sleep blocks');
  });

  if (watch) {
    test('watch: a change in the directory calls back; close stops it', async () => {
      const dir = fresh();
      let changed;
      const seen = new Promise((resolve) => (changed = resolve));
      const watcher = host.watch(dir, () => changed());
      makeFile(`${dir}/new`);
      const timeout = setTimeout(() => changed('timeout'), 5000);
      assert.is(await seen, undefined, 'no change seen within 5 s');
      clearTimeout(timeout);
      watcher.close();
    });
  } else {
    test('no watch(): waiters poll', () => {
      assert.is(host.watch, undefined);
    });
  }

  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  (disk && !root ? test : test.skip)('EACCES on a file without permission (disk hosts, not as root)', () => {
    const dir = fresh();
    makeFile(`${dir}/private`, 'x');
    fs.chmodSync(`${dir}/private`, 0);
    assert.is(host.open(`${dir}/private`, READ), -Errno.EACCES);
  });

  return test;
}
