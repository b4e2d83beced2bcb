// Hostile import input for the CLI (issue 9: bounded, linear, refusing with a clear message and
// exit code 1), and the store kinds that set, rm and import keep to (issue 10). The CLI runs
// in-process (test/support/cli.mjs) against real stores and files in fresh temp directories.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSync } from 'esbuild';
import { hostBundleOptions } from './support/bundle.mjs';
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DurableQueue } from '../dist/index.js';
import { entries, formatMarker, markerKind, runCli as cli } from './support/cli.mjs';
import { runPython } from './support/python.mjs';
import { crc32c } from './support/format-reader.mjs';
import { storePath, tempDir } from './support/tmp.mjs';

function ok(args, options) {
  const r = cli(args, options);
  assert.is(r.code, 0, `iodict ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Exit code 1 with one clear message matching `pattern`, never an internal error or a stack trace. */
function refused(args, pattern, options) {
  const r = cli(args, options);
  assert.is(r.code, 1, `iodict ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.not.match(r.stderr, /internal error|\n\s+at /, r.stderr);
  return r;
}

const write = (text) => {
  const file = `${tempDir()}/input`;
  fs.writeFileSync(file, text);
  return file;
};
const line = (key, value, extra = {}) => JSON.stringify({ key, value, ...extra });

// ---- pickles (import --from-python) ----------------------------------------------------------

/** A Python iodict directory in its plain layout (no xattrs: each file is named by its key), values from Python expressions. */
function pythonDir(values) {
  const dir = `${tempDir()}/python`;
  runPython(['-c', `import os, pickle, sys, json
os.makedirs(sys.argv[1])
for key, expr in json.loads(sys.argv[2]).items():
    with open(os.path.join(sys.argv[1], key), 'wb') as f:
        f.write(pickle.dumps(eval(expr)))`, dir, JSON.stringify(values)]);
  return dir;
}

const LAUGHS = "(lambda f: f(f, ['lol'] * 10, 9))(lambda f, a, n: a if n == 0 else f(f, [a] * 10, n - 1))";

test('a pickle whose shared references stand for 10^10 items ("billion laughs") is refused, and nothing is written', () => {
  const dir = pythonDir({ laughs: LAUGHS, shared: '(lambda t: [t] * 1000)([1, 2, 3])' });
  assert.ok(fs.statSync(`${dir}/laughs`).size < 300, 'a small pickle');
  const target = storePath();
  const r = refused(['import', target, '--from-python', dir], /cannot import "laughs" \(file laughs\): unsupported value: the value could take more than \d+ bytes once its shared references are written out/);
  assert.match(r.stdout, /nothing imported: 1 item\(s\) cannot be/);
  assert.not.ok(fs.existsSync(target));
  // Sharing within the budget is written out in full.
  ok(['import', target, '--from-python', dir, '--skip-unsupported']);
  assert.equal(entries(target), [['shared', Array.from({ length: 1000 }, () => [1, 2, 3])]]);
});

test('a pickle file over 2 GiB is reported without being read', () => {
  const dir = pythonDir({ small: '"kept"' });
  fs.writeFileSync(`${dir}/huge`, '');
  fs.truncateSync(`${dir}/huge`, 2 ** 31 + 1); // sparse: takes no room
  refused(['import', storePath(), '--from-python', dir], /cannot import "huge" \(file huge\): the file is 2147483649 bytes, over the 2147483647-byte limit/);
  const target = storePath();
  ok(['import', target, '--from-python', dir, '--skip-unsupported']);
  assert.equal(entries(target), [['small', 'kept']]);
});

test('import --from-python never follows a symbolic link out of its directory', () => {
  const dir = pythonDir({ inside: '"mine"' });
  const outside = pythonDir({ secret: '"not yours"' });
  fs.symlinkSync(`${outside}/secret`, `${dir}/secret`);
  fs.symlinkSync(outside, `${dir}/folder`);
  const r = refused(['import', storePath(), '--from-python', dir, '--json'], /a symbolic link: not followed/);
  const report = JSON.parse(r.stdout);
  assert.equal(report.skipped.map((s) => [s.file, s.problem]).sort(), [
    ['folder', 'a symbolic link: not followed (only regular files are read)'],
    ['secret', 'a symbolic link: not followed (only regular files are read)'],
  ]);
  assert.is(report.written, false);
  const target = storePath();
  ok(['import', target, '--from-python', dir, '--skip-unsupported']);
  assert.equal(entries(target), [['inside', 'mine']]);
});

// ---- NDJSON ------------------------------------------------------------------------------------

test('lines are read in linear time: bytes copied stay proportional to the line, whatever the chunking', async () => {
  const out = `${tempDir()}/input.mjs`;
  buildSync({ ...hostBundleOptions, entryPoints: [fileURLToPath(new URL('../host/cli/input.ts', import.meta.url))], format: 'esm', outfile: out });
  const { ByteReader } = await import(pathToFileURL(out).href);
  const text = `${'a'.repeat(1 << 20)}\nshort\r\n${'é'.repeat(3000)}`;
  const bytes = Buffer.from(text);
  async function* chunks(size) {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  const concat = Buffer.concat;
  let copied = 0;
  Buffer.concat = (list, total) => {
    const joined = concat(list, total);
    copied += joined.length;
    return joined;
  };
  try {
    const lines = [];
    for await (const l of new ByteReader(chunks(1024)).lines()) lines.push(l);
    assert.equal(lines.map((l) => [l.number, l.text.length]), [[1, 1 << 20], [2, 5], [3, 3000]]);
    assert.is(lines[2].text, 'é'.repeat(3000), 'a character split across chunks');
    assert.ok(copied <= 2 * bytes.length, `${copied} bytes copied for ${bytes.length} of input`);
  } finally {
    Buffer.concat = concat;
  }
  // A line over the limit is refused once the limit is passed, not after reading it all.
  let read = 0;
  const error = await (async () => {
    for await (const _ of new ByteReader(chunks(100), (n) => (read += n)).lines(1000));
  })().catch((e) => e);
  assert.is(error?.message, 'line 1 is longer than 1000 bytes');
  assert.is(error.name, 'DataError');
  assert.ok(read <= 1100, `${read} bytes read`);
});

test('a long line imports whole, its text intact across chunk boundaries', () => {
  const value = 'ü✓'.repeat(1 << 20); // 5 MiB of UTF-8
  const target = storePath();
  ok(['import', target, write(`${line('a', 1)}\n${line('long', value)}\n${line('b', 2)}`)]);
  assert.equal(entries(target), [['a', 1], ['long', value], ['b', 2]]);
});

test('deep nesting is refused with the line number, never a stack overflow', () => {
  const deep = `{"key":"k","value":${'['.repeat(20000)}${']'.repeat(20000)}}`;
  const target = storePath();
  refused(['import', target, write(`${line('ok', 1)}\n${deep}\n`)], /^iodict: line 2: the value is nested deeper than 512 levels \(1 item\(s\) were imported before it\)\n$/);
  assert.equal(entries(target), [['ok', 1]]);
  const deepMap = `{"key":"k","value":${'{"$map":[["k",'.repeat(600)}1${']]}'.repeat(600)}}`;
  refused(['import', storePath(), write(deepMap)], /line 1: the value is nested deeper than 512 levels/);
  refused(['import', storePath(), write(`{"key":${'['.repeat(20000)}${']'.repeat(20000)},"value":1}`)], /line 1: the value is nested deeper than 512 levels/);
  // 512 levels is what the codec stores.
  const atLimit = storePath();
  ok(['import', atLimit, write(`{"key":"k","value":${'['.repeat(512)}${']'.repeat(512)}}`)]);
  let v = entries(atLimit)[0][1];
  let depth = 0;
  for (; Array.isArray(v); v = v[0]) depth++;
  assert.is(depth, 512);
  // set's VALUE goes through the same mapping: a usage error (exit 2), no stack trace.
  const r = cli(['set', storePath(), 'k', '['.repeat(20000) + ']'.repeat(20000)]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /bad VALUE: the value is nested deeper than 512 levels/);
});

test('a $map key or $set value given twice is refused with the line number, not silently dropped', () => {
  const cases = [
    [{ $map: [[1, 'a'], [1, 'b']] }, /line 2: \$map has the key 1 twice/],
    [{ $map: [['k', 1], [{ $number: 'NaN' }, 2], [{ $number: 'NaN' }, 3]] }, /line 2: \$map has the key \{"\$number":"NaN"\} twice/],
    [{ $map: [[0, 1], [{ $number: '-0' }, 2]] }, /line 2: \$map has the key \{"\$number":"-0"\} twice/],
    [{ $set: ['x', 'y', 'x'] }, /line 2: \$set has the value "x" twice/],
    [[{ nested: { $map: [[{ $bigint: '5' }, 1], [{ $bigint: '5' }, 1]] } }], /line 2: \$map has the key \{"\$bigint":"5"\} twice/],
  ];
  for (const [value, message] of cases) {
    const target = storePath();
    refused(['import', target, write(`${line('first', 0)}\n${line('k', value)}\n`)], message);
    assert.equal(entries(target), [['first', 0]]);
  }
  // Keys that only look alike are different keys: both kept.
  const target = storePath();
  ok(['import', target, write(line('k', { $map: [[1, 'a'], ['1', 'b'], [{ $bytes: 'AQ==' }, 'c'], [{ $bytes: 'AQ==' }, 'd']] }))]);
  assert.is(entries(target)[0][1].size, 4);
});

test('a reserved codec id is refused on import, with the line or record number', () => {
  for (const codec of [2, 5, 127]) {
    const target = storePath();
    refused(['import', target, write(`${line('a', 1)}\n${JSON.stringify({ key: 'b', codec, raw: 'AAE=' })}\n`)], new RegExp(`line 2: codec ${codec} is reserved`));
    assert.equal(entries(target), [['a', 1]]);
  }
  ok(['import', storePath(), write(JSON.stringify({ key: 'b', codec: 128, raw: 'AAE=' }))]);
  // An archive whose second record carries codec 5 (its CRC made good again).
  const source = storePath();
  ok(['set', source, 'a', '1']);
  ok(['set', source, 'b', '2']);
  const file = `${tempDir()}/a.ioda`;
  ok(['export', source, file, '--format', 'archive']);
  const archive = fs.readFileSync(file);
  const first = archive.readUInt32LE(8);
  const at = 8 + 4 + first + 4; // the second record
  const length = archive.readUInt32LE(at - 4);
  archive[at + 6] = 5;
  archive.writeUInt32LE(crc32c(archive.subarray(at, at + length - 4)), at + length - 4);
  const target = storePath();
  refused(['import', target, write(archive)], /record 2 of the archive is invalid: the value is not valid for its codec: codec 5 is reserved \(2-127\) \(1 item\(s\) were imported before it\)/);
  assert.equal(entries(target), [['a', 1]]);
});

test('input that is not UTF-8 names its line', () => {
  const target = storePath();
  refused(['import', target, write(Buffer.concat([Buffer.from(`${line('a', 1)}\n{"key":"`), Buffer.from([0xff]), Buffer.from('","value":1}\n')]))], /line 2 is not UTF-8 text \(1 item\(s\) were imported before it\)/);
});

// ---- store kinds -----------------------------------------------------------------------------

const QUEUE_KEY = JSON.stringify({ $queue: '0123456789abcdef0123456789abcdef' });

function queueStore() {
  const path = storePath();
  const q = new DurableQueue(path);
  q.put('job');
  q.close();
  return path;
}

test("set, rm and import refuse plain keys in a queue's store unless --force-kind", () => {
  const path = queueStore();
  const before = fs.readdirSync(path).sort();
  refused(['set', path, 'k', '1'], /the key "k" does not belong in a queue's store .*; --force-kind writes it anyway/);
  refused(['rm', path, 'k'], /the key "k" does not belong in a queue's store/);
  refused(['import', path, write(`${line('k', 1)}\n`)], /line 1: the key "k" does not belong in a queue's store .*\(0 item\(s\) were imported before it\)/);
  const python = pythonDir({ k: '1' });
  refused(['import', path, '--from-python', python], /the key "k" does not belong in a queue's store/);
  assert.equal(fs.readdirSync(path).sort(), before, 'nothing written');
  const json = cli(['set', path, 'k', '1', '--json']);
  assert.equal(JSON.parse(json.stderr).error.code, 'EKIND');
  // Queue item keys go in; with --force-kind, plain ones too.
  ok(['import', path, write(`${JSON.stringify({ key: JSON.parse(QUEUE_KEY), value: 'restored' })}\n`)]);
  ok(['set', path, 'k', '1', '--force-kind']);
  ok(['rm', path, 'k', '--force-kind']);
  const q = new DurableQueue(path);
  try {
    assert.equal([q.getNowait(), q.getNowait()].sort(), ['job', 'restored']);
  } finally {
    q.close();
  }
});

test("queue item keys are refused in a dictionary's store unless --force-kind", () => {
  const path = storePath();
  ok(['set', path, 'k', '1']);
  refused(['set', path, QUEUE_KEY, '1', '-k', 'json'], /the queue item key \{"\$queue":"0123456789abcdef0123456789abcdef"\} does not belong in a dictionary's store/);
  refused(['import', path, write(`${line('j', 2)}\n${JSON.stringify({ key: JSON.parse(QUEUE_KEY), value: 1 })}\n`)], /line 2: the queue item key .* does not belong in a dictionary's store/);
  assert.equal(entries(path), [['k', 1], ['j', 2]]);
  ok(['set', path, QUEUE_KEY, '1', '-k', 'json', '--force-kind']);
});

test('a store that set or import creates records its kind: --kind, else that of its first key', () => {
  const cases = [
    [['set', '{P}', 'k', '1'], 'dict'],
    [['set', '{P}', QUEUE_KEY, '1', '-k', 'json'], 'queue'],
    [['set', '{P}', 'k', '1', '--kind', 'queue', '--force-kind'], 'queue'],
    [['import', '{P}', write(`${line('k', 1)}\n`)], 'dict'],
    [['import', '{P}', write('')], 'dict'],
    [['import', '{P}', write(''), '--kind', 'queue'], 'queue'],
    [['import', '{P}', write(`${JSON.stringify({ key: JSON.parse(QUEUE_KEY), value: 1 })}\n`)], 'queue'],
    [['import', '{P}', '--from-python', pythonDir({ k: '1' })], 'dict'],
  ];
  for (const [args, kind] of cases) {
    const path = storePath();
    ok(args.map((a) => (a === '{P}' ? path : a)));
    assert.is(markerKind(path), kind, args.join(' '));
  }
  // A queue's store exported and imported is a queue's store again, its items in order.
  const source = queueStore();
  const copy = storePath();
  ok(['import', copy], { input: ok(['export', source]).stdout });
  assert.is(markerKind(copy), 'queue');
  const q = new DurableQueue(copy);
  try {
    assert.is(q.getNowait(), 'job');
  } finally {
    q.close();
  }
  // --kind must match an existing store; an import that fails before its first item creates nothing.
  refused(['set', source, QUEUE_KEY, '1', '-k', 'json', '--kind', 'dict'], /is a queue's store, not a dictionary's store \(--kind dict\)/);
  const none = storePath();
  refused(['import', none, write('not json\n')], /line 1 is not JSON/);
  assert.not.ok(fs.existsSync(none));
});

test('a store whose marker has no kind line takes keys of both kinds', () => {
  const path = storePath();
  ok(['set', path, 'k', '1']);
  const kindless = formatMarker(path).replace('kind dict\n', '');
  fs.writeFileSync(`${path}/.iodict/format`, kindless);
  assert.is(markerKind(path), 'any');
  ok(['set', path, QUEUE_KEY, '2', '-k', 'json']);
  ok(['import', path, write(`${line('j', 3)}\n`), '--kind', 'queue']);
  ok(['rm', path, 'k']);
  assert.is(formatMarker(path), kindless, 'not rewritten');
  assert.match(ok(['stat', path]).stdout, /kind\s+any/);
});

test.run();
