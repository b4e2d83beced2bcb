// Every wait takes { signal }: an aborted signal rejects with its reason and takes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Queue, DurableQueue } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

const reason = () => new Error('stop waiting');
const rejection = (promise) => promise.then(() => assert.unreachable('resolved'), (e) => e);

for (const [name, make] of [['Queue', () => new Queue({ maxsize: 1 })], ['DurableQueue', () => new DurableQueue(storePath(), { maxsize: 1, pollInterval: 5 })]]) {
  test(`${name}: an already-aborted signal rejects get, put and join at once, taking nothing`, async () => {
    const q = make();
    const why = reason();
    const signal = AbortSignal.abort(why);
    q.putNowait('a');
    assert.is(await rejection(q.get({ signal })), why);
    assert.is(q.qsize(), 1, 'the item was not taken');
    assert.is(await rejection(q.put('b', { signal })), why);
    assert.is(q.qsize(), 1);
    assert.is(await rejection(q.join({ signal })), why);
    if (name === 'DurableQueue') assert.is(await rejection(q.get({ ack: true, signal })), why);
    assert.is(q.getNowait(), 'a');
    q.close();
  });

  test(`${name}: a get aborted while waiting leaves the line; the next item goes to the next getter`, async () => {
    const q = make();
    const controller = new AbortController();
    const aborted = rejection(q.get({ signal: controller.signal }));
    const next = q.get();
    const why = reason();
    controller.abort(why);
    assert.is(await aborted, why);
    q.putNowait('x');
    assert.is(await next, 'x', 'nothing stranded with the aborted getter');
    assert.is(q.qsize(), 0);
    q.close();
  });

  test(`${name}: a put aborted while waiting for room adds nothing`, async () => {
    const q = make();
    q.putNowait('first');
    const controller = new AbortController();
    const aborted = rejection(q.put('never', { signal: controller.signal }));
    controller.abort('reason as a string');
    assert.is(await aborted, 'reason as a string');
    assert.is(q.getNowait(), 'first');
    assert.is(q.qsize(), 0);
    q.close();
  });

  test(`${name}: join aborted while waiting; a later join still resolves`, async () => {
    const q = make();
    q.putNowait('job');
    const controller = new AbortController();
    const aborted = rejection(q.join({ signal: controller.signal }));
    controller.abort(reason());
    assert.instance(await aborted, Error);
    q.getNowait();
    const joined = q.join();
    q.taskDone();
    await joined;
    q.close();
  });

  test(`${name}: items({ signal }) ends a for-await loop with the reason`, async () => {
    const q = make();
    q.putNowait(1);
    const controller = new AbortController();
    const seen = [];
    const why = reason();
    const loop = (async () => {
      for await (const item of q.items({ signal: controller.signal })) {
        seen.push(item);
        controller.abort(why);
      }
    })();
    assert.is(await rejection(loop), why);
    assert.equal(seen, [1]);
    q.close();
  });
}

test('DurableQueue: get({ ack: true }) aborted while waiting leaves no claim; the item goes to the next getter', async () => {
  const path = storePath();
  const q = new DurableQueue(path, { pollInterval: 5 });
  const controller = new AbortController();
  const aborted = rejection(q.get({ ack: true, signal: controller.signal }));
  const why = reason();
  controller.abort(why);
  assert.is(await aborted, why);
  const other = new DurableQueue(path);
  other.putNowait('item');
  other.close();
  const delivery = await q.get({ ack: true, timeout: 5000 });
  assert.is(delivery.value, 'item');
  delivery.ack();
  assert.is(q.qsize(), 0);
  q.close();
});

test.run();
