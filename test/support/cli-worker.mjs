// The CLI in-process for test/support/cli.mjs: a worker thread that runs one command at a time
// with run(argv, io) (host/cli/run.ts, bundled by the caller) over streams it collects. The
// caller waits on `done` (Atomics.wait) and then reads the answer from `reply`.
import { parentPort, workerData } from 'node:worker_threads';
import { Readable, Writable } from 'node:stream';

const { run } = await import(workerData.bundle);
// As the executable does (main.ts): run() reports what concerns the user; Node's printer would add to it.
process.removeAllListeners('warning');

function collector() {
  const chunks = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

/** The command running now: its streams and where its answer goes. */
let current;

function answer(code) {
  const { reply, done, stdout, stderr } = current;
  current = undefined;
  reply.postMessage({ code, stdout: stdout.bytes(), stderr: stderr.bytes() });
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
}

// A command that fails outside run()'s own handling still answers (exit code 1, the error on
// stderr), so the caller, which cannot see this thread's events while it waits, never hangs.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (e) => {
    if (!current) throw e;
    current.stderr.stream.write(`${event}: ${e?.stack ?? e}\n`);
    answer(1);
  });
}

parentPort.on('message', async ({ args, input, reply, done }) => {
  current = { reply, done, stdout: collector(), stderr: collector() };
  const { stdout, stderr } = current;
  const stdin = Readable.from(input === undefined ? [] : [Buffer.from(input)]);
  let code;
  try {
    code = await run(args, { stdin, stdout: stdout.stream, stderr: stderr.stream });
  } catch (e) {
    stderr.stream.write(`run() threw: ${e?.stack ?? e}\n`);
    code = 1;
  }
  if (current?.stdout === stdout) answer(code);
});
