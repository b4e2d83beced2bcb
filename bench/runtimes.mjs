// node bench/runtimes.mjs [--quick]: the same measurements in a Node and in a Bun child process
// (alternating, several rounds, medians), each with its runtime's default host; prints µs/op and
// the Bun/Node ratio. Run `node build.mjs` first.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runtimes } from '../test/support/runtimes.mjs';

const quick = process.argv.includes('--quick');
const N = quick ? 500 : 2000;
const ROUNDS = quick ? 3 : 5;
const value = { id: 12345, name: 'a small record', tags: ['x', 'y'], score: 0.75, ok: true };

async function measure() {
  const { IODict, DurableQueue } = await import('../dist/index.js');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-runtimes-'));
  let dirs = 0;
  const fresh = () => path.join(root, `s${dirs++}`);
  const time = (n, run) => {
    const t0 = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - t0) / 1e3 / n;
  };
  const pass = (n) => {
    const store = fresh();
    const d = new IODict(store);
    const result = {};
    result['set (new key)'] = time(n, () => {
      for (let i = 0; i < n; i++) d.set(`k${i}`, value);
    });
    result.get = time(n, () => {
      for (let i = 0; i < n; i++) d.get(`k${i}`);
    });
    const cold = new IODict(store);
    result['keys (per key)'] = time(n, () => {
      for (const key of cold.keys()) if (key === '') throw new Error('unreachable');
    });
    cold.close();
    result.popItem = time(n, () => {
      for (let i = 0; i < n; i++) d.popItem();
    });
    d.close();
    const q = new DurableQueue(fresh());
    result['queue putNowait'] = time(n, () => {
      for (let i = 0; i < n; i++) q.putNowait(value);
    });
    result['queue getNowait'] = time(n, () => {
      for (let i = 0; i < n; i++) q.getNowait();
    });
    q.close();
    return result;
  };
  try {
    pass(Math.min(N, 300)); // warm-up: JIT and page cache
    return pass(N);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) {
  process.stdout.write(JSON.stringify(await measure()));
} else {
  const here = fileURLToPath(import.meta.url);
  const samples = { node: [], bun: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const runtime of ['node', 'bun']) {
      const child = spawnSync(runtimes[runtime], [here, '--child', ...(quick ? ['--quick'] : [])], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${runtime} child failed: ${child.stderr}`);
      samples[runtime].push(JSON.parse(child.stdout));
    }
  }
  const median = (runtime, op) => {
    const values = samples[runtime].map((s) => s[op]).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  const version = (exe) => spawnSync(exe, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`µs/op, median of ${ROUNDS} rounds of ${N} ops; node ${version(runtimes.node)}, bun ${version(runtimes.bun)}`);
  console.log(`${'operation'.padEnd(18)} ${'node'.padStart(8)} ${'bun'.padStart(8)}  bun/node`);
  for (const op of Object.keys(samples.node[0])) {
    const [n, b] = [median('node', op), median('bun', op)];
    console.log(`${op.padEnd(18)} ${n.toFixed(2).padStart(8)} ${b.toFixed(2).padStart(8)}  ${(b / n).toFixed(2).padStart(8)}`);
  }
}
