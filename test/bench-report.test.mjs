// The bench report's verdicts (bench/report.mjs), on made-up runs: what it publishes as met, not
// met or out of reach must follow from the figures, whatever the machine measured.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bars, noise } from '../bench/report.mjs';

const SIZES = [1000, 10000, 100000];

function row(op, n, us, { kind = 'dict', durability = 'none' } = {}) {
  const results = Object.fromEntries(Object.entries(us).map(([name, value]) => [name, { us: value }]));
  return { id: `${op} n=${n} ${durability}`, op, kind, n, valueBytes: 100, durability, results };
}

const run = (rows) => ({ machine: { fileSystem: 'tmpfs' }, contenders: [], rows, memory: null, asyncLag: null, syscalls: null });
const bar = (r, name) => bars(r).find((b) => b.bar === name);
const SET = "set, new key, ≤1 KiB, 'none'";

/** Asserts a bar's verdict: met or not, out of reach or not, the row it names, its note. */
function verdict(b, { met, outOfReach = false, measured, note }) {
  assert.is(b.met, met);
  assert.is(b.outOfReach, outOfReach);
  if (measured) assert.match(b.measured, measured);
  if (note !== undefined) assert.match(b.note, note);
}

test('a bar the protocol\'s bare calls miss at every size is out of reach, with their range', () => {
  const r = run(SIZES.map((n, i) => row('set', n, { floor: 10, 'floor+protocol': [14, 15, 16][i], iodict: 25 })));
  const b = bar(r, SET);
  assert.is(b.met, false);
  assert.is(b.outOfReach, true);
  assert.match(b.note, /floor \+ protocol 1\.40× floor \(1\.40× to 1\.60× over the sizes\), iodict 1\.79× it/);
});

test('one size where the bare calls meet the bar leaves it merely not met', () => {
  const r = run(SIZES.map((n, i) => row('set', n, { floor: 10, 'floor+protocol': [12, 15, 16][i], iodict: 25 })));
  const b = bar(r, SET);
  assert.is(b.met, false);
  assert.is(b.outOfReach, false);
});

test('a bar measured at one size is never called out of reach by the protocol', () => {
  const r = run([row('set', 1000, { floor: 10, 'floor+protocol': 20, iodict: 25 }, { durability: 'fsync' })]);
  const b = bar(r, "set, 'fsync'");
  assert.is(b.met, false);
  assert.is(b.outOfReach, false);
});

test('get: the format\'s file names alone can put the bare calls over the bar, at every size or not', () => {
  const out = bar(run(SIZES.map((n) => row('get', n, { floor: 10, 'floor+protocol': 14, iodict: 13 }))), 'get');
  verdict(out, { met: false, outOfReach: true, note: /floor \+ protocol 1\.40× floor/ });
  const missed = bar(run(SIZES.map((n, i) => row('get', n, { floor: 10, 'floor+protocol': [14, 10.5, 14][i], iodict: 13 }))), 'get');
  verdict(missed, { met: false, note: /iodict 0\.93× it/ });
});

test('set: a bar the bare calls meet without the xattr mirror is not out of reach (the mirror is an option)', () => {
  const rows = (noMirror) => SIZES.map((n) => row('set', n, { floor: 10, 'floor+protocol': 15, 'floor+protocol xattrs:off': noMirror, iodict: 20, 'iodict xattrs:off': 16 }));
  verdict(bar(run(rows(12)), SET), { met: false, note: /without the mirror: floor \+ protocol 1\.20× floor, iodict 1\.60× floor/ });
  verdict(bar(run(rows(13.5)), SET), { met: false, outOfReach: true, note: /1\.35× to 1\.35× over the sizes, the better of with and without the mirror/ });
});

test('a miss smaller than the run\'s noise (iodict with and without the mirror on get) is said to be one', () => {
  const rows = (iodictGet) => SIZES.map((n) => row('get', n, { floor: 10, 'floor+protocol': 10.5, iodict: iodictGet, 'iodict xattrs:off': iodictGet * 1.2 }));
  verdict(bar(run(rows(11.5)), 'get'), { met: false });
  assert.is(bar(run(rows(11.5)), 'get').withinNoise, true);
  assert.is(bar(run(rows(11.5)), 'get').noise.toFixed(2), '1.20');
  assert.is(bar(run(rows(13.5)), 'get').withinNoise, false);
  assert.is(bar(run(rows(10.5)), 'get').withinNoise, false); // met
});

test('a met bar stays met whatever the floor + protocol shows', () => {
  const r = run(SIZES.map((n) => row('set', n, { floor: 10, 'floor+protocol': 20, iodict: 12 })));
  const b = bar(r, SET);
  assert.is(b.met, true);
  assert.is(b.outOfReach, false);
});

test('a batch bar is out of reach when the floor\'s own batch exceeds it, and not met otherwise', () => {
  const rows = (floorBatch) => [
    row('set', 1000, { floor: 1000, iodict: 1000 }, { durability: 'fsync' }),
    row('setBatch', 1000, { floor: floorBatch, iodict: 20000 }, { durability: 'fsync' }),
  ];
  const out = bar(run(rows(15000)), "batch of 100 sets, 'fsync'");
  assert.is(out.met, false);
  assert.is(out.outOfReach, true);
  assert.match(out.note, /the floor's own batch 15× the floor's fsync'd write/);
  const missed = bar(run(rows(5000)), "batch of 100 sets, 'fsync'");
  assert.is(missed.met, false);
  assert.is(missed.outOfReach, false);
});

test('a peer bar names the worst row iodict misses where the bare calls do not; missed only where they lose too, it is out of reach', () => {
  const ahead = 'ahead of keyv-file on every op';
  // has: the floor's stat already loses to an in-memory peer; get: the floor wins, iodict does not.
  const has = row('has', 1000, { floor: 4, iodict: 8, 'keyv-file': 1 });
  verdict(bar(run([has, row('get', 1000, { floor: 5, iodict: 12, 'keyv-file': 10 })]), ahead), {
    met: false, measured: /^1\.20× \(get n=1000 none\)/, note: /the floor 0\.50× keyv-file on that row/,
  });
  verdict(bar(run([has, row('get', 1000, { floor: 5, iodict: 8, 'keyv-file': 10 })]), ahead), {
    met: false, outOfReach: true, measured: /^8\.00× \(has n=1000 none\)/, note: /the floor 4\.00× keyv-file on that row/,
  });
  verdict(bar(run([row('get', 1000, { floor: 5, iodict: 8, 'keyv-file': 10 })]), ahead), { met: true, note: /^$/ });
  // Where the floor + protocol was measured, it is the bare calls: the calls this format makes.
  verdict(bar(run([row('set', 1000, { floor: 8, 'floor+protocol': 12, iodict: 14, 'keyv-file': 10 })]), ahead), {
    met: false, outOfReach: true, measured: /^1\.40× \(set n=1000 none\)/, note: /floor \+ protocol 1\.20× keyv-file on that row/,
  });
  // ... at their fastest an option allows: the mirror is one, so bare calls without it that keep up
  // with the peer leave the bar merely not met, as for the floor bars.
  verdict(bar(run([row('set', 1000, { floor: 8, 'floor+protocol': 12, 'floor+protocol xattrs:off': 9, iodict: 14, 'keyv-file': 10 })]), ahead), {
    met: false, measured: /^1\.40× \(set n=1000 none\)/, note: /floor \+ protocol without the mirror 0\.90× keyv-file on that row/,
  });
});

test('Bun vs Node: a row where Bun\'s own floor is over 20% slower does not hide one where iodict is', () => {
  const onBun = (r, bun, node) => ({ ...r, runtimes: { bun, node } });
  const rows = [
    onBun(row('get', 100, {}), { iodict: 2000, floor: 700 }, { iodict: 1200, floor: 330 }),
    onBun(row('set', 1000, {}), { iodict: 13, floor: 10 }, { iodict: 10, floor: 10 }),
  ];
  verdict(bar(run(rows), 'Bun vs Node'), { met: false, measured: /^1\.30× \(set n=1000 none\)/ });
  verdict(bar(run([rows[0]]), 'Bun vs Node'), { met: false, outOfReach: true, note: /Bun's floor 2\.12× Node's on that row/ });
});

test('noise: the widest gap between iodict with and without the xattr mirror on get, either way round', () => {
  const r = run([row('get', 1000, { iodict: 10, 'iodict xattrs:off': 11 }), row('get', 10000, { iodict: 13, 'iodict xattrs:off': 10 }), row('set', 1000, { iodict: 30, 'iodict xattrs:off': 10 })]);
  const widest = noise(r);
  assert.is(widest.value.toFixed(2), '1.30');
  assert.is(widest.row.n, 10000);
  assert.is(noise(run([row('set', 1000, { iodict: 30, 'iodict xattrs:off': 10 })])), undefined);
});

test.run();
