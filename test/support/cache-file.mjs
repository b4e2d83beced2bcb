// The index cache (.iodict/index) read and written from FORMAT.md section 9 alone, so tests can
// craft caches an attacker (or a damaged disk) would leave: swapped keys, bad lengths, cut files.
import fs from 'node:fs';
import { crc32c } from './format-reader.mjs';

const HEADER = 32;
const FIXED = 28 + 8 + 1 + 4 + 8 + 4; // digest, birth, key type, key length, expiry, record length

/** Parses a cache file's bytes; throws on anything FORMAT.md section 9 does not allow. */
export function parseCache(buf) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  if (buf.subarray(0, 4).toString('latin1') !== 'iodx' || buf[4] !== 2) throw new Error('magic or version');
  if (view.getUint32(buf.length - 4, true) !== crc32c(buf.subarray(0, buf.length - 4))) throw new Error('crc');
  const count = view.getUint32(24, true);
  const entries = [];
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    const keyLength = view.getUint32(at + 37, true);
    entries.push({
      digest: Buffer.from(buf.subarray(at, at + 28)),
      birth: view.getBigUint64(at + 28, true),
      keyType: buf[at + 36],
      keyLength,
      expiry: view.getBigUint64(at + 41, true),
      recordLength: view.getUint32(at + 49, true),
      key: Buffer.from(buf.subarray(at + FIXED, at + FIXED + keyLength)),
    });
    at += FIXED + keyLength;
  }
  if (at !== buf.length - 4) throw new Error('entries do not fill the file');
  return { journalId: view.getBigUint64(8, true), offset: view.getBigUint64(16, true), entries };
}

/** A cache file's bytes; an entry's keyLength may differ from its key's (to craft overflows). */
export function cacheBytes({ journalId, offset, entries, count = entries.length }) {
  const size = HEADER + entries.reduce((n, e) => n + FIXED + e.key.length, 0) + 4;
  const buf = Buffer.alloc(size);
  buf.write('iodx', 0, 'latin1');
  buf[4] = 2;
  buf.writeBigUInt64LE(journalId, 8);
  buf.writeBigUInt64LE(offset, 16);
  buf.writeUInt32LE(count, 24);
  let at = HEADER;
  for (const e of entries) {
    e.digest.copy(buf, at);
    buf.writeBigUInt64LE(e.birth, at + 28);
    buf[at + 36] = e.keyType;
    buf.writeUInt32LE(e.keyLength ?? e.key.length, at + 37);
    buf.writeBigUInt64LE(e.expiry, at + 41);
    buf.writeUInt32LE(e.recordLength, at + 49);
    e.key.copy(buf, at + FIXED);
    at += FIXED + e.key.length;
  }
  buf.writeUInt32LE(crc32c(buf.subarray(0, at)), at);
  return buf;
}

export function readCache(store) {
  return parseCache(fs.readFileSync(`${store}/.iodict/index`));
}

export function writeCache(store, cache) {
  fs.writeFileSync(`${store}/.iodict/index`, cacheBytes(cache));
}
