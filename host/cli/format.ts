// Output formatting shared by every command and every backend: what `ls`, `dump` and `verify`
// print depends only on what the store answers, never on which build answered.
import { builtinCodecs, CborError } from '../codec/index.js';
import { type RawKey, MappingError, keyText, keyToJson, toJson, hex, KEY_TYPE_NAMES } from './json.js';
import type { StoreBackend, VerifyReport } from './store.js';

export interface Stored {
  codec: number;
  value: Uint8Array;
}

/** A stored value decoded by its codec, or why it cannot be (an unknown codec, bytes that do not decode). */
export function decodeStored(stored: Stored): { value: unknown } | { problem: string } {
  const codec = builtinCodecs[stored.codec];
  if (!codec) return { problem: `codec ${stored.codec} is not one this tool knows` };
  try {
    return { value: codec.decode(stored.value) };
  } catch (e) {
    if (e instanceof CborError || e instanceof SyntaxError || e instanceof TypeError) return { problem: (e as Error).message };
    throw e;
  }
}

/**
 * One NDJSON line of dump/export: {"key", "value"} (plus "codec" when not CBOR), or, for a value
 * this tool cannot decode, {"key", "codec", "raw": base64 of the stored bytes}, which import
 * writes back byte for byte. Application codecs (128-255) are expected to go raw; `onBad` hears
 * about a CBOR or JSON value that does not decode.
 */
export function dumpLine(key: RawKey, stored: Stored, onBad: (problem: string) => void): string {
  const raw = () => JSON.stringify({ key: keyToJson(key), codec: stored.codec, raw: Buffer.from(stored.value).toString('base64') });
  const decoded = decodeStored(stored);
  if ('problem' in decoded) {
    if (builtinCodecs[stored.codec]) onBad(decoded.problem);
    return raw();
  }
  let value: unknown;
  try {
    value = toJson(decoded.value);
  } catch (e) {
    // A value the JSON mapping has no form for: its bytes, which import writes back as they are.
    if (e instanceof MappingError) return raw();
    throw e;
  }
  const line: Record<string, unknown> = { key: keyToJson(key), value };
  if (stored.codec !== 0) line.codec = stored.codec;
  return JSON.stringify(line);
}

/**
 * Diagnostic notation of a stored value: the core's, for CBOR; JSON text is itself valid
 * notation; other codecs' bytes as a hex byte string. The comment names a non-CBOR codec.
 */
export function diagText(store: StoreBackend, key: RawKey, stored: Stored): string | undefined {
  if (stored.codec === 0) return store.diag(key.type, key.bytes);
  if (stored.codec === 1) return `/json/ ${Buffer.from(stored.value).toString('utf8')}`;
  return `/codec ${stored.codec}/ h'${hex(stored.value)}'`;
}

/** A key for line output; with `types`, prefixed by the --key-type that reads it back and a tab. */
export function keyLine(key: RawKey, types: boolean): string {
  const { type, text } = keyText(key);
  return types ? `${type}\t${text}` : text;
}

/** A key for `ls --json`: its JSON form, type, birth stamp, and when it expires (ISO time) if it does. */
export function keyRecord(key: RawKey & { birth: number; expiry?: number }): { key: unknown; type: string; birth: number; expires?: string } {
  const record = { key: keyToJson(key), type: KEY_TYPE_NAMES[key.type] ?? String(key.type), birth: key.birth };
  return key.expiry ? { ...record, expires: new Date(key.expiry / 1000).toISOString() } : record;
}

export function verifyLines(path: string, report: VerifyReport): string[] {
  const lines = report.bad.map((b) => `${path}/${b.name}: ${b.problem}`);
  lines.push(`${report.checked} record(s) checked, ${report.bad.length ? `${report.bad.length} bad` : 'all good'}`);
  return lines;
}

export function verifyJson(path: string, report: VerifyReport): unknown {
  return {
    path,
    ok: report.bad.length === 0,
    checked: report.checked,
    bad: report.bad.map((b) => ({ file: `${path}/${b.name}`, name: b.name, problem: b.problem })),
  };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function sizeText(bytes: number): string {
  let n = bytes;
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${n.toFixed(1)} ${UNITS[unit]}`;
}

/** "name   value" rows, names padded to one column. */
export function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`);
}
