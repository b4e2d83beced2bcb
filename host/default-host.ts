// The host binding for the runtime this runs in. One bundle serves Node and Bun: the Bun binding
// is plain code until bunHost() runs, and only then requires bun:ffi.
import type { StoreHost } from './core/host.js';
import { nodeHost } from './node/binding.js';
import { bunHost } from './bun/binding.js';

let host: StoreHost | undefined;

export function defaultHost(): StoreHost {
  return (host ??= process.versions.bun ? bunHost() : nodeHost());
}
