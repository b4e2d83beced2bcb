// One fixed sequence of store operations (every key type, the value types, overwrites, deletes,
// a pop, a JSON-codec record), so that runtimes and hosts can be compared on the same work.
import { IODict, jsonCodec } from '../../dist/index.js';

export function storeOperations(path, options) {
  const d = new IODict(path, options);
  d.set('first', 'popped below');
  d.set('alpha', 1);
  d.set('ünïcødé ✓ 🎉', { nested: [1, 'two', null, true, -1.5], when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) });
  d.set(42, 42n ** 20n);
  d.set(-0.5, new Map([[1, 'one'], ['set', new Set([1, 'a'])]]));
  d.set(12345678901234567890n, new Float64Array([1.5, -2]));
  d.set(true, undefined);
  d.set(new Uint8Array([1, 2, 3]), new Uint8Array([9, 8, 7]));
  d.set('big', 'x'.repeat(5000));
  for (let i = 0; i < 40; i++) d.set(`k${i}`, { i, half: i / 2 });
  d.set('alpha', 'overwritten in place');
  d.delete('k3');
  d.delete('k4');
  d.set('k4', 'deleted, then set: moved to the end');
  d.popItem();
  d.close();
  const j = new IODict(path, { ...options, codec: jsonCodec });
  j.set('json', { a: [1, 2], b: 'text' });
  j.close();
}
