/**
 * A safe decoder for pickles of plain Python data, for `iodict import --from-python`
 * (Python iodict 0.0.8 stores each value as `pickle.dumps(value)`).
 *
 * Nothing is executed and no name is ever resolved: the only globals accepted are the few the
 * pickler itself uses to encode builtin types in protocols 0-3, and our own code applies each
 * one after checking its arguments. Every read is bounds-checked, nothing recurses on the
 * input's nesting, and everything allocated is bounded by the input's size. The value's size
 * with every shared reference written out in full, which is what storing it writes, is bounded
 * too: see expansionBudget.
 */

export class UnpicklingError extends Error {
  override name = 'UnpicklingError';
}

function fail(message: string): never {
  throw new UnpicklingError(message);
}

/** Opcode bytes, named as in CPython's pickletools; the names also label errors. */
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a,
  BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52,
  STRING: 0x53, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, APPENDS: 0x65, GET: 0x67, BINGET: 0x68, INST: 0x69,
  LONG_BINGET: 0x6a, LIST: 0x6c, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71, LONG_BINPUT: 0x72, SETITEM: 0x73,
  TUPLE: 0x74, SETITEMS: 0x75, EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29, BINFLOAT: 0x47,
  BINBYTES: 0x42, SHORT_BINBYTES: 0x43, PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84,
  TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f, ADDITEMS: 0x90,
  FROZENSET: 0x91, NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95, BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;
const OP_NAME = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name]));

type Builtin = 'encode' | 'bytes' | 'bytearray' | 'set' | 'frozenset';
/** The pickler writes `builtins` as `__builtin__` in protocols 0-2 (fix_imports). */
const GLOBALS = new Map<string, Builtin>([
  ['_codecs encode', 'encode'],
  ['__builtin__ bytes', 'bytes'], ['builtins bytes', 'bytes'],
  ['__builtin__ bytearray', 'bytearray'], ['builtins bytearray', 'bytearray'],
  ['__builtin__ set', 'set'], ['builtins set', 'set'],
  ['__builtin__ frozenset', 'frozenset'], ['builtins frozenset', 'frozenset'],
]);

/** A whitelisted global on the stack or in the memo; only REDUCE may consume it, it is never a value. */
class Global {
  constructor(readonly name: string, readonly builtin: Builtin) {}
}

const MAX_PROTOCOL = 5;
/** Python (3.11+) refuses to convert longer decimal strings to int; the cap also bounds BigInt parsing. */
const MAX_INT_DIGITS = 4300;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
// ignoreBOM: a str may legitimately start with U+FEFF.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

type Dict = Map<unknown, unknown>;

/**
 * How many bytes a pickle of `inputBytes` may stand for once every shared reference is written
 * out in full: 16 MiB, plus 16 bytes per input byte. The memo lets a few hundred bytes
 * reference a list of ten references to a list of ten... ("billion laughs"), which Python loads
 * as a small graph but any encoder, and so the store, would write out as a tree of 10^9 items.
 */
export function expansionBudget(inputBytes: number): number {
  return 16 * 1024 * 1024 + 16 * inputBytes;
}

/**
 * Decodes a pickle (protocols 0-5) of plain data. Returns the JS value; throws UnpicklingError naming the opcode/global for anything else.
 *
 * None -> null, bool -> boolean, int -> number (bigint beyond safe integers), float -> number,
 * str -> string, bytes/bytearray -> Uint8Array, list/tuple -> Array, set/frozenset -> Set,
 * dict -> plain object when every key is a str (`__proto__` becomes an own property), else Map.
 * Shared and recursive references are preserved, but the value written out in full must stay
 * within `budget` bytes. The input must hold exactly one pickle.
 */
export function unpickle(input: Uint8Array, budget = expansionBudget(input.byteLength)): unknown {
  // A Buffer's slice() would alias the input; a plain view makes every slice a copy.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const tuples = new Set<unknown[]>(); // arrays that are tuples; the others are lists
  const hashable = new Set<object>(); // bytes, frozensets and tuples of hashables
  // REDUCE copies its argument, and a memoized argument can be reused at will, so a small
  // pickle could ask for huge copies. The pickler never reuses one: what it copies is bounded
  // by the input (bytearray(encode(str)) copies the same data twice).
  let copyBudget = 2 * bytes.length;

  const take = (n: number): Uint8Array => {
    if (n > bytes.length - pos) fail('pickle data was truncated');
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  /** Little-endian unsigned; 8-byte values lose precision only far beyond any input length. */
  const uint = (n: 1 | 2 | 4 | 8): number => {
    const b = take(n);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]!;
    return v;
  };
  const line = (): Uint8Array => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('pickle data was truncated');
    return take(end - pos + 1).subarray(0, -1);
  };
  const index = (text: string): number => {
    const i = Number(text);
    return /^\d+$/.test(text) && Number.isSafeInteger(i) ? i : fail(`invalid memo index ${JSON.stringify(text)}`);
  };

  const fence = (): number => marks[marks.length - 1] ?? 0;
  const push = (v: unknown): void => void stack.push(v);
  const values = (items: unknown[]): unknown[] => {
    for (const v of items) if (v instanceof Global) fail(`unsupported use of global ${v.name} as a value`);
    return items;
  };
  const popN = (n: number): unknown[] => {
    if (stack.length - n < fence()) fail('unpickling stack underflow');
    return values(stack.splice(stack.length - n));
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    return mark === undefined ? fail('could not find MARK') : values(stack.splice(mark));
  };
  const pop = (): unknown => popN(1)[0];
  const top = (): unknown => (stack.length > fence() ? stack[stack.length - 1] : fail('unpickling stack underflow'));

  const isHashable = (v: unknown): boolean => typeof v !== 'object' || v === null || hashable.has(v);
  const key = (v: unknown): unknown => (isHashable(v) ? v : fail('unhashable set element or dict key'));
  const tuple = (items: unknown[]): unknown[] => {
    tuples.add(items);
    if (items.every(isHashable)) hashable.add(items);
    return items;
  };
  const bytesValue = (b: Uint8Array): Uint8Array => {
    hashable.add(b);
    return b;
  };
  const list = (v: unknown): unknown[] => (Array.isArray(v) && !tuples.has(v) ? v : fail('APPEND target is not a list'));
  const dict = (v: unknown): Dict => (v instanceof Map ? v : fail('SETITEM target is not a dict'));
  const setItems = (d: Dict, items: unknown[]): Dict => {
    if (items.length % 2) fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) d.set(key(items[i]), items[i + 1]);
    return d;
  };
  const spend = (n: number): void => {
    if ((copyBudget -= n) < 0) fail('pickle expands far beyond its own size');
  };

  const reduce = (f: Global, args: unknown[]): unknown => {
    const [a, b] = args;
    switch (f.builtin) {
      case 'encode': // bytes in protocols 0-2: _codecs.encode(bytes.decode('latin1'), 'latin1')
        if (args.length === 2 && typeof a === 'string' && b === 'latin1') {
          spend(a.length);
          return bytesValue(latin1Encode(a) ?? fail('_codecs.encode: str is not latin-1'));
        }
        break;
      case 'bytes': // b'' in protocols 0-2
        if (args.length === 0) return bytesValue(new Uint8Array(0));
        break;
      case 'bytearray': // protocols 0-4
        if (args.length === 0) return new Uint8Array(0);
        if (args.length === 1 && a instanceof Uint8Array) {
          spend(a.length);
          return a.slice();
        }
        break;
      case 'set': // protocols 0-3: set(list) and frozenset(list)
      case 'frozenset':
        if (args.length === 1 && Array.isArray(a)) {
          spend(a.length);
          const s = new Set(a.map(key));
          if (f.builtin === 'frozenset') hashable.add(s);
          return s;
        }
    }
    return fail(`unsupported arguments to ${f.name}`);
  };

  const global = (module: string, name: string): Global => {
    const builtin = GLOBALS.get(`${module} ${name}`);
    return builtin ? new Global(`${module}.${name}`, builtin) : fail(`unsupported global ${module}.${name}`);
  };

  while (pos < bytes.length) {
    const at = pos;
    const op = bytes[pos++]!;
    switch (op) {
      case OP.PROTO: {
        const protocol = uint(1);
        if (protocol > MAX_PROTOCOL) fail(`unsupported pickle protocol: ${protocol}`);
        break;
      }
      case OP.FRAME: // frames only group opcodes for buffered reading; the whole pickle is in memory
        if (uint(8) > bytes.length - pos) fail('pickle data was truncated');
        break;
      case OP.STOP: {
        if (stack.length !== 1 || marks.length) fail('STOP with a malformed stack');
        const result = pop();
        if (pos !== bytes.length) fail('trailing data after STOP');
        checkExpansion(result, budget);
        return finish(result, hashable);
      }

      case OP.MARK:
        marks.push(stack.length);
        break;
      // POP and POP_MARK discard anything, globals included.
      case OP.POP: // protocol 0 pops a recursive tuple's items and its MARK one at a time
        if (marks.length && fence() === stack.length) marks.pop();
        else if (stack.length > fence()) stack.pop();
        else fail('unpickling stack underflow');
        break;
      case OP.POP_MARK:
        stack.length = marks.pop() ?? fail('could not find MARK');
        break;

      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.PUT:
        memo.set(index(latin1(line())), top());
        break;
      case OP.BINPUT:
        memo.set(uint(1), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(uint(4), top());
        break;
      case OP.GET:
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const i = op === OP.GET ? index(latin1(line())) : uint(op === OP.BINGET ? 1 : 4);
        if (!memo.has(i)) fail(`memo value not found at index ${i}`);
        push(memo.get(i));
        break;
      }

      case OP.NONE:
        push(null);
        break;
      case OP.NEWTRUE:
        push(true);
        break;
      case OP.NEWFALSE:
        push(false);
        break;
      case OP.INT: {
        const text = latin1(line());
        push(text === '00' ? false : text === '01' ? true : textInt(text));
        break;
      }
      case OP.LONG:
        push(textInt(latin1(line()).replace(/L$/, '')));
        break;
      case OP.BININT1:
        push(uint(1));
        break;
      case OP.BININT2:
        push(uint(2));
        break;
      case OP.BININT:
        push(uint(4) | 0);
        break;
      case OP.LONG1:
        push(long(take(uint(1))));
        break;
      case OP.LONG4: {
        const n = uint(4) | 0;
        push(long(take(n < 0 ? fail('LONG pickle has negative byte count') : n)));
        break;
      }
      case OP.FLOAT:
        push(textFloat(latin1(line())));
        break;
      case OP.BINFLOAT:
        take(8);
        push(view.getFloat64(pos - 8));
        break;

      case OP.UNICODE:
        push(rawUnicodeEscape(latin1(line())));
        break;
      case OP.SHORT_BINUNICODE:
        push(utf8(take(uint(1))));
        break;
      case OP.BINUNICODE:
        push(utf8(take(uint(4))));
        break;
      case OP.BINUNICODE8:
        push(utf8(take(uint(8))));
        break;
      // Python 2 str: kept as bytes, like pickle.loads(..., encoding='bytes').
      case OP.SHORT_BINSTRING:
      case OP.SHORT_BINBYTES:
        push(bytesValue(take(uint(1)).slice()));
        break;
      case OP.BINSTRING: {
        const n = uint(4) | 0;
        push(bytesValue(take(n < 0 ? fail('BINSTRING pickle has negative byte count') : n).slice()));
        break;
      }
      case OP.BINBYTES:
        push(bytesValue(take(uint(4)).slice()));
        break;
      case OP.BINBYTES8:
        push(bytesValue(take(uint(8)).slice()));
        break;
      case OP.BYTEARRAY8:
        push(take(uint(8)).slice());
        break;

      case OP.EMPTY_LIST:
        push([]);
        break;
      case OP.LIST:
        push(popMark());
        break;
      case OP.APPEND: {
        const v = pop();
        list(top()).push(v);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        const l = list(top());
        for (const v of items) l.push(v); // not push(...items): argument count limits
        break;
      }
      case OP.EMPTY_TUPLE:
        push(tuple([]));
        break;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3:
        push(tuple(popN(op - OP.TUPLE1 + 1)));
        break;
      case OP.TUPLE:
        push(tuple(popMark()));
        break;
      case OP.EMPTY_DICT:
        push(new Map());
        break;
      case OP.DICT:
        push(setItems(new Map(), popMark()));
        break;
      case OP.SETITEM: {
        const items = popN(2);
        setItems(dict(top()), items);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        setItems(dict(top()), items);
        break;
      }
      case OP.EMPTY_SET:
        push(new Set());
        break;
      case OP.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof Set) || hashable.has(s)) fail('ADDITEMS target is not a set');
        for (const v of items) s.add(key(v));
        break;
      }
      case OP.FROZENSET: {
        const s = new Set(popMark().map(key));
        hashable.add(s);
        push(s);
        break;
      }

      case OP.GLOBAL: {
        const module = utf8(line());
        push(global(module, utf8(line())));
        break;
      }
      case OP.STACK_GLOBAL: {
        const [module, name] = popN(2);
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL requires str');
        push(global(module, name));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        if (stack.length <= fence()) fail('unpickling stack underflow');
        const f = stack.pop();
        if (!(f instanceof Global)) fail('REDUCE target is not a supported global');
        if (!Array.isArray(args) || !tuples.has(args)) fail('REDUCE arguments are not a tuple');
        push(reduce(f, args));
        break;
      }

      default: {
        const name = OP_NAME.get(op);
        fail(name ? `unsupported opcode ${name} at offset ${at}` : `invalid opcode 0x${HEX[op]} at offset ${at}`);
      }
    }
  }
  return fail('pickle data was truncated');
}

/**
 * Dicts are built as Maps because keys arrive one at a time and a dict can already be referenced
 * (even by itself) before its last key is seen. Once the graph is complete, the ones whose keys
 * are all strings become plain objects, and references to them are rewired. Iterative, so deep
 * nesting cannot overflow the call stack; hashable values never contain dicts and are skipped.
 */
function finish(root: unknown, hashable: Set<object>): unknown {
  const replaced = new Map<object, unknown>();
  const todo: (unknown[] | Dict)[] = [];
  const visit = (v: unknown): unknown => {
    if (!(v instanceof Map || (Array.isArray(v) && !hashable.has(v)))) return v;
    let out = replaced.get(v);
    if (out === undefined) {
      out = v instanceof Map && stringKeys(v) ? {} : v;
      replaced.set(v, out);
      todo.push(v);
    }
    return out;
  };
  const result = visit(root);
  for (let c = todo.pop(); c; c = todo.pop()) {
    if (Array.isArray(c)) {
      for (let i = 0; i < c.length; i++) c[i] = visit(c[i]);
      continue;
    }
    const out = replaced.get(c);
    for (const [k, v] of c) {
      if (out === c) c.set(k, visit(v));
      // An own data property, never the prototype setter.
      else Object.defineProperty(out, k as string, { value: visit(v), writable: true, enumerable: true, configurable: true });
    }
  }
  return result;
}

/**
 * Fails once the value, with every shared reference written out in full, could pass `budget`
 * bytes. What is counted bounds what the CBOR codec writes (FORMAT.md 4): a head takes at most
 * 9 bytes and a tag 3 more, a UTF-16 unit at most 3 bytes of UTF-8. Each container is measured
 * once and its size reused wherever it is referenced, so this takes time linear in the graph,
 * not in the tree it stands for; a reference back into a container being measured (a cycle,
 * which no encoder writes) counts one byte.
 */
function checkExpansion(root: unknown, budget: number): void {
  const sizes = new Map<object, number>();
  const frames: { node: object; children: Iterator<unknown>; size: number }[] = [];
  /** A scalar's or measured container's size; undefined for a container not measured yet. */
  const sizeOf = (v: unknown): number | undefined => {
    if (typeof v === 'string') return 9 + 3 * v.length;
    if (typeof v === 'number') return 9;
    if (typeof v === 'bigint') return 12 + ((v.toString(16).length + 1) >> 1);
    if (v instanceof Uint8Array) return 9 + v.length;
    if (v === null || typeof v !== 'object') return 1;
    return sizes.get(v);
  };
  const add = (frame: { size: number }, n: number): void => {
    if ((frame.size += n) > budget) fail(`the value could take more than ${budget} bytes once its shared references are written out (the limit is 16 MiB + 16 bytes per pickle byte)`);
  };
  const enter = (node: object): void => {
    sizes.set(node, 1);
    frames.push({ node, children: childrenOf(node), size: 0 });
  };
  if (sizeOf(root) === undefined) enter(root as object);
  while (frames.length) {
    const frame = frames[frames.length - 1]!;
    const next = frame.children.next();
    if (next.done) {
      frames.pop();
      add(frame, 12);
      sizes.set(frame.node, frame.size);
      if (frames.length) add(frames[frames.length - 1]!, frame.size);
      continue;
    }
    const size = sizeOf(next.value);
    if (size === undefined) enter(next.value as object);
    else add(frame, size);
  }
}

/** The values a container holds: a list's or tuple's items, a set's elements, a dict's keys and values. */
function* childrenOf(node: object): Generator<unknown> {
  if (node instanceof Map) {
    for (const [k, v] of node) {
      yield k;
      yield v;
    }
  } else {
    yield* node as unknown[] | Set<unknown>;
  }
}

function stringKeys(m: Dict): boolean {
  for (const k of m.keys()) if (typeof k !== 'string') return false;
  return true;
}

function int(n: bigint): number | bigint {
  return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
}

/** LONG1/LONG4: little-endian two's complement. */
function long(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let hex = '';
  for (let i = b.length - 1; i >= 0; i--) hex += HEX[b[i]!];
  const n = BigInt(`0x${hex}`);
  return int(b[b.length - 1]! & 0x80 ? n - (1n << BigInt(b.length * 8)) : n);
}

/** INT/LONG: the decimal form Python's int(text, 0) accepts from the pickler. */
function textInt(text: string): number | bigint {
  if (!/^[+-]?(0+|[1-9]\d*)$/.test(text) || text.length > MAX_INT_DIGITS + 1) {
    fail(`invalid int ${JSON.stringify(text.slice(0, 40))}`);
  }
  return int(BigInt(text));
}

/** FLOAT: repr(float), which also spells inf and nan. */
function textFloat(text: string): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(text)) return NaN;
  fail(`invalid float ${JSON.stringify(text.slice(0, 40))}`);
}

/** Real ISO-8859-1 (TextDecoder's 'latin1' is windows-1252). */
function latin1(b: Uint8Array): string {
  let s = '';
  // apply, not spread: spreading a typed array goes through its iterator and is several times slower.
  for (let i = 0; i < b.length; i += 0x2000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x2000) as unknown as number[]);
  return s;
}

function latin1Encode(s: string): Uint8Array | undefined {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return undefined;
    b[i] = c;
  }
  return b;
}

/**
 * Python's raw-unicode-escape codec: bytes are latin-1, and \u with 4 hex digits / \U with 8 are escapes only
 * after an odd run of backslashes (the pickler itself writes a backslash as \u005c).
 */
function rawUnicodeEscape(s: string): string {
  // The lookbehind anchors each match at the start of a backslash run, so a long run cannot backtrack quadratically.
  return s.replace(/(?<!\\)(\\+)(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[uU])/g, (match, slashes: string, escape: string) => {
    if (slashes.length % 2 === 0) return match;
    const code = escape.length > 1 ? parseInt(escape.slice(1), 16) : -1;
    if (code < 0 || code > 0x10ffff) fail(`invalid \\${escape[0]} escape in UNICODE`);
    return slashes.slice(1) + String.fromCodePoint(code);
  });
}

/** UTF-8 as Python's 'surrogatepass' decodes it: strict, but lone surrogates (ED A0-BF xx) are allowed. */
function utf8(b: Uint8Array): string {
  try {
    return UTF8.decode(b);
  } catch {
    let s = '';
    for (let i = 0; i < b.length; ) {
      const c = b[i]!;
      const n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
      if (n < 0 || i + n >= b.length) fail('invalid UTF-8 in str');
      let code = n ? c & (0x3f >> n) : c;
      for (let k = 1; k <= n; k++) {
        const d = b[i + k]!;
        if ((d & 0xc0) !== 0x80) fail('invalid UTF-8 in str');
        code = (code << 6) | (d & 0x3f);
      }
      if (code < [0, 0x80, 0x800, 0x10000][n]! || code > 0x10ffff) fail('invalid UTF-8 in str');
      s += String.fromCodePoint(code);
      i += n + 1;
    }
    return s;
  }
}
