// The hosts available in this runtime, shared by the conformance test and the IODict/queue suites.
import { nodeHost, bunHost, memoryHost } from '../../dist/index.js';
import { createRequire } from 'node:module';
import { hostFiles } from './files.mjs';

/** Whether the optional checksum helper (@node-rs/crc32) is installed, so native hosts offer crc32c. */
export function checksumHelperInstalled() {
  try {
    createRequire(import.meta.url).resolve('@node-rs/crc32');
    return true;
  } catch {
    return false;
  }
}

/**
 * The hosts of this runtime and what each must provide: `disk` (it works on the real file
 * system), `native` (xattrs and flock), `watch`.
 */
export function runtimeHosts() {
  const disk = (label, host, native) => ({ label, host, disk: true, native, watch: true });
  const hosts = [
    disk('node', nodeHost(), true),
    disk('node without native helper', nodeHost({ native: false }), false),
  ];
  if (process.versions.bun) {
    hosts.push(disk('bun', bunHost(), true), disk('bun without native helper', bunHost({ native: false }), false));
  }
  hosts.push({ label: 'memory', host: memoryHost(), disk: false, native: true, watch: false });
  return hosts;
}

/**
 * Runs a shared suite (dictSuite, queueSuite) once per host. The memory host is one file system
 * for the whole suite (handles opened on one path must find the same store), inspected through
 * its own calls instead of node:fs.
 */
export function runPerHost(makeSuite) {
  for (const { label, host, disk } of runtimeHosts()) {
    makeSuite(label, () => ({ host }), disk ? undefined : hostFiles(host)).run();
  }
}
