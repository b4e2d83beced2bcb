// Measurements that need a process of their own: syscalls per operation (strace -f -c around a
// child doing N and then 2N operations of one kind: the difference divided by N cancels start-up
// and prefill) and process memory (RSS of a child that opens a store and lists every key).
//
// As a script: node bench/probe.mjs syscalls|memory --contender NAME --dir DIR ... (JSON on stdout).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fill, fillQueue, loadContenders } from './contenders.mjs';
import { makeValue, prefillKey } from './operations.mjs';

const here = fileURLToPath(import.meta.url);

function runChild(args, prefix = []) {
  const [command, ...rest] = [...prefix, process.execPath, here, ...args];
  const child = spawnSync(command, rest, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`probe ${args.join(' ')} failed (${child.status}): ${child.stderr.slice(-2000)}`);
  return child.stdout;
}

export const hasStrace = () => spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

/** Total syscalls strace counted for one child run. */
function straceCalls(args) {
  const out = path.join(os.tmpdir(), `iodict-strace-${process.pid}-${Date.now()}.txt`);
  try {
    runChild(args, ['strace', '-f', '-c', '-o', out]);
    const total = fs.readFileSync(out, 'utf8').split('\n').map((line) => line.trim().split(/\s+/)).find((cols) => cols.at(-1) === 'total');
    if (!total) throw new Error(`no total line in strace output of probe ${args.join(' ')}`);
    return Number(total[3]);
  } finally {
    fs.rmSync(out, { force: true });
  }
}

/** Syscalls per operation of `op` for `contender`: (calls(2N) - calls(N)) / N, from one prefill of 2N items. */
export function probeSyscalls({ contender, op, durability, count, parent }) {
  const calls = [count, 2 * count].map((ops) => {
    const dir = fs.mkdtempSync(path.join(parent, 'iodict-probe-'));
    try {
      return straceCalls(['syscalls', '--contender', contender, '--op', op, '--durability', durability, '--count', String(ops), '--fill', String(2 * count), '--dir', dir]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  return (calls[1] - calls[0]) / count;
}

/** RSS of a fresh process that opens the store in `dir` and lists every key, less its RSS before opening. */
export function probeMemory(contender, dir, config) {
  return JSON.parse(runChild(['memory', '--contender', contender, '--dir', dir, '--durability', config.durability]));
}

const QUEUE_OPS = new Set(['put', 'queueGet']);

async function child(mode, args) {
  const [c] = await loadContenders([args.contender]);
  const config = { durability: args.durability };
  if (mode === 'memory') {
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const handle = await c.open(args.dir, config);
    const keys = await c.listKeys(handle);
    const after = process.memoryUsage().rss;
    await c.close(handle);
    return { keys, rssBytes: after, rssOpenBytes: after - before, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  }
  const value = makeValue(100);
  const count = Number(args.count);
  const prefill = Number(args.fill);
  const queue = QUEUE_OPS.has(args.op);
  const handle = await (queue ? c.openQueue : c.open)(args.dir, config);
  if (queue) await fillQueue(c, handle, prefill, value);
  else await fill(c, handle, Array.from({ length: prefill }, (_, i) => prefillKey(i)), value);
  const keys = Array.from({ length: count }, (_, i) => (args.op === 'set' ? `p${i}` : prefillKey(i)));
  const byOp = { set: keys, get: keys, has: keys, delete: keys, popItem: count, put: count, queueGet: count };
  if (!(args.op in byOp)) throw new Error(`probe: no syscall probe for ${args.op}`);
  await c[args.op](handle, byOp[args.op], value);
  await c.close(handle);
  return { ops: count };
}

if (process.argv[1] === here) {
  const [mode, ...rest] = process.argv.slice(2);
  const args = {};
  for (let i = 0; i < rest.length; i += 2) args[rest[i].replace(/^--/, '')] = rest[i + 1];
  process.stdout.write(JSON.stringify(await child(mode, args)));
}
