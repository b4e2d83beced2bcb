// A debug aid: a StoreHost wrapper that logs every file system call with a wall-clock stamp
// (µs, comparable across processes), what it touched and what it returned; journal reads and
// writes with their entries decoded (kind, writer, then the record's name, a seal's successor or
// a BEGIN's own journal id, a SET's birth, the key). The cross-process model's peers use it when
// IODICT_MODEL_TRACE names a directory (README, "Tests"): a process that misses another's change
// shows where, beside the other's log. Lines are kept in memory and written out by flushTrace()
// (the peers: after each command), so logging barely moves timing.
import fs from 'node:fs';
import { FILE_METHODS } from '../crash/host.mjs';
import { entries } from '../crash/journal-trace.mjs';

const files = new Map(); // log file -> lines not yet written

const stamp = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
/** The last two parts of a path, record names cut to their first 8 hex digits. */
const short = (path) => String(path).split('/').slice(-2).join('/').replace(/\b([0-9a-f]{8})[0-9a-f]{48}\b/g, '$1');
const decoded = (buf, bytes) => entries(Buffer.from(buf.buffer, buf.byteOffset, bytes - (bytes % 64)), 0)
  .map((e) => [e.kind, e.writer, e.name ?? e.successor ?? e.id, e.birth, e.key].filter((part) => part !== undefined).join(':'))
  .join(' ');

/** `base`, logging to `file`: each line "<µs> <method> <what> -> <result>[ <entries>]". */
export function tracingHost(base, file) {
  const host = Object.create(base);
  const open = new Map(); // descriptor -> short path
  // A handle opened again logs on where the last one left off, in the same lines.
  const lines = files.get(file) ?? [];
  files.set(file, lines);
  for (const method of FILE_METHODS) {
    if (typeof base[method] !== 'function') continue;
    host[method] = (...args) => {
      const result = base[method](...args);
      const fd = typeof args[0] === 'number' ? args[0] : undefined;
      const what = fd !== undefined ? open.get(fd) ?? `fd ${fd}` : args.filter((a) => typeof a === 'string').map(short).join(' ');
      if (method === 'open' && result >= 0) open.set(result, short(args[0]));
      if (method === 'close') open.delete(fd);
      let line = `${stamp()} ${method} ${what}`;
      if (method === 'read' || method === 'write') line += ` @${args[2]}`;
      line += ` -> ${Array.isArray(result) ? result.filter((n) => /^[0-9a-f]{56}$/.test(n)).map((n) => n.slice(0, 8)).sort().join(',') : result}`;
      if ((method === 'read' || method === 'write') && result > 0 && what.endsWith('.iodict/changes')) line += ` ${decoded(args[1], result)}`;
      if (method === 'fstat' && result === 0) line += ` size ${args[1][0]} nlink ${args[1][2]}`;
      lines.push(line);
      return result;
    };
  }
  return host;
}

/** Writes out what every tracing host of this process logged since the last flush. */
export function flushTrace() {
  for (const [file, lines] of files) {
    if (lines.length === 0) continue;
    fs.appendFileSync(file, `${lines.join('\n')}\n`);
    lines.length = 0;
  }
}
