// The published package, as a user gets it: `npm pack` (of the dist/ that `npm test` just built),
// its contents, its types as @arethetypeswrong/cli sees them, then installed offline into a fresh
// project that uses it from ESM, CommonJS, strict TypeScript without @types/node, the CLI and the
// WASI runner.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/tmp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs a command; returns its stdout, failing the test with its output when it fails. */
function run(command, args, cwd, what = `${command} ${args.join(' ')}`) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  assert.is(result.status, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const packDir = tempDir('iodict-pack-');
// --ignore-scripts: dist/ is already built (prepack would build it again).
run(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], root);
const tarball = path.join(packDir, fs.readdirSync(packDir).find((name) => name.endsWith('.tgz')));
const files = run('tar', ['-tzf', tarball], root).trim().split('\n').map((name) => name.replace(/^package\//, ''));

test('the tarball ships what a user needs and no more', () => {
  for (const needed of ['LICENSE', 'README.md', 'FORMAT.md', 'docs/WASI.md', 'docs/CLI.md', 'package.json', 'dist/index.js', 'dist/index.cjs',
    'dist/index.d.ts', 'dist/index.d.cts', 'dist/wasi.js', 'dist/wasi.cjs', 'dist/cli.js', 'dist/iodict.wasm', 'dist/iodict.wasi.wasm']) {
    assert.ok(files.includes(needed), `ships ${needed}`);
  }
  assert.equal(files.filter((f) => /\.wat$|\.map$/.test(f)), [], 'no .wat, no source maps');
  assert.is(files.filter((f) => f.endsWith('.wasm')).length, 2, 'one copy of each wasm module');
  assert.equal(files.filter((f) => /types(-cjs)?\/cli\//.test(f)), [], 'no typings of CLI internals');
  assert.not.ok(files.some((f) => f.startsWith('host/') || f.startsWith('assembly/') || f.startsWith('test/')), 'no sources or tests');
  // The wasm is read from dist/ at run time, not inlined into every bundle a second time.
  // (esbuild's binary loader would inline it as base64, which starts with the magic "\0asm\1\0\0\0".)
  for (const bundle of ['index.js', 'index.cjs', 'wasi.js', 'wasi.cjs', 'cli.js']) {
    assert.not.ok(fs.readFileSync(path.join(root, 'dist', bundle), 'latin1').includes('AGFzbQEAAAA'), `${bundle} inlines no wasm`);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies ?? {}, {}, 'no runtime dependencies (koffi is optional)');
});

test('@arethetypeswrong/cli: types resolve for ESM and CommonJS consumers (node16, bundler)', () => {
  const attw = path.join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
  run(process.execPath, [attw, tarball, '--profile', 'node16', '--exclude-entrypoints', 'iodict.wasi.wasm', '--format', 'ascii'], root, 'attw');
});

const project = tempDir('iodict-consumer-');
fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--omit=optional', '--ignore-scripts', tarball], project);
const store = path.join(project, 'store');
const write = (name, text) => fs.writeFileSync(path.join(project, name), text);

test('installed offline: an ESM script and a CommonJS script use the same store', () => {
  write('esm.mjs', `import { IODict, DurableQueue } from 'iodict';
    const d = new IODict(${JSON.stringify(store)});
    d.setMany([['a', 1], ['b', { n: 2n }]]);
    const q = new DurableQueue(${JSON.stringify(`${store}-queue`)});
    q.putMany(['x', 'y']);
    console.log(JSON.stringify([[...d.keys()], q.qsize()]));
    d.close(); q.close();`);
  assert.is(run(process.execPath, ['esm.mjs'], project).trim(), '[["a","b"],2]');
  write('cjs.cjs', `const { IODict, KeyError } = require('iodict');
    const d = new IODict(${JSON.stringify(store)});
    d.set('c', 3);
    let missing; try { d.pop('nope'); } catch (e) { missing = e instanceof KeyError; }
    console.log(JSON.stringify([[...d.keys()], String(d.get('b').n), missing]));
    d.close();`);
  assert.is(run(process.execPath, ['cjs.cjs'], project).trim(), '[["a","b","c"],"2",true]');
});

test('installed: strict TypeScript, ESM and CommonJS, without @types/node', () => {
  assert.not.ok(fs.existsSync(path.join(project, 'node_modules/@types/node')));
  write('use.mts', `import { IODict, DurableQueue, BatchError, ClosedError, type IODictOptions } from 'iodict';
    import { openWasiStore, type WasiStore } from 'iodict/wasi';
    const options: IODictOptions<{ n: number }> = { durability: 'fsync' };
    const d = new IODict<string, { n: number }>('/tmp/x', options);
    const v: { n: number } | undefined = d.get('k');
    d.setMany([['a', { n: 1 }]]);
    // @ts-expect-error: a value of the wrong type
    d.set('b', 'text');
    const q = new DurableQueue<number>('/tmp/q');
    q.putMany([1, 2]);
    const open: Promise<WasiStore> = openWasiStore('/tmp/x');
    export { v, open, BatchError, ClosedError };`);
  write('use.cts', `import iodict = require('iodict');
    const d = new iodict.IODict<number, string>('/tmp/y');
    const popped: string | undefined = d.pop(1, undefined);
    export = popped;`);
  write('tsconfig.json', JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2024', 'esnext.disposable'], types: [] },
    files: ['use.mts', 'use.cts'],
  }));
  run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], project, 'tsc');
});

test('installed: the CLI (bin) and the WASI runner read the store the scripts wrote', () => {
  const cli = path.join(project, 'node_modules/.bin/iodict');
  run(cli, ['set', store, 'd', '4'], project);
  assert.is(run(cli, ['ls', store], project).trim(), 'a\nb\nc\nd');
  write('wasi.mjs', `import { openWasiStore } from 'iodict/wasi';
    import { StoreError } from 'iodict';
    import { createRequire } from 'node:module';
    const refused = await openWasiStore(${JSON.stringify(path.join(project, 'package.json'))}).catch((e) => e);
    if (!(refused instanceof StoreError)) throw new Error('the runner throws the package\\'s StoreError');
    const wasm = createRequire(import.meta.url).resolve('iodict/iodict.wasi.wasm');
    const s = await openWasiStore(${JSON.stringify(store)});
    const keys = s.list().map((e) => new TextDecoder().decode(e.key));
    s.close();
    console.log(JSON.stringify([keys, wasm.endsWith('iodict.wasi.wasm')]));`);
  assert.is(run(process.execPath, ['--no-warnings', 'wasi.mjs'], project).trim(), '[["a","b","c","d"],true]');
});

test.run();
