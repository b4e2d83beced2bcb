import { dictSuite } from './suites/dict.mjs';
import { runPerHost } from './support/hosts.mjs';

runPerHost(dictSuite);
