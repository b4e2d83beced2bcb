// set and rm: single-key changes through the host build.
import { cborCodec } from '../../codec/index.js';
import { KeyError } from '../../errors.js';
import { UsageError } from '../errors.js';
import { readText } from '../input.js';
import { type Command, KEY_TYPE_OPTION } from '../context.js';
import { MappingError, fromJson, keyText, keyToJson } from '../json.js';
import { FORCE_KIND_OPTION, KIND_OPTION, MODE_OPTION, WriteTarget } from '../target.js';

export const set: Command = {
  spec: {
    name: 'set',
    brief: 'set a key to a JSON value',
    args: ['PATH', 'KEY', 'VALUE'],
    summary:
      'Sets KEY to VALUE, a JSON text in the dump\'s mapping ({"$bigint": "1"} is a bigint, {"$bytes": "<base64>"} bytes, ...); "-" reads it from stdin. ' +
      'Creates the store if PATH does not exist (of --kind, else of the kind KEY belongs to). An existing key keeps its place in the order. ' +
      "A plain key is refused in a queue's store, and a queue item key in a dictionary's, unless --force-kind.",
    options: { 'key-type': KEY_TYPE_OPTION, kind: KIND_OPTION, 'force-kind': FORCE_KIND_OPTION, mode: MODE_OPTION },
  },
  async run(ctx) {
    const [path, keyArg, valueArg] = ctx.args as [string, string, string];
    const key = ctx.key(keyArg);
    const value = encodeValue(valueArg === '-' ? await readText(ctx.io.stdin) : valueArg);
    const target = new WriteTarget(ctx, path, { create: true });
    try {
      const created = target.require(key).set(key.type, key.bytes, cborCodec.id, value);
      if (ctx.json) await ctx.printJson({ key: keyToJson(key), created });
    } finally {
      target.close();
    }
    return 0;
  },
};

/** VALUE's CBOR bytes; UsageError when it is not JSON, not in the mapping, or cannot be stored. */
function encodeValue(text: string): Uint8Array {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`VALUE is not JSON: ${text.length > 60 ? text.slice(0, 60) + '...' : text} (a string is quoted: '"text"')`);
  }
  try {
    return cborCodec.encode(fromJson(json)).slice(); // TypeError: e.g. a lone surrogate escaped in the JSON
  } catch (e) {
    if (e instanceof MappingError || e instanceof TypeError) throw new UsageError(`bad VALUE: ${e.message.replace(/^iodict: /, '')}`);
    throw e;
  }
}

export const rm: Command = {
  spec: {
    name: 'rm',
    brief: 'delete a key',
    args: ['PATH', 'KEY'],
    summary: "Deletes KEY. Exit code 1 when it is missing, unless --force. A plain key is refused in a queue's store, and a queue item key in a dictionary's, unless --force-kind.",
    options: { 'key-type': KEY_TYPE_OPTION, force: { short: 'f', help: 'a missing key is not an error' }, 'force-kind': FORCE_KIND_OPTION },
  },
  async run(ctx) {
    const key = ctx.key(ctx.args[1]!);
    const target = new WriteTarget(ctx, ctx.args[0]!, { create: false });
    try {
      const deleted = target.require(key).delete(key.type, key.bytes);
      if (!deleted && !ctx.flag('force')) throw new KeyError(`iodict: key not found: ${keyText(key).text}`, keyText(key).text);
      if (ctx.json) await ctx.printJson({ key: keyToJson(key), deleted });
    } finally {
      target.close();
    }
    return 0;
  },
};
