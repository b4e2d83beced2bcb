// Values the structured clone algorithm carries: encoded, checked by the core and decoded, each
// comes back as structuredClone returns it (sharing and cycles included), and encodes again to
// the same bytes.
import { cbor } from '../../../dist/index.js';
import { cloneable, sameAsClone } from '../values.mjs';

export const name = 'cbor-values';
export const arbitrary = cloneable;

export function check(value) {
  const bytes = cbor.encode(value);
  const back = cbor.decode(bytes);
  if (!sameAsClone(back, value)) throw new Error('the decoded value is not what structuredClone gives');
  if (!equalBytes(cbor.encode(back), bytes)) throw new Error('encoding the decoded value gives other bytes');
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
