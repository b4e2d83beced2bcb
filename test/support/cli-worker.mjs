// The CLI in-process for test/support/cli.mjs: a worker thread that runs one command at a time
// with run(argv, io) (host/cli/run.ts, bundled by the caller) over streams it collects.
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

parentPort.on('message', async ({ args, input, reply, done }) => {
  const stdout = collector();
  const stderr = collector();
  const stdin = Readable.from(input === undefined ? [] : [Buffer.from(input)]);
  let code;
  try {
    code = await run(args, { stdin, stdout: stdout.stream, stderr: stderr.stream });
  } catch (e) {
    stderr.stream.write(`run() threw: ${e?.stack ?? e}\n`);
    code = 1;
  }
  reply.postMessage({ code, stdout: stdout.bytes(), stderr: stderr.bytes() });
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
