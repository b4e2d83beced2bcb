// verify, repair and compact: checking and maintaining a store's files.
import fs from 'node:fs';
import { type Command, type Context, WASI_OPTIONS } from '../context.js';
import { sizeText, verifyJson, verifyLines } from '../format.js';
import { HostStore, type VerifyOptions, type VerifyReport, recordNames, requireStore } from '../store.js';

export const verify: Command = {
  spec: {
    name: 'verify',
    brief: 'check every record; exit code 1 if any is bad',
    args: ['PATH'],
    summary:
      'Checks every record file: layout, lengths, checksum, key, that the file name is the key\'s digest, and that a CBOR value is well-formed. ' +
      'Reads only; moves nothing. Exit code 1, listing each bad file, when any is bad.',
    options: { ...WASI_OPTIONS },
  },
  async run(ctx) {
    const path = ctx.args[0]!;
    let report: VerifyReport;
    if (ctx.flag('wasi')) {
      const store = await ctx.readStore(path);
      try {
        report = store.verify();
      } finally {
        store.close();
      }
    } else {
      requireStore(path);
      report = verifyHost(ctx, new HostStore(path), 'verify');
    }
    await printVerify(ctx, path, report);
    return report.bad.length ? 1 : 0;
  },
};

function verifyHost(ctx: Context, store: HostStore, label: string, quarantine?: VerifyOptions['quarantine']): VerifyReport {
  const bar = ctx.progress(label, recordNames(store.path).length);
  try {
    return store.verify({ onRecord: () => bar.tick(), quarantine });
  } finally {
    bar.done();
  }
}

async function printVerify(ctx: Context, path: string, report: VerifyReport): Promise<void> {
  if (ctx.json) await ctx.printJson(verifyJson(path, report));
  else for (const line of verifyLines(path, report)) await ctx.out.line(line);
}

/** Files in one of the store's control folders (tmp, claimed, quarantine). */
function countControl(path: string, folder: string): number {
  try {
    return fs.readdirSync(`${path}/.iodict/${folder}`).length;
  } catch {
    return 0;
  }
}

function fileSize(file: string): number | undefined {
  return fs.statSync(file, { throwIfNoEntry: false })?.size;
}

export const repair: Command = {
  spec: {
    name: 'repair',
    brief: 'quarantine bad records, rebuild the index, recover claims',
    args: ['PATH'],
    summary:
      'Moves every bad record into .iodict/quarantine (never deletes one), removes the index cache and rebuilds it from the records, ' +
      'removes temp files of writers that are gone, returns claims of dead processes to the store, starts a fresh journal, then verifies. ' +
      'Other handles may stay open; best run while nothing writes (a record rewritten at the instant it is quarantined would be moved aside, not lost). ' +
      'Exit code 1 when the store still does not verify.',
    options: {},
  },
  async run(ctx) {
    const path = ctx.args[0]!;
    requireStore(path);
    const quarantined: { file: string; problem: string; movedTo: string }[] = [];
    verifyHost(ctx, new HostStore(path), 'repair', (bad) => {
      quarantined.push({ file: `${path}/${bad.name}`, problem: bad.problem, movedTo: bad.movedTo });
    });
    // The cache is only a snapshot of the index: without it the next open lists the directory
    // and reads every record, which rebuilds the index from the records themselves.
    const cache = `${path}/.iodict/index`;
    const cacheRemoved = fs.existsSync(cache);
    fs.rmSync(cache, { force: true });
    const tempsBefore = countControl(path, 'tmp');
    const store = ctx.hostStore(path);
    let claimsRecovered: number;
    let compacted: boolean;
    let items: number;
    try {
      claimsRecovered = store.recoverClaims(); // opening removed dead writers' temp files
      items = store.size();
      compacted = store.compact();
    } finally {
      store.close();
    }
    const tempFilesRemoved = tempsBefore - countControl(path, 'tmp');
    const after = verifyHost(ctx, new HostStore(path), 'verify');
    const ok = after.bad.length === 0;
    if (ctx.json) {
      await ctx.printJson({ path, ok, items, quarantined, cacheRemoved, tempFilesRemoved, claimsRecovered, compacted, verify: verifyJson(path, after) });
    } else {
      for (const q of quarantined) await ctx.out.line(`quarantined ${q.file} (${q.problem}) -> ${q.movedTo}`);
      await ctx.out.line(cacheRemoved ? 'removed the index cache; the index was rebuilt from the records' : 'the index was rebuilt from the records');
      await ctx.out.line(`removed ${tempFilesRemoved} stale temp file(s)`);
      await ctx.out.line(`returned ${claimsRecovered} claim(s) of dead processes to the store`);
      await ctx.out.line(compacted ? 'wrote a fresh index cache and journal' : 'another handle holds the store lock: the index cache is written by the next rotation');
      for (const line of verifyLines(path, after)) await ctx.out.line(line);
    }
    return ok ? 0 : 1;
  },
};

export const compact: Command = {
  spec: {
    name: 'compact',
    brief: 'fresh journal and index cache',
    args: ['PATH'],
    summary:
      'Starts a fresh journal (its BEGIN and PREDECESSOR_SEALED entries) and rewrites the index cache from the current index, under the store lock; ' +
      'removes temp files of writers that are gone. Safe while other handles read and write: they follow the journal rotation ' +
      '(FORMAT.md section 8). If another handle holds the lock (it is rotating right now), nothing is done.',
    options: {},
  },
  async run(ctx) {
    const path = ctx.args[0]!;
    requireStore(path);
    const journal = `${path}/.iodict/changes`;
    const journalBefore = fileSize(journal) ?? 0;
    const tempsBefore = countControl(path, 'tmp');
    const store = ctx.hostStore(path);
    let compacted: boolean;
    let items: number;
    try {
      items = store.size();
      compacted = store.compact();
    } finally {
      store.close();
    }
    const result = {
      path,
      compacted,
      items,
      journalBytes: { before: journalBefore, after: fileSize(journal) ?? 0 },
      cacheBytes: fileSize(`${path}/.iodict/index`) ?? 0,
      tempFilesRemoved: tempsBefore - countControl(path, 'tmp'),
    };
    if (ctx.json) {
      await ctx.printJson(result);
    } else if (!compacted) {
      await ctx.out.line('another handle holds the store lock (it is rotating the journal now): nothing to do');
    } else {
      await ctx.out.line(`journal ${sizeText(result.journalBytes.before)} -> ${sizeText(result.journalBytes.after)}`);
      await ctx.out.line(`index cache ${sizeText(result.cacheBytes)} (${items} item(s))`);
      await ctx.out.line(`removed ${result.tempFilesRemoved} stale temp file(s)`);
    }
    return 0;
  },
};
