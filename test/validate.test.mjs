// Options are checked when a store opens: a wrong type is a TypeError, a wrong value a RangeError,
// an unknown name (a typo) is refused, all naming the option; a closed handle of any class
// throws one error class; and a batch method given something that is not a batch refuses it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { IODict, AsyncIODict, DurableQueue, Queue, FlushQueue, ClosedError, QueueClosed, jsonCodec } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

const opens = {
  IODict: (options, ...path) => new IODict(path.length ? path[0] : storePath(), options),
  DurableQueue: (options, ...path) => new DurableQueue(path.length ? path[0] : storePath(), options),
};

/** Asserts that `make` throws `type` with a message naming `name`, and creates no store. */
function refuses(make, type, name) {
  const path = storePath();
  assert.throws(() => make(path), (e) => e instanceof type && e.message.includes(`\`${name}\``), `${type.name} naming ${name}`);
  assert.not.ok(fs.existsSync(path), 'nothing was created');
}

const wrongTypes = [
  ['durability', true], ['xattrs', 1], ['onCorrupt', 'warn'], ['lease', '30s'], ['rotateAfter', null],
  ['lock', {}], ['codec', 'json'], ['host', { name: 'x' }], ['mode', '600'],
];
const wrongValues = [['durability', 'always'], ['xattrs', 'yes'], ['lease', 0], ['lease', -5], ['lease', Infinity], ['rotateAfter', 1.5], ['rotateAfter', NaN],
  ['mode', 0o400], ['mode', 0o200], ['mode', 0o1700], ['mode', -1], ['mode', 384.5]];

for (const [cls, open] of Object.entries(opens)) {
  for (const [name, value] of wrongTypes) {
    test(`${cls}: ${name}: ${String(value)} is a TypeError naming the option`, () => {
      refuses((path) => open({ [name]: value }, path), TypeError, name);
    });
  }
  for (const [name, value] of wrongValues) {
    test(`${cls}: ${name}: ${String(value)} is a RangeError naming the option`, () => {
      refuses((path) => open({ [name]: value }, path), RangeError, name);
    });
  }
  test(`${cls}: an unknown option (a typo) is refused, with the likely name`, () => {
    refuses((path) => open({ durabilty: 'fsync' }, path), TypeError, 'durabilty');
    assert.throws(() => open({ durabilty: 'fsync' }), /did you mean `durability`/);
  });
  test(`${cls}: a path that is not a non-empty string is a TypeError`, () => {
    for (const path of ['', undefined, 42, null, new URL('file:///tmp/x')]) {
      assert.throws(() => open({}, path), (e) => e instanceof TypeError && /`path`/.test(e.message), String(path));
    }
  });
  test(`${cls}: options that are not an object are a TypeError; valid ones open`, () => {
    assert.throws(() => open('fsync'), (e) => e instanceof TypeError);
    const handle = open({ durability: 'fsync', xattrs: 'off', lease: 1000, rotateAfter: 64, mode: 0o640, codec: jsonCodec, lock: { acquire() {}, release() {} }, onCorrupt: () => {} });
    handle.close();
  });
}

test('class-only options: temporary (IODict), maxsize and pollInterval (queues)', () => {
  refuses((path) => new IODict(path, { temporary: 'yes' }), TypeError, 'temporary');
  refuses((path) => new IODict(path, { maxsize: 3 }), TypeError, 'maxsize');
  refuses((path) => new DurableQueue(path, { temporary: true }), TypeError, 'temporary');
  refuses((path) => new DurableQueue(path, { maxsize: '3' }), TypeError, 'maxsize');
  refuses((path) => new DurableQueue(path, { pollInterval: 0 }), RangeError, 'pollInterval');
  assert.throws(() => new Queue({ maxsize: NaN }), (e) => e instanceof RangeError && /`maxsize`/.test(e.message));
  assert.throws(() => new Queue({ maxszie: 1 }), (e) => e instanceof TypeError && /did you mean `maxsize`/.test(e.message));
  assert.throws(() => new Queue({ path: '/tmp/x' }), (e) => e instanceof TypeError, 'path is a FlushQueue option, not a Queue one');
  assert.throws(() => new FlushQueue({ path: '' }), (e) => e instanceof TypeError && /`path`/.test(e.message));
  assert.throws(() => new FlushQueue({ paht: '/tmp/x' }), /did you mean `path`/);
  const flushing = new FlushQueue({ path: storePath(), maxsize: 2 });
  assert.is(flushing.maxsize, 2);
});

test('a closed handle throws ClosedError, whatever the class', async () => {
  const d = opens.IODict({});
  d.close();
  for (const use of [() => d.get('a'), () => d.set('a', 1), () => d.size, () => [...d.keys()]]) assert.throws(use, (e) => e instanceof ClosedError);
  const q = opens.DurableQueue({});
  q.close();
  assert.throws(() => q.putNowait(1), (e) => e instanceof ClosedError && e instanceof QueueClosed);
  assert.throws(() => q.qsize(), (e) => e instanceof ClosedError);
  await q.get().then(() => assert.unreachable(), (e) => assert.instance(e, ClosedError));
  const memory = new Queue();
  memory.close();
  assert.throws(() => memory.putNowait(1), (e) => e instanceof ClosedError);
});

// Each wrong argument once per method; Array.from would have made an empty batch of most of them.
const notBatches = {
  update: [5, null, undefined, 'ab', true, [1], ['ab'], [['k', 1], null]],
  setMany: [5, {}, { k: 1 }, null, 'ab', [1], [['k', 1], 'x']],
  fromKeys: [5, {}, null],
};

/** Asserts that `call` (sync or async) fails with a TypeError naming `method`. */
async function refusesArgument(call, method, argument) {
  const label = `${method}(${JSON.stringify(argument)})`;
  let result;
  try {
    result = await call();
  } catch (e) {
    assert.instance(e, TypeError, label);
    assert.ok(e.message.startsWith(`iodict: ${method} takes `), `${label}: ${e.message}`);
    return;
  }
  assert.unreachable(`${label} returned ${result}`);
}

test('IODict and AsyncIODict: update, setMany and fromKeys refuse what is not a batch of pairs or keys, and write nothing', async () => {
  const path = storePath();
  const d = new IODict(path);
  const a = new AsyncIODict(path);
  try {
    for (const [method, args] of Object.entries(notBatches)) {
      for (const argument of args) {
        await refusesArgument(() => d[method](argument, 0), method, argument);
        await refusesArgument(() => a[method](argument, 0), method, argument);
      }
    }
    assert.is(d.size, 0, 'nothing was written, not even the good pairs before a bad one');
    // What a Map takes, they take: a pair without its value sets undefined; a string's characters are keys.
    d.update([['k']]);
    await a.fromKeys('xy', 1);
    assert.equal([...d.entries()], [['k', undefined], ['x', 1], ['y', 1]]);
  } finally {
    d.close();
    await a.close();
  }
});

test('DurableQueue: putMany refuses what is not iterable, and puts nothing', async () => {
  const q = new DurableQueue(storePath());
  try {
    for (const argument of [5, {}, null, undefined]) await refusesArgument(() => q.putMany(argument), 'putMany', argument);
    assert.is(q.qsize(), 0);
    q.putMany('ab');
    assert.equal([q.getNowait(), q.getNowait()], ['a', 'b']);
  } finally {
    q.close();
  }
});

test.run();
