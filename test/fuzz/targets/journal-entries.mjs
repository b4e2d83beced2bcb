// Journal entries appended by someone else: noise, entries with a wrong CRC, and well-formed
// entries of every kind (SET and DELETE of present and absent records with any stamp, length and
// expiry, BEGIN, SEALED naming any journal, itself included, RESCAN, KEY, unknown kinds), then a
// partial entry. Entries are hints (FORMAT.md 8.1): a handle already open and a fresh one both
// keep showing exactly the store's items in birth order, and neither hangs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { IODict } from '../../../dist/index.js';
import { crc32c } from '../../support/format-reader.mjs';

export const name = 'journal-entries';

const KEYS = ['a', 'b', 'c', 'd', 'e'];
const digestOf = (key) => createHash('sha3-224').update(key).digest();

let dir;
let live;
let journalId;
let touches = 0;

export function setup() {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-fuzz-journal-'));
  // A small rotateAfter: the touches below rotate the journal every few cases, so it stays short.
  live = new IODict(dir, { xattrs: 'off', rotateAfter: 64 });
  for (const key of KEYS) live.set(key, key.toUpperCase());
  live.set('touch', touches++);
  expectKeys([...live.keys()], 'setup');
}

export function teardown() {
  live.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

const u64 = (fc) => fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

export const arbitrary = (fc) => {
  const entry = fc.oneof(
    fc.uint8Array({ minLength: 64, maxLength: 64 }).map((bytes) => ({ raw: bytes })),
    fc.record({
      kind: fc.oneof(fc.constantFrom(1, 2, 2, 3, 3, 4, 5, 6), fc.nat(255)),
      byte5: fc.nat(255),
      byte6: fc.nat(255),
      writer: fc.nat(0xffffffff),
      length: fc.oneof(fc.constant(0), fc.nat(200), fc.nat(0xffffffff)),
      stamp: fc.oneof(u64(fc), fc.constant('current')),
      digest: fc.oneof(fc.constantFrom(...KEYS).map(digestOf), fc.uint8Array({ minLength: 28, maxLength: 28 }).map(Buffer.from)),
      expiry: fc.oneof(fc.constant(0n), u64(fc)),
      crc: fc.constantFrom('right', 'right', 'right', 'wrong'),
    }),
  );
  return fc.record({ entries: fc.array(entry, { maxLength: 24 }), partial: fc.uint8Array({ maxLength: 63 }) });
};

function entryBytes(e) {
  if (e.raw) return Buffer.from(e.raw);
  const b = Buffer.alloc(64);
  b.write('iodj', 0, 'latin1');
  b[4] = e.kind;
  b[5] = e.byte5;
  b[6] = e.byte6;
  b.writeUInt32LE(e.writer, 8);
  b.writeUInt32LE(e.length, 12);
  // 'current': the id of the journal this lands in (a SEALED naming itself, a BEGIN repeating it).
  b.writeBigUInt64LE(e.stamp === 'current' ? journalId : e.stamp, 16);
  e.digest.copy(b, 24);
  b.writeBigUInt64LE(e.expiry, 52);
  const crc = crc32c(b.subarray(0, 60));
  b.writeUInt32LE(e.crc === 'right' ? crc : (crc ^ 1) >>> 0, 60);
  return b;
}

function expectKeys(keys, who) {
  if (keys.join() !== [...KEYS, 'touch'].join()) throw new Error(`${who} lists ${JSON.stringify(keys)}`);
}

export function check({ entries, partial }) {
  const journal = `${dir}/.iodict/changes`;
  journalId = fs.readFileSync(journal).readBigUInt64LE(16);
  fs.appendFileSync(journal, Buffer.concat([...entries.map(entryBytes), partial]));
  expectKeys([...live.keys()], 'a handle already open');
  const fresh = new IODict(dir, { xattrs: 'off' });
  try {
    expectKeys([...fresh.keys()], 'a new handle');
    if (fresh.get('c') !== 'C') throw new Error('a value changed');
  } finally {
    fresh.close();
  }
  // A write of the live handle: it reads the tail, and rotates once the journal is long enough
  // (a partial entry left at the end stays there until then: appends after it are misaligned,
  // which readers see as damage and list).
  live.set('touch', touches++);
  expectKeys([...live.keys()], 'the handle after its write');
}
