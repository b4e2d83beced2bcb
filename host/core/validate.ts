// Option checking for every public constructor: one table per class, name -> check. A class adds
// an option by adding a row (tables spread each other), so a typo such as `durabilty` is refused
// everywhere instead of being silently ignored. Also the checks of the batch methods' arguments,
// which would otherwise turn a wrong argument into an empty batch.

/** Checks one option's value (never called for undefined: every option is optional). Throws. */
export type OptionCheck = (value: unknown, option: string, where: string) => void;
export type OptionTable = Readonly<Record<string, OptionCheck>>;

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? (value === null ? 'null' : 'an object') : `${typeof value} ${String(value)}`;

function typeError(where: string, option: string, wanted: string, value: unknown): TypeError {
  return new TypeError(`iodict: ${where} option \`${option}\` must be ${wanted}, got ${describe(value)}`);
}

/** One of the given strings (another string is a RangeError, anything else a TypeError). */
export const oneOf = (...choices: string[]): OptionCheck => (value, option, where) => {
  const wanted = choices.map((c) => `'${c}'`).join(' or ');
  if (typeof value !== 'string') throw typeError(where, option, wanted, value);
  if (!choices.includes(value)) throw new RangeError(`iodict: ${where} option \`${option}\` must be ${wanted}, got ${describe(value)}`);
};

export const isBoolean: OptionCheck = (value, option, where) => {
  if (typeof value !== 'boolean') throw typeError(where, option, 'a boolean', value);
};

export const isFunction: OptionCheck = (value, option, where) => {
  if (typeof value !== 'function') throw typeError(where, option, 'a function', value);
};

/** A number (NaN is a RangeError); `positive` (> 0), `integer` and `finite` narrow it. */
export const isNumber = ({ positive = false, integer = false, finite = false } = {}): OptionCheck => (value, option, where) => {
  if (typeof value !== 'number') throw typeError(where, option, 'a number', value);
  const bad = Number.isNaN(value) || (positive && !(value > 0)) || (integer && !Number.isInteger(value)) || (finite && !Number.isFinite(value));
  if (bad) {
    const wanted = [positive ? 'a positive' : 'a', integer ? 'integer' : 'number', finite ? '(finite)' : ''].filter(Boolean).join(' ');
    throw new RangeError(`iodict: ${where} option \`${option}\` must be ${wanted}, got ${value}`);
  }
};

/** Permission bits (0 to 0o777) that leave the owner read and write: a store its owner cannot write is no store. */
export const isMode: OptionCheck = (value, option, where) => {
  if (typeof value !== 'number') throw typeError(where, option, 'a number (permission bits, such as 0o600)', value);
  if (!Number.isInteger(value) || value < 0 || value > 0o777 || (value & 0o600) !== 0o600) {
    const shown = Number.isInteger(value) && value >= 0 ? `0o${value.toString(8)}` : String(value);
    throw new RangeError(`iodict: ${where} option \`${option}\` must be permission bits from 0o600 to 0o777 that include owner read and write (0o600), got ${shown}`);
  }
};

/** An object with these methods (a lock, a host, a codec). */
export const hasMethods = (what: string, ...methods: string[]): OptionCheck => (value, option, where) => {
  const ok = typeof value === 'object' && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw typeError(where, option, `${what} (an object with ${methods.join('() and ')}())`, value);
};

/** The options every store handle takes (CoreOptions). */
export const CORE_OPTIONS: OptionTable = {
  durability: oneOf('none', 'fsync'),
  xattrs: oneOf('auto', 'on', 'off'),
  onCorrupt: isFunction,
  lease: isNumber({ positive: true, finite: true }),
  rotateAfter: isNumber({ positive: true, integer: true }),
  clock: isFunction,
  mode: isMode,
};

/** What IODict and DurableQueue share beyond CoreOptions. */
export const HANDLE_OPTIONS: OptionTable = {
  ...CORE_OPTIONS,
  lock: hasMethods('a lock', 'acquire', 'release'),
  codec: hasMethods('a codec', 'encode', 'decode'),
  host: hasMethods('a StoreHost', 'open', 'close', 'read', 'write', 'rename'),
};

/** A store's expiry and size limits (IODict and AsyncIODict). */
export const LIMIT_OPTIONS: OptionTable = {
  ttl: isNumber({ positive: true, finite: true }),
  maxItems: isNumber({ positive: true, integer: true }),
  maxBytes: isNumber({ positive: true, integer: true }),
};
export const DICT_OPTIONS: OptionTable = { ...HANDLE_OPTIONS, ...LIMIT_OPTIONS, temporary: isBoolean };
export const QUEUE_OPTIONS: OptionTable = { maxsize: isNumber() };
export const DURABLE_QUEUE_OPTIONS: OptionTable = { ...HANDLE_OPTIONS, ...QUEUE_OPTIONS, pollInterval: isNumber({ positive: true, finite: true }) };
export const FLUSH_QUEUE_OPTIONS: OptionTable = { ...QUEUE_OPTIONS, path: isPath, mode: isMode };

/**
 * Checks `options` against `table`: each known option's value, and (unless `othersAllowed`, for a
 * base class whose subclass checks the rest) that no other name is present.
 */
export function checkOptions(where: string, options: unknown, table: OptionTable, othersAllowed = false): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new TypeError(`iodict: ${where} options must be an object, got ${describe(options)}`);
  for (const [name, value] of Object.entries(options)) {
    const check = table[name];
    if (check === undefined) {
      if (othersAllowed) continue;
      const near = Object.keys(table).find((known) => editDistance(known, name) <= 2);
      throw new TypeError(`iodict: ${where} has no option \`${name}\`${near ? ` (did you mean \`${near}\`?)` : ''}; known: ${Object.keys(table).join(', ')}`);
    }
    if (value !== undefined) check(value, name, where);
  }
}

/** A store's path: a non-empty string (a TypeError otherwise). */
export function isPath(value: unknown, option = 'path', where = 'iodict'): void {
  if (typeof value !== 'string' || value === '') throw new TypeError(`iodict: ${where} \`${option}\` must be a non-empty string (a directory), got ${describe(value)}`);
}

/** Levenshtein distance, for "did you mean" on short option names. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

const isIterable = (value: unknown): value is Iterable<unknown> =>
  value != null && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';

/** `items` as an array; a TypeError naming `method` when it is not iterable (Array.from makes [] of a number or a plain object). */
export function iterableArgument<T>(items: Iterable<T>, method: string): T[] {
  if (!isIterable(items)) throw new TypeError(`iodict: ${method} takes an iterable, got ${describe(items)}`);
  return Array.from(items);
}

/**
 * `entries` as an array of [key, value] pairs. Each must be an object, as Map's constructor asks
 * (a missing value is undefined, as there): a string is iterable, but its characters are not pairs.
 */
export function pairsArgument<K, V>(entries: Iterable<readonly [K, V]>, method: string): (readonly [K, V])[] {
  const pairs = iterableArgument(entries, method);
  pairs.forEach((pair, i) => {
    if (typeof pair !== 'object' || pair === null) throw new TypeError(`iodict: ${method} takes [key, value] pairs; item ${i} is ${describe(pair)}`);
  });
  return pairs;
}

/** update()'s argument as pairs: a Map or another iterable of [key, value], or a plain object's own entries. */
export function updateArgument<K, V>(other: Map<K, V> | Iterable<readonly [K, V]> | Record<string, V>, method: string): (readonly [K, V])[] {
  if (typeof other !== 'object' || other === null) throw new TypeError(`iodict: ${method} takes a Map, an iterable of [key, value] pairs or an object, got ${describe(other)}`);
  return pairsArgument(isIterable(other) ? (other as Iterable<readonly [K, V]>) : (Object.entries(other) as unknown as Iterable<readonly [K, V]>), method);
}
