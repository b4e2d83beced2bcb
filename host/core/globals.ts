// Standard things the published types name, declared here so they need neither the DOM lib nor
// @types/node.

/**
 * The part of the standard AbortSignal that iodict's waits use. A real AbortSignal (an
 * AbortController's, or `AbortSignal.timeout(ms)`) is one.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: any;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** util.inspect.custom, without importing node:util. */
export const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;
