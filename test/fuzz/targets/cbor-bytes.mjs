// Bytes near valid values (encodings, CBOR from section 4's grammar, mutated, cut, noise): decode
// gives a value or a CborError (never another error, a hang or a crash), and what it accepts can
// be stored again. decode is the core's check, then a decoder that trusts it: one definition.
import { cbor } from '../../../dist/index.js';
import { nearlyValues, sameAsClone } from '../values.mjs';

export const name = 'cbor-bytes';
export const arbitrary = (fc) => nearlyValues(fc, cbor.encode);

export function check(bytes) {
  let value;
  try {
    value = cbor.decode(bytes);
  } catch (e) {
    if (e instanceof cbor.CborError) return;
    // Valid, but beyond this runtime (a RegExp it cannot compile, a Float16Array on Node 20).
    if (e instanceof TypeError && /this runtime/.test(e.message)) return;
    throw e;
  }
  let again;
  try {
    again = cbor.encode(value);
  } catch (e) {
    // Written compactly, a value can exceed the memory budget its looser original met.
    if (e instanceof RangeError) return;
    throw e;
  }
  if (!sameAsClone(cbor.decode(again), value)) throw new Error('an accepted value does not survive being stored again');
}
