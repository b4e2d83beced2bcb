// A StoreHost wrapper that numbers the calls made while it is armed and lets a hook act before
// each one: kill the process (crash harness) or fail the call with an errno (fault matrix).
import fs from 'node:fs';

/** Every method of the StoreHost contract (host/core/host.ts) the core can call. */
export const HOST_METHODS = ['open', 'close', 'read', 'write', 'fsync', 'syncfs', 'fstat', 'stat', 'rename', 'exchange', 'renameIfAbsent', 'link', 'unlink', 'mkdir', 'rmdir',
  'readdir', 'getxattr', 'setxattr', 'lock', 'now', 'random', 'pid', 'alive', 'sleep', 'crc32c'];

/** The methods that reach the file system and can report -errno (now, random, pid, alive, sleep and crc32c cannot fail). */
export const FILE_METHODS = HOST_METHODS.slice(0, HOST_METHODS.indexOf('now'));

const PATH_METHODS = new Set(['open', 'stat', 'rename', 'exchange', 'renameIfAbsent', 'link', 'unlink', 'mkdir', 'rmdir', 'readdir']);
const FD_METHODS = new Set(['close', 'read', 'write', 'fsync', 'syncfs', 'fstat', 'getxattr', 'setxattr', 'lock']);

/** A path inside a store in a few characters: `.iodict/changes`, `claimed/<record>`, `<record>`, `store directory`. */
function shortPath(path) {
  const parts = String(path).split('/');
  if (['dict', 'queue'].includes(parts.at(-1))) return 'store directory';
  return parts
    .slice(-2)
    .filter((part) => !['dict', 'queue'].includes(part))
    .join('/')
    .replace(/\b[0-9a-f]{56}(\.[0-9a-f]{16})?\b/g, '<record>')
    .replace(/\b[0-9a-f]{16}-[0-9a-f]{8}\b/g, '<temp>');
}

/**
 * Wraps `base` (pattern of test/support/faulty-host.mjs). While armed, the calls to `methods` are
 * numbered from 1 and `before(position, method)` runs first; if it returns an errno, the call
 * fails with -errno without happening (close still closes, as close(2) does on Linux). The trace
 * names each call and the file it touches, e.g. "write .iodict/changes". With `journalTrace` (a
 * file path), every journal append and every new journal renamed in is logged there as it
 * happens (test/crash/journal-trace.mjs reads it).
 */
export function instrumentedHost(base, { journalTrace } = {}) {
  const host = Object.create(base);
  host.name = `${base.name} (instrumented)`;
  const openFiles = new Map(); // descriptor -> path, to name the file of descriptor calls
  let armed = null;
  for (const method of HOST_METHODS) {
    if (typeof base[method] !== 'function') continue; // an optional method the base lacks (syncfs, exchange, renameIfAbsent, link, crc32c)
    host[method] = (...args) => {
      if (armed?.methods.has(method)) {
        const file = PATH_METHODS.has(method) ? args[0] : FD_METHODS.has(method) ? openFiles.get(args[0]) : undefined;
        armed.trace.push(file === undefined ? method : `${method} ${shortPath(file)}`);
        const errno = armed.before(armed.trace.length, method);
        if (errno) {
          if (method === 'close') base.close(...args);
          return -errno;
        }
      }
      const journal = journalTrace && traceJournal(journalTrace, method, args, openFiles);
      const result = base[method](...args);
      if (method === 'open' && result >= 0) openFiles.set(result, args[0]);
      journal?.(result);
      return result;
    };
  }
  /** Starts numbering the calls to `methods`. */
  host.arm = (methods, before = () => undefined) => {
    armed = { methods: new Set(methods), before, trace: [] };
  };
  /** Stops numbering; returns the calls made while armed, in order ("method file"). */
  host.disarm = () => {
    const trace = armed?.trace ?? [];
    armed = null;
    return trace;
  };
  return host;
}

const isJournal = (path) => String(path).endsWith('/.iodict/changes');
const storeOf = (journal) => String(journal).split('/').at(-3);

/** For a journal append or a journal renamed in: what to log once the call returned (a line per event). */
function traceJournal(path, method, args, openFiles) {
  const log = (line) => fs.appendFileSync(path, `${process.pid} ${line}\n`);
  // A rotation renames its journal in; a journal started from nothing moves in only where none is.
  if ((method === 'rename' || method === 'renameIfAbsent' || method === 'link') && isJournal(args[1])) {
    const inode = fs.statSync(args[0], { throwIfNoEntry: false })?.ino;
    return (result) => result === 0 && log(`journal ${storeOf(args[1])} ${inode}`);
  }
  if (method === 'write' && isJournal(openFiles.get(args[0]))) {
    return (result) => {
      if (result <= 0) return;
      const { ino, size } = fs.fstatSync(args[0]); // an O_APPEND write ends the file
      const bytes = Buffer.from(args[1].buffer, args[1].byteOffset, result);
      log(`append ${storeOf(openFiles.get(args[0]))} ${ino} ${size - result} ${bytes.toString('hex')}`);
    };
  }
  return undefined;
}
