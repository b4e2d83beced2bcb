// Fresh temporary directories, removed when the test process exits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = [];
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'iodict-test-', parent = os.tmpdir()) {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  made.push(dir);
  return dir;
}

/** A path inside a fresh temporary directory (the store does not exist yet). */
export function storePath(name = 'store') {
  return path.join(tempDir(), name);
}
