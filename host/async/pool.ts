// The worker threads AsyncIODict handles and watches run their file I/O on, shared by the process.
// Starting one (a thread, this bundle, the wasm core) takes tens of milliseconds, against well
// under one to open a store in a running one: a handle (or a watch) takes idle workers from here
// and gives them back when it closes, so a server that opens a store per request pays the start
// once. A worker serves one handle or watch at a time, so one handle's wait for a lock never holds
// up another's calls.
import { Worker } from 'node:worker_threads';
import { POOL_MARK } from './wire.js';
import type { WorkerPoolOptions } from './dict.js';

const settings: Required<WorkerPoolOptions> = { maxIdle: 8, idleTimeout: 10_000 };

interface IdleWorker {
  readonly worker: Worker;
  timer?: ReturnType<typeof setTimeout>;
}

const idle: IdleWorker[] = [];

/** The bundle this code is in: each worker loads it and serves (host/async/worker.ts). */
const workerUrl = new URL(import.meta.url);

function end(entry: IdleWorker): Promise<number> {
  clearTimeout(entry.timer);
  return entry.worker.terminate();
}

/** Ends an idle worker once it has been idle for the current timeout (from now). */
function arm(entry: IdleWorker): void {
  clearTimeout(entry.timer);
  entry.timer = setTimeout(() => {
    const at = idle.indexOf(entry);
    if (at >= 0) idle.splice(at, 1);
    void end(entry);
  }, settings.idleTimeout);
  entry.timer.unref();
}

/** A worker no handle is using: an idle one (the latest given back), else a new one. */
export function takeWorker(): Worker {
  const reused = idle.pop();
  if (reused) {
    clearTimeout(reused.timer);
    return reused.worker;
  }
  const worker = new Worker(workerUrl, { workerData: { [POOL_MARK]: true } });
  worker.unref(); // an idle worker does not keep the process alive; a handle refs it while calls are in flight
  // One that dies while idle is dropped; what it threw reaches the handle using it, by its own listener.
  worker.once('exit', () => {
    const at = idle.findIndex((entry) => entry.worker === worker);
    if (at >= 0) clearTimeout(idle.splice(at, 1)[0]!.timer);
  });
  worker.on('error', () => {});
  return worker;
}

/**
 * A worker whose handle closed its store there (or never opened it): idle until taken again, or
 * ended (the promise settles once it has exited) when the pool holds enough.
 */
export function giveBack(worker: Worker): Promise<void> {
  worker.unref();
  if (idle.length >= settings.maxIdle) return end({ worker }).then(() => {});
  const entry: IdleWorker = { worker };
  arm(entry);
  idle.push(entry);
  return Promise.resolve();
}

/**
 * Changes the pool's limits: idle workers beyond the new maximum end now (the promise settles once
 * they have exited), the others' timeout restarts.
 */
export function configureWorkerPool(options: WorkerPoolOptions): Promise<void> {
  Object.assign(settings, options);
  const ended = idle.splice(0, Math.max(0, idle.length - settings.maxIdle));
  for (const entry of idle) arm(entry);
  return Promise.all(ended.map(end)).then(() => {});
}
