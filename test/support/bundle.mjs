// esbuild options shared by the tests (and benchmarks) that bundle host TypeScript modules the
// package does not export: the same loader and target as build.mjs, so a module that reaches the
// core (its .wasm) bundles as it does in dist/.
export const hostBundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  loader: { '.wasm': 'binary' },
  logLevel: 'error',
};
