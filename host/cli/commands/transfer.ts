// export and import: NDJSON (the dump format), the single-file archive (archive.ts), and
// stores written by Python iodict (python.ts).
import { DataError, UsageError } from '../errors.js';
import { ARCHIVE_MAGIC, ArchiveError, archiveEnd, archiveEntry, archiveHeader, readArchive } from '../archive.js';
import { type Command, type Context, isCorrupt } from '../context.js';
import { ByteReader, openInput } from '../input.js';
import { rawKey } from '../json.js';
import { type ImportItem, parseLine } from '../ndjson.js';
import { type Sink, fileSink, stdoutSink } from '../output.js';
import { type PythonItem, pythonValue, scanPythonStore } from '../python.js';
import { type HostStore, listKeys, recordChecker } from '../store.js';
import { xattrReader } from '../xattr.js';
import { FORCE_KIND_OPTION, KIND_OPTION, MODE_OPTION, WriteTarget } from '../target.js';
import { writeDump } from './read.js';

export const exportCommand: Command = {
  spec: {
    name: 'export',
    brief: 'write all items to NDJSON or a single-file archive',
    args: ['PATH', '[FILE]'],
    summary:
      'Writes every item, oldest first, to FILE (default: stdout): NDJSON as dump prints it, or with --format archive each record file\'s bytes ' +
      'in one file. A FILE appears complete or not at all (written aside, then renamed).',
    options: { format: { value: 'FORMAT', choices: ['ndjson', 'archive'], help: 'ndjson (default) or archive' } },
  },
  async run(ctx) {
    const [path, file] = ctx.args as [string, string | undefined];
    const format = ctx.option('format') ?? 'ndjson';
    const toStdout = file === undefined || file === '-';
    if (toStdout && format === 'archive' && ctx.io.stdout.isTTY) throw new UsageError('refusing to write a binary archive to a terminal: give FILE or redirect stdout');
    const store = ctx.hostStore(path);
    let sink: Sink | undefined;
    let items: number;
    try {
      sink = toStdout ? stdoutSink(ctx.io.stdout) : fileSink(file);
      items = format === 'archive'
        ? await writeArchive(ctx, store, sink)
        : await writeDump(ctx, store, sink, { diag: false, label: 'export', writesStdout: toStdout });
      await sink.close();
    } catch (e) {
      sink?.abort();
      throw e;
    } finally {
      store.close();
    }
    if (ctx.json) {
      const summary = JSON.stringify({ path, file: toStdout ? null : file, format, items });
      // stdout holds the data when no FILE is given.
      if (toStdout) ctx.io.stderr.write(summary + '\n');
      else await ctx.out.line(summary);
    }
    return 0;
  },
};

async function writeArchive(ctx: Context, store: HostStore, sink: Sink): Promise<number> {
  const keys = listKeys(store);
  const bar = ctx.progress('export', keys.length);
  let count = 0;
  try {
    await sink.write(archiveHeader());
    for (const key of keys) {
      bar.tick();
      let record: Uint8Array | undefined;
      try {
        record = store.record(key.type, key.bytes);
      } catch (e) {
        if (!isCorrupt(e)) throw e;
        ctx.problem(e.message);
      }
      if (!record) continue; // deleted meanwhile, or quarantined just now
      await sink.write(archiveEntry(record));
      count++;
    }
    await sink.write(archiveEnd(count));
  } finally {
    bar.done();
  }
  return count;
}

export const importCommand: Command = {
  spec: {
    name: 'import',
    brief: 'read NDJSON, an archive, or a Python iodict store',
    args: ['PATH', '[FILE]'],
    summary:
      'Sets every item of FILE (default: stdin), in order, into the store at PATH (created if missing): NDJSON as export writes it, or an archive ' +
      '(detected by its header). Into an empty store, keys, values and order come out as they went in; existing keys keep their place. ' +
      'Stops at the first malformed line or record (exit code 1; items before it stay imported). ' +
      "A new store records its kind (--kind, else that of the first key: queue for a queue item key, else dict); a plain key is refused in a queue's store, " +
      "and a queue item key in a dictionary's, unless --force-kind. " +
      'With --from-python DIR, imports a Python iodict store instead: nothing is written if any item cannot be imported, unless --skip-unsupported.',
    options: {
      format: { value: 'FORMAT', choices: ['ndjson', 'archive'], help: 'the input format (default: detected)' },
      'from-python': { value: 'DIR', help: 'import the Python iodict 0.0.8 store in DIR (keys from user.key, order from user.birthtime, pickled values)' },
      'skip-unsupported': { help: 'with --from-python: import what can be, report the rest (exit code 0)' },
      kind: KIND_OPTION,
      'force-kind': FORCE_KIND_OPTION,
      mode: MODE_OPTION,
    },
  },
  async run(ctx) {
    const [path, file] = ctx.args as [string, string | undefined];
    const python = ctx.option('from-python');
    if (python !== undefined) {
      if (file !== undefined) throw new UsageError('import takes FILE or --from-python DIR, not both');
      return importPython(ctx, path, python);
    }
    if (ctx.flag('skip-unsupported')) throw new UsageError('--skip-unsupported goes with --from-python');
    if ((file === undefined || file === '-') && ctx.io.stdin.isTTY) throw new UsageError('import reads FILE, or stdin, which is a terminal here');
    const input = openInput(file, ctx.io.stdin);
    const target = new WriteTarget(ctx, path, { create: true });
    const bar = ctx.progress('import', input.size);
    const reader = new ByteReader(input.chunks, (n) => bar.tick(n));
    let items = 0;
    let format = ctx.option('format');
    /** Sets one item; `where` names it in errors ("line 3", "record 3 of the archive"). */
    const setItem = (item: ImportItem, where: string) => {
      const misfit = target.misfit(item);
      if (misfit) throw new DataError(`${where}: ${misfit}`);
      target.store().set(item.type, item.bytes, item.codec, item.value, item.expiry);
      items++;
    };
    try {
      format ??= (await reader.startsWith(ARCHIVE_MAGIC)) ? 'archive' : 'ndjson';
      if (format === 'archive') {
        let count = 0;
        for await (const r of readArchive(reader, recordChecker())) {
          const where = `record ${++count} of the archive`;
          setItem({ type: r.keyType, bytes: r.key, codec: r.codec, value: r.value, expiry: r.expiry }, where);
        }
      } else {
        for await (const { number, text } of reader.lines()) {
          if (text.trim()) setItem(parseLine(text, number), `line ${number}`);
        }
      }
      target.store(); // an empty input still makes a store
    } catch (e) {
      if (e instanceof ArchiveError || e instanceof DataError) throw new DataError(`${e.message} (${items} item(s) were imported before it)`);
      throw e;
    } finally {
      bar.done();
      target.close();
    }
    if (ctx.json) await ctx.printJson({ path, format, imported: items });
    else await ctx.out.line(`imported ${items} item(s) into ${path}`);
    return 0;
  },
};

/** Encoded values kept between the check and the write, up to this many bytes (then read again). */
const KEEP_BYTES = 64 * 1024 * 1024;

async function importPython(ctx: Context, path: string, dir: string): Promise<number> {
  const scanBar = ctx.progress('scan', undefined);
  let items: PythonItem[];
  try {
    items = scanPythonStore(dir, xattrReader(), () => scanBar.tick());
  } finally {
    scanBar.done();
  }
  // Check every value first, so that by default either everything is imported or nothing is.
  const kept = new Map<PythonItem, Uint8Array>();
  let keptBytes = 0;
  const checkBar = ctx.progress('check', items.length);
  try {
    for (const item of items) {
      checkBar.tick();
      if (item.problem) continue;
      const value = pythonValue(dir, item);
      if ('problem' in value) item.problem = value.problem;
      else if ((keptBytes += value.bytes.length) <= KEEP_BYTES) kept.set(item, value.bytes);
    }
  } finally {
    checkBar.done();
  }
  const skipped = items.filter((i) => i.problem);
  const byCtime = items.filter((i) => !i.problem && i.orderedBy === 'ctime').length;
  const notes = items.filter((i) => i.note);
  const label = (i: PythonItem) => (i.key === undefined ? `file ${i.file}` : `${JSON.stringify(i.key)} (file ${i.file})`);
  for (const i of skipped) ctx.warn(`iodict: cannot import ${label(i)}: ${i.problem}`, { key: i.key ?? null, file: i.file, problem: i.problem });
  for (const i of notes) ctx.warn(`iodict: note: ${label(i)}: ${i.note}`, { key: i.key ?? null, file: i.file });
  if (byCtime) ctx.warn(`iodict: note: ${byCtime} item(s) have no user.birthtime: ordered by their change time, which Python iodict does too`);
  const write = skipped.length === 0 || ctx.flag('skip-unsupported');
  let imported = 0;
  if (write) {
    const target = new WriteTarget(ctx, path, { create: true });
    const bar = ctx.progress('import', items.length - skipped.length);
    try {
      for (const item of items) {
        if (item.problem) continue;
        bar.tick();
        let bytes = kept.get(item);
        if (!bytes) {
          const value = pythonValue(dir, item);
          if ('problem' in value) throw new DataError(`${label(item)} changed while importing: ${value.problem}`);
          bytes = value.bytes;
        }
        const key = rawKey(item.key);
        target.require(key).set(key.type, key.bytes, 0, bytes);
        imported++;
      }
      target.store(); // with every item skipped, still an (empty) store
    } finally {
      bar.done();
      target.close();
    }
  }
  const report = {
    path,
    from: dir,
    imported,
    written: write,
    skipped: skipped.map((i) => ({ key: i.key ?? null, file: i.file, problem: i.problem })),
    orderedByCtime: byCtime,
  };
  if (ctx.json) await ctx.printJson(report);
  else if (write) await ctx.out.line(`imported ${imported} item(s) from ${dir} into ${path}${skipped.length ? `; skipped ${skipped.length} (listed above)` : ''}`);
  else await ctx.out.line(`nothing imported: ${skipped.length} item(s) cannot be (listed above); --skip-unsupported imports the other ${items.length - skipped.length}`);
  return write ? 0 : 1;
}
