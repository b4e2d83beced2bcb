// The bench's command line, shared by the main run and the child runs it starts.
import fs from 'node:fs';
import os from 'node:os';
import { OPS } from './operations.mjs';

export function parseArgs(argv) {
  const args = { quick: false, bun: true, probes: true, child: false, runtimesOnly: false };
  const list = (value) => value.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--quick') args.quick = true;
    else if (flag === '--dir') args.dir = value();
    else if (flag === '--only') args.only = list(value());
    else if (flag === '--n') args.sizes = list(value()).map(Number);
    else if (flag === '--contenders') args.contenders = list(value());
    else if (flag === '--rounds') args.rounds = Number(value());
    else if (flag === '--out') args.out = value();
    else if (flag === '--no-bun') args.bun = false;
    else if (flag === '--no-probes') args.probes = false;
    else if (flag === '--child') args.child = true;
    else if (flag === '--runtimes') args.runtimesOnly = true;
    else throw new Error(`unknown option ${flag}`);
  }
  for (const op of args.only ?? []) if (!(op in OPS)) throw new Error(`--only: unknown operation ${op}; known: ${Object.keys(OPS).join(', ')}`);
  if (args.sizes?.some((n) => !Number.isInteger(n) || n < 10)) throw new Error('--n takes whole numbers >= 10');
  if (args.rounds !== undefined && !(Number.isInteger(args.rounds) && args.rounds >= 1)) throw new Error('--rounds takes a whole number >= 1');
  args.rounds ??= args.quick ? 3 : 5;
  args.dir ??= os.tmpdir();
  if (!fs.statSync(args.dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--dir ${args.dir}: no such directory (the stores are made in it)`);
  return args;
}

/** The arguments a child run (the Bun column) gets, so that it runs the same rows. */
export function childArgs(args, contenders) {
  return [
    '--child', '--dir', args.dir, '--rounds', String(args.rounds), '--contenders', contenders.join(','),
    ...(args.quick ? ['--quick'] : []), ...(args.only ? ['--only', args.only.join(',')] : []), ...(args.sizes ? ['--n', args.sizes.join(',')] : []),
  ];
}
