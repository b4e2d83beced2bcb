// Ambient types for what the host uses of WebAssembly (lib.dom has them, but we are not a DOM
// program) and for the core's bytes, which esbuild inlines from dist/iodict.wasm.
declare module '*.wasm' {
  const bytes: Uint8Array;
  export default bytes;
}

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
    readonly buffer: ArrayBuffer;
  }
}
