/** heap.realloc that also accepts a null pointer (AssemblyScript's does not). */
export function resize(ptr: usize, bytes: usize): usize {
  return ptr ? heap.realloc(ptr, bytes) : heap.alloc(bytes);
}

/** A heap buffer that grows by doubling, for output built a piece at a time. */
export class GrowableBuffer {
  ptr: usize = 0;
  cap: usize = 0;
  minimum: usize;

  constructor(minimum: usize) {
    this.minimum = minimum;
  }

  /** Room for `more` bytes after the first `used`; returns where they go (ptr may move). */
  room(used: usize, more: usize): usize {
    const need = used + more;
    if (need > this.cap) {
      this.cap = max(need, max(this.cap << 1, this.minimum));
      this.ptr = resize(this.ptr, this.cap);
    }
    return this.ptr + used;
  }
}
