// The DurableQueue behaviour every host must show (run by test/durable-queue.test.mjs per host).
// `files` inspects the store where the host keeps it: the real disk, or the host's own file system.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DurableQueue, Empty, Full, ValueError, QueueClosed, CorruptRecordError } from '../../dist/index.js';
import { storePath } from '../support/tmp.mjs';
import { diskFiles } from '../support/files.mjs';

export function queueSuite(label, hostOptions, files = diskFiles) {
  const test = suite(`DurableQueue [${label}]`);
  const open = (path = storePath(), options = {}) => new DurableQueue(path, { ...hostOptions(), ...options });

  test('FIFO with put/get, putNowait/getNowait, qsize/empty/full', async () => {
    const q = open();
    assert.ok(q.empty());
    for (let i = 0; i < 20; i++) q.putNowait({ i });
    await q.put('last');
    assert.is(q.qsize(), 21);
    assert.not.ok(q.full(), 'unbounded');
    for (let i = 0; i < 10; i++) assert.equal(q.getNowait(), { i });
    for (let i = 10; i < 20; i++) assert.equal(await q.get(), { i });
    assert.is(await q.get({ block: false }), 'last');
    assert.throws(() => q.getNowait(), (e) => e instanceof Empty);
    await q.get({ block: false }).then(() => assert.unreachable(), (e) => assert.ok(e instanceof Empty));
    q.close();
  });

  test('survives a restart with every item, in order', () => {
    const path = storePath();
    const q = open(path);
    for (let i = 0; i < 100; i++) q.putNowait(i);
    q.getNowait();
    q.close();
    const again = open(path);
    assert.is(again.qsize(), 99);
    assert.equal(Array.from({ length: 99 }, () => again.getNowait()), Array.from({ length: 99 }, (_, i) => i + 1));
    again.close();
  });

  test('maxsize: putNowait throws Full, put(timeout) rejects Full, a get makes room for a blocked put', async () => {
    const q = open(storePath(), { maxsize: 2 });
    q.putNowait('a');
    q.putNowait('b');
    assert.ok(q.full());
    assert.throws(() => q.putNowait('c'), (e) => e instanceof Full);
    let rejected;
    await q.put('c', { timeout: 20 }).catch((e) => (rejected = e));
    assert.ok(rejected instanceof Full);
    const blocked = q.put('c');
    assert.is(q.getNowait(), 'a');
    await blocked;
    assert.equal([q.getNowait(), q.getNowait()], ['b', 'c']);
    q.close();
  });

  test('get with timeout rejects Empty after about the timeout; negative timeout is a RangeError', async () => {
    const q = open();
    const started = performance.now();
    let error;
    await q.get({ timeout: 60 }).catch((e) => (error = e));
    const waited = performance.now() - started;
    assert.ok(error instanceof Empty);
    assert.ok(waited >= 58, `waited ${waited} ms`);
    assert.ok(waited < 2000, `waited ${waited} ms`);
    await q.get({ timeout: -1 }).then(() => assert.unreachable(), (e) => assert.ok(e instanceof RangeError));
    q.close();
  });

  test('a blocked get is woken by a put through another handle', async () => {
    const path = storePath();
    const consumer = open(path);
    const producer = open(path);
    const got = consumer.get({ timeout: 5000 });
    setTimeout(() => producer.putNowait('hello'), 20);
    assert.is(await got, 'hello');
    consumer.close();
    producer.close();
  });

  test('taskDone/join; taskDone once too often is a ValueError', async () => {
    const q = open();
    q.putNowait(1);
    q.putNowait(2);
    let joined = false;
    const joining = q.join().then(() => (joined = true));
    q.getNowait();
    q.taskDone();
    await Promise.resolve();
    assert.not.ok(joined);
    q.getNowait();
    q.taskDone();
    await joining;
    assert.ok(joined);
    assert.throws(() => q.taskDone(), (e) => e instanceof ValueError);
    q.close();
  });

  test('items found on disk at open count for taskDone/join', async () => {
    const path = storePath();
    const a = open(path);
    a.putNowait('x');
    a.close();
    const b = open(path);
    assert.is(b.getNowait(), 'x');
    b.taskDone();
    await b.join();
    b.close();
  });

  test('close rejects waiting gets with QueueClosed and keeps items; destroy removes everything', async () => {
    const path = storePath();
    const q = open(path);
    const waiting = q.get();
    q.close();
    await waiting.then(() => assert.unreachable(), (e) => assert.ok(e instanceof QueueClosed));
    assert.throws(() => q.putNowait(1), (e) => e instanceof QueueClosed);
    const again = open(path);
    again.putNowait('kept');
    again.close();
    const last = open(path);
    assert.is(last.qsize(), 1);
    last.destroy();
    assert.not.ok(files.exists(path));
  });

  test('for await yields items until the queue is closed', async () => {
    const q = open();
    for (let i = 0; i < 5; i++) q.putNowait(i);
    const seen = [];
    for await (const item of q) {
      seen.push(item);
      if (seen.length === 5) q.close();
    }
    assert.equal(seen, [0, 1, 2, 3, 4]);
  });

  test('get({ ack: true }): ack removes the item, release puts it back in its place', async () => {
    const path = storePath();
    const q = open(path);
    q.putNowait('first');
    q.putNowait('second');
    const delivery = await q.get({ ack: true });
    assert.is(delivery.value, 'first');
    assert.is(q.qsize(), 1, 'claimed items are not in the queue');
    delivery.release();
    assert.throws(() => delivery.ack(), /already/);
    const again = q.getNowaitAck();
    assert.is(again.value, 'first', 'released item kept its place');
    again.ack();
    assert.equal(files.list(`${path}/.iodict/claimed`), []);
    assert.is(q.getNowait(), 'second');
    await q.get({ ack: true, timeout: 10 }).then(() => assert.unreachable(), (e) => assert.ok(e instanceof Empty));
    q.close();
  });

  test('a corrupt item is quarantined, reported, and the queue serves the rest', () => {
    const path = storePath();
    const reported = [];
    const q = open(path, { onCorrupt: (e) => reported.push(e) });
    q.putNowait('one');
    q.putNowait('two');
    q.putNowait('three');
    const records = files.list(path).filter((n) => n.length === 56);
    // Damage the oldest item's record (find it by its content).
    const victim = records.find((n) => files.read(`${path}/${n}`).includes('one'));
    files.write(`${path}/${victim}`, 'garbage');
    assert.is(q.getNowait(), 'two');
    assert.is(reported.length, 1);
    assert.ok(reported[0] instanceof CorruptRecordError);
    assert.is(files.list(`${path}/.iodict/quarantine`).length, 1);
    assert.is(q.getNowait(), 'three');
    q.close();
  });

  return test;
}
