// The Bun column: the same iodict and floor rows run in child processes, Node and Bun alternating
// (node, bun, node, bun, ...), each child with its runtime's default host; a row keeps the median
// over the children of each runtime. The Node children give the Bun/Node ratio its like-for-like
// baseline (a fresh process each, as the Bun children are).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runtimes } from '../test/support/runtimes.mjs';
import { childArgs } from './args.mjs';
import { median } from './runner.mjs';

const script = fileURLToPath(new URL('./run.mjs', import.meta.url));
const CONTENDERS = ['iodict', 'floor'];

const version = (exe) => spawnSync(exe, ['--version'], { encoding: 'utf8' }).stdout.trim();

export async function runtimeColumns(args, log) {
  const children = args.quick ? 1 : 2;
  const samples = { node: [], bun: [] };
  for (let i = 0; i < children; i++) {
    for (const runtime of ['node', 'bun']) {
      log(`runtime column: ${runtime} child ${i + 1}/${children}`);
      const flags = runtime === 'node' ? ['--expose-gc'] : [];
      const child = spawnSync(runtimes[runtime], [...flags, script, ...childArgs(args, CONTENDERS)], { encoding: 'utf8', maxBuffer: 256 << 20 });
      if (child.status !== 0) throw new Error(`${runtime} child failed (${child.status}): ${child.stderr.slice(-3000)}`);
      samples[runtime].push(JSON.parse(child.stdout));
    }
  }
  const rows = {};
  for (const row of samples.node[0]) {
    const column = (runtime) => {
      const out = {};
      for (const name of CONTENDERS) {
        const values = samples[runtime].map((rowsOfChild) => rowsOfChild.find((r) => r.id === row.id)?.results[name]?.us).filter((v) => v !== undefined);
        if (values.length) out[name] = median(values);
      }
      return out;
    };
    rows[row.id] = { node: column('node'), bun: column('bun') };
  }
  return { children, versions: { node: version(runtimes.node), bun: version(runtimes.bun) }, rows };
}
