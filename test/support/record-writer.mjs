// Writes record files from FORMAT.md section 3 alone (not through the core), so tests can lay
// down any bytes, valid or not, where a store will find them.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { crc32c } from './format-reader.mjs';

/** The canonical bytes and file name of a string key (FORMAT.md 3.1-3.2). */
export function stringKey(key) {
  const bytes = Buffer.from(key, 'utf8');
  return { type: 0, bytes, name: createHash('sha3-224').update(bytes).digest('hex') };
}

/** A bigint key: decimal ASCII, named by sha3_224(0xFF, 2, bytes). */
export function bigintKey(value) {
  const bytes = Buffer.from(value.toString(), 'latin1');
  return { type: 2, bytes, name: createHash('sha3-224').update(Buffer.concat([Buffer.from([0xff, 2]), bytes])).digest('hex') };
}

/** A whole record file's bytes: header, key, value, CRC-32C. */
export function recordBytes(key, value, { codec = 0, birth = BigInt(Date.now()) * 1000n } = {}) {
  const body = Buffer.alloc(24 + key.bytes.length + value.length);
  body.write('iodr', 0, 'latin1');
  body[4] = 1;
  body[6] = codec;
  body[7] = key.type;
  body.writeBigUInt64LE(birth, 8);
  body.writeUInt32LE(key.bytes.length, 16);
  body.writeUInt32LE(value.length, 20);
  key.bytes.copy(body, 24);
  Buffer.from(value.buffer, value.byteOffset, value.length).copy(body, 24 + key.bytes.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32c(body));
  return Buffer.concat([body, crc]);
}

/** Writes the record of `key` (a string, or a key from stringKey/bigintKey) holding `value` bytes into a store directory; returns its path. */
export function writeRecord(dir, key, value, options) {
  const k = typeof key === 'string' ? stringKey(key) : key;
  const file = `${dir}/${k.name}`;
  fs.writeFileSync(file, recordBytes(k, value, options));
  return file;
}
