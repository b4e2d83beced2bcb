// What the CLI's tests share: where the built CLI is, and a store's contents and format marker
// read back independently of it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IODict } from '../../dist/index.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/**
 * The environment a CLI child runs in: no colours, and no coverage files. c8 measures
 * dist/index.js, which the CLI's own bundle never loads, so a CLI child's coverage cannot count,
 * yet writing it slows every child. Emptied, not left out: Node copies the parent's
 * NODE_V8_COVERAGE into a child's environment that lacks it.
 */
export const cliEnv = (extra = {}) => ({ ...process.env, NO_COLOR: '1', NODE_V8_COVERAGE: '', ...extra });

/** Runs the CLI as a child process: its exit code, stdout as text and as bytes, stderr as text. */
export function runCli(args, { input, runtime = process.execPath, timeout } = {}) {
  const r = spawnSync(runtime, [CLI, ...args], { input, env: cliEnv(), maxBuffer: 64 << 20, timeout });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout.toString(), bytes: r.stdout, stderr: r.stderr.toString() };
}

/** [key, value] pairs of a dictionary's store, in order, read through the library. */
export function entries(path) {
  const d = new IODict(path);
  try {
    return [...d.entries()];
  } finally {
    d.close();
  }
}

/** The store's format marker text (FORMAT.md 2): its version line, then an optional kind line. */
export const formatMarker = (path) => fs.readFileSync(`${path}/.iodict/format`, 'latin1');

/** The kind a store's marker records: 'dict', 'queue', or 'any' (no kind line); undefined for a malformed marker. */
export function markerKind(path) {
  const match = /^iodict-store \d+\n(?:kind (dict|queue)\n)?$/.exec(formatMarker(path));
  return match ? (match[1] ?? 'any') : undefined;
}
