// The single-file archive of `iodict export --format archive`: every record file's bytes, exactly
// as in the store, oldest first. All integers little-endian.
//
//   header   4  magic, ASCII "ioda"
//            1  archive version, 1
//            3  zero
//   entries  4  record length L (u32, at least 28)
//            L  a record file (FORMAT.md 3.3: it carries key, codec, value, birth and its CRC-32C)
//   end      4  zero (a length of 0 ends the entries)
//            8  entry count (u64), checked on import; nothing may follow it
//
// Each record keeps its own checksum, so the archive needs none of its own; the end marker and
// count catch a truncated file.
import type { ByteReader } from './input.js';

export const ARCHIVE_MAGIC = 'ioda';
const VERSION = 1;
const HEADER_BYTES = 24;

/** The input is not a valid archive: exit code 1 (data problem), naming the entry. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

export function archiveHeader(): Uint8Array {
  const out = new Uint8Array(8);
  out.set(Buffer.from(ARCHIVE_MAGIC, 'latin1'));
  out[4] = VERSION;
  return out;
}

export function archiveEntry(record: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + record.length);
  new DataView(out.buffer).setUint32(0, record.length, true);
  out.set(record, 4);
  return out;
}

export function archiveEnd(count: number): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, BigInt(count), true);
  return out;
}

export interface ArchivedRecord {
  keyType: number;
  key: Uint8Array;
  codec: number;
  value: Uint8Array;
  birth: number;
  /** Expiry stamp (µs since the epoch; FORMAT.md 3.3 flag bit 0), 0 for none. */
  expiry: number;
}

/** Says what is wrong with a record file's bytes, or undefined: the core's own check (Core.recordProblem). */
export type RecordCheck = (bytes: Uint8Array) => string | undefined;

/** The fields of a record file, once the core found nothing wrong with its bytes (FORMAT.md 3.3). */
export function parseRecord(bytes: Uint8Array, check: RecordCheck): ArchivedRecord {
  const problem = check(bytes);
  if (problem) throw new ArchiveError(problem);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keyLength = view.getUint32(16, true);
  const valueLength = view.getUint32(20, true);
  return {
    keyType: bytes[7]!,
    key: bytes.subarray(HEADER_BYTES, HEADER_BYTES + keyLength),
    codec: bytes[6]!,
    value: bytes.subarray(HEADER_BYTES + keyLength, HEADER_BYTES + keyLength + valueLength),
    birth: Number(view.getBigUint64(8, true)),
    expiry: bytes[5]! & 1 ? Number(view.getBigUint64(HEADER_BYTES + keyLength + valueLength, true)) : 0,
  };
}

/** The records of an archive, in order; ArchiveError for anything malformed, truncated or trailing. */
export async function* readArchive(input: ByteReader, check: RecordCheck): AsyncGenerator<ArchivedRecord> {
  const header = await input.read(8);
  if (!header || Buffer.from(header.subarray(0, 4)).toString('latin1') !== ARCHIVE_MAGIC) throw new ArchiveError('not an iodict archive (no "ioda" header)');
  if (header[4] !== VERSION) throw new ArchiveError(`archive version ${header[4]} is not supported (this iodict reads version ${VERSION})`);
  for (let count = 0; ; count++) {
    const head = await input.read(4);
    if (!head) throw new ArchiveError(`archive is truncated after ${count} record(s) (no end marker)`);
    const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
    if (length === 0) {
      const end = await input.read(8);
      if (!end) throw new ArchiveError('archive is truncated in its end marker');
      const expected = new DataView(end.buffer, end.byteOffset, 8).getBigUint64(0, true);
      if (expected !== BigInt(count)) throw new ArchiveError(`archive holds ${count} record(s) but its end marker says ${expected}`);
      if (!(await input.atEnd())) throw new ArchiveError('unexpected bytes after the end of the archive');
      return;
    }
    const bytes = await input.read(length);
    if (!bytes) throw new ArchiveError(`archive is truncated in record ${count + 1}`);
    try {
      yield parseRecord(bytes, check);
    } catch (e) {
      if (e instanceof ArchiveError) throw new ArchiveError(`record ${count + 1} of the archive is invalid: ${e.message}`);
      throw e;
    }
  }
}
