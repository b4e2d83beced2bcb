/** heap.realloc that also accepts a null pointer (AssemblyScript's does not). */
export function resize(ptr: usize, bytes: usize): usize {
  return ptr ? heap.realloc(ptr, bytes) : heap.alloc(bytes);
}
