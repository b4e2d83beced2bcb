// Child roles for the watch, expiry and size-limit tests (test/watch.test.mjs, test/expiry.test.mjs):
//   write:   sets `count` keys `${prefix}${i}` (with maxItems when given; in setMany calls of
//            `batch` items when given), then reports
//   watch:   prints {ready} once its cursor has started, then one JSON line per change, forever
//   ops:     runs a list of reads and writes at an injected clock time, reports each result
import { IODict } from '../../dist/index.js';

const args = JSON.parse(process.argv[2]);
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

if (args.role === 'write') {
  // A journal that never rotates keeps every change, for tests that replay it.
  const d = new IODict(args.path, args.maxItems ? { maxItems: args.maxItems, rotateAfter: 1e7 } : {});
  const step = args.batch ?? 1;
  for (let i = 0; i < args.count; i += step) {
    if (args.batch) d.setMany(Array.from({ length: Math.min(step, args.count - i) }, (_, j) => [`${args.prefix}${i + j}`, i + j]));
    else d.set(`${args.prefix}${i}`, i);
  }
  d.close();
  print({ done: args.count });
} else if (args.role === 'watch') {
  const d = new IODict(args.path);
  const changes = d.watch(args.since ? { since: args.since } : {});
  print({ ready: true });
  for await (const { type, key, position } of changes) print({ type, key, position });
} else if (args.role === 'ops') {
  const d = new IODict(args.path, { clock: () => args.now });
  const results = args.ops.map(([op, key, value, ttl]) => {
    switch (op) {
      case 'get': return d.get(key) ?? null;
      case 'has': return d.has(key);
      case 'size': return d.size;
      case 'keys': return [...d.keys()];
      case 'set': return void d.set(key, value, ttl ? { ttl } : undefined) ?? null;
      case 'purge': return d.purgeExpired();
      default: throw new Error(`unknown op ${op}`);
    }
  });
  d.close();
  print(results);
}
