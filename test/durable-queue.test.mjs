import { queueSuite } from './suites/queue.mjs';
import { runPerHost } from './support/hosts.mjs';

runPerHost(queueSuite);
