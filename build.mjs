// Builds the core (AssemblyScript -> dist/iodict.wasm, and dist/iodict.wasi.wasm for WASI) and the
// host (TypeScript -> ESM, CJS and .d.ts in dist/). `node build.mjs` does it all; it is what `npm run build`
// (and `npm pack`, through prepack) runs. The bundles read the wasm files next to them at run time.
// The core is compiled only when its sources changed since the last build; `--force` compiles it anyway.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';

/**
 * Adds two functions to the JS hosts' core: saveGlobals(at) stores every mutable global at `at`,
 * 8 bytes each, and returns how many bytes that took; restoreGlobals(at) loads them back. So the
 * instance of a closed handle can be put back as it was right after instantiation and serve the
 * next handle (host/core/module.ts): instantiating the core is most of opening a store. (Exporting
 * the globals themselves would do too, but their 200-odd objects doubled instantiation.)
 */
function addGlobalsSnapshot(file) {
  // Whatever features asc used (bulk memory, sign extension, ...): this step adds none.
  const module = binaryen.readBinaryWithFeatures(readFileSync(file), binaryen.Features.All);
  const at = () => module.local.get(0, binaryen.i32);
  const access = new Map([[binaryen.i32, [module.i32, 4]], [binaryen.i64, [module.i64, 8]], [binaryen.f32, [module.f32, 4]], [binaryen.f64, [module.f64, 8]]]);
  const save = [];
  const restore = [];
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const { name, type, mutable, module: imported } = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    if (!mutable || imported) continue;
    if (!access.has(type)) throw new Error(`${file}: global ${name} has a type saveGlobals cannot store`);
    const [ops, align] = access.get(type);
    const offset = 8 * save.length;
    save.push(ops.store(offset, align, at(), module.global.get(name, type)));
    restore.push(module.global.set(name, ops.load(offset, align, at())));
  }
  const param = binaryen.createType([binaryen.i32]);
  module.addFunction('saveGlobals', param, binaryen.i32, [], module.block(null, [...save, module.i32.const(8 * save.length)], binaryen.i32));
  module.addFunction('restoreGlobals', param, binaryen.none, [], module.block(null, restore));
  module.addFunctionExport('saveGlobals', 'saveGlobals');
  module.addFunctionExport('restoreGlobals', 'restoreGlobals');
  if (!module.validate()) throw new Error(`${file}: invalid after adding saveGlobals and restoreGlobals`);
  writeFileSync(file, module.emitBinary());
  module.dispose();
}

const CORE_OUTPUTS = ['dist/iodict.wasm', 'dist/iodict.wat', 'dist/iodict.wasi.wasm', 'dist/iodict.wasi.wat'];
const CORE_STAMP = 'dist/.core-stamp';

/**
 * A digest of everything the core is made from (assembly/, asconfig.json, this script, the
 * compiler's and binaryen's versions) and of what the last build made of it. The core is compiled
 * again only when this changes: asc takes 9 of the build's 14 s here, and `npm test` builds again
 * after CI's build and after every edit of the host's TypeScript.
 */
function coreDigest() {
  const hash = createHash('sha256');
  const add = (name, bytes) => hash.update(`${name}\0${bytes.length}\0`).update(bytes);
  const require = createRequire(import.meta.url);
  for (const pkg of ['assemblyscript', 'binaryen']) add(pkg, require(`${pkg}/package.json`).version);
  const sources = readdirSync('assembly', { recursive: true }).map((file) => path.join('assembly', file)).filter((file) => file.endsWith('.ts')).sort();
  for (const file of [...sources, 'asconfig.json', 'build.mjs', ...CORE_OUTPUTS]) add(file, existsSync(file) ? readFileSync(file) : '');
  return hash.digest('hex');
}

/** The core for JS hosts (imports "host") and for WASI (dist/iodict.wasi.wasm, docs/WASI.md), unless built from these sources already. */
async function buildCore({ force }) {
  if (!force && existsSync(CORE_STAMP) && readFileSync(CORE_STAMP, 'latin1') === coreDigest()) return;
  for (const [entry, target] of [['assembly/index.ts', 'host'], ['assembly/wasi.ts', 'wasi']]) {
    const { error, stderr } = await asc.main([entry, '--config', 'asconfig.json', '--target', target], {});
    if (error) {
      console.error(stderr.toString());
      throw error;
    }
  }
  addGlobalsSnapshot('dist/iodict.wasm');
  writeFileSync(CORE_STAMP, coreDigest());
}

const run = async () => {
  mkdirSync('dist', { recursive: true });
  await buildCore({ force: process.argv.includes('--force') });
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['koffi'],
    sourcemap: 'linked',
    logLevel: 'warning',
  };
  // The WASI runner takes its error classes from the package entry, so that `instanceof StoreError`
  // holds whichever entry threw.
  const sharedErrors = (entry) => ({
    name: 'shared-errors',
    setup(b) {
      b.onResolve({ filter: /\/errors\.js$/ }, () => ({ path: entry, external: true }));
    },
  });
  // The package entry and the WASI runner (`iodict/wasi`), each as ESM and CJS.
  await Promise.all(['index', 'wasi'].flatMap((name) => [
    build({ ...common, entryPoints: [`host/${name}.ts`], format: 'esm', outfile: `dist/${name}.js`, plugins: name === 'wasi' ? [sharedErrors('./index.js')] : [] }),
    build({
      ...common,
      plugins: name === 'wasi' ? [sharedErrors('./index.cjs')] : [],
      entryPoints: [`host/${name}.ts`],
      format: 'cjs',
      outfile: `dist/${name}.cjs`,
      // import.meta.url has no CJS meaning; give createRequire and the wasm loader this file's URL instead.
      banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
      define: { 'import.meta.url': '__import_meta_url' },
    }),
  ]));
  await build({
    ...common,
    entryPoints: ['host/cli/main.ts'],
    format: 'esm',
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  });
  rmSync('dist/types', { recursive: true, force: true });
  rmSync('dist/types-cjs', { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  // CommonJS consumers need declarations that are CommonJS too (.d.cts importing .cjs): the same
  // files, renamed, with their relative imports renamed alike.
  for (const file of readdirSync('dist/types', { recursive: true })) {
    if (!file.endsWith('.d.ts')) continue;
    const text = readFileSync(path.join('dist/types', file), 'utf8').replace(/(from\s+|import\(|import\s+)(['"])(\.{1,2}\/[^'"]*)\.js\2/g, '$1$2$3.cjs$2');
    const out = path.join('dist/types-cjs', file.replace(/\.d\.ts$/, '.d.cts'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
  for (const name of ['index', 'wasi']) {
    writeFileSync(`dist/${name}.d.ts`, `export * from './types/${name}.js';\n`);
    writeFileSync(`dist/${name}.d.cts`, `export * from './types-cjs/${name}.cjs';\n`);
  }
};

run().catch((error) => {
  console.error(error);
  process.exit(1);
});
