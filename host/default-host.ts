// The host binding for the runtime this runs in.
import type { StoreHost } from './core/host.js';
import { nodeHost } from './node/binding.js';

let host: StoreHost | undefined;

export function defaultHost(): StoreHost {
  return (host ??= nodeHost());
}
