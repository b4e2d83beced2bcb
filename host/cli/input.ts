// Reading import input as a stream (a file, or stdin for "-"), so a big export never has to
// fit in memory: whole lines for NDJSON, exact byte counts for archives. Chunks are joined once
// per read or line, never once per chunk, so a long line or record is read in linear time.
import fs from 'node:fs';
import { DataError } from './errors.js';

export interface Input {
  chunks: AsyncIterable<Uint8Array>;
  /** Bytes in total when known (a regular file): the progress bar's total. */
  size: number | undefined;
}

/** The longest NDJSON line import reads (its text must fit in one string, and JSON.parse holds it twice). */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

export function openInput(file: string | undefined, stdin: AsyncIterable<Uint8Array>): Input {
  if (file === undefined || file === '-') return { chunks: stdin, size: undefined };
  const stat = fs.statSync(file); // ENOENT here, before anything is imported
  return { chunks: fs.createReadStream(file), size: stat.isFile() ? stat.size : undefined };
}

/** All of a stream, as UTF-8 text (set's VALUE "-"). */
export async function readText(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** Pulls exact byte counts, or lines, from a chunk stream. */
export class ByteReader {
  #iterator: AsyncIterator<Uint8Array>;
  /** The unread bytes are #buffer[#at..]. */
  #buffer: Uint8Array = new Uint8Array(0);
  #at = 0;
  #ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>, private readonly onBytes: (n: number) => void = () => {}) {
    this.#iterator = chunks[Symbol.asyncIterator]();
  }

  /** The next chunk of input, or null at its end. */
  async #next(): Promise<Uint8Array | null> {
    if (this.#ended) return null;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#ended = true;
      return null;
    }
    this.onBytes(next.value.length);
    return next.value;
  }

  /** The unread bytes, then these chunks, become the buffer (one copy). */
  #join(parts: Uint8Array[], total: number): void {
    this.#buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    this.#at = 0;
  }

  /** Makes at least n unread bytes contiguous; false when the input ends first. */
  async #fill(n: number): Promise<boolean> {
    let total = this.#buffer.length - this.#at;
    if (total >= n) return true;
    const parts = [this.#buffer.subarray(this.#at)];
    for (let chunk; total < n && (chunk = await this.#next()); total += chunk.length) parts.push(chunk);
    this.#join(parts, total);
    return total >= n;
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

  /**
   * Reads chunks until one holds a newline (or the input ends, or the line outgrows maxBytes);
   * returns the newline's index in the joined buffer, or -1 at the end of the input.
   */
  async #gatherLine(maxBytes: number): Promise<number> {
    const parts = [this.#buffer.subarray(this.#at)];
    let total = parts[0]!.length;
    let newline = -1;
    for (let chunk; newline < 0 && total <= maxBytes && (chunk = await this.#next()); total += chunk.length) {
      const at = chunk.indexOf(0x0a);
      if (at >= 0) newline = total + at;
      parts.push(chunk);
    }
    this.#join(parts, total);
    return newline;
  }

  /**
   * Lines without their "\n" (or "\r\n"), numbered from 1; the last one may lack a newline.
   * DataError for a line longer than maxBytes (read no further than that) or not UTF-8.
   */
  async *lines(maxBytes = MAX_LINE_BYTES): AsyncGenerator<{ number: number; text: string }> {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (let number = 1; ; number++) {
      let end = this.#buffer.indexOf(0x0a, this.#at);
      if (end < 0) end = await this.#gatherLine(maxBytes);
      const last = end < 0;
      if (last) end = this.#buffer.length;
      if (end - this.#at > maxBytes) throw new DataError(`line ${number} is longer than ${maxBytes} bytes`);
      let line = this.#buffer.subarray(this.#at, end);
      this.#at = Math.min(end + 1, this.#buffer.length);
      if (last && line.length === 0) return;
      if (line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
      let text: string;
      try {
        text = decoder.decode(line);
      } catch {
        throw new DataError(`line ${number} is not UTF-8 text`);
      }
      yield { number, text };
      if (last) return;
    }
  }
}
