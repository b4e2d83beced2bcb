// Record files (valid, with near-valid values, damaged anywhere, cut short) read by a store: get
// gives exactly what an independent reader of FORMAT.md expects (the value, a quarantined
// CorruptRecordError, or ECODEC for an application codec it lacks), and nothing else.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IODict, cbor, CorruptRecordError, StoreError } from '../../../dist/index.js';
import { parseRecord } from '../../support/format-reader.mjs';
import { recordBytes, stringKey } from '../../support/record-writer.mjs';
import { nearlyValues, sameAsClone } from '../values.mjs';

export const name = 'record-bytes';

let dir;
let store;
let count = 0;

export function setup() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-fuzz-'));
  store = new IODict(dir, { xattrs: 'off', onCorrupt: () => {} });
}

export function teardown() {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

export const arbitrary = (fc) =>
  fc.record({
    value: nearlyValues(fc, cbor.encode),
    codec: fc.constantFrom(0, 0, 0, 1, 2, 127, 200),
    damage: fc.option(fc.tuple(fc.nat(), fc.nat(255)), { freq: 3 }),
    cut: fc.option(fc.nat(), { freq: 5 }),
  });

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What FORMAT.md says a reader must do with these bytes under this key's name. */
function expected(bytes, key) {
  let record;
  try {
    record = parseRecord(Buffer.from(bytes));
  } catch {
    return { outcome: 'corrupt' };
  }
  if (record.name !== key.name) return { outcome: 'corrupt' };
  if (record.codec >= 128) return { outcome: 'codec' };
  if (record.codec > 1) return { outcome: 'corrupt' };
  try {
    return { outcome: 'value', value: record.codec === 0 ? cbor.decode(record.value) : JSON.parse(utf8.decode(record.value)) };
  } catch (e) {
    if (e instanceof TypeError && /this runtime/.test(e.message)) return { outcome: 'runtime' };
    return { outcome: 'corrupt' };
  }
}

export function check({ value, codec, damage, cut }) {
  const key = stringKey(`k${count++}`);
  let bytes = recordBytes(key, value, { codec });
  if (damage) bytes[damage[0] % bytes.length] = damage[1];
  if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
  const file = `${dir}/${key.name}`;
  fs.writeFileSync(file, bytes);
  const want = expected(bytes, key);
  let got;
  try {
    got = { outcome: 'value', value: store.get(key.bytes.toString()) };
  } catch (e) {
    if (e instanceof CorruptRecordError && e.path === file && !fs.existsSync(file) && fs.existsSync(e.quarantinedTo)) got = { outcome: 'corrupt' };
    else if (e instanceof StoreError && e.code === 'ECODEC') got = { outcome: 'codec' };
    else if (e instanceof TypeError && /this runtime/.test(e.message)) got = { outcome: 'runtime' };
    else throw e;
  }
  if (got.outcome !== want.outcome) throw new Error(`get: ${got.outcome}, FORMAT.md: ${want.outcome}`);
  if (got.outcome === 'value' && !sameAsClone(got.value, want.value)) throw new Error('get and an independent decode differ');
  fs.rmSync(file, { force: true });
}
