// What the CLI's tests share: where the built CLI is, and a store's contents and format marker
// read back independently of it.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IODict } from '../../dist/index.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** [key, value] pairs of a dictionary's store, in order, read through the library. */
export function entries(path) {
  const d = new IODict(path);
  try {
    return [...d.entries()];
  } finally {
    d.close();
  }
}

/** The store's format marker text (FORMAT.md 2): its version line and kind line. */
export const formatMarker = (path) => fs.readFileSync(`${path}/.iodict/format`, 'latin1');
