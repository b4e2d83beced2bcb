export { IODict, type IODictOptions, type Lock } from './dict.js';
export { KeyError, Empty, Full, ValueError, CorruptRecordError, StoreError } from './errors.js';
export { type Codec, cborCodec, jsonCodec } from './codec/index.js';
/** The CBOR codec itself (encode, decode, CborError), for tools that read records. */
export * as cbor from './codec/cbor.js';
export { type Key } from './core/keys.js';
export { type StoreHost, Errno, OpenFlags, LockMode } from './core/host.js';
export { nodeHost, type NodeHostOptions } from './node/binding.js';
