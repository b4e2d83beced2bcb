// A progress bar on stderr for long operations. Drawn only on a terminal: piped or redirected,
// stderr gets no bar and no escape codes, so logs and scripts see only real messages.
import type { OutStream } from './io.js';

export interface Progress {
  /** Counts `n` more units done. */
  tick(n?: number): void;
  /** Sets the total once it is known (undefined: a counter without a bar). */
  setTotal(total: number | undefined): void;
  /** Erases the bar; call before printing anything else to the terminal. */
  done(): void;
}

const NONE: Progress = { tick() {}, setTotal() {}, done() {} };
const REDRAW_MS = 100;
// Clears the line; the bar is redrawn in place with a carriage return.
const CLEAR = '\r\x1b[2K';

export interface ProgressOptions {
  /** False turns it off (--no-progress). */
  enabled: boolean;
  /** The command also writes to stdout while working: no bar when that is the same terminal. */
  writesStdout?: boolean;
  /** Where the bar is drawn (stderr), and stdout, to tell whether both are the same terminal. */
  stream: OutStream;
  stdout: OutStream;
}

export function progress(label: string, total: number | undefined, options: ProgressOptions): Progress {
  const { stream } = options;
  if (!options.enabled || !stream.isTTY || (options.writesStdout && options.stdout.isTTY)) return NONE;
  let count = 0;
  let last = 0;
  let shown = false;
  const started = Date.now();
  const draw = () => {
    const width = Math.max(20, (stream.columns || 80) - 1);
    const seconds = Math.floor((Date.now() - started) / 1000);
    const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
    let line: string;
    if (total) {
      const fraction = Math.min(1, count / total);
      const numbers = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${count.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${clock}`;
      const room = Math.max(10, width - label.length - numbers.length - 3);
      const filled = Math.round(fraction * room);
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(room - filled)}]${numbers}`;
    } else {
      line = `${label} ${count.toLocaleString('en-US')} ${clock}`;
    }
    stream.write(CLEAR + line.slice(0, width));
    shown = true;
  };
  return {
    tick(n = 1) {
      count += n;
      const now = Date.now();
      if (now - last >= REDRAW_MS) {
        last = now;
        draw();
      }
    },
    setTotal(t) {
      total = t;
    },
    done() {
      if (shown) stream.write(CLEAR);
      shown = false;
    },
  };
}
