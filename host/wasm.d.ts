// Ambient types for what the host uses of WebAssembly (lib.dom has them, but we are not a DOM
// program). Kept out of the published types: nothing public names them.

declare namespace WebAssembly {
  type ImportValue = ((...args: any[]) => unknown) | Memory | number;
  type Imports = Record<string, Record<string, ImportValue>>;
  class Module {
    constructor(bytes: Uint8Array);
    static imports(module: Module): { module: string; name: string; kind: string }[];
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
  }
}
