// Test entry: the assembly core functions plus an allocator for the host.
export { sha3_224, hexLower } from "../../assembly/crypto/sha3";
export { crc32c } from "../../assembly/crypto/crc32c";
export { cborDiag } from "../../assembly/format/cbor";
export {
  checkValue,
  VALUE_TRUNCATED,
  VALUE_TRAILING,
  VALUE_RESERVED,
  VALUE_BAD_BREAK,
  VALUE_BAD_CHUNK,
  VALUE_BAD_UTF8,
  VALUE_TOO_DEEP,
  VALUE_BAD_SIMPLE,
  VALUE_UNKNOWN_TAG,
  VALUE_BAD_CONTENT,
  VALUE_DUPLICATE,
  VALUE_TOO_MANY,
  VALUE_TOO_LARGE,
  VALUE_BAD_DATE,
  VALUE_BAD_REFERENCE,
  VALUE_BAD_JSON,
  VALUE_RESERVED_CODEC,
} from "../../assembly/format/value";

export function alloc(n: usize): usize {
  return heap.alloc(n);
}
