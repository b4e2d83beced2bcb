// The Python peers a user might pick instead, where a Python with them is installed (Debian:
// apt-get install python3-diskcache python3-persist-queue): diskcache (Index, Deque) and
// persist-queue. One python3 child runs bench/python-peers.py for the whole bench; each operation
// reports the time Python measured, so the pipe's round trip is not charged to the peer.
// Python iodict 0.0.8 itself is on PyPI only, which this machine cannot reach.
import { spawn, spawnSync } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { OPS, OPEN_OPS } from './operations.mjs';

const script = fileURLToPath(new URL('./python-peers.py', import.meta.url));
const INSTALL = 'apt-get install python3-diskcache python3-persist-queue';

/** The first Python with a peer module (IODICT_BENCH_PYTHON, python3, the system's), with the versions it reports. */
const found = (() => {
  let result;
  return () => {
    if (result !== undefined) return result;
    result = null;
    for (const exe of [process.env.IODICT_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean)) {
      const child = spawnSync(exe, [script], { input: '{"do": "versions"}\n', encoding: 'utf8' });
      if (child.status !== 0) continue;
      const versions = JSON.parse(child.stdout);
      if (versions.diskcache || versions['persist-queue']) return (result = { exe, versions });
    }
    return result;
  };
})();

/** The python3 child, started on first use; referenced only while a request waits for its reply. */
const bridge = (() => {
  let child;
  const waiting = [];
  const start = () => {
    child = spawn(found().exe, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    readline.createInterface({ input: child.stdout }).on('line', (line) => waiting.shift().resolve(JSON.parse(line)));
    child.on('exit', (code) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`python peers exited (${code})`));
      child = undefined;
    });
    for (const handle of [child, child.stdin, child.stdout]) handle.unref();
  };
  return async (request) => {
    if (!child) start();
    const reply = new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    child.stdout.ref();
    child.stdin.write(`${JSON.stringify(request)}\n`);
    try {
      const answer = await reply;
      if (answer.error) throw new Error(`python peer: ${answer.error} (request ${JSON.stringify(request).slice(0, 200)})`);
      return answer;
    } finally {
      if (waiting.length === 0) child?.stdout.unref();
    }
  };
})();

const na = (why) => ({ na: why });

/** A contender whose store lives in the Python child: `ops` lists what it runs there (the rest are `na`). */
function pythonPeer({ name, label, about, order, durability, kinds, ops, missing }) {
  const python = found();
  const version = python?.versions[name];
  const contender = { name, label, about, order, durability, outOfProcess: true, version: version ? `${version} (Python ${python.versions.python})` : 'not installed' };
  if (!version) return { ...contender, unavailable: `${name} is not installed for any python3 here (${INSTALL})`, open() {} };
  const open = (kind) => async (dir, config) => ({
    handle: (await bridge({ do: 'open', peer: name, dir, durability: config.durability, kind })).handle,
    durability: config.durability,
  });
  if (kinds.includes('dict')) contender.open = open('dict');
  if (kinds.includes('queue')) contender.openQueue = open('queue');
  contender.close = (s) => bridge({ do: 'close', handle: s.handle });
  const run = (op) => (s, args, value) => bridge({ do: 'run', handle: s.handle, op, args: args ?? null, value: value.object });
  for (const op of ops) {
    contender[op] = OPEN_OPS.has(op)
      ? (dir, config, key) => bridge({ do: 'openOp', peer: name, op, dir, durability: config.durability, key: key ?? null })
      : run(op);
  }
  if (ops.includes('set')) contender.fill = run('fill');
  if (ops.includes('put')) contender.fillQueue = run('fillQueue');
  if (!kinds.includes('dict')) for (const [op, { kind }] of Object.entries(OPS)) if (kind === 'dict') contender[op] = na('a queue only');
  for (const [op, why] of Object.entries(missing)) contender[op] = na(why);
  return contender;
}

export const pythonPeers = {
  diskcache: () => pythonPeer({
    name: 'diskcache',
    label: 'diskcache (Python)',
    about: "Python diskcache Index and Deque: SQLite (WAL) rows, values pickled; synchronous=NORMAL for 'none', FULL for 'fsync'",
    order: 'birth order (Index)',
    durability: ['none', 'fsync'],
    kinds: ['dict', 'queue'],
    ops: ['set', 'setBatch', 'get', 'has', 'delete', 'keys', 'listKeys', 'values', 'popItem', 'openGet', 'openList', 'put', 'putBatch', 'queueGet', 'roundTrip'],
    missing: { setTtl: 'no expiry in Index', setConcurrent: 'sync only' },
  }),
  'persist-queue': () => pythonPeer({
    name: 'persist-queue',
    label: 'persist-queue (Python)',
    about: "Python persist-queue: 'none' rows its file Queue (pickles appended to chunk files, fsync per 100; autosave after each get), 'fsync' rows its SQLiteQueue (auto_commit, SQLite's default synchronous=FULL)",
    order: 'FIFO',
    durability: ['none', 'fsync'],
    kinds: ['queue'],
    ops: ['put', 'queueGet', 'roundTrip'],
    missing: { putBatch: 'no batch put' },
  }),
};
