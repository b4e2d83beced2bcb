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

/**
 * A child process that reports JSON lines and takes lines on stdin: `next()` resolves its next
 * report (rejects if it exits first), `send(line)` writes one. It ends when its stdin closes.
 */
export function talkingChild(script, args, { runtime = process.execPath, env = {} } = {}) {
  const child = spawn(runtime, [script, JSON.stringify(args)], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reports = [];
  const waiting = [];
  let out = '';
  let err = '';
  let exit;
  const settle = () => {
    while (waiting.length && reports.length) waiting.shift().resolve(reports.shift());
    while (waiting.length && exit) waiting.shift().reject(new Error(`child ${script} exited ${exit} before reporting: ${err}`));
  };
  child.stdout.on('data', (d) => {
    out += d;
    for (let line = out.indexOf('\n'); line >= 0; line = out.indexOf('\n')) {
      reports.push(JSON.parse(out.slice(0, line)));
      out = out.slice(line + 1);
    }
    settle();
  });
  child.stderr.on('data', (d) => (err += d));
  child.on('close', (code, signal) => {
    exit = `${code ?? signal}`;
    settle();
  });
  return {
    next: () => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      settle();
    }),
    send: (line) => child.stdin.write(`${line}\n`),
    end: () => child.stdin.end(),
  };
}
