// Test entry: the assembly core functions plus an allocator for the host.
export { sha3_224, hexLower } from "../../assembly/crypto/sha3";
export { crc32c } from "../../assembly/crypto/crc32c";
export {
  cborCheck,
  cborDiag,
  CBOR_TRUNCATED,
  CBOR_TRAILING,
  CBOR_RESERVED,
  CBOR_BAD_UTF8,
  CBOR_TOO_DEEP,
  CBOR_BAD_SIMPLE,
} from "../../assembly/format/cbor";

export function alloc(n: usize): usize {
  return heap.alloc(n);
}
