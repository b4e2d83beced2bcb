// The contenders: the floor (bare fs calls doing the same work), iodict, and the stores a Node user
// would pick instead. Every contender implements the same operations over its own handle; an
// operation a contender lacks is `na('why')`, so the report says "n/a" instead of timing a substitute.
//
// An operation is `(handle, keys | count, value) => count | Promise<count>` and does the whole
// sample's work, so the runner times one call per sample and no per-op dispatch.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pythonPeers } from './python.mjs';

const readPackage = (relative) => JSON.parse(fs.readFileSync(new URL(relative, import.meta.url), 'utf8'));
const packageVersion = (name) => readPackage(`../node_modules/${name}/package.json`).version;

/** Marks an operation a contender does not have, with the reason the report shows. */
export const na = (why) => ({ na: why });
export const isNa = (op) => op === undefined || (typeof op === 'object' && 'na' in op);

/** Prefills a store: a contender's bulk path where it has one (a transaction, parallel writes), else its set or put. */
export const fill = (c, handle, keys, value) => (c.fill ?? c.set).call(c, handle, keys, value);
export const fillQueue = (c, handle, count, value) => (c.fillQueue ?? c.put).call(c, handle, count, value);

const BATCH_WRITE = 'no batch write';

/** Runs `task(item)` for every item with at most `width` in flight (fast prefills of async stores). */
async function inParallel(items, width, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Runs `probe` on every key and counts the keys it found (so the runner can check a get found them). */
function found(keys, probe) {
  let hits = 0;
  for (const key of keys) if (probe(key)) hits++;
  return hits;
}

async function foundAsync(keys, probe) {
  let hits = 0;
  for (const key of keys) if (await probe(key)) hits++;
  return hits;
}

// ---- the floor ----

/**
 * Write the record of `key` atomically: temp file in a side folder, then rename (and fsyncs when
 * durable). With the protocol (floor + protocol), each record gets the xattr mirror. Returns the
 * record's file name, which pops are later told (the floor keeps no index to find it by).
 */
function floorWrite(h, key, bytes) {
  const tmp = h.names.temp(key);
  if (h.durable || h.protocol) {
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, bytes);
    if (h.mirror) mirror(fd, key);
    if (h.durable) fs.fsyncSync(fd);
    fs.closeSync(fd);
  } else {
    fs.writeFileSync(tmp, bytes);
  }
  const name = h.names.record(key);
  fs.renameSync(tmp, path.join(h.dir, name));
  if (h.durable) fs.fsyncSync(h.dirFd);
  journalChange(h);
  return name;
}

/** Claim-read-remove, the bare pop: rename into a side folder (exclusive), read, unlink. */
function floorClaim(h, name) {
  if (h.journalFd !== undefined) readJournal(h); // a pop reads the tail first (FORMAT.md 8.3)
  const claimed = h.names.claim(name);
  fs.renameSync(path.join(h.dir, name), claimed);
  const bytes = fs.readFileSync(claimed);
  journalChange(h); // the take's entry, before the unlink as iodict's (FORMAT.md 7.5)
  fs.unlinkSync(claimed);
  if (h.durable) {
    fs.fsyncSync(h.dirFd);
    // The protocol syncs claimed/ too, or the unlinked claim could come back after a power loss (7.5 step 5).
    if (h.protocol) fs.fsyncSync(h.claimedFd);
  }
  return bytes;
}

// The floor + protocol: the bare calls iodict's protocol adds to the floor's (FORMAT.md 6, 8.3),
// so the report can tell what the protocol itself costs from what iodict adds to it: one 128-byte
// O_APPEND journal entry and one pread after each change, a pread before each pop, and the
// user.key/user.birthtime mirror on each record. A lower bound: not the probe of its name that a
// set makes while its handle has no index loaded (an overwrite keeps the stamp it finds there).

function readJournal(h) {
  h.journalAt += fs.readSync(h.journalFd, h.journalBuf, 0, h.journalBuf.length, h.journalAt);
}

/** A change's journal entry (128 bytes: an entry and its KEY entry) appended; then a read unless `read` is false. */
function journalChange(h, read = true) {
  if (h.journalFd === undefined) return;
  fs.writeSync(h.journalFd, h.entry);
  if (read) readJournal(h);
}

/** Items of a batch per journal read (FORMAT.md 7.3.1 step 5). */
const JOURNAL_GROUP = 32;

/**
 * libc through koffi, for the calls node:fs lacks: syncfs (iodict's batch makes it with its
 * native helper) and fsetxattr (its xattr mirror). Undefined without koffi: the floor's batch
 * then fsyncs each file, and the floor + protocol has no mirror.
 */
const libc = (() => {
  try {
    const lib = createRequire(import.meta.url)('koffi').load('libc.so.6');
    return { syncfs: lib.func('int syncfs(int)'), fsetxattr: lib.func('int fsetxattr(int, const char *, const void *, size_t, int)') };
  } catch {
    return undefined;
  }
})();
/** libc's syncfs(2), or undefined without koffi (bench/batch-floor.mjs times it too). */
export const syncfs = libc?.syncfs;

const birthStamp = Buffer.alloc(8);
/** The xattr mirror iodict writes on a record (FORMAT.md 6): its key and its birth stamp. */
function mirror(fd, name) {
  if (!libc) return;
  const key = Buffer.from(name);
  birthStamp.writeDoubleBE(Date.now() / 1000);
  libc.fsetxattr(fd, 'user.key', key, key.length, 0);
  libc.fsetxattr(fd, 'user.birthtime', birthStamp, 8, 0);
}

/**
 * A batch: every temp file written, all on disk (one syncfs, or an fsync each), then every rename,
 * then one directory fsync. Returns the records' file names.
 */
function floorWriteMany(h, keys, bytes) {
  const temps = keys.map((key) => {
    const tmp = h.names.temp(key);
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, bytes);
    if (h.mirror) mirror(fd, key);
    if (h.durable && !syncfs) fs.fsyncSync(fd);
    fs.closeSync(fd);
    return tmp;
  });
  if (h.durable && syncfs) {
    const fd = fs.openSync(h.tmp, 'r');
    const failed = syncfs(fd) !== 0;
    fs.closeSync(fd);
    if (failed) throw new Error('floor: syncfs failed');
  }
  const names = keys.map((key, i) => {
    const name = h.names.record(key);
    fs.renameSync(temps[i], path.join(h.dir, name));
    journalChange(h, (i + 1) % JOURNAL_GROUP === 0);
    return name;
  });
  if (h.durable) fs.fsyncSync(h.dirFd);
  if (keys.length % JOURNAL_GROUP && h.journalFd !== undefined) readJournal(h);
  return names;
}

/** The floor's file names: the key itself, in folders of their own. */
function floorNames(h) {
  return {
    temp: (key) => path.join(h.tmp, key),
    record: (key) => key,
    claim: (name) => path.join(h.claimed, name),
  };
}

/** An owner tag of iodict's length (FORMAT.md 7.1), for the floor + protocol's temp and claim names. */
const OWNER = crypto.randomBytes(14).toString('hex');
/** SHA3-224 hex, as FORMAT.md 3.2 names a string key's record (Bun and Node 20.12+ have crypto.hash). */
const digest = crypto.hash ? (key) => crypto.hash('sha3-224', key) : (key) => crypto.createHash('sha3-224').update(key).digest('hex');

/**
 * The file names FORMAT.md 1 gives: records under the digest of their key, temp files
 * `.iodict/tmp/<owner>-<counter>`, claims `.iodict/claimed/<digest>.<owner>.<stamp>`. Longer
 * names than the floor's cost the kernel more in every path lookup, so they are the protocol's too.
 */
function protocolNames(h) {
  let counter = 0;
  return {
    temp: () => path.join(h.tmp, `${OWNER}-${(counter++ % 2 ** 32).toString(16).padStart(8, '0')}`),
    record: digest,
    claim: (name) => path.join(h.claimed, `${name}.${OWNER}.${(Date.now() * 1000 + (counter++ % 1000)).toString(16).padStart(16, '0')}`),
  };
}

function floorOpen(dir, { durability }, protocol = false) {
  const items = path.join(dir, 'items');
  const side = protocol ? path.join(items, '.iodict') : dir;
  const h = { dir: items, tmp: path.join(side, 'tmp'), claimed: path.join(side, 'claimed'), durable: durability === 'fsync', protocol };
  for (const d of [h.dir, h.tmp, h.claimed]) fs.mkdirSync(d, { recursive: true });
  h.names = protocol ? protocolNames(h) : floorNames(h);
  h.dirFd = fs.openSync(h.dir, 'r');
  if (protocol) h.claimedFd = fs.openSync(h.claimed, 'r');
  h.order = []; // the records' names in birth order, which the bare calls cannot recover from a listing: the floor is told it
  h.head = 0;
  h.seq = 0;
  return h;
}

/** The record names in the store folder, in directory order (the floor's folder holds nothing else: no filter to pay for). */
const listRecords = (h) => (h.protocol ? fs.readdirSync(h.dir).filter(isRecordName) : fs.readdirSync(h.dir));
/** A record's file name in a store root (FORMAT.md 1): 56 hex characters; `.iodict` is not one. */
const isRecordName = (name) => name.length === 56;
const recordPath = (h, key) => path.join(h.dir, h.names.record(key));

const floor = {
  name: 'floor',
  label: 'floor',
  version: `node:fs (${process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.versions.node}`})`,
  about: `bare fs calls doing the same work: write temp + rename (+ fsync file and directory), readFileSync, rename + read + unlink; a batch syncs its temp files ${syncfs ? 'with one syncfs (through koffi), as iodict does' : 'with an fsync each (koffi, for syncfs, is missing)'}; files named by the key; no encoding, no index`,
  order: 'none (a listing is in directory order; pops are told the birth order)',
  open: floorOpen,
  openQueue: floorOpen,
  close: (h) => fs.closeSync(h.dirFd),
  set(h, keys, value) {
    for (const key of keys) h.order.push(floorWrite(h, key, value.bytes));
    return keys.length;
  },
  // No expiry in bare files: the same write as set (what a ttl adds is iodict's own cost).
  setTtl(h, keys, value) {
    return floor.set(h, keys, value);
  },
  setBatch(h, batches, value) {
    for (const keys of batches) h.order.push(...floorWriteMany(h, keys, value.bytes));
    return batches.length;
  },
  get: (h, keys) => found(keys, (key) => fs.readFileSync(recordPath(h, key))),
  has: (h, keys) => found(keys, (key) => fs.existsSync(recordPath(h, key))),
  delete(h, keys) {
    for (const key of keys) {
      fs.unlinkSync(recordPath(h, key));
      if (h.durable) fs.fsyncSync(h.dirFd);
      journalChange(h);
    }
    return keys.length;
  },
  keys: (h) => listRecords(h).length,
  listKeys: (h) => listRecords(h).length,
  values(h) {
    const names = listRecords(h);
    for (const name of names) fs.readFileSync(path.join(h.dir, name));
    return names.length;
  },
  popItem(h, count) {
    for (let i = 0; i < count; i++) floorClaim(h, h.order[h.head++]);
    return count;
  },
  put(h, count, value) {
    for (let i = 0; i < count; i++) h.order.push(floorWrite(h, queueKey(h), value.bytes));
    return count;
  },
  putBatch(h, batches, value) {
    for (const keys of batches) h.order.push(...floorWriteMany(h, keys.map(() => queueKey(h)), value.bytes));
    return batches.length;
  },
  queueGet(h, count) {
    for (let i = 0; i < count; i++) floorClaim(h, h.order[h.head++]);
    return count;
  },
  roundTrip(h, count, value) {
    for (let i = 0; i < count; i++) {
      h.order.push(floorWrite(h, queueKey(h), value.bytes));
      floorClaim(h, h.order[h.head++]);
    }
    return count;
  },
  openGet: (dir, options, key) => (fs.readFileSync(path.join(dir, 'items', key)), 1),
  openList: (dir) => fs.readdirSync(path.join(dir, 'items')).length,
};

/** A queue item's key: a counter (iodict's is the handle's id and a counter, FORMAT.md 3.1). */
const queueKey = (h) => String(h.seq++).padStart(12, '0');

function floorProtocolOpen(dir, options, mirror = true) {
  const h = floorOpen(dir, options, true);
  h.mirror = mirror;
  h.journalFd = fs.openSync(path.join(h.dir, '.iodict', 'changes'), 'a+');
  h.journalAt = 0;
  h.journalBuf = Buffer.alloc(32 * 128);
  h.entry = Buffer.alloc(128, 1);
  return h;
}

const floorProtocol = {
  ...floor,
  name: 'floor+protocol',
  label: 'floor + protocol',
  about: `the floor plus what iodict's protocol adds to its calls: the file names of FORMAT.md 1 and 3.2 (records under the SHA3-224 hex of the key, temp files \`.iodict/tmp/<owner>-<counter>\`, claims \`.iodict/claimed/<digest>.<owner>.<stamp>\`), the user.key/user.birthtime xattr mirror on each record${libc ? '' : ' (missing here: koffi, for fsetxattr, is missing)'} (FORMAT.md 6), one 128-byte O_APPEND journal entry and one pread after each change (a batch: an append per item and a pread per 32 items), a pread before each pop (8.3), and under 'fsync' a take syncs \`claimed/\` as well as the store (7.5); no encoding, no index, and not the probe of its name that a set makes while its handle has no index loaded`,
  open: floorProtocolOpen,
  openQueue: floorProtocolOpen,
  close(h) {
    fs.closeSync(h.journalFd);
    fs.closeSync(h.claimedFd);
    floor.close(h);
  },
  openGet: (dir, options, key) => (fs.readFileSync(path.join(dir, 'items', digest(key))), 1),
  openList: (dir) => fs.readdirSync(path.join(dir, 'items')).filter(isRecordName).length,
};

/** The floor + protocol without the xattr mirror: the bare calls under iodict's `xattrs: 'off'`. */
const floorProtocolNoMirror = {
  ...floorProtocol,
  name: 'floor+protocol xattrs:off',
  label: 'floor + protocol, xattrs off',
  about: 'the floor + protocol without the xattr mirror, as iodict with `xattrs: \'off\'`',
  ops: ['set'],
  open: (dir, options) => floorProtocolOpen(dir, options, false),
  openQueue: (dir, options) => floorProtocolOpen(dir, options, false),
};

// ---- iodict ----

function iodictContender(lib, label, extraOptions) {
  const { IODict, DurableQueue } = lib;
  const storePath = (dir) => path.join(dir, 'store');
  const options = (durability) => ({ durability, ...extraOptions });
  // The optional helpers this runtime's default host loaded: the figures depend on them.
  const host = process.versions.bun ? lib.bunHost() : lib.nodeHost();
  const helpers = `native helper ${/no native helper/.test(host.name) ? 'missing' : 'loaded'}, checksum helper ${host.crc32c ? 'loaded' : 'missing'}`;
  return {
    name: label,
    label,
    version: readPackage('../package.json').version,
    ops: extraOptions.xattrs === 'off' ? ['set', 'get'] : undefined,
    about: `${extraOptions.xattrs === 'off' ? 'iodict with the xattr mirror off' : 'iodict, default options'} (${helpers})`,
    order: 'birth order',
    open: (dir, { durability }) => new IODict(storePath(dir), options(durability)),
    openQueue: (dir, { durability }) => new DurableQueue(storePath(dir), options(durability)),
    close: (h) => h.close(),
    set(d, keys, value) {
      const v = value.object;
      for (const key of keys) d.set(key, v);
      return keys.length;
    },
    // An hour: the record carries an expiry stamp (8 bytes more), the journal entry its length.
    setTtl(d, keys, value) {
      const v = value.object;
      for (const key of keys) d.set(key, v, { ttl: 3_600_000 });
      return keys.length;
    },
    setBatch: typeof IODict.prototype.setMany === 'function'
      ? (d, batches, value) => {
          for (const keys of batches) d.setMany(keys.map((key) => [key, value.object]));
          return batches.length;
        }
      : na('no setMany in this build'),
    setConcurrent(d, batches, value) {
      for (const keys of batches) this.set(d, keys, value);
      return batches.length;
    },
    get: (d, keys) => found(keys, (key) => d.get(key) !== undefined),
    has: (d, keys) => found(keys, (key) => d.has(key)),
    delete(d, keys) {
      for (const key of keys) d.delete(key);
      return keys.length;
    },
    keys(d) {
      let n = 0;
      for (const _ of d.keys()) n++;
      return n;
    },
    listKeys(d) {
      return this.keys(d);
    },
    values(d) {
      let n = 0;
      for (const _ of d.values()) n++;
      return n;
    },
    popItem(d, count) {
      for (let i = 0; i < count; i++) d.popItem();
      return count;
    },
    put(q, count, value) {
      for (let i = 0; i < count; i++) q.putNowait(value.object);
      return count;
    },
    putBatch: typeof DurableQueue.prototype.putMany === 'function'
      ? (q, batches, value) => {
          for (const keys of batches) q.putMany(keys.map(() => value.object));
          return batches.length;
        }
      : na('no putMany in this build'),
    queueGet(q, count) {
      for (let i = 0; i < count; i++) q.getNowait();
      return count;
    },
    roundTrip(q, count, value) {
      for (let i = 0; i < count; i++) {
        q.putNowait(value.object);
        q.getNowait();
      }
      return count;
    },
    openGet(dir, { durability }, key) {
      const d = new IODict(storePath(dir), options(durability));
      d.get(key);
      d.close();
      return 1;
    },
    openList(dir, { durability }) {
      const d = new IODict(storePath(dir), options(durability));
      const n = this.keys(d);
      d.close();
      return n;
    },
  };
}

/** AsyncIODict, when the build has it: the same operations, each awaited. */
function asyncIodictContender(lib) {
  const { AsyncIODict } = lib;
  const storePath = (dir) => path.join(dir, 'store');
  const gone = na('no AsyncIODict in this build');
  if (typeof AsyncIODict !== 'function') {
    return { name: 'iodict async', label: 'iodict async', version: '', about: 'AsyncIODict', order: 'birth order', unavailable: gone.na };
  }
  return {
    name: 'iodict async',
    label: 'iodict async',
    version: readPackage('../package.json').version,
    about: 'AsyncIODict: every call a Promise, I/O off the event loop',
    order: 'birth order',
    open: (dir, { durability }) => new AsyncIODict(storePath(dir), { durability }),
    close: (h) => h.close(),
    async set(d, keys, value) {
      for (const key of keys) await d.set(key, value.object);
      return keys.length;
    },
    setBatch: typeof AsyncIODict.prototype.setMany === 'function'
      ? async (d, batches, value) => {
          for (const keys of batches) await d.setMany(keys.map((key) => [key, value.object]));
          return batches.length;
        }
      : na('no setMany in this build'),
    async setConcurrent(d, batches, value) {
      for (const keys of batches) await Promise.all(keys.map((key) => d.set(key, value.object)));
      return batches.length;
    },
    get: (d, keys) => foundAsync(keys, async (key) => (await d.get(key)) !== undefined),
    has: (d, keys) => foundAsync(keys, (key) => d.has(key)),
    async delete(d, keys) {
      for (const key of keys) await d.delete(key);
      return keys.length;
    },
    async keys(d) {
      let n = 0;
      for await (const _ of d.keys()) n++;
      return n;
    },
    listKeys(d) {
      return this.keys(d);
    },
    async values(d) {
      let n = 0;
      for await (const _ of d.values()) n++;
      return n;
    },
    async popItem(d, count) {
      for (let i = 0; i < count; i++) await d.popItem();
      return count;
    },
    async openGet(dir, { durability }, key) {
      const d = new AsyncIODict(storePath(dir), { durability });
      await d.get(key);
      await d.close();
      return 1;
    },
    async openList(dir, { durability }) {
      const d = new AsyncIODict(storePath(dir), { durability });
      const n = await this.keys(d);
      await d.close();
      return n;
    },
  };
}

// ---- peers (Node only) ----

async function nodePersist() {
  const { default: storage } = await import('node-persist');
  const open = async (dir) => {
    const s = storage.create({ dir: path.join(dir, 'persist') });
    await s.init();
    return s;
  };
  // Its timers (write queue, expiry scan) outlive the handle otherwise, and scan removed directories.
  const close = (s) => {
    s.stopWriteQueueInterval();
    s.stopExpiredKeysInterval();
  };
  return {
    name: 'node-persist',
    label: 'node-persist',
    version: packageVersion('node-persist'),
    about: 'one JSON file per key (fs.writeFile, no temp file or rename)',
    order: 'directory order',
    durability: ['none'],
    slowListing: true,
    open,
    close,
    // Filled by set, one at a time: concurrent setItem calls wait for its 1 s write-queue interval.
    async set(s, keys, value) {
      for (const key of keys) await s.setItem(key, value.object);
      return keys.length;
    },
    setBatch: na(BATCH_WRITE),
    setConcurrent: na('concurrent setItem calls wait for its 1 s write queue'),
    get: (s, keys) => foundAsync(keys, async (key) => (await s.getItem(key)) !== undefined),
    has: na('no has()'),
    async delete(s, keys) {
      for (const key of keys) await s.removeItem(key);
      return keys.length;
    },
    keys: na('keys() in directory order, not birth order'),
    listKeys: async (s) => (await s.keys()).length,
    values: async (s) => (await s.values()).length,
    popItem: na('no pop'),
    async openGet(dir, options, key) {
      const s = await open(dir);
      await s.getItem(key);
      close(s);
      return 1;
    },
    async openList(dir) {
      const s = await open(dir);
      const n = (await s.keys()).length;
      close(s);
      return n;
    },
  };
}

async function keyvFile() {
  const { default: Keyv } = await import('keyv');
  const { KeyvFile } = await import('keyv-file');
  const open = (dir) => new Keyv({ store: new KeyvFile({ filename: path.join(dir, 'keyv.json') }) });
  // keyv's iterator() fails over keyv-file 5.3.5 (it filters a Map iterator as an array): keys
  // come from the store's own keys(), a Map's keys in birth order.
  const count = async (k) => {
    let n = 0;
    for (const _ of await k.store.keys()) n++;
    return n;
  };
  return {
    name: 'keyv-file',
    label: 'keyv-file',
    version: `keyv ${packageVersion('keyv')}, keyv-file ${packageVersion('keyv-file')}`,
    about: 'keyv over keyv-file: a Map in memory, the whole JSON file rewritten 100 ms after a write (each awaited set waits for it)',
    order: 'birth order (a Map)',
    durability: ['none'],
    // A set or delete awaits keyv-file's 100 ms debounced save: ten of them measure it.
    maxOps: { set: 10, delete: 10 },
    open,
    close: (k) => k.disconnect(),
    async fill(k, keys, value) {
      let last;
      for (const key of keys) last = k.set(key, value.object);
      await last;
      return keys.length;
    },
    async set(k, keys, value) {
      for (const key of keys) await k.set(key, value.object);
      return keys.length;
    },
    setBatch: na(BATCH_WRITE),
    get: (k, keys) => foundAsync(keys, async (key) => (await k.get(key)) !== undefined),
    has: (k, keys) => foundAsync(keys, (key) => k.has(key)),
    async delete(k, keys) {
      for (const key of keys) await k.delete(key);
      return keys.length;
    },
    keys: count,
    listKeys: count,
    values: na('keyv iterator() fails over keyv-file 5.3.5'),
    popItem: na('no pop'),
    async openGet(dir, options, key) {
      const k = open(dir);
      await k.get(key);
      return 1;
    },
    openList: (dir) => count(open(dir)),
  };
}

async function cacachePeer() {
  const cacache = (await import('cacache')).default;
  const cacheDir = (dir) => path.join(dir, 'cache');
  return {
    name: 'cacache',
    label: 'cacache',
    version: packageVersion('cacache'),
    about: 'content-addressed cache: content file + append-only index bucket per key',
    order: 'index order (by key hash)',
    durability: ['none'],
    slowListing: true,
    open: (dir) => cacheDir(dir),
    close: () => {},
    async fill(c, keys, value) {
      await inParallel(keys, 16, (key) => cacache.put(c, key, value.json));
      return keys.length;
    },
    async set(c, keys, value) {
      for (const key of keys) await cacache.put(c, key, JSON.stringify(value.object));
      return keys.length;
    },
    setBatch: na(BATCH_WRITE),
    get: (c, keys) => foundAsync(keys, async (key) => JSON.parse((await cacache.get(c, key)).data)),
    has: (c, keys) => foundAsync(keys, async (key) => (await cacache.get.info(c, key)) !== null),
    async delete(c, keys) {
      for (const key of keys) await cacache.rm.entry(c, key);
      return keys.length;
    },
    keys: na('ls() in index order, not birth order'),
    listKeys: async (c) => Object.keys(await cacache.ls(c)).length,
    values: na('ls() lists metadata, not values'),
    popItem: na('no pop'),
    async openGet(dir, options, key) {
      JSON.parse((await cacache.get(cacheDir(dir), key)).data);
      return 1;
    },
    openList: async (dir) => Object.keys(await cacache.ls(cacheDir(dir))).length,
  };
}

async function lmdbPeer() {
  const { open: openLmdb } = await import('lmdb');
  const open = (dir, { durability }) => openLmdb({ path: path.join(dir, 'lmdb'), noSync: durability !== 'fsync' });
  const countKeys = (db) => {
    let n = 0;
    for (const _ of db.getKeys()) n++;
    return n;
  };
  return {
    name: 'lmdb',
    label: 'lmdb',
    version: packageVersion('lmdb'),
    about: "one memory-mapped B-tree file; 'none': noSync, 'fsync': a synced commit per write",
    order: 'key order',
    durability: ['none', 'fsync'],
    open,
    close: (db) => db.close(),
    fill(db, keys, value) {
      for (let i = 0; i < keys.length; i += 10000) {
        db.transactionSync(() => {
          for (const key of keys.slice(i, i + 10000)) db.put(key, value.object);
        });
      }
      return keys.length;
    },
    set(db, keys, value) {
      for (const key of keys) db.putSync(key, value.object);
      return keys.length;
    },
    setBatch(db, batches, value) {
      for (const keys of batches) {
        db.transactionSync(() => {
          for (const key of keys) db.put(key, value.object);
        });
      }
      return batches.length;
    },
    get: (db, keys) => found(keys, (key) => db.get(key) !== undefined),
    has: (db, keys) => found(keys, (key) => db.doesExist(key)),
    delete(db, keys) {
      for (const key of keys) db.removeSync(key);
      return keys.length;
    },
    keys: na('key order, not birth order'),
    listKeys: countKeys,
    values(db) {
      let n = 0;
      for (const _ of db.getRange()) n++;
      return n;
    },
    popItem: na('no birth order to pop by'),
    async openGet(dir, options, key) {
      const db = open(dir, options);
      db.get(key);
      await db.close();
      return 1;
    },
    async openList(dir, options) {
      const db = open(dir, options);
      const n = countKeys(db);
      await db.close();
      return n;
    },
  };
}

async function sqlitePeer() {
  const { default: Database } = await import('better-sqlite3');
  const connect = (dir, { durability }) => {
    const db = new Database(path.join(dir, 'kv.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
    return db;
  };
  // A rowid table: rowid order is birth order (an upsert keeps the row, as a dict keeps the slot).
  const open = (dir, options) => {
    const db = connect(dir, options);
    db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    db.exec('CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY, value TEXT NOT NULL)');
    return {
      db,
      upsert: db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      select: db.prepare('SELECT value FROM kv WHERE key = ?').pluck(),
      exists: db.prepare('SELECT 1 FROM kv WHERE key = ?').pluck(),
      remove: db.prepare('DELETE FROM kv WHERE key = ?'),
      keys: db.prepare('SELECT key FROM kv ORDER BY rowid').pluck(),
      values: db.prepare('SELECT value FROM kv ORDER BY rowid').pluck(),
      pop: db.prepare('DELETE FROM kv WHERE rowid = (SELECT min(rowid) FROM kv) RETURNING key, value'),
      enqueue: db.prepare('INSERT INTO q (value) VALUES (?)'),
      dequeue: db.prepare('DELETE FROM q WHERE id = (SELECT min(id) FROM q) RETURNING value').pluck(),
    };
  };
  const countKeys = (s) => {
    let n = 0;
    for (const _ of s.keys.iterate()) n++;
    return n;
  };
  const inTransaction = (s, fn) => s.db.transaction(fn)();
  const put = (s, count, value) => {
    for (let i = 0; i < count; i++) s.enqueue.run(JSON.stringify(value.object));
    return count;
  };
  return {
    name: 'sqlite',
    label: 'SQLite',
    version: `better-sqlite3 ${packageVersion('better-sqlite3')}`,
    about: "better-sqlite3 as a key-value table, WAL; synchronous=NORMAL for 'none', FULL for 'fsync'",
    order: 'birth order (rowid)',
    durability: ['none', 'fsync'],
    open,
    openQueue: open,
    close: (s) => s.db.close(),
    fill(s, keys, value) {
      inTransaction(s, () => {
        for (const key of keys) s.upsert.run(key, JSON.stringify(value.object));
      });
      return keys.length;
    },
    set(s, keys, value) {
      for (const key of keys) s.upsert.run(key, JSON.stringify(value.object));
      return keys.length;
    },
    setBatch(s, batches, value) {
      for (const keys of batches) {
        inTransaction(s, () => {
          for (const key of keys) s.upsert.run(key, JSON.stringify(value.object));
        });
      }
      return batches.length;
    },
    get: (s, keys) => found(keys, (key) => JSON.parse(s.select.get(key))),
    has: (s, keys) => found(keys, (key) => s.exists.get(key) === 1),
    delete(s, keys) {
      for (const key of keys) s.remove.run(key);
      return keys.length;
    },
    keys: countKeys,
    listKeys: countKeys,
    values(s) {
      let n = 0;
      for (const value of s.values.iterate()) {
        JSON.parse(value);
        n++;
      }
      return n;
    },
    popItem(s, count) {
      for (let i = 0; i < count; i++) JSON.parse(s.pop.get().value);
      return count;
    },
    put,
    putBatch(s, batches, value) {
      for (const keys of batches) inTransaction(s, () => put(s, keys.length, value));
      return batches.length;
    },
    queueGet(s, count) {
      for (let i = 0; i < count; i++) JSON.parse(s.dequeue.get());
      return count;
    },
    fillQueue(s, count, value) {
      inTransaction(s, () => put(s, count, value));
      return count;
    },
    roundTrip(s, count, value) {
      for (let i = 0; i < count; i++) {
        s.enqueue.run(JSON.stringify(value.object));
        JSON.parse(s.dequeue.get());
      }
      return count;
    },
    openGet(dir, options, key) {
      const db = connect(dir, options);
      JSON.parse(db.prepare('SELECT value FROM kv WHERE key = ?').pluck().get(key));
      db.close();
      return 1;
    },
    openList(dir, options) {
      const db = connect(dir, options);
      let n = 0;
      for (const _ of db.prepare('SELECT key FROM kv ORDER BY rowid').pluck().iterate()) n++;
      db.close();
      return n;
    },
  };
}

const peerLoaders = { 'node-persist': nodePersist, 'keyv-file': keyvFile, cacache: cacachePeer, lmdb: lmdbPeer, sqlite: sqlitePeer, ...pythonPeers };
export const contenderNames = ['floor', 'floor+protocol', 'floor+protocol xattrs:off', 'iodict', 'iodict xattrs:off', 'iodict async', ...Object.keys(peerLoaders)];

/** Loads the named contenders (all by default); peers are Node-only native or Node-targeted packages. */
export async function loadContenders(names = contenderNames) {
  const lib = await import('../dist/index.js');
  const all = {
    floor: () => floor,
    'floor+protocol': () => floorProtocol,
    'floor+protocol xattrs:off': () => floorProtocolNoMirror,
    iodict: () => iodictContender(lib, 'iodict', {}),
    'iodict xattrs:off': () => iodictContender(lib, 'iodict xattrs:off', { xattrs: 'off' }),
    'iodict async': () => asyncIodictContender(lib),
    ...peerLoaders,
  };
  const unknown = names.filter((name) => !(name in all));
  if (unknown.length) throw new Error(`unknown contender(s): ${unknown.join(', ')}; known: ${contenderNames.join(', ')}`);
  return Promise.all(names.map((name) => all[name]()));
}
