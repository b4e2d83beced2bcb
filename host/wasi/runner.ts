// Runs the WASI build (dist/iodict.wasi.wasm) on a store directory from Node or Bun, through
// nothing but its documented interface (docs/WASI.md): `iodict ls|dump|verify --wasi`, and the
// cross-build tests, use it. Runtimes: node:wasi (Bun's own polyfill under Bun) on the real
// directory, or @wasmer/wasi on a MemFS copy of it.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadWasm } from '../core/wasm-file.js';
import { Status, statusError, verifyProblem } from '../core/core.js';
import { ClosedError, StoreError } from '../errors.js';

export interface WasiStoreOptions {
  /** 'node': node:wasi (or Bun's node:wasi when running under Bun) on the real directory (default);
   *  'wasmer': @wasmer/wasi with a MemFS: the directory is copied in, and copied back out on close() if anything was written. */
  runtime?: 'node' | 'wasmer';
}

export interface WasiStore {
  /** Keys in birth order: key type byte, canonical key bytes, birth stamp (µs since epoch). */
  list(): { keyType: number; key: Uint8Array; birth: number; expiry?: number }[];
  /** Every record file checked; `problem` is a short text (same wording as the host build's CorruptRecordError reasons where they overlap). */
  verify(): { checked: number; bad: { name: string; problem: string }[] };
  /** RFC 8949 diagnostic notation of a key's value; undefined when missing. */
  diag(keyType: number, key: Uint8Array): string | undefined;
  get(keyType: number, key: Uint8Array): { codec: number; value: Uint8Array } | undefined;
  set(keyType: number, key: Uint8Array, codec: number, value: Uint8Array): void;
  delete(keyType: number, key: Uint8Array): boolean;
  close(): void;
}

/** The WASI build's exports (assembly/wasi.ts, docs/WASI.md). */
interface WasiExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  iodict_buffer(bytes: number): number;
  iodict_open(nameLen: number, flags: number): number;
  iodict_close(): void;
  iodict_get(keyType: number, keyLen: number): number;
  iodict_set(keyType: number, keyLen: number, valueLen: number, codec: number): number;
  iodict_delete(keyType: number, keyLen: number): number;
  iodict_diag(keyType: number, keyLen: number): number;
  iodict_list(): number;
  iodict_list_key(i: number): number;
  iodict_verify_begin(): number;
  iodict_verify_next(): number;
  iodict_key_type(): number;
  iodict_key_ptr(): number;
  iodict_key_len(): number;
  iodict_value_ptr(): number;
  iodict_value_len(): number;
  iodict_codec(): number;
  iodict_birth(): bigint;
  iodict_output_ptr(): number;
  iodict_output_len(): number;
  iodict_error_op(): number;
  iodict_errno(): number;
  iodict_error_detail(): number;
  iodict_error_path_ptr(): number;
  iodict_error_path_len(): number;
  iodict_aside_path_ptr(): number;
  iodict_aside_path_len(): number;
  iodict_quarantined(): number;
}

/** Statuses of the interface beyond the core's (Status). */
const WasiStatus = { CLOSED: 6, BAD_KEY: 7, BAD_VALUE: 8, NO_ROOT: 9, BAD_ARGUMENT: 10 } as const;
const INSPECT = 2;
const VERIFY_DONE = -1;
const VERIFY_IO = 1000;

/** Where the store directory appears inside the sandbox. */
const GUEST = '/iodict';

const utf8 = new TextEncoder();
const text = new TextDecoder();
let compiled: WebAssembly.Module | undefined;

/** What a runtime hands back: the instance, and how to finish (copy out, release). */
interface Sandbox {
  x: WasiExports;
  finish(): void;
}

export async function openWasiStore(dir: string, options: WasiStoreOptions = {}): Promise<WasiStore> {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  // The module reaches only what it is given: a directory that exists (an empty one becomes a store).
  if (!stat) throw new StoreError(`iodict: ${dir} does not exist (the WASI build opens an existing directory)`, dir, 'ENOENT', 'open');
  if (!stat.isDirectory()) throw statusError(Status.NOT_STORE, dir);
  compiled ??= loadWasm('iodict.wasi.wasm');
  const sandbox = options.runtime === 'wasmer' ? await wasmerSandbox(compiled, dir) : await nodeSandbox(compiled, dir);
  return new Store(dir, sandbox);
}

class Store implements WasiStore {
  readonly #x: WasiExports;
  #bytes: Uint8Array;
  #state: 'closed' | 'inspected' | 'open' = 'closed';
  #finished = false;
  #quarantinedSeen = 0;

  constructor(readonly path: string, readonly sandbox: Sandbox) {
    this.#x = sandbox.x;
    this.#bytes = new Uint8Array(this.#x.memory.buffer);
  }

  #mem(): Uint8Array {
    if (this.#bytes.buffer !== this.#x.memory.buffer) this.#bytes = new Uint8Array(this.#x.memory.buffer);
    return this.#bytes;
  }

  /** Copies bytes into the interface's input buffer; returns how many. */
  #put(...parts: Uint8Array[]): number {
    const total = parts.reduce((n, p) => n + p.length, 0);
    let at = this.#x.iodict_buffer(total);
    if (at === 0) throw new RangeError(`iodict: ${total} bytes are more than the WASI build takes in one call (1 GiB)`);
    const mem = this.#mem();
    for (const part of parts) {
      mem.set(part, at);
      at += part.length;
    }
    return total;
  }

  #slice(ptr: number, len: number): Uint8Array {
    return this.#mem().slice(ptr, ptr + len);
  }

  #text(ptr: number, len: number): string {
    return text.decode(this.#mem().subarray(ptr, ptr + len));
  }

  /** Throws the error a status means (the host build's, for the core's statuses); returns OK or MISSING. */
  #check(status: number): number {
    if (status <= Status.MISSING) return status;
    const x = this.#x;
    switch (status) {
      case WasiStatus.BAD_KEY:
        throw new TypeError('iodict: the key bytes are not canonical for their key type (FORMAT.md 3.1)');
      case WasiStatus.BAD_VALUE:
        throw new TypeError('iodict: the value is not valid for its codec (FORMAT.md section 4)');
      case WasiStatus.BAD_ARGUMENT:
        throw new RangeError('iodict: the WASI interface refused its arguments');
      case WasiStatus.CLOSED:
        throw new Error(`iodict: ${this.path} is not open`);
      case WasiStatus.NO_ROOT:
        throw new StoreError(`iodict: ${this.path} is not among the WASI preopened directories`, this.path, 'ENOENT', 'open');
    }
    if (status === Status.CORRUPT) this.#quarantinedSeen = x.iodict_quarantined();
    throw statusError(status, this.path, {
      op: x.iodict_error_op(),
      errno: x.iodict_errno(),
      detail: x.iodict_error_detail(),
      file: this.#text(x.iodict_error_path_ptr(), x.iodict_error_path_len()),
      aside: this.#text(x.iodict_aside_path_ptr(), x.iodict_aside_path_len()),
    });
  }

  /** Opens the store (lazily, so that verify alone never opens it: opening quarantines what it finds bad). */
  #open(mode: 'inspected' | 'open'): void {
    if (this.#finished) throw new ClosedError(`iodict: ${this.path} is closed`);
    if (this.#state === 'open' || this.#state === mode) return;
    this.#check(this.#x.iodict_open(this.#put(utf8.encode(GUEST)), mode === 'open' ? 0 : INSPECT));
    this.#state = mode;
    this.#reportQuarantined();
  }

  /** Corrupt records found in passing (opening, syncing) were moved aside: say so, as the host build does. */
  #reportQuarantined(): void {
    const count = this.#x.iodict_quarantined();
    if (count === this.#quarantinedSeen) return;
    process.emitWarning(
      `iodict: ${count - this.#quarantinedSeen} corrupt record(s) found in ${this.path} were moved to ${this.path}/.iodict/quarantine`,
      'CorruptRecordWarning',
    );
    this.#quarantinedSeen = count;
  }

  list(): { keyType: number; key: Uint8Array; birth: number }[] {
    this.#open('open');
    const x = this.#x;
    const n = x.iodict_list();
    if (n < 0) this.#check(-n);
    this.#reportQuarantined();
    const keys = new Array<{ keyType: number; key: Uint8Array; birth: number }>(n);
    for (let i = 0; i < n; i++) {
      this.#check(x.iodict_list_key(i));
      keys[i] = { keyType: x.iodict_key_type(), key: this.#slice(x.iodict_key_ptr(), x.iodict_key_len()), birth: Number(x.iodict_birth()) };
    }
    return keys;
  }

  verify(): { checked: number; bad: { name: string; problem: string }[] } {
    this.#open('inspected');
    const x = this.#x;
    this.#check(x.iodict_verify_begin());
    const report = { checked: 0, bad: [] as { name: string; problem: string }[] };
    for (let code = x.iodict_verify_next(); code !== VERIFY_DONE; code = x.iodict_verify_next()) {
      report.checked++;
      if (code !== 0) report.bad.push({ name: this.#text(x.iodict_output_ptr(), x.iodict_output_len()), problem: code >= VERIFY_IO ? verifyProblem(0, code - VERIFY_IO) : verifyProblem(code) });
    }
    return report;
  }

  get(keyType: number, key: Uint8Array): { codec: number; value: Uint8Array } | undefined {
    this.#open('open');
    const x = this.#x;
    if (this.#check(x.iodict_get(keyType, this.#put(key))) === Status.MISSING) return undefined;
    return { codec: x.iodict_codec(), value: this.#slice(x.iodict_value_ptr(), x.iodict_value_len()) };
  }

  diag(keyType: number, key: Uint8Array): string | undefined {
    this.#open('open');
    const x = this.#x;
    if (this.#check(x.iodict_diag(keyType, this.#put(key))) === Status.MISSING) return undefined;
    return this.#text(x.iodict_output_ptr(), x.iodict_output_len());
  }

  set(keyType: number, key: Uint8Array, codec: number, value: Uint8Array): void {
    this.#open('open');
    this.#put(key, value);
    this.#check(this.#x.iodict_set(keyType, key.length, value.length, codec));
  }

  delete(keyType: number, key: Uint8Array): boolean {
    this.#open('open');
    return this.#check(this.#x.iodict_delete(keyType, this.#put(key))) === Status.OK;
  }

  close(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#x.iodict_close();
    this.sandbox.finish();
  }
}


// ---- runtimes ------------------------------------------------------------------------------

/** The subset of Node's (and Bun's) node:wasi WASI class used here. */
interface NodeWasi {
  wasiImport: Record<string, unknown>;
  getImportObject(): WebAssembly.Imports;
  initialize(instance: object): void;
  /** Bun's polyfill only: it learns the memory here and leaves _initialize to the caller. */
  setMemory?(memory: WebAssembly.Memory): void;
}

async function nodeSandbox(module: WebAssembly.Module, dir: string): Promise<Sandbox> {
  const { WASI } = await importQuietly();
  const wasi = new WASI({ version: 'preview1', preopens: { [GUEST]: dir } }) as unknown as NodeWasi;
  let instance: WebAssembly.Instance;
  if (process.versions.bun) {
    instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports);
    const x = instance.exports as unknown as WasiExports;
    wasi.setMemory!(x.memory);
    x._initialize();
  } else {
    instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: throughJs(wasi.wasiImport) });
    wasi.initialize(instance);
  }
  return { x: instance.exports as unknown as WasiExports, finish() {} };
}

/**
 * node:wasi's functions, each called through a JS function rather than handed to the instance
 * as they are: on Node 20, instances of one module given them directly crashed the process
 * (SIGSEGV, or an abort, within a few hundred stores opened, listed and closed in a row: test/
 * wasi.test), never through a JS call. The wasm then calls them as any JS import.
 */
function throughJs(imports: Record<string, unknown>): Record<string, WebAssembly.ImportValue> {
  const wrapped: Record<string, WebAssembly.ImportValue> = {};
  for (const [name, fn] of Object.entries(imports)) {
    if (typeof fn === 'function') wrapped[name] = (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(...args);
  }
  return wrapped;
}

/** node:wasi without its one-time ExperimentalWarning: a CLI run through --wasi should print only its output. */
async function importQuietly(): Promise<typeof import('node:wasi')> {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning).includes('WASI')) (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await import('node:wasi');
  } finally {
    process.emitWarning = emit;
  }
}

/** The subset of @wasmer/wasi 1.2 used here. */
interface WasmerModule {
  init(): Promise<void>;
  MemFS: new () => WasmerFS;
  WASI: new (config: { preopens: Record<string, string>; fs: WasmerFS; args: string[]; env: Record<string, string> }) => {
    readonly fs: WasmerFS;
    getImports(module: WebAssembly.Module): { wasi_snapshot_preview1: Record<string, WebAssembly.ImportValue> };
    instantiate(moduleOrInstance: WebAssembly.Module | WebAssembly.Instance, imports: object): WebAssembly.Instance;
  };
}
interface WasmerFS {
  readDir(path: string): { path: string; metadata: { filetype: { dir: boolean; file: boolean } } }[];
  createDir(path: string): void;
  open(path: string, options: { read?: boolean; write?: boolean; create?: boolean }): { read(): Uint8Array; write(bytes: Uint8Array): number };
}

/** preview1's errno for an operation the file system does not support. */
const WASI_ENOTSUP = 58;

async function wasmerSandbox(module: WebAssembly.Module, dir: string): Promise<Sandbox> {
  // A variable specifier keeps bundlers from inlining this 450 kB development dependency.
  const specifier = '@wasmer/wasi';
  let wasmer: WasmerModule;
  try {
    wasmer = (await import(specifier)) as WasmerModule;
  } catch (e) {
    throw new StoreError(`iodict: the 'wasmer' runtime needs @wasmer/wasi (${(e as Error).message})`, dir, 'ENOTSUP', 'open');
  }
  await wasmer.init();
  const memfs = new wasmer.MemFS();
  const before = new Map<string, Uint8Array>();
  copyIn(dir, memfs, GUEST, '', before);
  const wasi = new wasmer.WASI({ preopens: { [GUEST]: GUEST }, fs: memfs, args: [], env: {} });
  // Its links are no second names of one file (the first name's removal loses the file): the
  // instance is told there are none, as on a file system without hard links (FORMAT.md 7.3 step 2).
  const imports = wasi.getImports(module);
  imports.wasi_snapshot_preview1.path_link = () => WASI_ENOTSUP;
  const instance = wasi.instantiate(new WebAssembly.Instance(module, imports), {});
  const x = instance.exports as unknown as WasiExports;
  x._initialize();
  // After the instance has used it, the MemFS answers only through wasi.fs.
  return { x, finish: () => copyOut(wasi.fs, dir, before) };
}

/** Copies a directory tree into the MemFS, remembering every file's bytes (rel path -> bytes). */
function copyIn(dir: string, memfs: WasmerFS, guest: string, rel: string, files: Map<string, Uint8Array>): void {
  memfs.createDir(rel ? `${guest}/${rel}` : guest);
  for (const entry of fs.readdirSync(rel ? `${dir}/${rel}` : dir, { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      copyIn(dir, memfs, guest, path, files);
    } else if (entry.isFile()) {
      const bytes = new Uint8Array(fs.readFileSync(`${dir}/${path}`));
      memfs.open(`${guest}/${path}`, { write: true, create: true }).write(bytes);
      files.set(path, bytes);
    }
  }
}

/** Every file in the MemFS tree (rel path -> bytes), and its directories. */
function walk(memfs: WasmerFS, guest: string, rel: string, files: Map<string, Uint8Array>, dirs: string[]): void {
  for (const entry of memfs.readDir(rel ? `${guest}/${rel}` : guest)) {
    const path = entry.path.slice(guest.length + 1);
    if (entry.metadata.filetype.dir) {
      dirs.push(path);
      walk(memfs, guest, path, files, dirs);
    } else if (entry.metadata.filetype.file) {
      files.set(path, memfs.open(entry.path, { read: true }).read());
    }
  }
}

/**
 * Writes back what the instance changed, in an order that keeps the directory a valid store at
 * every step for any reader: new and changed records (and what was moved aside) first, each
 * through a temp file and rename; then removals; then the journal and index cache; the format
 * marker last. Unchanged files are not touched; leftover temp files stay behind in the MemFS.
 */
function copyOut(memfs: WasmerFS, dir: string, before: Map<string, Uint8Array>): void {
  const after = new Map<string, Uint8Array>();
  const dirs: string[] = [];
  walk(memfs, GUEST, '', after, dirs);
  const rank = (path: string) =>
    path === '.iodict/format' ? 3 : !path.startsWith('.iodict/') || /^\.iodict\/(quarantine|claimed)\//.test(path) ? 1 : 2;
  const changed = [...after].filter(([path, bytes]) => !path.startsWith('.iodict/tmp/') && !sameBytes(before.get(path), bytes));
  const removed = [...before.keys()].filter((path) => !after.has(path) && !path.startsWith('.iodict/tmp/'));
  if (changed.length === 0 && removed.length === 0) return;
  for (const sub of dirs) fs.mkdirSync(`${dir}/${sub}`, { recursive: true });
  const write = ([path, bytes]: [string, Uint8Array]) => {
    const tmp = `${dir}/.iodict/tmp/${tempName()}`;
    fs.writeFileSync(tmp, bytes, { flag: 'wx' });
    fs.renameSync(tmp, `${dir}/${path}`);
  };
  changed.filter(([path]) => rank(path) === 1).forEach(write);
  for (const path of removed) fs.rmSync(`${dir}/${path}`, { force: true });
  changed.filter(([path]) => rank(path) === 2).forEach(write);
  changed.filter(([path]) => rank(path) === 3).forEach(write);
}

/** A temp name as FORMAT.md gives them, its owner half marked (bit 63) as no process: no host reaps it as dead. */
function tempName(): string {
  const owner = randomBytes(8);
  owner[0]! |= 0x80;
  return `${owner.toString('hex')}-${randomBytes(4).toString('hex')}`;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;
}
