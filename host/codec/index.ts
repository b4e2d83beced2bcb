// Value codecs. The record stores the codec id, so a store stays readable whichever codec a
// handle is opened with, as long as the codec that wrote a record is known.
import { encodeInto, decode, CborError } from './cbor.js';

export interface Codec<V = unknown> {
  /** Recorded in every record. 0 and 1 are the built-ins; user codecs take 128..255. */
  readonly id: number;
  /** Bytes of a value; may return a view that is only valid until the next call. */
  encode(value: V): Uint8Array;
  decode(bytes: Uint8Array): V;
}

/** RFC 8949 CBOR carrying what the structured clone algorithm carries (the default; FORMAT.md section 4). */
export const cborCodec: Codec<any> = {
  id: 0,
  encode: encodeInto,
  decode: (bytes) => decode(bytes),
};

const jsonEncoder = new TextEncoder();
// A byte order mark is not JSON text (FORMAT.md section 4): keep it for JSON.parse to refuse.
const jsonDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 JSON: readable with any tool, but only JSON's types. */
export const jsonCodec: Codec<any> = {
  id: 1,
  encode: (value) => {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('iodict: the JSON codec cannot store undefined or a function');
    return jsonEncoder.encode(text);
  },
  decode: (bytes) => JSON.parse(jsonDecoder.decode(bytes)),
};

export const builtinCodecs: readonly Codec[] = [cborCodec, jsonCodec];

/** Codecs that carry bytes another thread encoded, under that codec's id (AsyncIODict's workers). */
const carriers = new WeakSet<Codec>();
export function carrierCodec<V>(codec: Codec<V>): Codec<V> {
  carriers.add(codec);
  return codec;
}

export function checkCodec(codec: Codec): void {
  const { id } = codec;
  if (!Number.isInteger(id) || id < 0 || id > 255 || (id < 128 && builtinCodecs[id] !== codec && !carriers.has(codec)))
    throw new RangeError(`iodict: a custom codec id must be an integer in 128..255 (got ${id})`);
}

export { CborError };
