// The iodict command-line tool (`iodict --help`). Exit codes: 0 success, 1 a data problem (a bad
// record, a missing key, a failed file-system call, input that cannot be imported), 2 wrong usage.
// Expected errors print one line on stderr (a JSON object with --json), never a stack trace.
import { createRequire } from 'node:module';
import { CorruptRecordError, KeyError, StoreError } from '../errors.js';
import { type CommandSpec, commandHelp, parseArgs, usageLine } from './args.js';
import { ArchiveError } from './archive.js';
import { type Command, Context } from './context.js';
import { DataError, UsageError } from './errors.js';
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

function report(e: unknown, json: boolean, spec: CommandSpec | undefined): number {
  const known = expected(e);
  const error = e as Error & { code?: string; path?: string };
  if (!known) {
    process.stderr.write(`iodict: internal error (please report it): ${error?.stack ?? String(e)}\n`);
    return 1;
  }
  const message = known.message.replace(/^iodict: /, '');
  if (json) {
    process.stderr.write(JSON.stringify({ error: { type: error.name, message, code: error.code, path: error.path } }) + '\n');
  } else {
    process.stderr.write(`iodict: ${message}\n`);
    if (known.code === 2) process.stderr.write(spec ? `usage: ${usageLine(spec)} (see iodict ${spec.name} --help)\n` : 'see iodict --help\n');
  }
  return known.code;
}

async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`iodict dump s | head`) ends the output, not with an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  let ctx: Context | undefined;
  // Node's own warnings (WASI is "experimental") are not the user's concern. The WASI runner
  // reports corrupt records found in passing as warnings: data problems, as with the host build.
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name === 'ExperimentalWarning') return;
    if (w.name === 'CorruptRecordWarning' && ctx) ctx.problem(w.message);
    else process.stderr.write(`iodict: warning: ${w.message}\n`);
  });

  const [name, ...rest] = argv;
  const json = argv.includes('--json');
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const spec = COMMANDS.find((c) => c.spec.name === rest[0])?.spec;
    // Without a command it is a usage error: help goes to stderr.
    (name === undefined ? process.stderr : process.stdout).write(spec ? commandHelp(spec) : mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) return report(new UsageError(`unknown command ${JSON.stringify(name)}`), json, undefined);
  try {
    ctx = new Context(parseArgs(command.spec, rest));
    if (ctx.flag('help')) {
      process.stdout.write(commandHelp(command.spec));
      return 0;
    }
    const code = await command.run(ctx);
    await ctx.out.close();
    // Warnings are emitted on a later tick than the promises above settle: let them arrive.
    await new Promise((resolve) => setImmediate(resolve));
    return ctx.exitCode(code);
  } catch (e) {
    await ctx?.out.close();
    return report(e, json, command.spec);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`iodict: internal error (please report it): ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
