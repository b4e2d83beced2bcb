// What a command gets: its parsed arguments, stdout, stderr messages, progress bars, and the
// way to open stores, so every command reports the same way.
import type { StoreKind } from '../core/core.js';
import { CorruptRecordError } from '../errors.js';
import type { CommandSpec, Parsed } from './args.js';
import { UsageError } from './errors.js';
import { type KeyInputType, type RawKey, KEY_INPUT_TYPES, MappingError, parseKey } from './json.js';
import type { CliIo } from './io.js';
import { Lines } from './output.js';
import { type Progress, progress } from './progress.js';
import { HostStore, type StoreBackend, openWasi, requireStore } from './store.js';

export interface Command {
  spec: CommandSpec;
  /** Returns the exit code: 0, or 1 when it found data problems (errors are thrown). */
  run(ctx: Context): Promise<number>;
}

export class Context {
  readonly out: Lines;
  readonly json: boolean;
  /** Set when something was wrong with the data though the command went on (exit code 1). */
  problems = 0;

  constructor(
    readonly parsed: Parsed,
    readonly io: CliIo,
  ) {
    this.out = new Lines(io.stdout);
    this.json = parsed.options.json === true;
    if (parsed.options['wasi-runtime'] !== undefined && !parsed.options.wasi) throw new UsageError('--wasi-runtime goes with --wasi');
  }

  get args(): string[] {
    return this.parsed.positionals;
  }

  option(name: string): string | undefined {
    const v = this.parsed.options[name];
    return typeof v === 'string' ? v : undefined;
  }

  flag(name: string): boolean {
    return this.parsed.options[name] === true;
  }

  /** A message on stderr: text, or one JSON object per line with --json. */
  warn(message: string, detail: Record<string, unknown> = {}): void {
    this.io.stderr.write(this.json ? JSON.stringify({ warning: message.replace(/^iodict: /, ''), ...detail }) + '\n' : `${message}\n`);
  }

  /** Records a data problem (reported now, exit code 1 at the end). */
  problem(message: string, detail: Record<string, unknown> = {}): void {
    this.problems++;
    this.warn(message, detail);
  }

  progress(label: string, total: number | undefined, writesStdout = false): Progress {
    return progress(label, total, { enabled: !this.flag('no-progress'), writesStdout, stream: this.io.stderr, stdout: this.io.stdout });
  }

  printJson(value: unknown): Promise<void> {
    return this.out.line(JSON.stringify(value));
  }

  /** A key given on the command line, typed by --key-type. */
  key(text: string): RawKey {
    try {
      return parseKey(text, (this.option('key-type') ?? 'string') as KeyInputType);
    } catch (e) {
      if (e instanceof MappingError || e instanceof TypeError) throw new UsageError(`bad KEY: ${e.message.replace(/^iodict: /, '')}`);
      throw e;
    }
  }

  /** Corrupt records the core finds in passing: reported, and the command ends with exit code 1. */
  readonly onCorrupt = (error: CorruptRecordError): void => this.problem(error.message, { quarantine: error.path });

  /** An existing store through the host build; with `create`, made if missing, recording `kind`. */
  hostStore(path: string, options: { create?: boolean; kind?: StoreKind; mode?: number } = {}): HostStore {
    if (!options.create) requireStore(path);
    return new HostStore(path, { onCorrupt: this.onCorrupt, kind: options.kind, mode: options.mode });
  }

  /** An existing store through the build --wasi asks for. */
  async readStore(path: string): Promise<StoreBackend> {
    if (!this.flag('wasi')) return this.hostStore(path);
    requireStore(path);
    return openWasi(path, { runtime: (this.option('wasi-runtime') ?? undefined) as 'node' | 'wasmer' | undefined });
  }

  /** Exit code for a command that returned `code`. */
  exitCode(code: number): number {
    return code || (this.problems ? 1 : 0);
  }
}

/** CorruptRecordError from either build (the WASI runner's errors may be its own classes). */
export function isCorrupt(e: unknown): e is Error {
  return e instanceof CorruptRecordError || (e as Error | undefined)?.name === 'CorruptRecordError';
}

export const KEY_TYPE_OPTION = {
  value: 'TYPE',
  choices: KEY_INPUT_TYPES,
  short: 'k',
  help: 'how to read KEY (default string; json takes the dump\'s key form)',
} as const;

export const WASI_OPTIONS = {
  wasi: { help: 'read the store through the WASI build (dist/iodict.wasi.wasm) instead of the host build' },
  'wasi-runtime': { value: 'RUNTIME', choices: ['node', 'wasmer'], help: 'which WASI runtime runs it (with --wasi)' },
} as const;
