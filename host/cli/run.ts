// The iodict command-line tool (`iodict --help`) as a function of its arguments and streams
// (main.ts runs it as the executable). Exit codes: 0 success, 1 a data problem (a bad record, a
// missing key, a failed file-system call, input that cannot be imported), 2 wrong usage.
// Expected errors print one line on stderr (a JSON object with --json), never a stack trace.
import { createRequire } from 'node:module';
import { CorruptRecordError, KeyError, StoreError } from '../errors.js';
import { type CommandSpec, commandHelp, parseArgs, usageLine } from './args.js';
import { ArchiveError } from './archive.js';
import { type Command, Context } from './context.js';
import { DataError, UsageError } from './errors.js';
import type { CliIo, OutStream } from './io.js';
import { MappingError } from './json.js';
import { UnpicklingError } from './pickle.js';
import { get, dump, ls } from './commands/read.js';
import { rm, set } from './commands/write.js';
import { compact, repair, verify } from './commands/maintain.js';
import { stat } from './commands/stat.js';
import { exportCommand, importCommand } from './commands/transfer.js';

const COMMANDS: Command[] = [ls, get, set, rm, stat, dump, verify, repair, compact, exportCommand, importCommand];

function version(): string {
  try {
    return createRequire(import.meta.url)('../package.json').version as string;
  } catch {
    return 'unknown';
  }
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => usageLine(c.spec).length));
  return [
    'iodict: inspect and maintain iodict stores (durable, file-system-backed ordered dictionaries)',
    '',
    'usage: iodict COMMAND PATH [ARGS] [options]',
    '',
    ...COMMANDS.map((c) => `  ${usageLine(c.spec).padEnd(width)}  ${c.spec.brief}`),
    '',
    'Every command takes --json (machine-readable output) and --no-progress; `iodict COMMAND --help` tells more.',
    'Exit codes: 0 ok, 1 a data problem (bad records, a missing key, unimportable input, I/O errors), 2 wrong usage.',
    '',
  ].join('\n');
}

/** Exit code and one-line message of an expected error; undefined for a bug. */
function expected(e: unknown): { code: number; message: string } | undefined {
  if (e instanceof UsageError) return { code: 2, message: e.message };
  if (e instanceof MappingError) return { code: 1, message: e.message };
  if (
    e instanceof StoreError || e instanceof CorruptRecordError || e instanceof KeyError || e instanceof DataError ||
    e instanceof ArchiveError || e instanceof UnpicklingError
  ) {
    return { code: 1, message: e.message };
  }
  // The library's own TypeErrors (a key or value it cannot store); any other one is a bug.
  if (e instanceof TypeError && e.message.startsWith('iodict: ')) return { code: 1, message: e.message };
  // node:fs errors on the command's own files (FILE of export/import): ENOENT, EACCES, EEXIST...
  const code = (e as { code?: unknown } | undefined)?.code;
  if (e instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { code: 1, message: e.message };
  return undefined;
}

export const internalError = (e: unknown): string => `iodict: internal error (please report it): ${(e as Error | undefined)?.stack ?? String(e)}\n`;

function report(e: unknown, json: boolean, spec: CommandSpec | undefined, stderr: OutStream): number {
  const known = expected(e);
  const error = e as Error & { code?: string; path?: string };
  if (!known) {
    stderr.write(internalError(e));
    return 1;
  }
  const message = known.message.replace(/^iodict: /, '');
  if (json) {
    stderr.write(JSON.stringify({ error: { type: error.name, message, code: error.code, path: error.path } }) + '\n');
  } else {
    stderr.write(`iodict: ${message}\n`);
    if (known.code === 2) stderr.write(spec ? `usage: ${usageLine(spec)} (see iodict ${spec.name} --help)\n` : 'see iodict --help\n');
  }
  return known.code;
}

/** Runs one command; resolves to its exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let ctx: Context | undefined;
  // The WASI runner reports corrupt records found in passing as warnings: data problems, as with
  // the host build. Node's own warnings (WASI is "experimental") are not the user's concern.
  const onWarning = (w: Error) => {
    if (w.name === 'ExperimentalWarning') return;
    if (w.name === 'CorruptRecordWarning' && ctx) ctx.problem(w.message);
    else io.stderr.write(`iodict: warning: ${w.message}\n`);
  };
  process.on('warning', onWarning);
  try {
    return await runCommand(argv, io, (made) => (ctx = made));
  } finally {
    process.off('warning', onWarning);
  }
}

async function runCommand(argv: string[], io: CliIo, started: (ctx: Context) => void): Promise<number> {
  const [name, ...rest] = argv;
  const json = argv.includes('--json');
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const spec = COMMANDS.find((c) => c.spec.name === rest[0])?.spec;
    // Without a command it is a usage error: help goes to stderr.
    (name === undefined ? io.stderr : io.stdout).write(spec ? commandHelp(spec) : mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) return report(new UsageError(`unknown command ${JSON.stringify(name)}`), json, undefined, io.stderr);
  let ctx: Context | undefined;
  try {
    ctx = new Context(parseArgs(command.spec, rest), io);
    started(ctx);
    if (ctx.flag('help')) {
      io.stdout.write(commandHelp(command.spec));
      return 0;
    }
    const code = await command.run(ctx);
    await ctx.out.close();
    // Warnings are emitted on a later tick than the promises above settle: let them arrive.
    await new Promise((resolve) => setImmediate(resolve));
    return ctx.exitCode(code);
  } catch (e) {
    await ctx?.out.close();
    return report(e, json, command.spec, io.stderr);
  }
}
