// The store that set, rm and import write into, held to its kind (FORMAT.md 2): a queue's store
// takes queue item keys only and a dictionary's store every other key, unless --force-kind asks
// for the mismatch. A store they create records its kind: --kind, else the kind the first key
// written belongs to (queue for a queue item key, dict for any other; dict for an empty import).
import type { StoreKind } from '../core/core.js';
import { KeyType } from '../core/keys.js';
import { isMode } from '../core/validate.js';
import { StoreError } from '../errors.js';
import { UsageError } from './errors.js';
import type { Context } from './context.js';
import { type RawKey, keyText } from './json.js';
import { type HostStore, type MarkerKind, readMarker, requireStore } from './store.js';

export const KIND_OPTION = {
  value: 'KIND',
  choices: ['dict', 'queue'],
  help: 'the kind a store created now records (default: queue when the first key is a queue item key, else dict); an existing store must be of it',
} as const;

export const FORCE_KIND_OPTION = {
  help: "write keys that do not fit the store's kind: plain keys into a queue's store, queue item keys into a dictionary's",
} as const;

export const MODE_OPTION = {
  value: 'MODE',
  help: "permission bits, in octal (600, 0640), of the files this command creates in the store (a store's mode option: directories also get search where read is given); the umask applies",
} as const;

/** --mode's octal digits as permission bits; UsageError for anything else. */
function parseMode(text: string): number {
  const bits = /^0?o?([0-7]{3})$/.exec(text) ? parseInt(text.replace(/^0?o?/, ''), 8) : NaN;
  try {
    isMode(bits, 'mode', 'the');
  } catch {
    throw new UsageError(`--mode must be octal permission bits from 600 to 777 that include owner read and write (got ${JSON.stringify(text)})`);
  }
  return bits;
}

const KIND_TEXT: Record<StoreKind, string> = { dict: "a dictionary's store", queue: "a queue's store" };

function kindOf(key: RawKey): StoreKind {
  return key.type === KeyType.QUEUE ? 'queue' : 'dict';
}

export class WriteTarget {
  #store: HostStore | undefined;
  /** The store's kind once it exists (read from its marker, or the one it is created with). */
  #kind: MarkerKind | undefined;
  readonly #requested: StoreKind | undefined;
  readonly #mode: number | undefined;

  /** `create`: PATH may be missing (set, import); otherwise it must be a store (rm). */
  constructor(private readonly ctx: Context, readonly path: string, options: { create: boolean }) {
    if (!options.create) requireStore(path);
    this.#requested = ctx.option('kind') as StoreKind | undefined;
    const mode = ctx.option('mode');
    this.#mode = mode === undefined ? undefined : parseMode(mode);
    const marker = readMarker(path);
    if (!marker) return; // created on first write, when its first key is known
    if (this.#requested && marker.kind !== 'any' && marker.kind !== this.#requested) {
      throw new StoreError(`iodict: ${path} is ${KIND_TEXT[marker.kind]}, not ${KIND_TEXT[this.#requested]} (--kind ${this.#requested})`, path, 'EKIND', 'open');
    }
    this.#kind = marker.kind;
    this.store(); // opens it now: a damaged store fails before any input is read
  }

  /** The store, created (recording its kind) if missing; `first` is the first key to be written into it. */
  store(first?: RawKey): HostStore {
    if (this.#store) return this.#store;
    const kind = this.#kind === undefined ? (this.#requested ?? (first ? kindOf(first) : 'dict')) : undefined;
    // An existing store opens whatever its kind (the check is ours, so --force-kind can pass it).
    const store = this.ctx.hostStore(this.path, { create: true, kind, mode: this.#mode });
    store.size(); // opens (or creates) it now
    this.#kind ??= kind;
    return (this.#store = store);
  }

  /** Why `key` may not be written into this store, or undefined when it may. */
  misfit(key: RawKey): string | undefined {
    this.store(key);
    const kind = this.#kind!;
    if (kind === 'any' || kind === kindOf(key) || this.ctx.flag('force-kind')) return undefined;
    const what = key.type === KeyType.QUEUE ? `queue item key ${keyText(key).text}` : `key ${JSON.stringify(keyText(key).text)}`;
    return `the ${what} does not belong in ${KIND_TEXT[kind]} (${this.path}); --force-kind writes it anyway`;
  }

  /** Throws StoreError (code EKIND) when `key` may not be written into this store. */
  require(key: RawKey): HostStore {
    const problem = this.misfit(key);
    if (problem) throw new StoreError(`iodict: ${problem}`, this.path, 'EKIND', 'write');
    return this.store();
  }

  close(): void {
    this.#store?.close();
  }
}
