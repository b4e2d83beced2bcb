import { queueSuite } from './suites/queue.mjs';
import { nodeHost, bunHost, memoryHost } from '../dist/index.js';
import { hostFiles } from './support/files.mjs';

queueSuite('node', () => ({ host: nodeHost() })).run();
queueSuite('node without native helper', () => ({ host: nodeHost({ native: false }) })).run();
if (process.versions.bun) {
  queueSuite('bun', () => ({ host: bunHost() })).run();
  queueSuite('bun without native helper', () => ({ host: bunHost({ native: false }) })).run();
}
// One in-memory file system for the suite: handles opened on one path must find the same store.
const memory = memoryHost();
queueSuite('memory', () => ({ host: memory }), hostFiles(memory)).run();
