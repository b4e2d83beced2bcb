// The CLI's JSON mapping of values and keys (dump, export/import NDJSON, `set` VALUE, --json).
// JSON's own types map to themselves; every other value is a one-key object whose key starts
// with "$" (documented in README-section.md), so the mapping is exact both ways:
//   {"$bigint":"-12"} {"$bytes":"<base64>"} {"$number":"NaN"|"Infinity"|"-Infinity"|"-0"}
//   {"$undefined":true} {"$date":"<ISO 8601>"|null} {"$map":[[k,v],...]} {"$set":[...]}
//   {"$Float64Array":"<base64 of little-endian elements>"} (and the other typed arrays)
//   {"$queue":"<32 hex>"} (queue item keys) and {"$object":{...}}, which escapes a plain object
//   that itself has exactly one key starting with "$".
import { type Key, KeyType, keyRoom, keyType, readKey, writeKey } from '../core/keys.js';

/** Input that does not follow the mapping (an unknown tag, a malformed payload). */
export class MappingError extends Error {
  override name = 'MappingError';
}

const TYPED_ARRAYS = {
  Uint8ClampedArray, Uint16Array, Uint32Array, BigUint64Array, Int8Array, Int16Array, Int32Array,
  BigInt64Array, Float32Array, Float64Array,
} as const;
type TypedName = keyof typeof TYPED_ARRAYS;
const NATIVE_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function fromBase64(text: unknown, tag: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new MappingError(`${tag} needs a base64 string`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
export function fromHex(text: string, what: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new MappingError(`${what} must be hex digits in pairs`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** Element bytes in little-endian order (RFC 8746), whatever the platform's order. */
function littleEndian(bytes: Uint8Array, size: number): Uint8Array {
  if (NATIVE_LE || size === 1) return bytes;
  const out = bytes.slice();
  for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
  return out;
}

/**
 * The JSON form of a value as the codecs decode it. Values the mapping has no form for (a RegExp,
 * an Error, a boxed primitive, an ArrayBuffer or DataView, an array with holes, one object met
 * twice) are a MappingError: dump and export write those items raw, byte for byte.
 */
export function toJson(value: unknown, seen = new Set<object>()): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return value;
      return { $number: Object.is(value, -0) ? '-0' : String(value) };
    case 'bigint':
      return { $bigint: value.toString() };
    case 'undefined':
      return { $undefined: true };
  }
  if (value === null) return null;
  if (seen.has(value as object)) throw new MappingError('no JSON form for a value that holds one object twice (shared or cyclic)');
  seen.add(value as object);
  const json = (v: unknown) => toJson(v, seen);
  if (Array.isArray(value)) {
    if (Object.keys(value).length !== value.length) throw new MappingError('no JSON form for an array with holes');
    return value.map(json);
  }
  if (value instanceof Uint8Array && (value.constructor === Uint8Array || Buffer.isBuffer(value))) return { $bytes: base64(value) };
  if (ArrayBuffer.isView(value)) {
    const name = (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] as TypedName;
    if (!(name in TYPED_ARRAYS)) throw new MappingError(`no JSON form for ${name}`);
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { [`$${name}`]: base64(littleEndian(bytes, TYPED_ARRAYS[name].BYTES_PER_ELEMENT)) };
  }
  if (value instanceof Map) return { $map: Array.from(value, ([k, v]) => [json(k), json(v)]) };
  if (value instanceof Set) return { $set: Array.from(value, json) };
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  // Plain objects: the decoder gives null-prototype ones where a key is __proto__.
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    const out: Record<string, unknown> = {};
    const keys = Object.keys(value);
    for (const k of keys) define(out, k, json((value as Record<string, unknown>)[k]));
    return keys.length === 1 && keys[0]!.startsWith('$') ? { $object: out } : out;
  }
  const type = typeof value === 'object' ? Object.prototype.toString.call(value).slice(8, -1) : typeof value;
  throw new MappingError(`no JSON form for a ${type}`);
}

/**
 * How deep values may nest: as deep as the CBOR codec encodes (arrays, objects, Maps and Sets
 * each count one level), checked before recursing so deep input is a MappingError, never a
 * stack overflow.
 */
const MAX_VALUE_DEPTH = 512;

/** The value a JSON form stands for; MappingError when it does not follow the mapping. */
export function fromJson(json: unknown): unknown {
  return valueFromJson(json, 0);
}

/** JSON text for a message, cut short. */
function brief(json: unknown): string {
  const text = JSON.stringify(json);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function nested(depth: number): number {
  if (depth >= MAX_VALUE_DEPTH) throw new MappingError(`the value is nested deeper than ${MAX_VALUE_DEPTH} levels`);
  return depth + 1;
}

function valueFromJson(json: unknown, depth: number): unknown {
  if (json === null || typeof json !== 'object') return json;
  const inner = nested(depth);
  if (Array.isArray(json)) return json.map((v) => valueFromJson(v, inner));
  const keys = Object.keys(json);
  const record = json as Record<string, unknown>;
  if (keys.length !== 1 || !keys[0]!.startsWith('$')) return plainObject(record, inner);
  const tag = keys[0]!;
  const v = record[tag];
  switch (tag) {
    case '$object':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new MappingError('$object needs an object');
      return plainObject(v as Record<string, unknown>, inner);
    case '$bigint':
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new MappingError('$bigint needs a decimal string');
      return BigInt(v);
    case '$number': {
      const n = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 }[v as string];
      if (typeof v !== 'string' || n === undefined) throw new MappingError('$number must be "NaN", "Infinity", "-Infinity" or "-0"');
      return n;
    }
    case '$undefined':
      if (v !== true) throw new MappingError('$undefined must be true');
      return undefined;
    case '$bytes':
      return fromBase64(v, tag);
    case '$date': {
      if (v === null) return new Date(NaN);
      const date = typeof v === 'string' ? new Date(v) : undefined;
      if (!date || Number.isNaN(date.getTime())) throw new MappingError('$date needs an ISO 8601 string or null');
      return date;
    }
    case '$map': {
      if (!Array.isArray(v) || !v.every((e) => Array.isArray(e) && e.length === 2)) throw new MappingError('$map needs an array of [key, value] pairs');
      const map = new Map();
      for (const [k, x] of v as [unknown, unknown][]) {
        const key = valueFromJson(k, inner);
        // A Map keeps one entry per key (SameValueZero): a repeated key would silently drop a value.
        if (map.has(key)) throw new MappingError(`$map has the key ${brief(k)} twice`);
        map.set(key, valueFromJson(x, inner));
      }
      return map;
    }
    case '$set': {
      if (!Array.isArray(v)) throw new MappingError('$set needs an array');
      const set = new Set();
      for (const e of v) {
        const value = valueFromJson(e, inner);
        if (set.has(value)) throw new MappingError(`$set has the value ${brief(e)} twice`);
        set.add(value);
      }
      return set;
    }
    case '$queue':
      throw new MappingError('$queue is a key form, not a value');
  }
  const name = tag.slice(1);
  if (Object.hasOwn(TYPED_ARRAYS, name)) {
    const T = TYPED_ARRAYS[name as TypedName];
    const bytes = littleEndian(fromBase64(v, tag), T.BYTES_PER_ELEMENT);
    if (bytes.length % T.BYTES_PER_ELEMENT) throw new MappingError(`${tag} needs a whole number of ${T.BYTES_PER_ELEMENT}-byte elements`);
    return new T(bytes.slice().buffer);
  }
  throw new MappingError(`unknown tag ${tag} (a plain object with one "$" key is written {"$object": {...}})`);
}

function plainObject(record: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record)) define(out, k, valueFromJson(record[k], depth));
  return out;
}

/** An own property even for "__proto__", which assignment would turn into the prototype. */
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
}

// ---- keys ------------------------------------------------------------------------------------

/** A key as the store holds it: its type byte and canonical bytes (FORMAT.md 3.1). */
export interface RawKey {
  type: number;
  bytes: Uint8Array;
}

export const KEY_TYPE_NAMES = ['string', 'number', 'bigint', 'boolean', 'bytes', 'queue'] as const;

/** Canonical bytes of a JS key (TypeError for a value no store accepts). */
export function rawKey(key: unknown): RawKey {
  const type = keyType(key);
  const bytes = new Uint8Array(keyRoom(key));
  return { type, bytes: bytes.slice(0, writeKey(key as Key, type, bytes, 0)) };
}

export function keyToJson(key: RawKey): unknown {
  return key.type === KeyType.QUEUE ? { $queue: hex(key.bytes) } : toJson(readKey(key.type, key.bytes));
}

export function keyFromJson(json: unknown): RawKey {
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const entries = Object.entries(json);
    if (entries.length === 1 && entries[0]![0] === '$queue') {
      const bytes = typeof entries[0]![1] === 'string' ? fromHex(entries[0]![1], '$queue') : undefined;
      if (bytes?.length !== 16) throw new MappingError('$queue needs 32 hex digits');
      return { type: KeyType.QUEUE, bytes };
    }
  }
  const key = fromJson(json);
  if (key instanceof Uint8Array && key.constructor !== Uint8Array) throw new MappingError('a key must be a string, number, bigint, boolean or $bytes');
  try {
    return rawKey(key);
  } catch (e) {
    throw new MappingError((e as Error).message.replace(/^iodict: /, ''));
  }
}

/** The names --key-type takes; `json` reads a key in the JSON mapping (any type, queue keys too). */
export const KEY_INPUT_TYPES = ['string', 'number', 'bigint', 'boolean', 'bytes-hex', 'json'] as const;
export type KeyInputType = (typeof KEY_INPUT_TYPES)[number];

/** A key typed on the command line; MappingError when the text is not a key of that type. */
export function parseKey(text: string, type: KeyInputType): RawKey {
  switch (type) {
    case 'string':
      return rawKey(text);
    case 'number': {
      const n = Number(text);
      if (text.trim() !== text || text === '' || (Number.isNaN(n) && text !== 'NaN')) throw new MappingError(`not a number: ${JSON.stringify(text)}`);
      return rawKey(n);
    }
    case 'bigint':
      if (!/^-?\d+$/.test(text)) throw new MappingError(`not an integer: ${JSON.stringify(text)}`);
      return rawKey(BigInt(text));
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw new MappingError(`a boolean key is true or false, not ${JSON.stringify(text)}`);
      return rawKey(text === 'true');
    case 'bytes-hex':
      return rawKey(fromHex(text, 'a bytes-hex key'));
    case 'json': {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new MappingError(`not JSON: ${text}`);
      }
      return keyFromJson(json);
    }
  }
}

// Control characters would garble a line (or drive the terminal): such keys print as JSON.
const NEEDS_QUOTING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A key as text for line output, with the --key-type that reads it back: strings as they are,
 * numbers and bigints in decimal, bytes in hex, anything else (control characters, queue keys)
 * in the JSON mapping.
 */
export function keyText(key: RawKey): { type: KeyInputType; text: string } {
  switch (key.type) {
    case KeyType.STRING: {
      const s = readKey(key.type, key.bytes) as string;
      return NEEDS_QUOTING.test(s) ? { type: 'json', text: JSON.stringify(s) } : { type: 'string', text: s };
    }
    case KeyType.NUMBER:
      return { type: 'number', text: String(readKey(key.type, key.bytes)) };
    case KeyType.BIGINT:
      return { type: 'bigint', text: String(readKey(key.type, key.bytes)) };
    case KeyType.BOOLEAN:
      return { type: 'boolean', text: String(readKey(key.type, key.bytes)) };
    case KeyType.BYTES:
      return { type: 'bytes-hex', text: hex(key.bytes) };
    default:
      return { type: 'json', text: JSON.stringify(keyToJson(key)) };
  }
}
