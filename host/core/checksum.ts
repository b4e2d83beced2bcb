// Optional native helper: CRC-32C in machine code, through @node-rs/crc32 (napi-rs, prebuilt for
// Linux, macOS and Windows, so nothing compiles on install; Node and Bun both load it). The core
// hands it long records and index caches (assembly/crypto/checksum.ts); without it the core
// computes its own, the same value about half as fast. IODICT_NATIVE=0 turns it off.
import { createRequire } from 'node:module';
import { Errno } from './host.js';
import { optionalNative } from './fs-host.js';

/** The host contract's crc32c: the CRC-32C of bytes continuing seed, or -ENOTSUP. */
export type Crc32c = (bytes: Uint8Array, seed: number) => number;

type NapiCrc32c = (input: Uint8Array, initialState?: number) => number;

// The check value of CRC-32C ("123456789"), and the same continued from the CRC of its first four bytes.
const CHECK_INPUT = new TextEncoder().encode('123456789');
const CHECK_VALUE = 0xe3069283;

/** The helper, or null when it is missing, turned off, or computes anything but CRC-32C. */
export const loadCrc32c = optionalNative((): Crc32c => {
  const { crc32c } = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: NapiCrc32c };
  // A helper that computed another CRC would write records no other reader accepts: checked first.
  if (crc32c(CHECK_INPUT) >>> 0 !== CHECK_VALUE || crc32c(CHECK_INPUT.subarray(4), crc32c(CHECK_INPUT.subarray(0, 4))) >>> 0 !== CHECK_VALUE) {
    throw new Error('@node-rs/crc32 does not compute CRC-32C');
  }
  return (bytes, seed) => {
    try {
      return crc32c(bytes, seed) >>> 0;
    } catch {
      return -Errno.ENOTSUP; // the core computes it instead
    }
  };
}, false);
