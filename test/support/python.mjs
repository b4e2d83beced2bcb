// Python 3, for the tests that make pickles and Python iodict stores with the real interpreter.
import { execFileSync } from 'node:child_process';

let interpreter;

/**
 * Runs python3 with `args`; its stdout as text. The interpreter's own path is asked once: `python3`
 * on PATH may be a version manager's shim, and pyenv's costs 0.3 s a call on these machines.
 */
export function runPython(args) {
  interpreter ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  return execFileSync(interpreter, args, { encoding: 'utf8' });
}
