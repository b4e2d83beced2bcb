// A host that fails chosen calls with a chosen errno: disk full, read-only file systems and
// permission errors on demand, deterministically, on top of a real host.
export function faultyHost(base, faults) {
  const host = Object.create(base);
  host.name = `${base.name} (faulty)`;
  for (const [method, decide] of Object.entries(faults)) {
    host[method] = (...args) => {
      const errno = decide(...args);
      return errno ? -errno : base[method](...args);
    };
  }
  return host;
}
