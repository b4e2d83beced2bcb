// Where a command reads and writes: the process's standard streams when it runs as `iodict`
// (main.ts), or streams its caller gives run() (the tests run commands in-process that way).

/** A stream a command writes text or bytes to; isTTY and columns as a terminal's WriteStream has them. */
export interface OutStream extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdin: AsyncIterable<Uint8Array> & { isTTY?: boolean };
  stdout: OutStream;
  stderr: OutStream;
}

export const processIo = (): CliIo => ({
  // Read only by the commands that take stdin: process.stdin opens fd 0 as a stream, which can make
  // a pipe it shares with the other commands of a shell pipeline non-blocking (their reads: EAGAIN).
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
});
