// ls, get and dump: reading a store. ls and dump run on either build (--wasi).
import { KeyError } from '../../errors.js';
import { type Command, type Context, KEY_TYPE_OPTION, WASI_OPTIONS, isCorrupt } from '../context.js';
import { decodeStored, diagText, dumpLine, keyLine, keyRecord } from '../format.js';
import { type RawKey, keyText, keyToJson, toJson } from '../json.js';
import { type Sink, stdoutSink } from '../output.js';
import { type StoreBackend, listKeys } from '../store.js';

const TYPES_OPTION = { short: 't', help: 'prefix each key with the --key-type that reads it back, and a tab' } as const;

export const ls: Command = {
  spec: {
    name: 'ls',
    brief: 'list keys, oldest first',
    args: ['PATH'],
    summary: 'Lists the keys, oldest first (birth order). Strings print as they are, numbers and bigints in decimal, bytes in hex; keys with control characters print as JSON.',
    options: { types: TYPES_OPTION, ...WASI_OPTIONS },
  },
  async run(ctx) {
    const store = await ctx.readStore(ctx.args[0]!);
    try {
      const keys = listKeys(store);
      if (ctx.json) await ctx.printJson(keys.map(keyRecord));
      else for (const key of keys) await ctx.out.line(keyLine(key, ctx.flag('types')));
    } finally {
      store.close();
    }
    return 0;
  },
};

export const get: Command = {
  spec: {
    name: 'get',
    brief: 'print the value of a key',
    args: ['PATH', 'KEY'],
    summary: 'Prints the value of KEY in the JSON mapping (see dump), or in CBOR diagnostic notation with --diag. Exit code 1 when KEY is missing.',
    options: { 'key-type': KEY_TYPE_OPTION, diag: { help: 'print CBOR diagnostic notation (RFC 8949 section 8)' } },
  },
  async run(ctx) {
    const key = ctx.key(ctx.args[1]!); // a usage error before any look at the store
    const store = ctx.hostStore(ctx.args[0]!);
    try {
      const stored = store.get(key.type, key.bytes);
      if (!stored) throw new KeyError(`iodict: key not found: ${keyText(key).text}`, keyText(key).text);
      if (ctx.flag('diag')) {
        const diag = diagText(store, key, stored) ?? '';
        await (ctx.json ? ctx.printJson({ key: keyToJson(key), diag }) : ctx.out.line(diag));
      } else if (ctx.json) {
        await ctx.out.line(dumpLine(key, stored, (problem) => ctx.warn(`iodict: the value does not decode (${problem}): printed raw`)));
      } else {
        const decoded = decodeStored(stored);
        if ('problem' in decoded) {
          ctx.problem(`iodict: the value does not decode (${decoded.problem}); its stored bytes (codec ${stored.codec}):`);
          await ctx.out.line(Buffer.from(stored.value).toString('base64'));
        } else {
          await ctx.out.line(JSON.stringify(toJson(decoded.value)));
        }
      }
    } finally {
      store.close();
    }
    return 0;
  },
};

export const dump: Command = {
  spec: {
    name: 'dump',
    brief: 'every item as NDJSON (or CBOR diagnostic notation)',
    args: ['PATH'],
    summary:
      'Prints every item, oldest first, as NDJSON: {"key": K, "value": V}, with non-JSON types as one-key "$" objects (the format export/import use). ' +
      'With --diag, each value in CBOR diagnostic notation instead: KEY<tab>NOTATION lines ({"key", "diag"} objects with --json).',
    options: { diag: { help: 'values in CBOR diagnostic notation' }, types: TYPES_OPTION, ...WASI_OPTIONS },
  },
  async run(ctx) {
    const store = await ctx.readStore(ctx.args[0]!);
    const sink = stdoutSink(ctx.io.stdout);
    try {
      await writeDump(ctx, store, sink, { diag: ctx.flag('diag'), label: 'dump', writesStdout: true });
    } finally {
      await sink.close();
      store.close();
    }
    return 0;
  },
};

/** Writes every item as a dump line (or diag line); returns how many. Shared with export. */
export async function writeDump(
  ctx: Context,
  store: StoreBackend,
  sink: Sink,
  options: { diag: boolean; label: string; writesStdout: boolean },
): Promise<number> {
  const keys = listKeys(store);
  const bar = ctx.progress(options.label, keys.length, options.writesStdout);
  let count = 0;
  try {
    for (const key of keys) {
      bar.tick();
      const line = itemLine(ctx, store, key, options.diag);
      if (line === undefined) continue;
      await sink.write(line + '\n');
      count++;
    }
  } finally {
    bar.done();
  }
  return count;
}

/** One item's line; undefined when it is gone (deleted meanwhile, or quarantined as corrupt). */
function itemLine(ctx: Context, store: StoreBackend, key: RawKey, diag: boolean): string | undefined {
  try {
    const stored = store.get(key.type, key.bytes);
    if (!stored) return undefined;
    const name = () => keyText(key).text;
    if (!diag) return dumpLine(key, stored, (problem) => ctx.problem(`iodict: the value of ${name()} does not decode (${problem}): written raw`));
    const notation = diagText(store, key, stored);
    if (notation === undefined) return undefined;
    return ctx.json ? JSON.stringify({ key: keyToJson(key), diag: notation }) : `${keyLine(key, ctx.flag('types'))}\t${notation}`;
  } catch (e) {
    if (!isCorrupt(e)) throw e;
    ctx.problem(e.message);
    return undefined;
  }
}
