import type { AbortSignalLike } from './globals.js';

/**
 * Waits for a turn: pushes an entry onto `line` and resolves when someone calls it. An abort of
 * `signal` takes the entry out of the line (so no turn is ever given to it) and rejects with the
 * signal's reason; an already-aborted signal rejects at once.
 */
export function waitInLine(line: (() => void)[], signal?: AbortSignalLike): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const turn = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      line.splice(line.indexOf(turn), 1);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    line.push(turn);
  });
}
