// The birth-stamp clock puts the fine monotonic clock on the wall clock (host/core/host.ts,
// measureClockOffset). Here it runs against simulated clocks, so the schedules that broke it on a
// loaded machine (a preemption at every tick of the wall clock) are reproduced exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSync } from 'esbuild';
import { hostBundleOptions } from './support/bundle.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-clock-test-'));
const bundle = path.join(tmp, 'clock.bundle.mjs');
buildSync({ entryPoints: [path.join(root, 'host/core/host.ts')], ...hostBundleOptions, outfile: bundle, format: 'esm' });
let measureClockOffset, microsClock, wallClockMicros;
test.before(async () => {
  ({ measureClockOffset, microsClock, wallClockMicros } = await import(pathToFileURL(bundle).href));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TRUE_OFFSET = 1_764_633_600_000.123456; // wall = fine + this (ms)
const CALL_MS = 0.0002; // each reading takes 200 ns

/**
 * A simulated machine: `now` is wall time in ms. Each reading takes CALL_MS, then `pause(now)`
 * says how long the process is descheduled after it (ms).
 */
function machine(pause, { step = () => 0 } = {}) {
  let now = 1_764_633_600_500.0004;
  let stepped = 0;
  const advance = () => {
    now += CALL_MS;
    now += pause(now);
    stepped = step(now);
  };
  return {
    wall: () => {
      const value = Math.floor(now + stepped);
      advance();
      return value;
    },
    fine: () => {
      const value = now - TRUE_OFFSET;
      advance();
      return value;
    },
  };
}

const within = (offset, expected, bound) => assert.ok(Math.abs(offset - expected) <= bound, `offset ${(offset - expected) * 1000} µs off`);

test('an unloaded machine: the offset to within the 20 µs bound', () => {
  const { wall, fine } = machine(() => 0);
  within(measureClockOffset(wall, fine), TRUE_OFFSET, 0.02);
});

test('preempted at every tick of the wall clock for 1 to 3 whole ms: still to within 20 µs', () => {
  // The scheduler's tick on the wall clock's, on a loaded machine: each bracket around a tick
  // spans the pause, so a tick located by one bracket is off by half of it (0.5 ms steps).
  let ticks = 0;
  let lastTick = Math.floor(1_764_633_600_500);
  const { wall, fine } = machine((now) => {
    const tick = Math.floor(now);
    if (tick === lastTick) return 0;
    const pausedFor = 1 + (ticks++ % 3);
    lastTick = tick + pausedFor;
    return tick + pausedFor + 0.003 - now; // resumed 3 µs after a later tick
  });
  within(measureClockOffset(wall, fine), TRUE_OFFSET, 0.02);
});

test('random pauses anywhere (one per 2 ms of running, up to 1.7 ms): the bounds from different ticks meet within 20 µs', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const { wall, fine } = machine(() => (random() < 0.0001 ? random() * 1.7 : 0));
  within(measureClockOffset(wall, fine), TRUE_OFFSET, 0.02);
});

test('a wall clock step while measuring: the offset after the step', () => {
  const stepAt = 1_764_633_600_500.5;
  const { wall, fine } = machine(() => 0, { step: (now) => (now > stepAt ? 5000 : 0) });
  within(measureClockOffset(wall, fine), TRUE_OFFSET + 5000, 0.02);
});

test('never a tight reading within the budget: returns at the budget, within the bounds seen', () => {
  // Every reading is followed by a 0.7 ms pause: no bracket is ever tighter than 0.7 ms.
  const { wall, fine } = machine(() => 0.7);
  const start = fine();
  const offset = measureClockOffset(wall, fine, 8);
  // The budget is checked after each wall reading: two readings and their pauses past it at most,
  // plus this test's own two readings.
  assert.ok(fine() - start < 8 + 4 * 0.7 + 0.01, 'stopped at the budget');
  within(offset, TRUE_OFFSET, 0.7);
});

test('microsClock: a pause between its two readings does not set the clock again; a step that stays does', () => {
  let pauseOnce = false;
  let stepped = false;
  let readings = 0;
  const m = machine(() => (pauseOnce ? ((pauseOnce = false), 2) : 0), { step: () => (stepped ? 5000 : 0) });
  const wall = () => (readings++, m.wall());
  const fine = () => (readings++, m.fine());
  const micros = microsClock(wall, fine);
  micros(); // sets the clock
  const onWall = (stamp) => {
    const real = wall();
    assert.ok(stamp / 1000 >= real - 0.05 && stamp / 1000 < real + 1.05, `stamp ${stamp / 1000} against the wall's ${real}`);
  };
  // Descheduled for 2 ms right after the fine reading: the wall reading disagrees, a second pair does not.
  const readingsOf = () => {
    readings = 0;
    const stamp = micros();
    const used = readings;
    onWall(stamp);
    return used;
  };
  pauseOnce = true;
  assert.is(readingsOf(), 4, 'two pairs of readings, and no new measurement');
  // The wall clock steps 5 s and stays there: both pairs disagree, and the clock is set again.
  stepped = true;
  const used = readingsOf();
  assert.ok(used > 4, `measured again (${used} readings)`);
});

test('wallClockMicros: on the wall clock, and strictly increasing', () => {
  // First, before a burst: stamps forced up by 1 µs each run ahead of the clock while calls come
  // faster than one a microsecond (Bun's do).
  const before = Date.now();
  const stamp = wallClockMicros() / 1000;
  const after = Date.now();
  // Within the 50 µs of slack wallClockMicros allows, and its floor to whole microseconds.
  assert.ok(stamp >= before - 0.051 && stamp < after + 1.05, `${stamp} against Date.now() ${before}..${after}`);
  const stamps = Array.from({ length: 1000 }, () => wallClockMicros());
  for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i] > stamps[i - 1]);
});

test.run();
