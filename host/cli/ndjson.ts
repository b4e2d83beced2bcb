// One line of the NDJSON that export writes and import reads (docs/CLI.md): {"key", "value",
// "codec"?} or {"key", "codec", "raw"}, in the JSON mapping of json.ts.
import { builtinCodecs } from '../codec/index.js';
import { DataError } from './errors.js';
import { MappingError, type RawKey, fromJson, keyFromJson } from './json.js';

/** An item to set: its key, codec id and encoded value. */
export interface ImportItem extends RawKey {
  codec: number;
  value: Uint8Array;
  /** Expiry stamp (µs since the epoch) of an archived record that had one. */
  expiry?: number;
}

/** Codec ids FORMAT.md 3.4 reserves: neither built in (0, 1) nor an application's (128-255). */
export function isReservedCodec(id: number): boolean {
  return id >= builtinCodecs.length && id < 128;
}

/** The item on NDJSON line number `line`; DataError naming the line for anything else. */
export function parseLine(text: string, line: number): ImportItem {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DataError(`line ${line} is not JSON`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !('key' in json)) throw new DataError(`line ${line} is not a {"key", "value"} object`);
  const entry = json as { key: unknown; value?: unknown; codec?: unknown; raw?: unknown };
  const codec = entry.codec ?? 0;
  if (!Number.isInteger(codec) || (codec as number) < 0 || (codec as number) > 255) throw new DataError(`line ${line}: codec must be an integer 0-255`);
  if (isReservedCodec(codec as number)) throw new DataError(`line ${line}: codec ${codec} is reserved (ids 2-127 are not in use; applications use 128-255)`);
  try {
    const key = keyFromJson(entry.key);
    if ('raw' in entry) {
      if (typeof entry.raw !== 'string') throw new MappingError('raw must be a base64 string');
      return { ...key, codec: codec as number, value: fromJson({ $bytes: entry.raw }) as Uint8Array };
    }
    if (!('value' in entry)) throw new MappingError('it has neither "value" nor "raw"');
    const encoder = builtinCodecs[codec as number];
    if (!encoder) throw new MappingError(`codec ${codec} is not one this tool can encode: give the value as "raw"`);
    return { ...key, codec: codec as number, value: encoder.encode(fromJson(entry.value)).slice() };
  } catch (e) {
    if (e instanceof MappingError || e instanceof TypeError) throw new DataError(`line ${line}: ${e.message.replace(/^iodict: /, '')}`);
    throw e;
  }
}
