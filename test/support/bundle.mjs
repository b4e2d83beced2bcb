// esbuild options shared by the tests (and benchmarks) that bundle host TypeScript modules the
// package does not export: the same target as build.mjs, and import.meta.url pointing into dist/,
// so a module that reaches the core reads dist/iodict.wasm as the package's bundles do.
import { pathToFileURL } from 'node:url';

export const hostBundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': JSON.stringify(pathToFileURL(new URL('../../dist/index.js', import.meta.url).pathname).href) },
  logLevel: 'error',
};
