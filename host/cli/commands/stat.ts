// stat: what a store holds and what its files take.
import fs from 'node:fs';
import { type Command } from '../context.js';
import { sizeText, table } from '../format.js';
import { readMarker, recordNames } from '../store.js';
import { xattrReader } from '../xattr.js';
import { openRegular, readUpTo } from '../files.js';

/** Allocated bytes of everything under dir (blocks, not apparent sizes). */
function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = `${dir}/${entry.name}`;
    const stat = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!stat) continue; // removed meanwhile
    total += stat.blocks * 512;
    if (entry.isDirectory()) total += diskBytes(file);
  }
  return total;
}

function countFiles(dir: string): number {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}

/** A control file's size and first bytes: never the whole file (a journal or cache can be huge, or sparse). */
function headIfThere(file: string, bytes: number): { size: number; head: Buffer } | undefined {
  try {
    const opened = openRegular(file);
    if (opened.fd === undefined) return undefined;
    try {
      return { size: opened.stat.size, head: readUpTo(opened.fd, bytes) };
    } finally {
      fs.closeSync(opened.fd);
    }
  } catch {
    return undefined;
  }
}

export const stat: Command = {
  spec: {
    name: 'stat',
    brief: 'items, sizes, xattrs, journal, cache, quarantine',
    args: ['PATH'],
    summary:
      'Shows the item count, record files and their bytes, bytes allocated on disk, the format version, how many records carry the ' +
      'user.key/user.birthtime xattrs, journal and index cache sizes (and whether the cache is current), and temp, claimed and quarantined file counts.',
    options: {},
  },
  async run(ctx) {
    const path = ctx.args[0]!;
    const store = ctx.hostStore(path);
    let items: number;
    try {
      items = store.size();
    } finally {
      store.close();
    }
    const marker = readMarker(path);
    const format = marker?.version ?? NaN;
    const kind = marker?.kind ?? 'any';

    const names = recordNames(path);
    const reader = xattrReader();
    let recordBytes = 0;
    let withXattrs = 0;
    const bar = ctx.progress('stat', names.length);
    try {
      for (const name of names) {
        bar.tick();
        const file = `${path}/${name}`;
        const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
        if (size === undefined) continue;
        recordBytes += size;
        try {
          if (reader && reader.get(file, 'user.key') && reader.get(file, 'user.birthtime')) withXattrs++;
        } catch (e) {
          if ((e as { code?: string }).code !== 'ENOENT') throw e;
        }
      }
    } finally {
      bar.done();
    }

    const journal = headIfThere(`${path}/.iodict/changes`, 64);
    const cache = headIfThere(`${path}/.iodict/index`, 32);
    // The cache names the journal it was taken against (FORMAT.md 8 and 9): it is used only if that is the current one.
    const current = !!(journal && cache && journal.head.length >= 64 && cache.head.length >= 32 && journal.head.subarray(16, 24).equals(cache.head.subarray(8, 16)));
    const result = {
      path,
      format,
      kind,
      items,
      records: { files: names.length, bytes: recordBytes },
      diskBytes: diskBytes(path),
      xattrs: reader ? { records: withXattrs, without: names.length - withXattrs } : null,
      journal: { bytes: journal?.size ?? 0, entries: Math.floor((journal?.size ?? 0) / 64) },
      cache: cache ? { bytes: cache.size, entries: cache.head.length >= 32 ? cache.head.readUInt32LE(24) : 0, current } : null,
      tempFiles: countFiles(`${path}/.iodict/tmp`),
      claimed: countFiles(`${path}/.iodict/claimed`),
      quarantined: countFiles(`${path}/.iodict/quarantine`),
    };
    if (ctx.json) {
      await ctx.printJson(result);
      return 0;
    }
    const rows: [string, string][] = [
      ['path', path],
      ['format', String(format)],
      ['kind', kind],
      ['items', String(items)],
      ['records', `${names.length} file(s), ${sizeText(recordBytes)}`],
      ['on disk', `${sizeText(result.diskBytes)} allocated (whole store)`],
      ['xattrs', result.xattrs ? `${withXattrs} of ${names.length} record(s) carry user.key and user.birthtime` : 'unknown (no native helper to read them)'],
      ['journal', `${sizeText(result.journal.bytes)} (${result.journal.entries} entries)`],
      ['index cache', result.cache ? `${sizeText(result.cache.bytes)} (${result.cache.entries} entries, ${current ? 'current' : 'stale: the next open rescans'})` : 'none'],
      ['temp files', String(result.tempFiles)],
      ['claimed', String(result.claimed)],
      ['quarantined', String(result.quarantined)],
    ];
    for (const line of table(rows)) await ctx.out.line(line);
    return 0;
  },
};
