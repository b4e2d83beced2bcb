// fast-check targets for the CLI's import readers: the NDJSON line parser (host/cli/ndjson.ts)
// and the pickle decoder (host/cli/pickle.ts). Each target is { name, arbitrary, check }:
// `check(input)` throws when the reader crashes (anything but its own typed error), returns a
// wrong value, or returns more than its stated bound; a clear refusal passes. Used by
// test/fuzz-cli.test.mjs with a fixed seed, and made to plug into a longer-running fuzz runner.
import fc from 'fast-check';
import { buildSync } from 'esbuild';
import { hostBundleOptions } from '../support/bundle.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-fuzz-cli-'));
process.on('exit', () => fs.rmSync(out, { recursive: true, force: true }));
buildSync({
  stdin: {
    contents: `export { unpickle, UnpicklingError, expansionBudget } from './host/cli/pickle.ts';
export { parseLine } from './host/cli/ndjson.ts';
export { toJson, rawKey, keyToJson } from './host/cli/json.ts';
export { DataError } from './host/cli/errors.ts';
export { cborCodec, jsonCodec } from './host/codec/index.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  ...hostBundleOptions,
  format: 'cjs', // loaded with require: no top-level await, which uvu under Bun cannot load
  outfile: path.join(out, 'readers.cjs'),
});
const { unpickle, UnpicklingError, expansionBudget, parseLine, toJson, rawKey, keyToJson, DataError, cborCodec, jsonCodec } =
  createRequire(import.meta.url)(path.join(out, 'readers.cjs'));

function same(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: got ${actual.slice(0, 200)}, expected ${expected.slice(0, 200)}`);
}

// ---- NDJSON lines ------------------------------------------------------------------------------

const TYPED = ['int8Array', 'int16Array', 'int32Array', 'uint8ClampedArray', 'uint16Array', 'uint32Array', 'float32Array', 'float64Array', 'bigInt64Array', 'bigUint64Array'];
const leaf = fc.oneof(
  fc.constantFrom(null, undefined, true, false, NaN, -0, Infinity, -Infinity),
  fc.constant(NaN).map((t) => new Date(t)), // a fresh object each time: JSON has no form for a shared one
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.uint8Array({ maxLength: 16 }),
  // Dates far from the epoch can come back 1 ms off through the CBOR codec's float seconds (a codec
  // matter, not the line parser's): years 1000-3000 here.
  fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('3000-01-01T00:00:00Z'), noInvalidDate: true }),
  fc.oneof(...TYPED.map((t) => fc[t]({ maxLength: 4 }))),
);
/** Every kind of value the JSON mapping carries, nested a few levels. */
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('$bytes', '$map', '__proto__', '$object')), tie('value'), { maxKeys: 4 }),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((pairs) => new Map(pairs)),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => new Set(items)),
  ),
}));
const key = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.double(), fc.bigInt(), fc.boolean(), fc.uint8Array({ maxLength: 8 }));

/** A line as export writes it. */
const exportedLine = fc.tuple(key, value).map(([k, v]) => ({ key: k, value: v, text: JSON.stringify({ key: toJson(k), value: toJson(v) }) }));

/** Lines as export writes them decode to the same key and value. */
export const ndjsonRoundTrip = {
  name: 'ndjson-roundtrip',
  arbitrary: exportedLine,
  check({ key: k, value: v, text }) {
    const item = parseLine(text, 1);
    same(JSON.stringify(keyToJson(item)), JSON.stringify(keyToJson(rawKey(k))), 'key');
    same(JSON.stringify(toJson(cborCodec.decode(item.value))), JSON.stringify(toJson(v)), 'value');
  },
};

const FRAGMENTS = ['[', ']', '{', '}', '"', ',', ':', '\\', '\\u', '\\ud800', '0', '-', 'e999', '1e-999', 'null', 'true', '"$map"', '"$set"', '"$bigint"',
  '"$number"', '"$date"', '"$bytes"', '"$queue"', '"$object"', '"$Float64Array"', '"codec"', '"raw"', '"key"', '"value"', '[[1,2],[1,3]]', '"NaN"', '"-0"',
  '{"$number":"-0"}', '"AAE="', '"!!"', '\u0000', '\u2028', '5', '255', '256', '1.5'];
/** An exported line with a few edits: characters inserted, deleted or replaced by JSON-ish fragments. */
const mutatedLine = fc
  .tuple(exportedLine, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...FRAGMENTS)), { minLength: 1, maxLength: 6 }))
  .map(([line, edits]) => {
    let text = line.text;
    for (const [at, remove, fragment] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + fragment + text.slice(i + remove);
    }
    return text;
  });
/** Nesting of every container form, up to far beyond what a call stack holds. */
const deepLine = fc.tuple(fc.integer({ min: 500, max: 30_000 }), fc.constantFrom('array', 'object', 'map', 'set', 'key')).map(([depth, form]) => {
  const [open, close] = { array: ['[', ']'], object: ['{"a":', '}'], map: ['{"$map":[[1,', ']]}'], set: ['{"$set":[', ']}'], key: ['[', ']'] }[form];
  const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
  return form === 'key' ? `{"key":${nested},"value":1}` : `{"key":"k","value":${nested}}`;
});
const anyLine = fc.oneof(
  mutatedLine,
  deepLine,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 4 }), fc.option(fc.integer({ min: -2, max: 300 }))).map(([k, v, codec]) =>
    JSON.stringify(codec === null ? { key: k, value: v } : { key: k, value: v, codec })),
);

/** Any line: the item, whose value decodes and is no bigger than the line, or a DataError naming the line. */
export const ndjsonAnyLine = {
  name: 'ndjson-any-line',
  arbitrary: anyLine,
  check(text) {
    let item;
    try {
      item = parseLine(text, 7);
    } catch (e) {
      if (e instanceof DataError && /^line 7[: ]/.test(e.message)) return;
      throw e;
    }
    const bound = 2 * Buffer.byteLength(text) + 16;
    if (item.value.length > bound) throw new Error(`a ${Buffer.byteLength(text)}-byte line gave a ${item.value.length}-byte value`);
    if ('raw' in JSON.parse(text)) return; // raw bytes are stored as given, decodable or not
    (item.codec === 0 ? cborCodec : jsonCodec).decode(item.value);
  },
};

// ---- pickles -----------------------------------------------------------------------------------

/**
 * Items in a value written out as a tree, each shared reference in full (every item takes at
 * least one byte of CBOR), counted no further than `cap`: Infinity past it, NaN for a cycle
 * (which no encoder writes). Independent of the decoder's own count, and quick to give up, so a
 * decoder that lets a "billion laughs" through fails here instead of hanging the encoder.
 */
function writtenItems(value, cap) {
  let count = 0;
  const path = new Set();
  const stack = [[value, false]];
  while (stack.length) {
    const [v, leaving] = stack.pop();
    if (leaving) {
      path.delete(v);
      continue;
    }
    if (++count > cap) return Infinity;
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue;
    if (path.has(v)) return NaN;
    path.add(v);
    stack.push([v, true]);
    const children = v instanceof Map ? [...v].flat() : v instanceof Set || Array.isArray(v) ? [...v] : Object.entries(v).flat();
    for (const c of children) stack.push([c, false]);
  }
  return count;
}

/** Any bytes: a value whose encoding stays within the expansion budget, or an UnpicklingError. */
function checkPickle(bytes) {
  let decoded;
  try {
    decoded = unpickle(bytes);
  } catch (e) {
    if (e instanceof UnpicklingError) return;
    throw e;
  }
  const budget = expansionBudget(bytes.length);
  const items = writtenItems(decoded, budget);
  if (items > budget) throw new Error(`a ${bytes.length}-byte pickle stands for more than ${budget} items written out`);
  let encoded;
  try {
    encoded = cborCodec.encode(decoded);
  } catch (e) {
    // What the importer reports as "cannot be stored": a lone surrogate, a cycle, nesting past 512.
    if (e instanceof TypeError) return;
    throw e;
  }
  if (encoded.length > budget) throw new Error(`a ${bytes.length}-byte pickle encoded to ${encoded.length} bytes, beyond its budget`);
}

// Real pickles (Python 3.11, protocols 0-5) of a dict of every supported type with a shared list,
// and of a list that contains itself (protocols 0, 2, 5).
const CORPUS = [
  'KGRwMApWbmFtZQpwMQpWQWRhCnAyCnNWbgpwMwoobHA0CkkxCmFJLTIKYUwxMTgwNTkxNjIwNzE3NDExMzAzNDI0TAphRjEuNQphRm5hbgphTmFJMDEKYXNWYgpwNQpjX2NvZGVjcwplbmNvZGUKcDYKKFZcdTAwMDD/CnA3ClZsYXRpbjEKcDgKdHA5ClJwMTAKc1ZiYQpwMTEKY19fYnVpbHRpbl9fCmJ5dGVhcnJheQpwMTIKKGc2CihWeHkKcDEzCmc4CnRwMTQKUnAxNQp0cDE2ClJwMTcKc1Z0CnAxOAooSTEKKFZhCnAxOQp0cDIwCnRwMjEKc1ZzCnAyMgpjX19idWlsdGluX18Kc2V0CnAyMwooKGxwMjQKSTEKYUkyCmF0cDI1ClJwMjYKc1ZmcwpwMjcKY19fYnVpbHRpbl9fCmZyb3plbnNldApwMjgKKChscDI5ClZxCnAzMAphdHAzMQpScDMyCnNWdQpwMzMKVmjpbGxvIFxVMDAwMWY0MGQgXHUwMDVjCnAzNApzSTMKKGRwMzUKKEkxCkkyCnRwMzYKVnR1cGxlIGtleQpwMzcKc3NWc2hhcmVkCnAzOAoobHAzOQoobHA0MApJMQphSTIKYWFnNDAKYShnNDAKdHA0MQphcy4=',
  'fXEAKFgEAAAAbmFtZXEBWAMAAABBZGFxAlgBAAAAbnEDXXEEKEsBSv7///9MMTE4MDU5MTYyMDcxNzQxMTMwMzQyNEwKRz/4AAAAAAAAR3/4AAAAAAAATkkwMQplWAEAAABicQVjX2NvZGVjcwplbmNvZGUKcQYoWAMAAAAAw79xB1gGAAAAbGF0aW4xcQh0cQlScQpYAgAAAGJhcQtjX19idWlsdGluX18KYnl0ZWFycmF5CnEMKGgGKFgCAAAAeHlxDWgIdHEOUnEPdHEQUnERWAEAAAB0cRIoSwEoWAEAAABhcRN0cRR0cRVYAQAAAHNxFmNfX2J1aWx0aW5fXwpzZXQKcRcoXXEYKEsBSwJldHEZUnEaWAIAAABmc3EbY19fYnVpbHRpbl9fCmZyb3plbnNldApxHChdcR1YAQAAAHFxHmF0cR9ScSBYAQAAAHVxIVgNAAAAaMOpbGxvIPCfkI0gXHEiSwN9cSMoSwFLAnRxJFgJAAAAdHVwbGUga2V5cSVzWAYAAABzaGFyZWRxJl1xJyhdcSgoSwFLAmVoKChoKHRxKWV1Lg==',
  'gAJ9cQAoWAQAAABuYW1lcQFYAwAAAEFkYXECWAEAAABucQNdcQQoSwFK/v///4oJAAAAAAAAAABARz/4AAAAAAAAR3/4AAAAAAAATohlWAEAAABicQVjX2NvZGVjcwplbmNvZGUKcQZYAwAAAADDv3EHWAYAAABsYXRpbjFxCIZxCVJxClgCAAAAYmFxC2NfX2J1aWx0aW5fXwpieXRlYXJyYXkKcQxoBlgCAAAAeHlxDWgIhnEOUnEPhXEQUnERWAEAAAB0cRJLAVgBAAAAYXEThXEUhnEVWAEAAABzcRZjX19idWlsdGluX18Kc2V0CnEXXXEYKEsBSwJlhXEZUnEaWAIAAABmc3EbY19fYnVpbHRpbl9fCmZyb3plbnNldApxHF1xHVgBAAAAcXEeYYVxH1JxIFgBAAAAdXEhWA0AAABow6lsbG8g8J+QjSBccSJLA31xI0sBSwKGcSRYCQAAAHR1cGxlIGtleXElc1gGAAAAc2hhcmVkcSZdcScoXXEoKEsBSwJlaChoKIVxKWV1Lg==',
  'gAN9cQAoWAQAAABuYW1lcQFYAwAAAEFkYXECWAEAAABucQNdcQQoSwFK/v///4oJAAAAAAAAAABARz/4AAAAAAAAR3/4AAAAAAAATohlWAEAAABicQVDAgD/cQZYAgAAAGJhcQdjYnVpbHRpbnMKYnl0ZWFycmF5CnEIQwJ4eXEJhXEKUnELWAEAAAB0cQxLAVgBAAAAYXENhXEOhnEPWAEAAABzcRBjYnVpbHRpbnMKc2V0CnERXXESKEsBSwJlhXETUnEUWAIAAABmc3EVY2J1aWx0aW5zCmZyb3plbnNldApxFl1xF1gBAAAAcXEYYYVxGVJxGlgBAAAAdXEbWA0AAABow6lsbG8g8J+QjSBccRxLA31xHUsBSwKGcR5YCQAAAHR1cGxlIGtleXEfc1gGAAAAc2hhcmVkcSBdcSEoXXEiKEsBSwJlaCJoIoVxI2V1Lg==',
  'gASV3AAAAAAAAAB9lCiMBG5hbWWUjANBZGGUjAFulF2UKEsBSv7///+KCQAAAAAAAAAAQEc/+AAAAAAAAEd/+AAAAAAAAE6IZYwBYpRDAgD/lIwCYmGUjAhidWlsdGluc5SMCWJ5dGVhcnJheZSTlEMCeHmUhZRSlIwBdJRLAYwBYZSFlIaUjAFzlI+UKEsBSwKQjAJmc5QojAFxlJGUjAF1lIwNaMOpbGxvIPCfkI0gXJRLA32USwFLAoaUjAl0dXBsZSBrZXmUc4wGc2hhcmVklF2UKF2UKEsBSwJlaB5oHoWUZXUu',
  'gAWVxgAAAAAAAAB9lCiMBG5hbWWUjANBZGGUjAFulF2UKEsBSv7///+KCQAAAAAAAAAAQEc/+AAAAAAAAEd/+AAAAAAAAE6IZYwBYpRDAgD/lIwCYmGUlgIAAAAAAAAAeHmUjAF0lEsBjAFhlIWUhpSMAXOUj5QoSwFLApCMAmZzlCiMAXGUkZSMAXWUjA1ow6lsbG8g8J+QjSBclEsDfZRLAUsChpSMCXR1cGxlIGtleZRzjAZzaGFyZWSUXZQoXZQoSwFLAmVoGWgZhZRldS4=',
  'KGxwMApnMAphLg==',
  'gAJdcQBoAGEu',
  'gAWVBgAAAAAAAABdlGgAYS4=',
].map((b) => new Uint8Array(Buffer.from(b, 'base64')));

/** Opcode fragments (protocol 4 forms) that build containers and share them through the memo. */
const u8 = (n) => String.fromCharCode(n & 0xff);
const OPCODES = [
  fc.constantFrom(']', '(', 'e', 'a', 't', ')', '\x85', '\x86', '\x87', '}', 'u', 's', 'd', 'l', '\x8f', '\x90', '\x91', 'N', '\x88', '\x89', '0', '1', '\x94', 'R', '.'),
  fc.nat({ max: 12 }).map((i) => `h${u8(i)}`), // BINGET
  fc.nat({ max: 12 }).map((i) => `q${u8(i)}`), // BINPUT
  fc.nat({ max: 255 }).map((n) => `K${u8(n)}`), // BININT1
  fc.string({ maxLength: 8 }).map((t) => `\x8c${u8(t.length)}${t}`), // SHORT_BINUNICODE (ASCII)
  fc.uint8Array({ maxLength: 8 }).map((b) => `C${u8(b.length)}${String.fromCharCode(...b)}`), // SHORT_BINBYTES
  fc.uint8Array({ maxLength: 9 }).map((b) => `\x8a${u8(b.length)}${String.fromCharCode(...b)}`), // LONG1
  fc.constantFrom('c__builtin__\nset\n', 'c__builtin__\nfrozenset\n', 'c__builtin__\nbytearray\n', 'c_codecs\nencode\n', 'cos\nsystem\n', '\x8c\x08builtins\x8c\x04eval\x93'),
];
const opcodeProgram = fc
  .array(fc.oneof(...OPCODES), { maxLength: 60 })
  .map((ops) => new Uint8Array(Buffer.from(`\x80\x04${ops.join('')}.`, 'latin1')));

/** Sequences of real opcodes, memo gets and puts among them: built graphs stay within the budget once written out. */
export const pickleOpcodes = { name: 'pickle-opcodes', arbitrary: opcodeProgram, check: checkPickle };

/**
 * Graphs built level by level, each container referencing the few levels below it through the
 * memo, as a "billion laughs" does: the leaf is memo 0, level i is memo i.
 */
const sharedGraph = fc
  .array(fc.tuple(fc.constantFrom('list', 'tuple', 'dict', 'appends'), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 12 })), { minLength: 1, maxLength: 40, size: 'medium' })
  .map((levels) => {
    let program = '\x80\x04\x8c\x03lolq\x000';
    levels.forEach(([kind, back], i) => {
      const gets = back.map((b) => `h${u8(Math.max(0, i - b))}`);
      program += {
        list: () => `(${gets.join('')}l`,
        tuple: () => `(${gets.join('')}t`,
        dict: () => `}(${gets.map((g, k) => `K${u8(k)}${g}`).join('')}u`,
        appends: () => `](${gets.join('')}e`,
      }[kind]();
      program += `q${u8(i + 1)}0`; // memoize the level, then pop it
    });
    return new Uint8Array(Buffer.from(`${program}h${u8(levels.length)}.`, 'latin1'));
  });

/** Values that share containers many times over: refused once they could outgrow the budget, else within it. */
export const pickleSharedGraph = { name: 'pickle-shared-graph', arbitrary: sharedGraph, check: checkPickle };

/** Real pickles with bytes flipped, inserted, removed, or cut short. */
export const pickleMutated = {
  name: 'pickle-mutated',
  arbitrary: fc
    .tuple(fc.constantFrom(...CORPUS), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'insert', 'delete', 'cut')), { minLength: 1, maxLength: 8 }))
    .map(([pickle, edits]) => {
      let bytes = Array.from(pickle);
      for (const [at, byte, edit] of edits) {
        const i = at % (bytes.length + 1);
        if (edit === 'flip') bytes[i] = byte;
        else if (edit === 'insert') bytes.splice(i, 0, byte);
        else if (edit === 'delete') bytes.splice(i, 1);
        else bytes = bytes.slice(0, i);
      }
      return new Uint8Array(bytes.slice(0, 4096));
    }),
  check: checkPickle,
};

/** Any bytes at all. */
export const pickleBytes = { name: 'pickle-bytes', arbitrary: fc.uint8Array({ maxLength: 300 }), check: checkPickle };

export const targets = [ndjsonRoundTrip, ndjsonAnyLine, pickleOpcodes, pickleSharedGraph, pickleMutated, pickleBytes];
