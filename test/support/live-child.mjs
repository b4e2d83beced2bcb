// A child process that keeps running after it has told us something: its first line of JSON
// output resolves `first`; kill() ends it (and waits). `namespace: true` runs it in its own pid
// namespace (as root: unshare --pid --fork), as a container sharing the volume would be.
import { spawn, spawnSync } from 'node:child_process';

/** Whether this machine lets us make a pid namespace (root, util-linux unshare); the reason when not. */
export function pidNamespaceRefusal() {
  const probe = spawnSync('unshare', ['--pid', '--fork', '--kill-child', 'true'], { encoding: 'utf8' });
  if (probe.error) return `unshare is not available: ${probe.error.message}`;
  return probe.status === 0 ? undefined : `unshare --pid refused: ${probe.stderr.trim()}`;
}

export function liveChild(script, args, { namespace = false } = {}) {
  const command = namespace ? 'unshare' : process.execPath;
  const argv = [script, JSON.stringify(args)];
  const child = spawn(command, namespace ? ['--pid', '--fork', '--kill-child', process.execPath, ...argv] : argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const first = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.indexOf('\n');
      if (line >= 0) resolve(JSON.parse(out.slice(0, line)));
    });
    child.stderr.on('data', (d) => (err += d));
    exited.then(({ code, signal }) => reject(new Error(`child exited ${code ?? signal} before reporting: ${err}`)));
  });
  first.catch(() => {}); // a child that is meant to die never reports: only a caller awaiting `first` cares
  return {
    first,
    exited,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
