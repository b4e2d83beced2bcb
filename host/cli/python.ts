// Reading a store written by Python iodict 0.0.8, as that library reads itself: every entry of
// the directory is an item; its key is the user.key xattr, else the file name (its layout
// where xattrs are missing names files str(key)); its place in the order is the user.birthtime
// xattr (big-endian float64 seconds), else the change time; its value is a pickle. Only regular
// files are read: a symbolic link is reported, never followed out of the directory.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { cborCodec } from '../codec/index.js';
import { StoreError } from '../errors.js';
import { openRegular, readUpTo } from './files.js';
import { UnpicklingError, unpickle } from './pickle.js';
import type { XattrReader } from './xattr.js';

export interface PythonItem {
  file: string;
  /** Undefined when the key cannot be known (then `problem` says why). */
  key: string | undefined;
  /** Seconds since the epoch. */
  birth: number;
  orderedBy: 'birthtime' | 'ctime';
  problem?: string;
  /** Something odd that did not stop the import. */
  note?: string;
}

const HASH_NAME = /^[0-9a-f]{56}$/;
/** The largest pickle read (what one read of a file into memory can take, 2 GiB - 1 bytes). */
const MAX_PICKLE_BYTES = 2 ** 31 - 1;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Python names a file sha3_224(key.encode()); null where this runtime has no SHA3 (then nothing is cross-checked). */
function sha3Name(key: string): string | null {
  try {
    return createHash('sha3-224').update(key, 'utf8').digest('hex');
  } catch {
    return null;
  }
}

/** Python's `if key:` skips user.key for the empty key: a hash name with no user.key may be it. */
const EMPTY_KEY_NAME = sha3Name('');

/** The items of a Python iodict directory, in its order (birth, then file name). */
export function scanPythonStore(dir: string, xattrs: XattrReader | null, onFile: () => void = () => {}): PythonItem[] {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) throw new StoreError(`iodict: ${dir}: no such directory`, dir, 'ENOENT', 'open');
  if (fs.existsSync(`${dir}/.iodict`)) throw new StoreError(`iodict: ${dir} is an iodict store, not a Python iodict one (use export/import)`, dir, 'ENOTSTORE', 'open');
  const names = fs.readdirSync(dir).sort();
  if (!xattrs && names.some((n) => HASH_NAME.test(n))) {
    throw new StoreError(
      `iodict: ${dir}: its files are named by key hashes, so their keys are in the user.key xattr, which needs the native helper (koffi) to read`,
      dir, 'ENOTSUP', 'getxattr',
    );
  }
  const items = names.map((file): PythonItem => {
    onFile();
    const entry = openRegular(`${dir}/${file}`);
    const item: PythonItem = { file, key: undefined, birth: entry.stat.ctimeMs / 1000, orderedBy: 'ctime' };
    if (entry.fd === undefined) return { ...item, problem: entry.problem };
    let rawKey: Uint8Array | null, birth: Uint8Array | null;
    try {
      rawKey = xattrs?.getFd(entry.fd, 'user.key') ?? null;
      birth = xattrs?.getFd(entry.fd, 'user.birthtime') ?? null;
    } finally {
      fs.closeSync(entry.fd);
    }
    if (birth?.length === 8) {
      item.birth = new DataView(birth.buffer, birth.byteOffset, 8).getFloat64(0, false);
      item.orderedBy = 'birthtime';
    }
    if (rawKey) {
      try {
        item.key = strictUtf8.decode(rawKey);
      } catch {
        return { ...item, problem: 'user.key is not UTF-8' };
      }
      const expected = sha3Name(item.key);
      if (expected && HASH_NAME.test(file) && expected !== file) item.note = 'the file name is not the SHA3-224 of its user.key';
    } else if (!HASH_NAME.test(file)) {
      item.key = file;
    } else if (file === EMPTY_KEY_NAME) {
      item.key = '';
    } else {
      return { ...item, problem: 'no user.key xattr, and the file is named by a hash of its key: the key cannot be recovered' };
    }
    return item;
  });
  // Stable and deterministic: Python sorts by birth alone, over a listing in no particular order.
  return items.sort((a, b) => a.birth - b.birth || (a.file < b.file ? -1 : 1));
}

/** The bytes of an item's file, or why they are not read. */
function readPickle(path: string): Uint8Array | string {
  const entry = openRegular(path);
  if (entry.fd === undefined) return entry.problem;
  try {
    const size = entry.stat.size;
    if (size > MAX_PICKLE_BYTES) return `the file is ${size} bytes, over the ${MAX_PICKLE_BYTES}-byte limit for one pickle`;
    return readUpTo(entry.fd, size); // the size checked, not whatever the file has grown to since
  } finally {
    fs.closeSync(entry.fd);
  }
}

/** An item's value as CBOR bytes, or why it cannot be imported. */
export function pythonValue(dir: string, item: PythonItem): { bytes: Uint8Array } | { problem: string } {
  const pickle = readPickle(`${dir}/${item.file}`);
  if (typeof pickle === 'string') return { problem: pickle };
  let value: unknown;
  try {
    value = unpickle(pickle);
  } catch (e) {
    if (e instanceof UnpicklingError) return { problem: `unsupported value: ${e.message}` };
    throw e;
  }
  try {
    return { bytes: cborCodec.encode(value).slice() };
  } catch (e) {
    // A str with a lone surrogate, nesting deeper than 512, a structure that contains itself.
    if (e instanceof TypeError || e instanceof RangeError) return { problem: `value cannot be stored: ${e.message.replace(/^iodict: /, '')}` };
    throw e;
  }
}
