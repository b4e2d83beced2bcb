import { queueSuite } from './suites/queue.mjs';
import { nodeHost } from '../dist/index.js';

queueSuite('node', () => ({ host: nodeHost() })).run();
queueSuite('node without native helper', () => ({ host: nodeHost({ native: false }) })).run();
