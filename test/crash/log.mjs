// The operation log of a crash trial: one JSON line per event, appended with synchronous writes
// to an O_APPEND descriptor, so a line logged before a SIGKILL is on disk and the file's order is
// the real-time order of the events across processes.
import fs from 'node:fs';

/** A child's log: `begin` before each call, `end` (result or thrown error) after it returns. */
export function opLog(path, child) {
  const fd = fs.openSync(path, 'a');
  let n = 0;
  const write = (line) => fs.writeSync(fd, `${JSON.stringify(line)}\n`);
  return {
    begin: (op, args) => write({ t: 'begin', c: child, n: ++n, op, args }),
    end: (result) => write({ t: 'end', c: child, n, result }),
    fail: (error) => write({ t: 'end', c: child, n, thrown: `${error?.name}: ${error?.message}` }),
  };
}

/** The parent's events: { t: 'spawn', c, round } before a child starts, { t: 'death', c } once it has exited. */
export function logEvent(path, line) {
  fs.appendFileSync(path, `${JSON.stringify(line)}\n`);
}

/** The events in order; a line torn by a kill (the last one of its writer) is skipped. */
export function readLog(path) {
  const events = [];
  for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
    try {
      events.push(JSON.parse(line));
    } catch {}
  }
  return events;
}
