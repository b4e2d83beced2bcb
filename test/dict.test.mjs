import { dictSuite } from './suites/dict.mjs';
import { nodeHost, bunHost, memoryHost } from '../dist/index.js';
import { hostFiles } from './support/files.mjs';

dictSuite('node', () => ({ host: nodeHost() })).run();
dictSuite('node without native helper', () => ({ host: nodeHost({ native: false }) })).run();
if (process.versions.bun) {
  dictSuite('bun', () => ({ host: bunHost() })).run();
  dictSuite('bun without native helper', () => ({ host: bunHost({ native: false }) })).run();
}
// One in-memory file system for the suite: handles opened on one path must find the same store.
const memory = memoryHost();
dictSuite('memory', () => ({ host: memory }), hostFiles(memory)).run();
