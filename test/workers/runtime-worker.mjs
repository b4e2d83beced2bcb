// Child process for the cross-runtime and default-host tests, run by Node or by Bun. Roles:
//   default-host: open a store with no host option; report the runtime, xattrs, whether koffi loaded;
//   write:        apply storeOperations() to a new store;
//   read:         report a store's entries (CBOR, hex), then set one key of its own;
//   hold-lock:    flock a file, print a line, hold it until stdin closes;
//   try-lock:     report a non-blocking flock attempt on a file.
import { createRequire } from 'node:module';
import { IODict, cbor, nodeHost, bunHost, OpenFlags, LockMode } from '../../dist/index.js';
import { storeOperations } from '../support/operations.mjs';

const args = JSON.parse(process.argv[2]);
const runtime = process.versions.bun ? 'bun' : 'node';
const host = runtime === 'bun' ? bunHost() : nodeHost();
const report = (value) => process.stdout.write(JSON.stringify(value) + '\n');
const lockFile = () => host.open(args.path, OpenFlags.READ | OpenFlags.WRITE | OpenFlags.CREATE);

if (args.role === 'default-host') {
  const d = new IODict(args.path);
  d.set('k', 1);
  const cache = createRequire(import.meta.url).cache;
  report({ runtime, xattrs: d.xattrs, koffiLoaded: Object.keys(cache).some((file) => file.includes('/koffi/')) });
  d.close();
} else if (args.role === 'write') {
  storeOperations(args.path, { host });
  report({ runtime });
} else if (args.role === 'read') {
  const d = new IODict(args.path, { host });
  report({ runtime, entries: Buffer.from(cbor.encode([...d])).toString('hex') });
  d.set(`appended by ${runtime}`, runtime);
  d.close();
} else if (args.role === 'hold-lock') {
  const fd = lockFile();
  report({ runtime, locked: host.lock(fd, LockMode.EXCLUSIVE | LockMode.NONBLOCKING) });
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => host.close(fd));
} else if (args.role === 'try-lock') {
  const fd = lockFile();
  report({ runtime, locked: host.lock(fd, LockMode.EXCLUSIVE | LockMode.NONBLOCKING) });
  host.close(fd);
}
