// Reports where this process's birth-stamp clock (the host's now(), µs on the wall clock) stands
// against the machine's monotonic clock, which every process shares: { offset } in µs.
import { nodeHost } from '../../dist/index.js';

const host = nodeHost({ native: false });
const monotonicMicros = () => Number(process.hrtime.bigint()) / 1000;
// A load of spinning sibling processes preempts some readings: keep the most tightly bracketed.
let best = { width: Infinity, offset: 0 };
// Readings 20 µs apart: now() is forced strictly increasing, so faster ones would run it ahead.
for (let i = 0; i < 300; i++) {
  for (const until = monotonicMicros() + 20; monotonicMicros() < until; );
  const before = monotonicMicros();
  const stamp = host.now();
  const after = monotonicMicros();
  if (after - before < best.width) best = { width: after - before, offset: stamp - (before + after) / 2 };
}
process.stdout.write(JSON.stringify(best));
