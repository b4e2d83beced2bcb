// Reading import input as a stream (a file, or stdin for "-"), so a big export never has to
// fit in memory: whole lines for NDJSON, exact byte counts for archives.
import fs from 'node:fs';

export interface Input {
  chunks: AsyncIterable<Uint8Array>;
  /** Bytes in total when known (a regular file): the progress bar's total. */
  size: number | undefined;
}

export function openInput(file: string | undefined): Input {
  if (file === undefined || file === '-') return { chunks: process.stdin, size: undefined };
  const stat = fs.statSync(file); // ENOENT here, before anything is imported
  return { chunks: fs.createReadStream(file), size: stat.isFile() ? stat.size : undefined };
}

/** Pulls exact byte counts from a chunk stream. */
export class ByteReader {
  #iterator: AsyncIterator<Uint8Array>;
  #buffer = new Uint8Array(0);
  #at = 0;
  #ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>, private readonly onBytes: (n: number) => void = () => {}) {
    this.#iterator = chunks[Symbol.asyncIterator]();
  }

  async #fill(n: number): Promise<boolean> {
    while (this.#buffer.length - this.#at < n && !this.#ended) {
      const next = await this.#iterator.next();
      if (next.done) {
        this.#ended = true;
        break;
      }
      this.onBytes(next.value.length);
      this.#buffer = Buffer.concat([this.#buffer.subarray(this.#at), next.value]);
      this.#at = 0;
    }
    return this.#buffer.length - this.#at >= n;
  }

  /** Exactly n bytes, or null when the input ends first. */
  async read(n: number): Promise<Uint8Array | null> {
    if (!(await this.#fill(n))) return null;
    this.#at += n;
    return this.#buffer.subarray(this.#at - n, this.#at);
  }

  /** Whether the unread input starts with this ASCII text (consumes nothing). */
  async startsWith(text: string): Promise<boolean> {
    if (!(await this.#fill(text.length))) return false;
    return Buffer.from(this.#buffer.subarray(this.#at, this.#at + text.length)).toString('latin1') === text;
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill(1));
  }

  /** Lines without their "\n" (or "\r\n"); the last one may lack a newline. */
  async *lines(): AsyncGenerator<string> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const decode = (line: Uint8Array) => decoder.decode(line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line);
    let searchFrom = this.#at;
    for (;;) {
      const end = this.#buffer.indexOf(0x0a, searchFrom);
      if (end >= 0) {
        const line = this.#buffer.subarray(this.#at, end);
        this.#at = searchFrom = end + 1;
        yield decode(line);
        continue;
      }
      if (this.#ended) {
        const rest = this.#buffer.subarray(this.#at);
        this.#at = this.#buffer.length;
        if (rest.length) yield decode(rest);
        return;
      }
      const searched = this.#buffer.length - this.#at;
      await this.#fill(searched + 1); // moves the unread bytes to the front
      searchFrom = this.#at + searched;
    }
  }
}
