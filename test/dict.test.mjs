import { dictSuite } from './suites/dict.mjs';
import { nodeHost } from '../dist/index.js';

dictSuite('node', () => ({ host: nodeHost() })).run();
dictSuite('node without native helper', () => ({ host: nodeHost({ native: false }) })).run();
