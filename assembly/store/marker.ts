// The format marker (.iodict/format): what makes a directory a store, of which version and kind.
// It is written last when a store is created, so a half-made store is never taken for one.
import * as host from '../host/imports';
import { handle, KIND_ANY, KIND_DICT, KIND_QUEUE } from './handle';
import { controlBuf, controlPath, putAscii } from './paths';
import { writeControlFile } from './temp';
import { io, statBuf, listDir, fail, notStore, OP_MKDIR, OP_STAT, ST_OK, ST_IO, ST_NEWER_FORMAT } from './io';
import { createJournal } from './journal';
import { readHead } from './records';

export const FORMAT_VERSION: i32 = 2;
const FORMAT_PREFIX = 'iodict-store ';
const markerBuf: usize = heap.alloc(64);
let foundVersion: i32 = 0;

/** A marker is a line or two: no more of the file than this is read, whatever its size. */
const MARKER_READ: i32 = 256;

/** Reads the start of the marker into io: the byte count, or -errno. */
export function readMarker(): i32 {
  return readHead(controlBuf, controlPath(controlBuf, 'format'), MARKER_READ);
}

/** Opens the root as a store, creating it when the directory is empty or missing. */
export function ensureStore(): i32 {
  const root = controlBuf; // the root is the empty path
  let r = host.stat(root, 0, statBuf);
  if (r == -host.ENOENT) {
    r = host.mkdir(root, 0);
    if (r < 0 && r != -host.EEXIST) return fail(OP_MKDIR, r, root, 0);
    r = host.stat(root, 0, statBuf);
  }
  if (r == -host.ENOTDIR) return notStore(0); // a file (hosts look at "root/." to follow a linked root)
  if (r < 0) return fail(OP_STAT, r, root, 0);
  if (load<f64>(statBuf + host.STAT_TYPE) != host.TYPE_DIR) return notStore(0);
  const contained = checkFolders();
  if (contained != ST_OK) return contained;
  for (let attempt = 0; attempt < 2; attempt++) {
    const n = readMarker();
    if (n >= 0) {
      const checked = checkFormat(n);
      if (checked != ST_OK || foundVersion == FORMAT_VERSION) return checked;
      return upgrade();
    }
    if (n != -host.ENOENT) return ST_IO;
    const created = createStore();
    // Another process made it at the same moment (its marker landed first): open theirs.
    if (created != ST_OK && attempt == 0 && readMarker() >= 0) continue;
    return created;
  }
  return ST_IO;
}

/**
 * Checks the marker in io[0, n): version 1 or 2, and when this handle asked for a kind, a store
 * of that kind (a marker without a kind line, or a handle without a kind, accepts any). A store
 * of the other kind is ST_NOT_STORE with errorDetail the kind found.
 */
export function checkFormat(n: i32): i32 {
  const prefix = FORMAT_PREFIX.length;
  if (n < prefix + 2) return notStore(0);
  for (let i = 0; i < prefix; i++) if (load<u8>(io + i) != <u8>FORMAT_PREFIX.charCodeAt(i)) return notStore(0);
  let version = 0;
  let i = prefix;
  for (; i < n && load<u8>(io + i) != 0x0a; i++) {
    const c = load<u8>(io + i);
    if (c < 0x30 || c > 0x39) return notStore(0);
    // A bounded number: a long run of digits is some future version, never a wrapped-around one.
    if (version > 1000) return ST_NEWER_FORMAT;
    version = version * 10 + (c - 0x30);
  }
  if (version > FORMAT_VERSION) return ST_NEWER_FORMAT;
  if (version < 1) return notStore(0);
  foundVersion = version;
  const found = markerKind(i + 1, n);
  if (handle.kind != KIND_ANY && found != KIND_ANY && found != handle.kind) return notStore(found);
  if (found != KIND_ANY) storeKind = found;
  return ST_OK;
}

/** The kind the marker names (KIND_ANY when it names none). */
export let storeKind: i32 = KIND_ANY;

function markerKind(at: i32, n: i32): i32 {
  if (lineIs(at, n, 'kind dict')) return KIND_DICT;
  if (lineIs(at, n, 'kind queue')) return KIND_QUEUE;
  return KIND_ANY;
}

function lineIs(at: i32, n: i32, text: string): bool {
  if (at + text.length > n) return false;
  for (let i = 0; i < text.length; i++) if (load<u8>(io + at + i) != <u8>text.charCodeAt(i)) return false;
  return at + text.length == n || load<u8>(io + at + text.length) == 0x0a;
}

/** Makes an empty directory (or one holding only a half-made .iodict) into a store. */
function createStore(): i32 {
  const n = listDir(controlBuf, 0);
  if (n < 0) return ST_IO;
  // Anything but our own control folder means this directory belongs to something else.
  if (n > 0 && !(n == 8 && load<u64>(io) == 0x00746369646f692e)) return notStore(0); // ".iodict\0"
  const made = makeFolders();
  if (made != ST_OK) return made;
  const journal = createJournal();
  if (journal != ST_OK) return journal;
  storeKind = handle.kind;
  return writeMarker();
}

const FOLDERS: string[] = ['', 'tmp', 'claimed', 'quarantine', 'handles'];

/** The path of FOLDERS[i] in buf: .iodict itself, then its folders. */
function folderPath(buf: usize, i: i32): i32 {
  return i == 0 ? putAscii(buf, 0, '.iodict') : controlPath(buf, FOLDERS[i]);
}

/**
 * .iodict and its folders are directories or absent, never symbolic links: a link would lead
 * temp writes, claims, destroy and clear outside the store. StoreError ELOOP otherwise.
 */
function checkFolders(): i32 {
  for (let i = 0; i < FOLDERS.length; i++) {
    const checked = checkFolder(controlBuf, folderPath(controlBuf, i));
    if (checked != ST_OK) return checked;
  }
  return ST_OK;
}

/** A folder of the store at buf: ST_OK when it is a directory or absent; a link or file is ELOOP. */
export function checkFolder(buf: usize, len: i32): i32 {
  const r = host.stat(buf, len, statBuf);
  if (r == -host.ENOENT) return ST_OK;
  if (r < 0) return fail(OP_STAT, r, buf, len);
  if (load<f64>(statBuf + host.STAT_TYPE) != host.TYPE_DIR) return fail(OP_STAT, -host.ELOOP, buf, len);
  return ST_OK;
}

function makeFolders(): i32 {
  for (let i = 0; i < FOLDERS.length; i++) {
    const len = folderPath(controlBuf, i);
    const r = host.mkdir(controlBuf, len);
    if (r < 0 && r != -host.EEXIST) return fail(OP_MKDIR, r, controlBuf, len);
  }
  return ST_OK;
}

/** The marker goes last: a directory is a store only once it is complete. */
function writeMarker(): i32 {
  let len = putAscii(markerBuf, 0, FORMAT_PREFIX);
  len = putAscii(markerBuf, len, FORMAT_VERSION.toString() + '\n');
  if (storeKind == KIND_DICT) len = putAscii(markerBuf, len, 'kind dict\n');
  if (storeKind == KIND_QUEUE) len = putAscii(markerBuf, len, 'kind queue\n');
  return writeControlFile('format', markerBuf, len);
}

/**
 * A version 1 store becomes version 2: records and journal are the same; version 2 adds the
 * handles/ folder and owner tags with an identity. The new marker makes version 1 code refuse
 * the store from then on. A read-only store stays as it is and is read as it is.
 */
function upgrade(): i32 {
  if (makeFolders() != ST_OK) return ST_OK;
  writeMarker();
  return ST_OK;
}
