// What a result depends on besides the code: the machine, the file system under the stores, the
// runtimes and package versions.
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { runtimes } from '../test/support/runtimes.mjs';

const output = (command, args) => {
  const child = spawnSync(command, args, { encoding: 'utf8' });
  return child.status === 0 ? child.stdout.trim() : undefined;
};

/**
 * The file system under `dir`: its type (ext4, tmpfs, ...) and how it is mounted (options such as
 * `discard` or `data=journal` change what a create or a sync costs), from one findmnt; without
 * findmnt, the type from stat and no options.
 */
function fileSystemOf(dir) {
  const [type, options] = output('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', '--target', dir])?.split(/\s+/) ?? [];
  return { fileSystem: type ?? output('stat', ['-f', '-c', '%T', dir]) ?? 'unknown', mountOptions: options };
}

export function environment(dir, contenders) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryBytes: os.totalmem(),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      ...fileSystemOf(dir),
      dir,
    },
    runtimes: { node: process.versions.node, bun: output(runtimes.bun, ['--version']) ?? 'not found' },
    packages: Object.fromEntries(contenders.filter((c) => !c.unavailable).map((c) => [c.name, c.version])),
  };
}
