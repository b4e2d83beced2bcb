// Child process for test/protocol.test.mjs. Roles:
//   hold-claim: get one queue item with { ack: true }, print it, then stay alive until killed;
//   hold-temp:  leave a temp file named as this process's own write in flight, print its name, stay alive;
//   crash-before-entry: set (or delete) one key and SIGKILL itself between the rename and the journal entry;
//   crash-after-claim: pop one key and SIGKILL itself right after the claim's rename;
//   create:     open (and so create) a store, set one key, report;
//   churn:      set `count` keys with a small rotation threshold (rotations race with other churners).
import fs from 'node:fs';
import { IODict, DurableQueue, nodeHost } from '../../dist/index.js';

const args = JSON.parse(process.argv[2]);
const stayAlive = () => setInterval(() => {}, 1000);
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

if (args.role === 'hold-claim') {
  const q = new DurableQueue(args.path, args.options);
  const delivery = q.getNowaitAck();
  say({ claimed: delivery.value, pid: process.pid });
  stayAlive();
} else if (args.role === 'hold-temp') {
  const host = nodeHost();
  const owner = host.identity().toString(16).padStart(12, '0') + process.pid.toString(16).padStart(8, '0') + '0000abcd';
  const name = `${owner}-00000000`;
  fs.writeFileSync(`${args.path}/.iodict/tmp/${name}`, 'a write in flight');
  say({ temp: name });
  stayAlive();
} else if (args.role === 'crash-before-entry') {
  // Kill this process at the first journal append after the record's rename: the change is on
  // disk and no entry says so.
  const base = nodeHost();
  const host = Object.create(base);
  let renamed = false;
  let journalFd = -1;
  host.open = (path, flags) => {
    const fd = base.open(path, flags);
    if (path.endsWith('/.iodict/changes')) journalFd = fd;
    return fd;
  };
  // Every call that can move a record in: rename, and renameIfAbsent for a new key.
  for (const move of ['rename', 'renameIfAbsent']) {
    host[move] = (from, to) => {
      const r = base[move](from, to);
      if (!to.includes('/.iodict/')) renamed = true;
      return r;
    };
  }
  host.unlink = (path) => {
    const r = base.unlink(path);
    if (!path.includes('/.iodict/')) renamed = true;
    return r;
  };
  host.write = (fd, buf, pos) => {
    if (renamed && fd === journalFd) process.kill(process.pid, 'SIGKILL');
    return base.write(fd, buf, pos);
  };
  const d = new IODict(args.path, { host });
  if (args.delete) d.delete(args.key);
  else d.set(args.key, args.value);
  say({ survived: true }); // never reached
} else if (args.role === 'crash-after-claim') {
  const base = nodeHost();
  const host = Object.create(base);
  host.rename = (from, to) => {
    const r = base.rename(from, to);
    if (to.includes('/.iodict/claimed/')) process.kill(process.pid, 'SIGKILL');
    return r;
  };
  new IODict(args.path, { host }).pop(args.key);
  say({ survived: true }); // never reached
} else if (args.role === 'create') {
  const d = new IODict(args.path);
  d.set(`from ${args.id}`, args.id);
  d.close();
  say({ ok: true });
} else if (args.role === 'churn') {
  const d = new IODict(args.path, { rotateAfter: 8 });
  d.size; // load the index: rotations are made by handles that hold one
  for (let i = 0; i < args.count; i++) {
    d.set(`${args.id}-${i % 40}`, i);
    if (i % 7 === 0) d.delete(`${args.id}-${(i + 20) % 40}`);
  }
  say({ keys: [...d.keys()].filter((k) => k.startsWith(`${args.id}-`)), values: Object.fromEntries([...d].filter(([k]) => k.startsWith(`${args.id}-`))) });
  d.close();
}
