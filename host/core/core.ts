// One store handle's core: a wasm instance over a StoreHost, with the marshaling of keys and
// values and the translation of statuses into typed errors that IODict and DurableQueue share.
import { coreInstance, spareInstance, type CoreInstance } from './module.js';
import type { StoreHost } from './host.js';
import { errnoName } from './host.js';
import { latin1, latin1Native, type CreateModes } from './imports.js';
import { type Key, KeyType, keyRoom, keyType, keyLength, writeKey, readKey, MAX_KEY_BYTES } from './keys.js';
import { type Codec, builtinCodecs, CborError } from '../codec/index.js';
import { decodeChecked, MAX_VALUE_BYTES } from '../codec/cbor.js';
import { ValueCode, lastProblem, problemText } from '../codec/check.js';
import { ClosedError, CorruptRecordError, StoreError } from '../errors.js';
import type { CoreOptions } from './options.js';

export type { CoreOptions };

/** The core's exports (assembly/index.ts). */
interface Exports {
  memory: WebAssembly.Memory;
  open(flags: number, leaseMs: number, rotateAfter: number): number;
  close(): void;
  reserve(bytes: number): number;
  set(keyType: number, keyLen: number, valueLen: number, codec: number): number;
  get(keyType: number, keyLen: number): number;
  getSlot(slot: number): number;
  has(keyType: number, keyLen: number): number;
  remove(keyType: number, keyLen: number): number;
  pop(youngest: number): number;
  take(keyType: number, keyLen: number): number;
  finishTake(mode: number): number;
  settle(how: number, stamp: number): number;
  claimedDigest(): number;
  claimedStamp(): number;
  recoveredClaims(): number;
  recoverClaims(): number;
  destroy(): number;
  clear(): number;
  checkReserved(len: number): number;
  sync(): number;
  rescan(): number;
  size(): number;
  lockStore(): number;
  unlockStore(): void;
  xattrsActive(): number;
  takeUnsyncedChange(): number;
  quarantinedCount(): number;
  order(): number;
  orderPtr(): number;
  orderVersion(): number;
  packKeys(slots: number, count: number): number;
  keysPtr(): number;
  slotKeyType(slot: number): number;
  slotKeyLength(slot: number): number;
  slotKey(slot: number): number;
  slotBirth(slot: number): number;
  indexMemory(): number;
  resultSlot(): number;
  resultIsNew(): number;
  resultKeyType(): number;
  resultKey(): number;
  resultKeyLength(): number;
  resultValue(): number;
  resultValueLength(): number;
  resultCodec(): number;
  resultBirth(): number;
  setNextExpiry(us: number): void;
  setClock(us: number): void;
  setLimits(items: number, bytes: number): void;
  evictedCount(): number;
  takeEvictionFailure(): number;
  purgeExpired(): number;
  resultExpiry(): number;
  slotDigest(slot: number): number;
  slotExpiry(slot: number): number;
  watchStart(fromPosition: number): number;
  watchRead(): number;
  watchStop(): void;
  watchChanges(): number;
  watchPosition(): number;
  watchRecord(i: number): number;
  eventCount(): number;
  eventsPtr(): number;
  eventsOverflowed(): number;
  clearEvents(): void;
  errorOp(): number;
  errorCode(): number;
  errorDetail(): number;
  errorPath(): number;
  errorPathLength(): number;
  asidePath(): number;
  asidePathLength(): number;
  valueProblem(): number;
  valueProblemOffset(): number;
  valueProblemDetail(): number;
  batchBegin(): void;
  batchWrite(keyType: number, keyLen: number, valueLen: number, codec: number): number;
  batchSync(): number;
  batchLand(i: number, keyType: number, keyLen: number, valueLen: number, codec: number): number;
  batchEnd(): void;
  batchLanded(): number;
}

export const Status = { OK: 0, MISSING: 1, CORRUPT: 2, NOT_STORE: 3, NEWER_FORMAT: 4, IO: 5, BAD_VALUE: 8 } as const;
export const OpenFlag = { FSYNC: 1, XATTRS_OFF: 2, XATTRS_ON: 4, KIND_DICT: 8, KIND_QUEUE: 16, XATTRS_AUTO: 32 } as const;
/** What a store was made for (the format marker's kind line); a handle of one kind refuses the other. */
export type StoreKind = 'dict' | 'queue';
const KIND_NAMES = ['', 'an IODict store', 'a DurableQueue store'];
export const Claim = { DELETE: 0, KEEP: 1 } as const;
export const Settle = { ACK: 0, RELEASE: 1, QUARANTINE: 2, RENEW: 3 } as const;
const DIGEST_BYTES = 28; // SHA3-224: what names a claimed record

/** A claim the host holds (a Delivery): what settle() needs to name it again. */
export interface ClaimTicket {
  readonly digest: Uint8Array;
  /** When the claim's lease began (µs); a renewal moves it. */
  stamp: number;
}

const OPERATIONS = ['', 'open', 'read', 'write', 'rename', 'unlink', 'mkdir', 'readdir', 'fsync', 'stat', 'setxattr', 'lock'];
/** What a corrupt record's detail code (format/record.ts RECORD_*) means, in the words errors use. */
export const RECORD_PROBLEMS = ['', 'too short for a record', 'bad magic', 'unknown format version', 'lengths do not add up',
  'checksum mismatch', 'invalid key', 'key does not match the file name', 'the value is not valid for its codec',
  'not a regular file (a directory, symbolic link, FIFO or device)', 'larger than any record can be'];
const RECORD_BAD_VALUE = 8;

/** What verification found, in the words errors use: a RECORD_* code (with the value's problem), or a read failure. */
export function verifyProblem(code: number, readErrno = 0, valueProblem?: string): string {
  if (readErrno) return `cannot read: ${errnoName(readErrno)}`;
  const problem = RECORD_PROBLEMS[code] ?? `invalid (code ${code})`;
  return code === RECORD_BAD_VALUE && valueProblem ? `${problem}: ${valueProblem}` : problem;
}

const HEADER_BYTES = 24;
const TRAILER_BYTES = 4;
const EXPIRY_BYTES = 8; // room for an expiry stamp after the value (FORMAT.md 3.3)

// Handles still open when the process exits are closed then: an exit is not a crash, and a
// registration left behind would make the next handle list the whole directory (FORMAT.md 7.2).
const openCores = new Set<Core>();
/** Fewer keys than this are read one call each; more, packed by the core into one buffer. */
const PACKED_KEYS_MIN = 32;
let exitHooked = false;
function closeAtExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const core of openCores) core.close();
  });
}

/** The core's account of a failure: its error getters, with paths relative to the store. */
export interface FailureInfo {
  op: number;
  errno: number;
  detail: number;
  file: string;
  aside: string;
  /** For a value that is not valid: what is wrong with it. */
  valueProblem?: string;
}

/** The typed error for a status other than OK and MISSING (shared with the WASI runner). */
export function statusError(status: number, path: string, info?: FailureInfo): Error {
  const where = (rel: string) => (rel ? `${path}/${rel}` : path);
  switch (status) {
    case Status.CORRUPT: {
      const file = where(info?.file ?? '');
      const aside = where(info?.aside ?? '');
      return new CorruptRecordError(`iodict: corrupt record ${file}: ${verifyProblem(info?.detail ?? 0, 0, info?.valueProblem)}; moved to ${aside}`, file, aside);
    }
    case Status.NOT_STORE: {
      const kind = KIND_NAMES[info?.detail ?? 0];
      if (kind) return new StoreError(`iodict: ${path} is ${kind}; open it with that class`, path, 'EKIND', 'open');
      return new StoreError(`iodict: ${path} is not an iodict store (a file, or a directory holding other files)`, path, 'ENOTSTORE', 'open');
    }
    case Status.NEWER_FORMAT:
      return new StoreError(`iodict: ${path} was written by a newer iodict (format > 1)`, path, 'EFORMAT', 'open');
    default: {
      const file = where(info?.file ?? '');
      const code = errnoName(info?.errno ?? 0);
      const op = OPERATIONS[info?.op ?? 0] ?? 'io';
      return new StoreError(`iodict: ${op} ${file} failed: ${code}`, file, code, op);
    }
  }
}

/** RangeError for a key or value beyond the format's limits (FORMAT.md 3.3), before anything is allocated. */
function checkSizes(keyBytes: number, valueBytes: number): void {
  if (keyBytes > MAX_KEY_BYTES) throw new RangeError(`iodict: a key of ${keyBytes} bytes is longer than the 64 KiB limit`);
  if (valueBytes > MAX_VALUE_BYTES) throw new RangeError(`iodict: a value of ${valueBytes} bytes is larger than the 256 MiB limit`);
}

/** The file and directory modes of a store's `mode` option: directories may be searched where they may be read. */
export function createModes(mode: number | undefined): CreateModes {
  return mode === undefined ? {} : { file: mode, dir: mode | ((mode & 0o444) >> 2) };
}

/** The exports of a closed core: its memory may serve another instance now, so nothing runs. */
const closedExports = new Proxy({} as Exports, {
  get() {
    throw new ClosedError();
  },
});

export class Core {
  #x: Exports;
  readonly #instance: CoreInstance;
  #bytes: Uint8Array;
  #recPtr = 0;
  #recCap = 0;
  #keyType = 0;
  /** Decoded keys by slot, filled lazily; dropped when another handle changes the slot. */
  keyCache: (Key | undefined)[] = [];
  /** The last listing of the order (and its keys, once asked for), while the core's orderVersion() stays. */
  #ordered: { version: number; slots: Uint32Array; keys?: Key[] } | undefined;
  #quarantinedSeen = 0;
  readonly #onCorrupt: ((error: CorruptRecordError) => void) | undefined;
  readonly #clock: (() => number) | undefined;

  /**
   * `open: false` only instantiates the core, leaving the store unopened: for verification,
   * which reads record files one by one and must neither write nor quarantine (iodict verify).
   */
  constructor(readonly host: StoreHost, readonly path: string, options: CoreOptions & { open?: boolean; kind?: StoreKind } = {}) {
    this.#onCorrupt = options.onCorrupt;
    this.#clock = options.clock;
    this.#instance = coreInstance(host, path, { bytes: () => this.bytes() }, createModes(options.mode));
    this.#x = this.#instance.exports as unknown as Exports;
    this.#bytes = new Uint8Array(this.x.memory.buffer);
    const flags = (options.durability === 'fsync' ? OpenFlag.FSYNC : 0) |
      (options.xattrs === 'off' ? OpenFlag.XATTRS_OFF : options.xattrs === 'on' ? OpenFlag.XATTRS_ON : OpenFlag.XATTRS_AUTO) |
      (options.kind === 'dict' ? OpenFlag.KIND_DICT : options.kind === 'queue' ? OpenFlag.KIND_QUEUE : 0);
    if (options.open === false) return;
    this.check(this.x.open(flags, options.lease ?? 0, options.rotateAfter ?? 0));
    openCores.add(this);
    closeAtExit();
    this.#reportQuarantined();
  }

  /** Now for expiry, in ms since the epoch: the clock option's, or Date.now(). */
  now(): number {
    return this.#clock ? this.#clock() : Date.now();
  }

  /** Tells the core the injected clock's time; call before every operation (no-op without a clock option). */
  tick(): void {
    if (!this.#clock) return;
    const now = this.#clock();
    if (!Number.isFinite(now) || now <= 0) throw new RangeError(`iodict: the clock returned ${now}, not ms since the epoch`);
    this.x.setClock(now * 1000);
  }

  /** Reports records quarantined in passing (not thrown to anyone). */
  #reportQuarantined(): void {
    const count = this.x.quarantinedCount();
    if (count === this.#quarantinedSeen) return;
    const error = new CorruptRecordError(
      `iodict: ${count - this.#quarantinedSeen} corrupt record(s) found in ${this.path} were moved to ${this.path}/.iodict/quarantine`,
      `${this.path}/.iodict/quarantine`,
    );
    this.#quarantinedSeen = count;
    this.reportCorrupt(error);
  }

  /** Hands a corrupt record met in passing (not thrown to anyone) to onCorrupt, or to a process warning. */
  reportCorrupt(error: CorruptRecordError): void {
    if (this.#onCorrupt) this.#onCorrupt(error);
    else process.emitWarning(error.message, 'CorruptRecordWarning');
  }

  /** The core's memory as bytes (a new view once memory has grown). */
  bytes(): Uint8Array {
    if (this.#bytes.buffer !== this.x.memory.buffer) this.#bytes = new Uint8Array(this.x.memory.buffer);
    return this.#bytes;
  }

  /** Throws the typed error for a status other than OK and MISSING; returns the status. */
  check(status: number): number {
    if (status <= Status.MISSING) {
      if (this.x.takeUnsyncedChange()) this.#warnUnsynced();
      return status;
    }
    if (status === Status.BAD_VALUE) {
      // A write refused: the value breaks a limit of FORMAT.md, or is not valid for its codec.
      const problem = lastProblem(this.x);
      const limit = problem.code === ValueCode.TOO_DEEP || problem.code === ValueCode.TOO_MANY || problem.code === ValueCode.TOO_LARGE;
      throw new (limit ? RangeError : TypeError)(`iodict: cannot store this value: ${problemText(problem)}`);
    }
    // This one is thrown to the caller: not to be reported again in passing.
    if (status === Status.CORRUPT) this.#quarantinedSeen = this.x.quarantinedCount();
    throw this.error(status);
  }

  /** After a write: warns when its eviction (maxItems, maxBytes) failed. The write stands; a later one evicts. */
  warnFailedEviction(): void {
    if (this.x.takeEvictionFailure()) process.emitWarning(`${this.error(Status.IO).message}: could not evict to stay within maxItems/maxBytes`, 'StoreWarning');
  }

  /** A change was made but its fsync failed: it stands (so no error), but may not survive a power loss. */
  #warnUnsynced(): void {
    const failure = this.error(Status.IO);
    process.emitWarning(`${failure.message}: the change was made and is seen by every handle, but may not survive a power loss`, 'DurabilityWarning');
  }

  error(status: number): Error {
    const x = this.x;
    const bytes = this.bytes();
    const text = (ptr: number, len: number) => String.fromCharCode(...bytes.subarray(ptr, ptr + len));
    return statusError(status, this.path, {
      op: x.errorOp(),
      errno: x.errorCode(),
      detail: x.errorDetail(),
      file: text(x.errorPath(), x.errorPathLength()),
      aside: text(x.asidePath(), x.asidePathLength()),
      valueProblem: problemText(lastProblem(x)),
    });
  }

  /** Room for a record whose key and value take at most these many bytes; returns its offset. */
  reserve(keyValueBytes: number): number {
    const need = HEADER_BYTES + keyValueBytes + EXPIRY_BYTES + TRAILER_BYTES;
    if (need > this.#recCap) {
      const ptr = this.x.reserve(need);
      if (ptr === 0) throw new RangeError(`iodict: no room for a record of ${need} bytes`);
      this.#recPtr = ptr;
      this.#recCap = need;
    }
    return this.#recPtr;
  }

  /** Places a key in the record buffer (after room for `extra` more bytes); returns its length. */
  putKey(key: unknown, extra = 0): number {
    this.#keyType = keyType(key);
    checkSizes(keyRoom(key) > MAX_KEY_BYTES ? keyLength(key as Key, this.#keyType) : 0, extra);
    const at = this.reserve(keyRoom(key) + extra) + HEADER_BYTES;
    return writeKey(key as Key, this.#keyType, this.bytes(), at);
  }

  get keyType(): number {
    return this.#keyType;
  }

  /** Places key and encoded value in the record buffer; returns the key length. */
  putEntry(key: unknown, value: Uint8Array): number {
    const keyLen = this.putKey(key, value.length);
    this.bytes().set(value, this.#recPtr + HEADER_BYTES + keyLen);
    return keyLen;
  }

  /** Places raw canonical key bytes of a given type and an encoded value; returns the key length. */
  putRawEntry(type: number, key: Uint8Array, value: Uint8Array): number {
    checkSizes(key.length, value.length);
    this.#keyType = type;
    const at = this.reserve(key.length + value.length) + HEADER_BYTES;
    const bytes = this.bytes();
    bytes.set(key, at);
    bytes.set(value, at + key.length);
    return key.length;
  }

  /** What is wrong with a record file's bytes (FORMAT.md 3.3, all but its name), or undefined. */
  recordProblem(bytes: Uint8Array): string | undefined {
    const at = this.reserve(Math.max(0, bytes.length - HEADER_BYTES - TRAILER_BYTES));
    this.bytes().set(bytes, at);
    const code = this.x.checkReserved(bytes.length);
    return code === 0 ? undefined : verifyProblem(code, 0, problemText(lastProblem(this.x)));
  }

  /** Key of the last get/pop result. */
  resultKey(): Key {
    const ptr = this.x.resultKey();
    return readKey(this.x.resultKeyType(), this.bytes().subarray(ptr, ptr + this.x.resultKeyLength()));
  }

  /** Value of the last get/pop result, decoded with the codec that wrote it. */
  resultValue<V>(codec: Codec<V>): V {
    const ptr = this.x.resultValue();
    const bytes = this.bytes().subarray(ptr, ptr + this.x.resultValueLength());
    const id = this.x.resultCodec();
    // The core checked CBOR and JSON values as it read them (FORMAT.md section 4).
    if (id === 0) return decodeChecked(bytes) as V;
    const decoder = id === codec.id ? codec : builtinCodecs[id];
    if (!decoder) throw new StoreError(`iodict: a record was written with codec ${id}; open the store with that codec`, this.path, 'ECODEC', 'read');
    try {
      return decoder.decode(bytes) as V;
    } catch (e) {
      // The checksum held, so the writer stored bytes its own codec cannot read back.
      if (e instanceof CborError || e instanceof SyntaxError) {
        throw new CorruptRecordError(`iodict: a value in ${this.path} does not decode: ${(e as Error).message}`, this.path);
      }
      throw e;
    }
  }

  /**
   * Finishes a claim (pop, take): decodes the claimed value, then removes the record (DELETE) or
   * keeps it claimed (KEEP, returning its ticket). A value that does not decode stays safe: an
   * unknown codec puts the record back untouched, invalid bytes move it to quarantine.
   */
  finishTake<V>(codec: Codec<V>, mode: number): { value: V; ticket?: ClaimTicket } {
    const ticket = this.#ticket();
    let value: V;
    try {
      value = this.resultValue(codec);
    } catch (error) {
      this.settle(ticket, error instanceof CorruptRecordError ? Settle.QUARANTINE : Settle.RELEASE, false);
      throw error;
    }
    this.check(this.x.finishTake(mode));
    this.absorbEvents();
    return mode === Claim.KEEP ? { value, ticket } : { value };
  }

  #ticket(): ClaimTicket {
    const at = this.x.claimedDigest();
    return { digest: this.bytes().slice(at, at + DIGEST_BYTES), stamp: this.x.claimedStamp() };
  }

  /** Ends a claim: ACK removes it, RELEASE puts it back in line, QUARANTINE moves it aside. Returns false when it was no longer ours. */
  settle(ticket: ClaimTicket, how: number, report = true): boolean {
    this.bytes().set(ticket.digest, this.x.claimedDigest());
    const status = this.x.settle(how, ticket.stamp);
    if (how === Settle.RENEW && status === Status.OK) ticket.stamp = this.x.claimedStamp();
    // A quarantine here goes with an error thrown to the caller: not to be reported again in passing.
    if (how === Settle.QUARANTINE) this.#quarantinedSeen = this.x.quarantinedCount();
    if (report || status === Status.IO) this.check(status);
    this.absorbEvents();
    return status === Status.OK;
  }

  /** The key of an index slot (cached). */
  slotKey(slot: number): Key {
    let key = this.keyCache[slot];
    if (key === undefined) {
      const ptr = this.x.slotKey(slot);
      key = readKey(this.x.slotKeyType(slot), this.bytes().subarray(ptr, ptr + this.x.slotKeyLength(slot)));
      this.keyCache[slot] = key;
    }
    return key;
  }

  /**
   * The keys of slots (from order()), from the cache where it has them; the others come from the
   * core packed in one buffer (a call per key costs more than the decoding, for a cold listing).
   */
  slotKeys(slots: Uint32Array): Key[] {
    const keys = new Array<Key>(slots.length);
    // Nothing cached (a first listing since open): every key is wanted, in place, with no pass over
    // the cache first. Each array made here is fresh memory, and a 100k-key listing's pages are
    // most of what it costs on a machine with costly page faults (12 µs a page here).
    let wanted = slots;
    let places: Uint32Array | undefined;
    if (this.keyCache.length === 0) {
      // Made at its full length at once: grown key by key, it is copied at every step.
      if (slots.length >= PACKED_KEYS_MIN) this.keyCache = new Array<Key | undefined>(slots.reduce((top, slot) => Math.max(top, slot), 0) + 1);
    } else {
      places = new Uint32Array(slots.length);
      let missing = 0;
      for (let i = 0; i < slots.length; i++) {
        const key = this.keyCache[slots[i]!];
        if (key === undefined) places[missing++] = i;
        else keys[i] = key;
      }
      places = places.subarray(0, missing);
      wanted = new Uint32Array(missing);
      for (let j = 0; j < missing; j++) wanted[j] = slots[places[j]!]!;
    }
    if (wanted.length < PACKED_KEYS_MIN) {
      for (let j = 0; j < wanted.length; j++) keys[places ? places[j]! : j] = this.slotKey(wanted[j]!);
      return keys;
    }
    const at = this.reserve(wanted.byteLength);
    this.bytes().set(new Uint8Array(wanted.buffer, wanted.byteOffset, wanted.byteLength), at);
    const length = this.x.packKeys(at, wanted.length);
    const bytes = this.bytes();
    const view = new DataView(bytes.buffer);
    const start = this.x.keysPtr();
    // All ASCII strings (the usual keys): one Latin-1 decode of the whole run and a slice per key,
    // which V8 makes without copying, instead of a decode call per key.
    const text = latin1Native && asciiStringKeys(bytes, view, start, length) ? latin1(bytes, start, start + length) : undefined;
    let p = start;
    for (let j = 0; j < wanted.length; j++) {
      const len = view.getUint32(p + 1, true);
      const key = text !== undefined ? text.slice(p + 5 - start, p + 5 - start + len) : readKey(bytes[p]!, bytes.subarray(p + 5, p + 5 + len));
      keys[places ? places[j]! : j] = key;
      this.keyCache[wanted[j]!] = key;
      p += 5 + len;
    }
    if (p - this.x.keysPtr() !== length) throw new Error('iodict: packed keys do not add up (a bug: please report it)');
    return keys;
  }

  /**
   * After a write landed: caches its key for its slot, when the key is new. Call it before
   * absorbEvents(): the write's own journal read may have seen others take that key and make
   * another in the same slot, and that event must drop the guess.
   */
  cacheLandedKey(key: Key): void {
    if (this.x.resultIsNew()) this.keyCache[this.x.resultSlot()] = key instanceof Uint8Array ? key.slice() : key;
  }

  /** Drops cached keys of slots that other handles changed. Call after anything that syncs. */
  absorbEvents(): void {
    this.#reportQuarantined();
    const n = this.x.eventCount();
    if (n === 0) return;
    if (this.x.eventsOverflowed()) {
      this.keyCache = [];
    } else {
      const slots = new Uint32Array(this.x.memory.buffer, this.x.eventsPtr(), n);
      for (let i = 0; i < n; i++) this.keyCache[slots[i]!] = undefined;
    }
    this.x.clearEvents();
  }

  /**
   * Every slot, oldest first, after following others' changes. Unchanged since the last call, the
   * same array is returned: callers read it, never write it.
   */
  order(): Uint32Array {
    this.check(this.x.sync());
    this.absorbEvents();
    const version = this.x.orderVersion();
    if (this.#ordered?.version === version) return this.#ordered.slots;
    const n = this.x.order();
    const slots = new Uint32Array(this.x.memory.buffer, this.x.orderPtr(), n).slice();
    this.#ordered = version >= 0 ? { version, slots } : undefined;
    return slots;
  }

  /** order() and the keys of its slots; both shared, like order()'s array, while nothing changes. */
  ordered(): { slots: Uint32Array; keys: Key[] } {
    const slots = this.order();
    const listed = this.#ordered?.slots === slots ? this.#ordered : undefined;
    const keys = listed?.keys ?? this.slotKeys(slots);
    if (listed) listed.keys = keys;
    return { slots, keys };
  }

  size(): number {
    this.check(this.x.sync());
    this.absorbEvents();
    return this.x.size();
  }

  /** The core's exports; after close or destroy, any use throws ClosedError. */
  get x(): Exports {
    return this.#x;
  }

  close(): void {
    if (this.#x === closedExports) return;
    openCores.delete(this);
    try {
      this.#x.close();
    } finally {
      this.#retire();
    }
  }

  /** Removes the store from disk (records, control files, and the directory if left empty). */
  destroy(): void {
    openCores.delete(this);
    try {
      this.check(this.#x.destroy());
    } finally {
      this.#retire();
    }
  }

  /** This handle never runs its instance again: the instance can serve the next one (once: a second call does nothing). */
  #retire(): void {
    if (this.#x === closedExports) return;
    this.#x = closedExports;
    spareInstance(this.#instance);
  }
}

/** Whether the packed keys at [start, start + length) (type byte, u32 length, bytes) are all ASCII strings. */
function asciiStringKeys(bytes: Uint8Array, view: DataView, start: number, length: number): boolean {
  for (let p = start; p < start + length; ) {
    if (bytes[p] !== KeyType.STRING) return false;
    const end = p + 5 + view.getUint32(p + 1, true);
    for (let i = p + 5; i < end; i++) if (bytes[i]! >= 0x80) return false;
    p = end;
  }
  return true;
}
