// Builds the core (AssemblyScript -> dist/iodict.wasm, and dist/iodict.wasi.wasm for WASI) and the
// host (TypeScript -> ESM, CJS and .d.ts in dist/). `node build.mjs` does it all; it is what `npm run build` runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import asc from 'assemblyscript/asc';

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
  const common = {
    entryPoints: ['host/index.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    loader: { '.wasm': 'binary' },
    external: ['koffi'],
    sourcemap: 'linked',
    logLevel: 'warning',
  };
  await Promise.all([
    build({ ...common, format: 'esm', outfile: 'dist/index.js' }),
    build({
      ...common,
      format: 'cjs',
      outfile: 'dist/index.cjs',
      // import.meta.url has no CJS meaning; give createRequire this file's URL instead.
      banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
      define: { 'import.meta.url': '__import_meta_url' },
    }),
  ]);
  await build({
    ...common,
    entryPoints: ['host/cli/main.ts'],
    format: 'esm',
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  });
  rmSync('dist/types', { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  writeFileSync('dist/index.d.ts', "export * from './types/index.js';\n");
  writeFileSync('dist/index.d.cts', "export * from './types/index.js';\n");
};

run().catch((error) => {
  console.error(error);
  process.exit(1);
});
