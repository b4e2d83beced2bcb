// The checksum of records and index caches: CRC-32C (crc32c.ts). A host may offer one in machine
// code (the CRC instructions of SSE 4.2 and ARMv8: 1.7 to 2.3 times the core's tables on this
// machine, bench/core-hash.mjs); long inputs go to it, since it returns the same value. Short
// ones stay here, where the call would cost more than it saves.
import * as host from '../host/imports';
import { crc32c } from './crc32c';

/** Inputs from this length on are offered to the host: the two tie at about 512 bytes here (bench/core-hash.mjs). */
export const HOST_CHECKSUM_MIN: usize = 1024;

/** CRC-32C of [ptr, ptr + len) continuing seed, as crc32c(). */
export function checksum(ptr: usize, len: usize, seed: u32 = 0): u32 {
  if (len >= HOST_CHECKSUM_MIN) {
    // A host without one (WASI, or no native helper) answers -ENOTSUP: one cheap call per long input.
    const crc = host.crc32c(ptr, <i32>len, seed);
    if (crc >= 0) return <u32>crc;
  }
  return crc32c(ptr, len, seed);
}
