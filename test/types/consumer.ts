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
