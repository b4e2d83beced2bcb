// The two runtimes' executables, from whichever one runs the tests: Bun is the devDependency's
// binary, Node the one on PATH when Bun runs.
import { fileURLToPath } from 'node:url';

const localBun = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));

export const runtimes = {
  node: process.versions.bun ? 'node' : process.execPath,
  bun: process.versions.bun ? process.execPath : localBun,
};
