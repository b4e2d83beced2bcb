// The stores the commands work on. Every command reads through StoreBackend, the interface the
// WASI runner (host/wasi/runner.ts) also implements, so `ls`, `dump` and `verify` print through
// one formatting path whichever build answers. HostStore is the host build (Node or Bun), with
// the extras only the CLI's maintenance commands need.
import fs from 'node:fs';
import { Core, Status, type StoreKind, verifyProblem } from '../core/core.js';
import { defaultHost } from '../default-host.js';
import { StoreError, type CorruptRecordError } from '../errors.js';
import { lastProblem, problemText } from '../codec/check.js';
import type { WasiStore, WasiStoreOptions } from '../wasi/runner.js';
import { openRegular, readUpTo } from './files.js';
import type { RawKey } from './json.js';

/** What a store answers, through either build: the WASI runner's interface, which HostStore implements too. */
export type StoreBackend = WasiStore;
export type VerifyReport = ReturnType<WasiStore['verify']>;

/** The core's verification and diagnostic exports (assembly/index.ts), beyond what Core types. */
interface VerifyExports {
  verifyBegin(): number;
  verifyNext(): number;
  verifyName(): number;
  verifyQuarantine(detail: number): number;
  resultDiag(): number;
  diagLength(): number;
  compact(): number;
  VERIFY_GONE: { value: number };
  VERIFY_DONE: { value: number };
}

const NAME_CHARS = 56;
const HEADER_BYTES = 24;
const RECORD_NAME = /^[0-9a-f]{56}$/;
const text = new TextDecoder();


/**
 * Fails unless `path` holds a store: commands other than set/import never create one (opening
 * would), and a Python iodict directory gets a pointer to the importer.
 */
export function requireStore(path: string): void {
  const stat = fs.statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new StoreError(`iodict: ${path}: no such store`, path, 'ENOENT', 'open');
  if (!stat.isDirectory()) throw new StoreError(`iodict: ${path} is not an iodict store (it is a file)`, path, 'ENOTSTORE', 'open');
  if (!fs.existsSync(`${path}/.iodict/format`)) {
    const python = fs.readdirSync(path).some((n) => RECORD_NAME.test(n));
    throw new StoreError(
      `iodict: ${path} is not an iodict store${python ? ' (it looks like a Python iodict store: use `iodict import NEW_PATH --from-python ' + path + '`)' : ''}`,
      path, 'ENOTSTORE', 'open',
    );
  }
}

/** More than any well-formed marker takes: a longer one is malformed, and is not read further. */
const MARKER_MAX_BYTES = 64;

/** What a store was made for: a marker without a kind line suits either (FORMAT.md 2). */
export type MarkerKind = StoreKind | 'any';

/**
 * The format marker's version and kind (FORMAT.md 2): the version line, then an optional kind
 * line. Undefined when PATH has no marker; a version of NaN when the marker is malformed.
 */
export function readMarker(path: string): { version: number; kind: MarkerKind } | undefined {
  let marker: ReturnType<typeof openRegular>;
  try {
    marker = openRegular(`${path}/.iodict/format`);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
  if (marker.fd === undefined) return { version: NaN, kind: 'any' };
  let text: string;
  try {
    text = readUpTo(marker.fd, MARKER_MAX_BYTES).toString('latin1');
  } finally {
    fs.closeSync(marker.fd);
  }
  const parsed = /^iodict-store (\d+)\n(?:kind (dict|queue)\n)?$/.exec(text);
  return { version: Number(parsed?.[1] ?? NaN), kind: (parsed?.[2] ?? 'any') as MarkerKind };
}

/** The record files of a store (names only), for counts and progress totals. */
export function recordNames(path: string): string[] {
  return fs.readdirSync(path).filter((n) => RECORD_NAME.test(n));
}

export interface VerifyOptions {
  /** Called once per record checked (progress). */
  onRecord?: () => void;
  /** Moves each bad record into quarantine and reports where to. */
  quarantine?: (bad: { name: string; problem: string; movedTo: string }) => void;
}

export interface HostStoreOptions {
  /** Corrupt records the core finds (and quarantines) while opening or syncing. */
  onCorrupt?: (error: CorruptRecordError) => void;
  /** The kind a store created now records; without it, a store of either kind opens. */
  kind?: StoreKind;
  /** Permission bits of the files this handle creates (the store option `mode`). */
  mode?: number;
}

/** A store through the host build. The store is opened on first use; `verify` never opens it. */
export class HostStore implements StoreBackend {
  #core: Core | undefined;

  constructor(readonly path: string, readonly options: HostStoreOptions = {}) {}

  get core(): Core {
    return (this.#core ??= new Core(defaultHost(), this.path, { onCorrupt: this.options.onCorrupt, kind: this.options.kind, mode: this.options.mode }));
  }

  #x(core: Core): Core['x'] & VerifyExports {
    return core.x as Core['x'] & VerifyExports;
  }

  list(): { keyType: number; key: Uint8Array; birth: number; expiry: number }[] {
    const core = this.core;
    const x = core.x;
    return Array.from(core.order(), (slot) => {
      const ptr = x.slotKey(slot);
      return { keyType: x.slotKeyType(slot), key: core.bytes().slice(ptr, ptr + x.slotKeyLength(slot)), birth: x.slotBirth(slot), expiry: x.slotExpiry(slot) };
    });
  }

  size(): number {
    return this.core.size();
  }

  /** Reads a key's record into the core; false when it is missing. */
  #read(keyType: number, key: Uint8Array): boolean {
    const core = this.core;
    const keyLen = core.putRawEntry(keyType, key, EMPTY);
    return core.check(core.x.get(keyType, keyLen)) === Status.OK;
  }

  get(keyType: number, key: Uint8Array): { codec: number; value: Uint8Array } | undefined {
    if (!this.#read(keyType, key)) return undefined;
    const x = this.core.x;
    const ptr = x.resultValue();
    return { codec: x.resultCodec(), value: this.core.bytes().slice(ptr, ptr + x.resultValueLength()) };
  }

  /** The record file's bytes as the core read and validated them (FORMAT.md 3.3). */
  record(keyType: number, key: Uint8Array): Uint8Array | undefined {
    if (!this.#read(keyType, key)) return undefined;
    const x = this.core.x;
    const start = x.resultKey() - HEADER_BYTES;
    const expiryBytes = x.resultExpiry() ? 8 : 0; // FORMAT.md 3.3: flag bit 0
    return this.core.bytes().slice(start, x.resultValue() + x.resultValueLength() + expiryBytes + 4);
  }

  diag(keyType: number, key: Uint8Array): string | undefined {
    if (!this.#read(keyType, key)) return undefined;
    const x = this.#x(this.core);
    const ptr = x.resultDiag();
    return text.decode(this.core.bytes().subarray(ptr, ptr + x.diagLength()));
  }

  /** Sets a key's raw value bytes (with an expiry stamp in µs, if given); returns whether the key is new. */
  set(keyType: number, key: Uint8Array, codec: number, value: Uint8Array, expiry = 0): boolean {
    const core = this.core;
    const keyLen = core.putRawEntry(keyType, key, value);
    if (expiry) core.x.setNextExpiry(expiry);
    core.check(core.x.set(keyType, keyLen, value.length, codec));
    core.absorbEvents();
    return core.x.resultIsNew() !== 0;
  }

  delete(keyType: number, key: Uint8Array): boolean {
    const core = this.core;
    const keyLen = core.putRawEntry(keyType, key, EMPTY);
    return core.check(core.x.remove(keyType, keyLen)) === Status.OK;
  }

  /**
   * Checks every record file (FORMAT.md 3.3, and CBOR well-formedness) without opening the store,
   * so nothing is written and no bad record is moved before it is reported. With `quarantine`,
   * each bad record (not one that could not be read) is moved to .iodict/quarantine.
   */
  verify(options: VerifyOptions = {}): VerifyReport {
    const core = new Core(defaultHost(), this.path, { open: false });
    const x = this.#x(core);
    const done = x.VERIFY_DONE.value;
    const gone = x.VERIFY_GONE.value;
    const report: VerifyReport = { checked: 0, bad: [] };
    try {
      core.check(x.verifyBegin());
      for (let code = x.verifyNext(); code !== done; code = x.verifyNext()) {
        if (code === gone) continue; // taken by another handle meanwhile: not a fault
        report.checked++;
        options.onRecord?.();
        if (code === 0) continue;
        const ptr = x.verifyName();
        const problem = code <= -1000 ? verifyProblem(0, -1000 - code) : verifyProblem(code, 0, problemText(lastProblem(x)));
        const bad = { name: text.decode(core.bytes().subarray(ptr, ptr + NAME_CHARS)), problem };
        report.bad.push(bad);
        if (options.quarantine && code > 0) {
          const status = x.verifyQuarantine(code);
          if (status !== Status.CORRUPT) core.check(status);
          const aside = x.asidePath();
          options.quarantine({ ...bad, movedTo: `${this.path}/${text.decode(core.bytes().subarray(aside, aside + x.asidePathLength()))}` });
        }
      }
    } finally {
      core.close();
    }
    return report;
  }

  /** Returns claims of dead processes to the store; the count, with those that opening the store returned. */
  recoverClaims(): number {
    const core = this.core;
    core.check(core.x.recoverClaims());
    core.absorbEvents();
    return core.x.recoveredClaims();
  }

  /** Rotates the journal to a fresh one and rewrites the index cache; false when another handle holds the store lock. */
  compact(): boolean {
    const core = this.core;
    const status = core.check(this.#x(core).compact());
    core.absorbEvents();
    return status === Status.OK;
  }

  close(): void {
    this.#core?.close();
    this.#core = undefined;
  }
}

const EMPTY = new Uint8Array(0);

/** The core's check of a record file's bytes: what is wrong with them, or undefined. Opens no store. */
export function recordChecker(): (bytes: Uint8Array) => string | undefined {
  const core = new Core(defaultHost(), '', { open: false });
  return (bytes) => core.recordProblem(bytes);
}

/** The same view of keys for every backend: RawKey plus birth (and expiry stamp, µs, where the backend reads it). */
export function listKeys(store: StoreBackend): (RawKey & { birth: number; expiry?: number })[] {
  return store.list().map((e) => ({ type: e.keyType, bytes: e.key, birth: e.birth, expiry: e.expiry }));
}

/** The store through the WASI build (bundled, but loaded only when --wasi asks for it). */
export async function openWasi(path: string, options: WasiStoreOptions): Promise<StoreBackend> {
  const { openWasiStore } = await import('../wasi/runner.js');
  return openWasiStore(path, options);
}
