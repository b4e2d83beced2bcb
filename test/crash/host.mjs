// A StoreHost wrapper that numbers the calls made while it is armed and lets a hook act before
// each one: kill the process (crash harness) or fail the call with an errno (fault matrix).

/** Every method of the StoreHost contract (host/core/host.ts) the core can call. */
export const HOST_METHODS = ['open', 'close', 'read', 'write', 'fsync', 'fstat', 'stat', 'rename', 'unlink', 'mkdir', 'rmdir',
  'readdir', 'getxattr', 'setxattr', 'lock', 'now', 'random', 'pid', 'alive', 'sleep'];

/** The methods that reach the file system and can report -errno (now, random, pid, alive, sleep cannot fail). */
export const FILE_METHODS = HOST_METHODS.slice(0, HOST_METHODS.indexOf('now'));

/**
 * Wraps `base` (pattern of test/support/faulty-host.mjs). While armed, the calls to `methods` are
 * numbered from 1 and `before(position, method)` runs first; if it returns an errno, the call
 * fails with -errno without happening (close still closes, as close(2) does on Linux).
 */
export function instrumentedHost(base) {
  const host = Object.create(base);
  host.name = `${base.name} (instrumented)`;
  let armed = null;
  for (const method of HOST_METHODS) {
    host[method] = (...args) => {
      if (armed?.methods.has(method)) {
        armed.trace.push(method);
        const errno = armed.before(armed.trace.length, method);
        if (errno) {
          if (method === 'close') base.close(...args);
          return -errno;
        }
      }
      return base[method](...args);
    };
  }
  /** Starts numbering the calls to `methods`. */
  host.arm = (methods, before = () => undefined) => {
    armed = { methods: new Set(methods), before, trace: [] };
  };
  /** Stops numbering; returns the methods called while armed, in order. */
  host.disarm = () => {
    const trace = armed?.trace ?? [];
    armed = null;
    return trace;
  };
  return host;
}
