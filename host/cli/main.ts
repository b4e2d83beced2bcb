// The `iodict` executable: run() on the process's own arguments and streams, its result the exit code.
import { processIo } from './io.js';
import { internalError, run } from './run.js';

// A reader that goes away (`iodict dump s | head`) ends the output, not with an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
// Node prints warnings itself unless told otherwise: run() tells the user what concerns them.
process.removeAllListeners('warning');

run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(internalError(e));
    process.exitCode = 1;
  },
);
