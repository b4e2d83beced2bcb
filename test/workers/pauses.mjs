// The thread side of races.test.mjs's pausedThread: flags[0] counts the pauses this thread has
// reached (the `done` value once its work returned), flags[1] the pauses the main thread let go.
export function pauser(shared, done) {
  const flags = new Int32Array(shared);
  let reached = 0;
  return {
    /** Stops here until the main thread lets this pause go. */
    pause() {
      Atomics.store(flags, 0, ++reached);
      Atomics.notify(flags, 0);
      while (Atomics.load(flags, 1) < reached) Atomics.wait(flags, 1, reached - 1, 30_000);
    },
    finished() {
      Atomics.store(flags, 0, done);
      Atomics.notify(flags, 0);
    },
  };
}
