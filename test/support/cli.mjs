// What the CLI's tests share: where the built CLI is, and a store's contents and format marker
// read back independently of it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { IODict } from '../../dist/index.js';
import { hostBundleOptions } from './bundle.mjs';
import { tempDir } from './tmp.mjs';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/**
 * The environment a CLI child runs in: no colours, and no coverage files. c8 measures
 * dist/index.js, which the CLI's own bundle never loads, so a CLI child's coverage cannot count,
 * yet writing it slows every child. Emptied, not left out: Node copies the parent's
 * NODE_V8_COVERAGE into a child's environment that lacks it.
 */
export const cliEnv = (extra = {}) => ({ ...process.env, NO_COLOR: '1', NODE_V8_COVERAGE: '', ...extra });

/**
 * Runs the CLI: its exit code, stdout as text and as bytes, stderr as text. Under Node, in this
 * process (inProcessCli); with another `runtime` (or under Bun), as a child process running
 * dist/cli.js. `timeout` (ms) is a hang guard: past it, the call throws.
 */
export function runCli(args, { input, runtime = process.execPath, timeout = 300_000 } = {}) {
  if (runtime === process.execPath && !process.versions.bun) return inProcessCli(args, input, timeout);
  const r = spawnSync(runtime, [CLI, ...args], { input, env: cliEnv(), maxBuffer: 64 << 20, timeout });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout.toString(), bytes: r.stdout, stderr: r.stderr.toString() };
}

let cliWorker;

/**
 * A command run by run(argv, io) (host/cli/run.ts, what dist/cli.js runs) in a worker thread,
 * waited for synchronously: the tests read a CLI call's result at once, as from spawnSync, without
 * a process start (about 0.2 s each, most of the CLI tests' time). The command still sees streams
 * that are not terminals, an empty stdin unless given `input`, and stores through its own copy
 * of the library. What only a process shows (the exit status, a pipe's reader going away, a
 * terminal, Bun) is tested by spawning dist/cli.js.
 */
function inProcessCli(args, input, timeout) {
  if (!cliWorker) {
    const bundle = `${tempDir('iodict-cli-')}/run.mjs`;
    buildSync({ ...hostBundleOptions, entryPoints: [fileURLToPath(new URL('../../host/cli/run.ts', import.meta.url))], format: 'esm', external: ['koffi'], outfile: bundle });
    const worker = new Worker(new URL('./cli-worker.mjs', import.meta.url), { workerData: { bundle: pathToFileURL(bundle).href } });
    worker.unref();
    cliWorker = { worker, done: new Int32Array(new SharedArrayBuffer(4)) };
  }
  const { worker, done } = cliWorker;
  const { port1, port2 } = new MessageChannel();
  Atomics.store(done, 0, 0);
  worker.postMessage({ args, input, reply: port2, done }, [port2]);
  // Waits until done is set: a wake-up alone is not the answer (the last command's notify can land
  // after its caller saw its flag, and wake this wait before this command has answered).
  const deadline = Date.now() + timeout;
  while (Atomics.load(done, 0) === 0) {
    if (Atomics.wait(done, 0, 0, Math.max(0, deadline - Date.now())) === 'timed-out') {
      worker.terminate();
      cliWorker = undefined;
      throw new Error(`iodict ${args.join(' ')}: no result within ${timeout} ms`);
    }
  }
  const { code, stdout, stderr } = receiveMessageOnPort(port1).message;
  port1.close();
  const bytes = Buffer.from(stdout.buffer, stdout.byteOffset, stdout.byteLength);
  return { code, stdout: bytes.toString(), bytes, stderr: Buffer.from(stderr.buffer, stderr.byteOffset, stderr.byteLength).toString() };
}

/** [key, value] pairs of a dictionary's store, in order, read through the library. */
export function entries(path) {
  const d = new IODict(path);
  try {
    return [...d.entries()];
  } finally {
    d.close();
  }
}

/** The store's format marker text (FORMAT.md 2): its version line, then an optional kind line. */
export const formatMarker = (path) => fs.readFileSync(`${path}/.iodict/format`, 'latin1');

/** The kind a store's marker records: 'dict', 'queue', or 'any' (no kind line); undefined for a malformed marker. */
export function markerKind(path) {
  const match = /^iodict-store \d+\n(?:kind (dict|queue)\n)?$/.exec(formatMarker(path));
  return match ? (match[1] ?? 'any') : undefined;
}
