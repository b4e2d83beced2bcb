// Builds the core (AssemblyScript -> dist/iodict.wasm, and dist/iodict.wasi.wasm for WASI) and the
// host (TypeScript -> ESM, CJS and .d.ts in dist/). `node build.mjs` does it all; it is what `npm run build`
// (and `npm pack`, through prepack) runs. The bundles read the wasm files next to them at run time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';

/**
 * Exports every mutable global of the JS hosts' core as `mutable:<n>`, so that the instance of a
 * closed handle can be put back as it was after instantiation and serve the next handle
 * (host/core/module.ts): instantiating the core is most of opening a store.
 */
function exportMutableGlobals(file) {
  // Whatever features asc used (bulk memory, sign extension, ...): this step adds none.
  const module = binaryen.readBinaryWithFeatures(readFileSync(file), binaryen.Features.All);
  let count = 0;
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const global = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    if (global.mutable && !global.module) module.addGlobalExport(global.name, `mutable:${count++}`);
  }
  if (!module.validate()) throw new Error(`${file}: invalid after exporting its globals`);
  writeFileSync(file, module.emitBinary());
  module.dispose();
}

const run = async () => {
  mkdirSync('dist', { recursive: true });
  // The same core twice: for JS hosts (imports "host") and for WASI (dist/iodict.wasi.wasm, docs/WASI.md).
  for (const [entry, target] of [['assembly/index.ts', 'host'], ['assembly/wasi.ts', 'wasi']]) {
    const { error, stderr } = await asc.main([entry, '--config', 'asconfig.json', '--target', target], {});
    if (error) {
      console.error(stderr.toString());
      throw error;
    }
  }
  exportMutableGlobals('dist/iodict.wasm');
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
