// A crash-harness child: node test/crash/child.mjs '<json>'. It works on the stores under
// `root` through an instrumented host and logs every step to `log` (test/crash/log.mjs).
//   mode 'positional': the fixed setup of `op`, then `op`, killing itself by SIGKILL right
//     before the op's `killAt`-th host call; prints { calls } if it lives through the op.
//   mode 'random': prints "ready", then runs a seeded random mix until the parent kills it.
import fs from 'node:fs';
import { OPS, baseHost, openHandles, runFixedCase, mixContext, seededRandom, randomStep, noteResult } from './ops.mjs';
import { HOST_METHODS, instrumentedHost } from './host.mjs';
import { opLog } from './log.mjs';

/** Steps a random child makes at most, so that one outliving its parent still ends. */
const MAX_RANDOM_STEPS = 20000;

const args = JSON.parse(process.argv[2]);
const host = instrumentedHost(baseHost(args.host), { journalTrace: args.journalTrace });
const log = opLog(args.log, args.child);
const handles = openHandles(args.root, { host, durability: args.durability });

function perform([name, stepArgs]) {
  log.begin(name, stepArgs);
  try {
    const result = OPS[name].run(handles, stepArgs);
    log.end(result);
    return result;
  } catch (error) {
    log.fail(error);
    throw error;
  }
}

if (args.mode === 'positional') {
  // An error of the op itself is logged, and the checker reports it.
  const { trace } = runFixedCase(args.op, handles, host, {
    methods: HOST_METHODS,
    before: (position) => position === args.killAt && process.kill(process.pid, 'SIGKILL'),
    perform: (_handles, step) => perform(step),
  });
  handles.close();
  fs.writeSync(1, JSON.stringify({ calls: trace.length }));
} else {
  fs.writeSync(1, 'ready\n');
  const random = seededRandom(args.seed);
  const ctx = mixContext(args.child, args.lane);
  for (let i = 0; i < MAX_RANDOM_STEPS; i++) {
    const step = randomStep(random, ctx);
    try {
      noteResult(ctx, step, perform(step));
    } catch {} // logged: the checker reports it
  }
}
