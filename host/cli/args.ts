// Command-line parsing: each command declares its positionals and options; anything else is a
// UsageError (exit code 2), reported with the command's usage line.

import { UsageError } from './errors.js';

export interface OptionSpec {
  /** Takes a value (`--format archive` or `--format=archive`); otherwise a flag. */
  value?: string;
  /** Allowed values, checked here so commands get only valid ones. */
  choices?: readonly string[];
  short?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** Positionals as shown in usage: `PATH`, `KEY`, `[FILE]` (optional ones last). */
  args: readonly string[];
  /** One line for `iodict --help`. */
  brief: string;
  summary: string;
  options: Readonly<Record<string, OptionSpec>>;
}

export interface Parsed {
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { help: 'machine-readable JSON output (errors too, on stderr)' },
  'no-progress': { help: 'never draw a progress bar (it is only drawn when stderr is a terminal)' },
  help: { short: 'h', help: 'show help' },
};

export function parseArgs(spec: CommandSpec, argv: readonly string[]): Parsed {
  const options: Parsed['options'] = {};
  const positionals: string[] = [];
  const all = { ...GLOBAL_OPTIONS, ...spec.options };
  const byShort = new Map(Object.entries(all).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    // A lone "-" is a positional (stdin/stdout), and so is a negative number (a key); "--" ends
    // options, so any key may start with "-".
    if (onlyPositionals || arg === '-' || !arg.startsWith('-') || /^-(\d|\.\d|Infinity$)/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      if (arg.length !== 2) throw new UsageError(`unknown option ${arg} (combine short options separately)`);
      name = byShort.get(arg[1]!) ?? arg;
    }
    const option = all[name];
    if (!option) throw new UsageError(`unknown option ${arg} for ${spec.name}`);
    if (!option.value) {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      options[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value (${option.value})`);
    if (option.choices && !option.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${option.choices.join(', ')} (got ${JSON.stringify(value)})`);
    }
    options[name] = value;
  }
  if (options.help) return { positionals, options };
  const required = spec.args.filter((a) => !a.startsWith('[')).length;
  if (positionals.length < required) throw new UsageError(`${spec.name} needs ${spec.args.slice(positionals.length, required).join(' ')}`);
  if (positionals.length > spec.args.length) throw new UsageError(`too many arguments for ${spec.name}: ${positionals.slice(spec.args.length).join(' ')}`);
  return { positionals, options };
}

export function usageLine(spec: CommandSpec): string {
  return `iodict ${spec.name} ${spec.args.join(' ')} [options]`;
}

export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, ...GLOBAL_OPTIONS }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(30)} ${o.help}${o.choices ? ` (${o.choices.join(', ')})` : ''}`;
  });
  return `usage: ${usageLine(spec)}\n\n${spec.summary}\n\noptions:\n${rows.join('\n')}\n`;
}
