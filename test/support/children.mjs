// Real child processes for multi-process tests: each runs a worker script with JSON
// arguments and reports one JSON result on stdout.
import { spawn } from 'node:child_process';

export function runChild(script, args, { runtime = process.execPath, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(runtime, [script, JSON.stringify(args)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`child ${script} exited ${code ?? signal}: ${err}`));
      try {
        resolve(JSON.parse(out));
      } catch (e) {
        reject(new Error(`child ${script} printed no JSON: ${out} ${err}`));
      }
    });
  });
}
