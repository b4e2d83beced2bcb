// The model tests' generator (a linear congruential one): small and deterministic, so a failing
// seed replays in the test and in its child processes alike.
export function generator(seed) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  return { next, pick: (list) => list[Math.floor(next() * list.length)], below: (n) => Math.floor(next() * n) };
}
