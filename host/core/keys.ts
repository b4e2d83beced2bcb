// Keys as the core stores them: a type byte and canonical bytes (FORMAT.md "Keys").
import { latin1 } from './imports.js';
// Two keys are the same key exactly when their type and bytes are equal: 0 and -0 are one
// key, as in Map; Uint8Array keys compare by content, not identity.

/** The key types a store accepts. */
export type Key = string | number | bigint | boolean | Uint8Array;

export const KeyType = { STRING: 0, NUMBER: 1, BIGINT: 2, BOOLEAN: 3, BYTES: 4, QUEUE: 5 } as const;

/** The longest key, in canonical bytes (FORMAT.md 3.3; assembly/format/record.ts MAX_KEY_BYTES). */
export const MAX_KEY_BYTES = 65536;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const ascii = new TextDecoder('latin1'); // canonical bigint keys are ASCII digits
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const CANONICAL_NAN = [0, 0, 0, 0, 0, 0, 0xf8, 0x7f];

/** Upper bound of the encoded length, for reserving room before encoding. */
export function keyRoom(key: unknown): number {
  if (typeof key === 'string') return key.length * 3;
  if (key instanceof Uint8Array) return key.length;
  if (typeof key === 'bigint') return 64 + (key < 0n ? -key : key).toString(16).length * 2;
  return 8;
}

/** The exact length of a key's canonical bytes (for keys whose keyRoom is large). */
export function keyLength(key: Key, type: number): number {
  if (type === KeyType.STRING) return utf8.encode(key as string).length;
  if (type === KeyType.BIGINT) return (key as bigint).toString().length;
  return keyRoom(key);
}

/** Type byte of a key; TypeError for anything a store cannot hold. */
export function keyType(key: unknown): number {
  switch (typeof key) {
    case 'string':
      if (!key.isWellFormed()) throw new TypeError('iodict: a string key must be well-formed UTF-16 (it has a lone surrogate)');
      return KeyType.STRING;
    case 'number':
      return KeyType.NUMBER;
    case 'bigint':
      return KeyType.BIGINT;
    case 'boolean':
      return KeyType.BOOLEAN;
  }
  if (key instanceof Uint8Array) return KeyType.BYTES;
  const what = key === null ? 'null' : typeof key === 'object' ? (key.constructor?.name ?? 'object') : typeof key;
  throw new TypeError(`iodict: unsupported key type ${what} (use string, number, bigint, boolean or Uint8Array)`);
}

/** Writes the canonical bytes of a key (of type `type`) at out[at]; returns their length. */
export function writeKey(key: Key, type: number, out: Uint8Array, at: number): number {
  switch (type) {
    case KeyType.STRING: {
      const s = key as string;
      // ASCII fast path: most keys are short ASCII and TextEncoder's call costs more than the loop.
      if (s.length < 64) {
        let i = 0;
        for (; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c >= 0x80) break;
          out[at + i] = c;
        }
        if (i === s.length) return i;
      }
      return utf8.encodeInto(s, out.subarray(at)).written;
    }
    case KeyType.NUMBER: {
      const n = key as number;
      // One zero and one NaN: -0 is stored as 0, every NaN as the canonical quiet NaN.
      if (Number.isNaN(n)) f64Bytes.set(CANONICAL_NAN);
      else f64[0] = n === 0 ? 0 : n;
      out.set(f64Bytes, at);
      return 8;
    }
    case KeyType.BIGINT: {
      const s = (key as bigint).toString();
      for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
      return s.length;
    }
    case KeyType.BOOLEAN:
      out[at] = key ? 1 : 0;
      return 1;
    default:
      out.set(key as Uint8Array, at);
      return (key as Uint8Array).length;
  }
}

/** The key whose canonical bytes these are. */
export function readKey(type: number, bytes: Uint8Array): Key {
  switch (type) {
    case KeyType.STRING: {
      // ASCII (most keys) decodes as Latin-1, natively and without the UTF-8 decoder's setup.
      if (bytes.length < 256) {
        let ascii = true;
        for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) ascii = false;
        if (ascii) return latin1(bytes, 0, bytes.length);
      }
      return utf8Strict.decode(bytes);
    }
    case KeyType.NUMBER:
      f64Bytes.set(bytes.subarray(0, 8));
      return f64[0]!;
    case KeyType.BIGINT:
      // Up to 64 KiB of digits: too many to spread into arguments.
      return BigInt(ascii.decode(bytes));
    case KeyType.BOOLEAN:
      return bytes[0] === 1;
    default:
      return bytes.slice();
  }
}
