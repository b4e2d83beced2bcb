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

/** The store's format marker text (FORMAT.md 2): its version line, then an optional kind line. */
export const formatMarker = (path) => fs.readFileSync(`${path}/.iodict/format`, 'latin1');

/** The kind a store's marker records: 'dict', 'queue', or 'any' (no kind line); undefined for a malformed marker. */
export function markerKind(path) {
  const match = /^iodict-store \d+\n(?:kind (dict|queue)\n)?$/.exec(formatMarker(path));
  return match ? (match[1] ?? 'any') : undefined;
}
