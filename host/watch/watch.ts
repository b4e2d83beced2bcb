// watch(): the store's change journal as an async iterator, shared by IODict and DurableQueue.
// Correctness comes from the journal (the core's cursor, assembly/store/watch.ts): every change
// any handle announced is read in journal order, each once. fs.watch on .iodict only shortens
// the wait; a poll with back-off covers file systems where it never fires (network mounts).
import { Core } from '../core/core.js';
import { type Key, readKey } from '../core/keys.js';
import { StoreError } from '../errors.js';
import type { Change, ChangeType, WatchOptions } from './types.js';
import type { AbortSignalLike } from '../core/globals.js';

const WATCH_LOST = -2;
const WATCH_BAD_POSITION = -3;
const CHANGE_BYTES = 264; // assembly/store/watch.ts
const ENTRY = { SET: 2, DELETE: 3, RESCAN: 5 } as const;
const CAUSES: ChangeType[] = ['delete', 'expire', 'evict'];
const FIRST_POLL_MS = 2;
const POSITION = /^([0-9a-f]{16}):(\d{1,16})$/;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** Parses a position string into the core's (journal id, offset) buffer. */
function placePosition(core: Core, since: string): void {
  const match = POSITION.exec(since)!; // checked by watchChanges
  const view = new DataView(core.x.memory.buffer, core.x.watchPosition(), 16);
  view.setBigUint64(0, BigInt(`0x${match[1]}`), true);
  view.setBigUint64(8, BigInt(match[2]!), true);
}

/**
 * The changes to the store at `path` made by any process, thread or handle, in journal order,
 * from the moment of this call (or after `since`). The watch has a handle of its own (`open`
 * makes it), so its cursor and reads never disturb the caller's handle, and several watches run
 * side by side; it is released when the iteration ends (break, return(), the signal, an error).
 */
export function watchChanges<K extends Key>(open: () => Core, path: string, options: WatchOptions = {}): AsyncGenerator<Change<K>, void, undefined> {
  const { signal, since } = options;
  const pollInterval = options.pollInterval ?? 250;
  if (!(pollInterval > 0)) throw new RangeError(`iodict: pollInterval must be a positive number of ms, not ${pollInterval}`);
  signal?.throwIfAborted();
  checkPosition(since);
  const core = open();
  try {
    // Keys by digest: deletes name only a digest, and the record is gone by then.
    const keys = new Map<string, Key>();
    for (const slot of core.order()) {
      const at = core.x.slotDigest(slot);
      keys.set(hex(core.bytes().subarray(at, at + 28)), core.slotKey(slot));
    }
    if (since !== undefined) placePosition(core, since);
    const started = core.x.watchStart(since !== undefined ? 1 : 0);
    if (started === WATCH_LOST) throw positionLost(path, since);
    if (started === WATCH_BAD_POSITION) throw new RangeError(`iodict: watch({ since: ${since} }): not a position in ${path}'s journal`);
    if (started !== 0) throw core.error(STATUS_IO);
    return follow<K>(core, path, keys, pollInterval, since, signal);
  } catch (error) {
    core.close();
    throw error;
  }
}

/** A `since` that cannot be a change's position is a RangeError, before anything is opened. */
export function checkPosition(since: unknown): void {
  if (since !== undefined && (typeof since !== 'string' || !POSITION.test(since))) {
    throw new RangeError(`iodict: watch({ since }) takes a change's position, not ${String(since)}`);
  }
}

const STATUS_IO = 5;

function positionLost(path: string, since: string | undefined): StoreError {
  return new StoreError(
    `iodict: watch position ${since ?? '(start)'} in ${path} is gone: the journal was compacted or rotated past it, so the changes after it can no longer be listed; read the store again and watch from now`,
    path, 'ECOMPACTED', 'watch');
}

async function* follow<K extends Key>(core: Core, path: string, keys: Map<string, Key>, pollInterval: number,
  since: string | undefined, signal: AbortSignalLike | undefined): AsyncGenerator<Change<K>, void, undefined> {
  const x = core.x;
  let wake: (() => void) | undefined;
  let pollMs = FIRST_POLL_MS;
  const poke = () => wake?.();
  signal?.addEventListener('abort', poke);
  const watcher = core.host.watch?.(`${path}/.iodict`, () => {
    pollMs = FIRST_POLL_MS;
    poke();
  });
  try {
    for (;;) {
      const batch = ((): Change<K>[] => {
        const n = x.watchRead();
        if (n === WATCH_LOST) throw positionLost(path, since);
        if (n < 0) throw core.error(STATUS_IO);
        const out: Change<K>[] = [];        for (let i = 0; i < n; i++) {
          const at = x.watchChanges() + i * CHANGE_BYTES;
          const bytes = core.bytes();
          const view = new DataView(bytes.buffer, at, CHANGE_BYTES);
          const kind = bytes[at + 4]!;
          const position = `${view.getBigUint64(64, true).toString(16).padStart(16, '0')}:${view.getBigUint64(72, true)}`;
          if (kind === ENTRY.RESCAN) {
            out.push({ type: 'rescan', key: undefined, position });
            continue;
          }
          if (kind !== ENTRY.SET && kind !== ENTRY.DELETE) continue;
          const digest = hex(bytes.subarray(at + 24, at + 52));
          const carried = view.getInt32(84, true);
          let key = carried >= 0 ? readKey(bytes[at + 80]!, bytes.subarray(at + 88, at + 88 + carried)) : keys.get(digest);
          if (kind === ENTRY.SET) {
            if (key === undefined && x.watchRecord(i) === 0) key = core.resultKey();
            if (key !== undefined) keys.set(digest, key);
            out.push({ type: 'set', key: key as K | undefined, position });
          } else {
            // A look's delete (the core's settle) may come before the change's own entry, which
            // need not carry the key: the key is kept for it.
            if (bytes[at + 81] !== 1) keys.delete(digest);
            out.push({ type: CAUSES[bytes[at + 5]!] ?? 'delete', key: key as K | undefined, position });
          }
        }
        return out;
      })();
      if (batch.length > 0) {
        pollMs = FIRST_POLL_MS;
        for (const change of batch) {
          signal?.throwIfAborted();
          yield change;
        }
        continue;
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
      pollMs = Math.min(pollMs * 2, pollInterval);
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    watcher?.close();
    x.watchStop();
    core.close();
  }
}
