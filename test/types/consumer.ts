// Compiled by test/types.test.mjs against dist/index.d.ts, as a user's project would.
import {
  IODict, DurableQueue, Queue, FlushQueue, withFlush, KeyError, Empty, Full, CorruptRecordError, StoreError,
  type Delivery, type IODictOptions, type Codec,
} from '../../dist/index.js';

const options: IODictOptions<{ n: number }> = { durability: 'fsync', xattrs: 'auto', temporary: true };
const d = new IODict<string, { n: number }>('/tmp/x', options);
const value: { n: number } | undefined = d.get('a');
const asMap: Map<string, { n: number }> = d;
const popped: [string, { n: number }] = d.popItem({ last: true });
const fallback: { n: number } | null = d.pop('k', null);
const orUndefined: { n: number } | undefined = d.pop('k', undefined);
const same: IODict<string, { n: number }> = d.copy();

const q = new DurableQueue<number>('/tmp/q', { maxsize: 10 });
async function consume(): Promise<void> {
  const n: number = await q.get({ timeout: 100 });
  const delivery: Delivery<number> = await q.get({ ack: true });
  delivery.ack();
  for await (const item of q) void (item satisfies number);
  void n;
}
const memory = new Queue<string>({ maxsize: 2 });
const flushing = new FlushQueue<string>({ path: '/tmp/f' });
class Plain {
  putNowait(_x: number): void {}
  getNowait(): number {
    return 0;
  }
}
const Flushing = withFlush(Plain);
const codec: Codec<string> = { id: 200, encode: (s) => Uint8Array.from(s, (c) => c.charCodeAt(0)), decode: (b) => String.fromCharCode(...b) };
const errors = [KeyError, Empty, Full, CorruptRecordError, StoreError];
// @ts-expect-error: object keys are not supported
d.set({}, { n: 1 });
export { value, asMap, popped, fallback, orUndefined, same, consume, memory, flushing, Flushing, codec, errors };

// AsyncIODict, transact, locks and signals.
import { AsyncIODict, SharedLock, FileLock, type AsyncIODictOptions, type AsyncOptions } from '../../dist/index.js';
const asyncOptions: AsyncIODictOptions<{ n: number }> = { durability: 'fsync', threads: 2, lock: new SharedLock() };
const ad = new AsyncIODict<string, { n: number }>('/tmp/a', asyncOptions);
const signalOnly: AsyncOptions = { signal: AbortSignal.timeout(10) };
async function useAsync(): Promise<number> {
  const got: { n: number } | undefined = await ad.get('a', signalOnly);
  const size: number = await ad.size;
  const item: [string, { n: number }] = await ad.popItem({ last: true, signal: signalOnly.signal });
  const fallen: { n: number } | 0 = await ad.pop('k', 0, signalOnly);
  for await (const [key, entry] of ad) key.length + entry.n;
  for await (const key of ad.keys(signalOnly)) key.length;
  const counted: number = await ad.transact(async (t) => ((await t.get('c'))?.n ?? 0) + 1, signalOnly);
  const synced: number = d.transact((t) => t.size);
  new FileLock('/tmp/lockfile').acquire();
  await q.get({ signal: signalOnly.signal });
  await q.join({ signal: signalOnly.signal });
  // @ts-expect-error: a plain { acquire, release } cannot cross into the workers
  new AsyncIODict('/tmp/b', { lock: { acquire() {}, release() {} } });
  return (got?.n ?? 0) + size + item[1].n + (fallen ? fallen.n : 0) + counted + synced;
}
export { useAsync };
