// Child process for the multi-process queue tests. Roles:
//   produce: put `count` items {p, i} (with putMany `batch` at a time, when given) and mark itself done;
//   (every role: `rotateAfter`, when given, is the handle's journal rotation threshold)
//   consume: get until every producer is done and the queue is empty; report what it got;
//   claim:   get one item with { ack: true }, print it, then hang until killed;
//   put:     put one item and exit;
//   fill:    with `maxsize` and the FileLock at `lockPath`: putNowait until Full, `fulls` times.
import fs from 'node:fs';
import { DurableQueue, Empty, Full, FileLock } from '../../dist/index.js';

const args = JSON.parse(process.argv[2]);
const q = new DurableQueue(args.path, {
  ...(args.rotateAfter ? { rotateAfter: args.rotateAfter } : {}),
  ...(args.maxsize ? { maxsize: args.maxsize, lock: new FileLock(args.lockPath) } : {}),
});

if (args.role === 'produce') {
  for (let i = 0; i < args.count; i += args.batch ?? 1) {
    if (args.batch) q.putMany(Array.from({ length: Math.min(args.batch, args.count - i) }, (_, j) => ({ p: args.id, i: i + j })));
    else q.putNowait({ p: args.id, i });
  }
  fs.writeFileSync(`${args.path}.done-${args.id}`, '');
  q.close();
  process.stdout.write(JSON.stringify({ put: args.count }));
} else if (args.role === 'consume') {
  const got = [];
  const producersDone = () => Array.from({ length: args.producers }, (_, p) => fs.existsSync(`${args.path}.done-${p}`)).every(Boolean);
  for (;;) {
    const finished = producersDone(); // checked before the get: empty after this is final
    try {
      const item = await q.get({ timeout: 50 });
      got.push([item.p, item.i]);
    } catch (e) {
      if (!(e instanceof Empty)) throw e;
      if (finished) break;
    }
  }
  q.close();
  process.stdout.write(JSON.stringify({ got }));
} else if (args.role === 'claim') {
  const delivery = await q.get({ ack: true });
  process.stdout.write(JSON.stringify({ claimed: delivery.value }) + '\n');
  setInterval(() => {}, 1000); // hold the claim until killed
} else if (args.role === 'put') {
  q.putNowait(args.item);
  q.close();
  process.stdout.write(JSON.stringify({ put: 1 }));
} else if (args.role === 'fill') {
  let put = 0;
  for (let fulls = 0; fulls < args.fulls; ) {
    try {
      q.putNowait({ p: args.id, i: put });
      put++;
    } catch (e) {
      if (!(e instanceof Full)) throw e;
      fulls++;
    }
  }
  q.close();
  process.stdout.write(JSON.stringify({ put }));
}
