// Where commands write: buffered lines to stdout or to a file (written to a temp file next to
// it and renamed at the end, so an interrupted export never leaves a truncated file behind).
import fs from 'node:fs';
import path from 'node:path';

const CHUNK = 64 * 1024;

export interface Sink {
  write(data: string | Uint8Array): Promise<void>;
  /** Flushes; for a file, renames the finished file into place. */
  close(): Promise<void>;
  /** Drops a file being written (after an error). */
  abort(): void;
}

/** Resolves when a stream can take more, so a big dump never piles up in memory. */
// Write errors (EPIPE when the reader went away) arrive as 'error' events; main.ts handles stdout's.
function put(stream: NodeJS.WritableStream, chunk: Uint8Array): Promise<void> {
  if (stream.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

function buffered(flushTo: (chunk: Uint8Array) => Promise<void>, finish: () => Promise<void>, abort: () => void): Sink {
  let parts: Uint8Array[] = [];
  let size = 0;
  const flush = async () => {
    if (!size) return;
    const chunk = Buffer.concat(parts, size);
    parts = [];
    size = 0;
    await flushTo(chunk);
  };
  return {
    async write(data) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      parts.push(bytes);
      size += bytes.length;
      if (size >= CHUNK) await flush();
    },
    async close() {
      await flush();
      await finish();
    },
    abort,
  };
}

export function stdoutSink(stdout: NodeJS.WritableStream): Sink {
  return buffered((chunk) => put(stdout, chunk), async () => {}, () => {});
}

/** A file written whole or not at all: FILE.<pid>.tmp, renamed over FILE on close. */
export function fileSink(file: string): Sink {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(temp, 'wx');
  let open = true;
  const closeFd = () => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  return buffered(
    async (chunk) => {
      for (let done = 0; done < chunk.length; ) done += fs.writeSync(fd, chunk, done);
    },
    async () => {
      closeFd();
      fs.renameSync(temp, file);
    },
    () => {
      closeFd();
      fs.rmSync(temp, { force: true });
    },
  );
}

/** Text for stdout, one call per line group (small outputs: ls, stat, verify). */
export class Lines {
  readonly #sink: Sink;
  constructor(stdout: NodeJS.WritableStream) {
    this.#sink = stdoutSink(stdout);
  }
  line(text: string): Promise<void> {
    return this.#sink.write(text + '\n');
  }
  close(): Promise<void> {
    return this.#sink.close();
  }
}
