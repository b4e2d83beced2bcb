// The one definition of a valid value is the core's (assembly/format/value.ts, FORMAT.md section
// 4). A store's core checks every value it reads; bytes that come from elsewhere (cbor.decode,
// the codecs' own decode) are checked by one more instance of the same core, without a store.
import { coreModule, newCoreMemory } from '../core/module.js';

interface CheckExports {
  memory: WebAssembly.Memory;
  reserve(bytes: number): number;
  checkReservedValue(codec: number, len: number): number;
  valueProblem(): number;
  valueProblemOffset(): number;
  valueProblemDetail(): number;
  /** The core's start function (asconfig.json: exportStart). */
  _start(): void;
}

/** What the core found wrong with a value: a VALUE_* code, where, and a detail (a tag, a codec id, a size). */
export interface ValueProblem {
  code: number;
  offset: number;
  detail: number;
}

// VALUE_* codes (assembly/format/value.ts) that are limits rather than malformation.
export const ValueCode = { TOO_DEEP: 7, TOO_MANY: 12, TOO_LARGE: 13 } as const;

let checker: CheckExports | undefined;

function instance(): CheckExports {
  if (checker) return checker;
  const module = coreModule();
  // This instance never touches a file: every import it could call is a bug.
  const imports: WebAssembly.Imports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    (imports[from] ??= {})[name] = kind === 'memory' ? newCoreMemory() : () => {
      throw new Error(`iodict: the value checker called ${from}.${name} (a bug: please report it)`);
    };
  }
  checker = new WebAssembly.Instance(module, imports).exports as unknown as CheckExports;
  checker._start();
  return checker;
}

/** Checks value bytes written with a codec (0 CBOR, 1 JSON; others pass): undefined when valid. */
export function checkValueBytes(codec: number, bytes: Uint8Array): ValueProblem | undefined {
  const x = instance();
  const ptr = x.reserve(bytes.length);
  if (ptr === 0) return { code: ValueCode.TOO_LARGE, offset: 0, detail: bytes.length };
  new Uint8Array(x.memory.buffer).set(bytes, ptr);
  if (x.checkReservedValue(codec, bytes.length) === 0) return undefined;
  return { code: x.valueProblem(), offset: x.valueProblemOffset(), detail: x.valueProblemDetail() };
}

/** The last problem a store's core found (its exports carry the same getters). */
export function lastProblem(x: Pick<CheckExports, 'valueProblem' | 'valueProblemOffset' | 'valueProblemDetail'>): ValueProblem {
  return { code: x.valueProblem(), offset: x.valueProblemOffset(), detail: x.valueProblemDetail() };
}

const PROBLEMS = [
  '', 'unexpected end of input', 'trailing bytes after the data item', 'reserved additional information',
  'misplaced break or indefinite length', 'invalid chunk in an indefinite-length string', 'invalid UTF-8',
  'nesting deeper than 512 arrays and maps', 'unsupported simple value', 'unsupported tag',
  'content of the wrong type or shape', 'duplicate map key or Set element (equal in JavaScript)',
  'more than 16,777,215 items in one array, map or Set (or keys open at once)', 'too large to decode',
  'invalid RFC 3339 date/time', 'a reference to no marked value, or a mark on a value that is not an object',
  'not JSON text', 'reserved codec id',
];

/** The problem in words, with where it is. */
export function problemText(problem: ValueProblem): string {
  const { code, offset, detail } = problem;
  let text = PROBLEMS[code] ?? `problem ${code}`;
  if (code === 9) text = `unsupported tag ${detail}`;
  else if (code === 10) text = `tag ${detail}: ${text}`;
  else if (code === ValueCode.TOO_LARGE && detail)
    text = `decoding would take more than ${Math.floor(detail / 2 ** 20)} MiB: over 32 times the value's size plus 4 MiB`;
  else if (code === 17) return `codec ${detail} is reserved (2-127)`;
  return `${text} at offset ${offset}`;
}
