// An independent reader of the on-disk format, written from FORMAT.md alone (not from the
// core's source): if this and the core disagree, one of them breaks the documented format.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { decode as cborxDecode } from 'cbor-x';

const table = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32c(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Parses one record file per FORMAT.md; throws on any violation. */
export function readRecord(file) {
  return parseRecord(fs.readFileSync(file));
}

/** Parses a record file's bytes per FORMAT.md 3.3 (all but its value); throws on any violation. */
export function parseRecord(buf) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  if (buf.subarray(0, 4).toString('latin1') !== 'iodr') throw new Error('magic');
  if (buf[4] !== 1) throw new Error('version');
  const flags = buf[5];
  if (flags & ~1) throw new Error('flags');
  const extra = flags & 1 ? 8 : 0; // bit 0: an expiry stamp follows the value
  const codec = buf[6];
  const keyType = buf[7];
  const birth = Number(view.getBigUint64(8, true));
  const keyLen = view.getUint32(16, true);
  const valueLen = view.getUint32(20, true);
  if (24 + keyLen + valueLen + extra + 4 !== buf.length) throw new Error('length');
  if (view.getUint32(buf.length - 4, true) !== crc32c(buf.subarray(0, buf.length - 4))) throw new Error('crc');
  if (keyLen > 65536 || valueLen > 2 ** 28) throw new Error('limits');
  const key = buf.subarray(24, 24 + keyLen);
  if (!canonicalKey(keyType, key)) throw new Error('key');
  const value = buf.subarray(24 + keyLen, 24 + keyLen + valueLen);
  const expiry = extra ? Number(view.getBigUint64(24 + keyLen + valueLen, true)) : 0;
  const hashInput = keyType === 0 ? key : Buffer.concat([Buffer.from([0xff, keyType]), key]);
  const name = createHash('sha3-224').update(hashInput).digest('hex');
  return { codec, keyType, birth, expiry, key, value, name };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function canonicalKey(type, key) {
  switch (type) {
    case 0:
      try {
        utf8.decode(key);
        return true;
      } catch {
        return false;
      }
    case 1: {
      const bits = key.length === 8 ? key.readBigUInt64LE() : -1n;
      const nan = (bits & 0x7ff0000000000000n) === 0x7ff0000000000000n && (bits & 0xfffffffffffffn) !== 0n;
      return key.length === 8 && bits !== 0x8000000000000000n && (!nan || bits === 0x7ff8000000000000n);
    }
    case 2:
      return /^(0|-?[1-9][0-9]*)$/.test(key.toString('latin1'));
    case 3:
      return key.length === 1 && key[0] <= 1;
    case 4:
      return true;
    case 5:
      return key.length === 16;
  }
  return false;
}

/** Every record of a store, oldest first (birth, then name), with values decoded by cbor-x. */
export function readStore(dir) {
  return fs
    .readdirSync(dir)
    .filter((n) => /^[0-9a-f]{56}$/.test(n))
    .map((n) => {
      const r = readRecord(`${dir}/${n}`);
      if (r.name !== n) throw new Error(`record ${n} is named ${r.name} by its key`);
      return { ...r, decoded: r.codec === 0 ? cborxDecode(r.value) : JSON.parse(r.value.toString()) };
    })
    .sort((a, b) => a.birth - b.birth || (a.name < b.name ? -1 : 1));
}

/**
 * The generation of a store's current journal, from its BEGIN entry (FORMAT.md 8.4): one more at
 * each rotation. (Not the file's inode, which a file system may hand to the next journal again.)
 */
export function journalGeneration(store) {
  return fs.readFileSync(`${store}/.iodict/changes`).readBigUInt64LE(32);
}

/** A key's type and canonical bytes (FORMAT.md 3.1), as the WASI build's interface takes them. */
export function canonicalBytes(key) {
  if (typeof key === 'string') return { keyType: 0, key: new TextEncoder().encode(key) };
  if (typeof key === 'number') return { keyType: 1, key: new Uint8Array(new Float64Array([key === 0 ? 0 : key]).buffer) };
  if (typeof key === 'bigint') return { keyType: 2, key: new TextEncoder().encode(key.toString()) };
  if (typeof key === 'boolean') return { keyType: 3, key: new Uint8Array([key ? 1 : 0]) };
  return { keyType: 4, key };
}

/** The key of a type and canonical bytes (FORMAT.md 3.1). */
export function keyFromCanonical(keyType, bytes) {
  switch (keyType) {
    case 0: return new TextDecoder().decode(bytes);
    case 1: return new Float64Array(bytes.slice().buffer)[0];
    case 2: return BigInt(new TextDecoder().decode(bytes));
    case 3: return bytes[0] === 1;
    default: return bytes;
  }
}

/** Journal entry kinds (FORMAT.md 8). */
export const JOURNAL = { BEGIN: 1, SET: 2, DELETE: 3, SEALED: 4, RESCAN: 5, KEY: 6, PREDECESSOR_SEALED: 7 };

/**
 * One 64-byte journal entry (FORMAT.md 8) with its CRC: `stamp` at 16 (a SET's birth, a SEALED's
 * successor id), `digest` bytes at 24, `keyEntries` at 6; the other fields zero.
 */
export function journalEntry(kind, { writer = 0x5eed, stamp = 0n, digest, keyEntries = 0 } = {}) {
  const e = Buffer.alloc(64);
  e.write('iodj', 0, 'latin1');
  e[4] = kind;
  e[6] = keyEntries; // a SET or DELETE: how many KEY entries follow it
  e.writeUInt32LE(writer, 8);
  e.writeBigUInt64LE(stamp, 16);
  if (digest) Buffer.from(digest).copy(e, 24, 0, 28);
  e.writeUInt32LE(crc32c(e.subarray(0, 60)), 60);
  return e;
}

/** KEY entry number `chunk` (FORMAT.md 8) of a string key: its bytes from chunk * 44, up to 44. */
export function keyEntry(key, chunk, { writer = 0x5eed } = {}) {
  const bytes = Buffer.from(key);
  const e = Buffer.alloc(64);
  e.write('iodj', 0, 'latin1');
  e[4] = JOURNAL.KEY;
  e[5] = 0; // a string
  e[6] = chunk;
  e.writeUInt32LE(writer, 8);
  e.writeUInt32LE(bytes.length, 12);
  if (chunk * 44 < bytes.length) bytes.copy(e, 16, chunk * 44, Math.min(bytes.length, chunk * 44 + 44));
  e.writeUInt32LE(crc32c(e.subarray(0, 60)), 60);
  return e;
}
