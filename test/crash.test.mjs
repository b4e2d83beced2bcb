// The crash harness (test/crash/): first the checker itself on hand-written logs (it must catch
// each kind of violation and accept what a crash may legitimately leave), then a short
// deterministic run: every op killed before each of its host calls, and a few random trials.
// The full run is `npm run test:crash -- --trials 1000`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHistory, judgeHistory } from './crash/check.mjs';
import { OP_NAMES, VARIANTS, variantName } from './crash/ops.mjs';
import { crashRun, positionalCases, trialPlans } from './crash/harness.mjs';
import { instrumentedHost } from './crash/host.mjs';
import { readJournalTrace } from './crash/journal-trace.mjs';
import { IODict, nodeHost } from '../dist/index.js';
import { storePath } from './support/tmp.mjs';

const spawn = (c, round = 0) => ({ t: 'spawn', c, round });
const death = (c) => ({ t: 'death', c });
const begin = (c, n, op, args) => ({ t: 'begin', c, n, op, args });
const end = (c, n, result) => ({ t: 'end', c, n, result });
/** A step that completed: its begin and end lines. */
const step = (c, n, op, args, result = null) => [begin(c, n, op, args), end(c, n, result)];
const value = (key, seq) => ({ key, seq });
const set = (c, n, key, seq) => step(c, n, 'dict.set', { key, value: value(key, seq) });
const entry = (key, seq) => ({ key, value: value(key, seq) });
const item = (p, i) => ({ p, i });

/** The violations' kinds and details for a log and what fresh handles would show. */
function judge(events, observed, options) {
  return judgeHistory(parseHistory(events.flat(), options), { dict: [], queue: [], ...observed }).map((v) => `${v.kind}: ${v.detail}`);
}
const passes = (events, observed, options) => assert.equal(judge(events, observed, options), []);
function fails(events, observed, pattern, options) {
  const found = judge(events, observed, options);
  assert.ok(found.some((v) => pattern.test(v)), `expected a violation matching ${pattern}, got: ${found.join(' | ') || 'none'}`);
}

test('checker: an acknowledged write must be there, with its latest value', () => {
  const log = [spawn('c0'), set('c0', 1, 'k', 'a'), set('c0', 2, 'k', 'b'), death('c0')];
  passes(log, { dict: [entry('k', 'b')] });
  fails(log, { dict: [] }, /state: .*dict lost k=b/);
  fails(log, { dict: [entry('k', 'a')] }, /state: .*dict holds k=a, expected k=b/);
  fails(log, { dict: [entry('k', 'b'), entry('x', 'c0.9')] }, /state: .*dict holds x=c0.9, expected no x/);
});

test('checker: a step cut short happened fully or not at all', () => {
  const log = [spawn('c0'), set('c0', 1, 'k', 'a'), begin('c0', 2, 'dict.set', { key: 'k', value: value('k', 'b') }), death('c0')];
  passes(log, { dict: [entry('k', 'a')] });
  passes(log, { dict: [entry('k', 'b')] });
  fails(log, { dict: [] }, /state: .*dict lost k/);
});

test('checker: keys() order is birth order: an overwrite keeps its place, a delete and set moves to the end', () => {
  const log = [spawn('c0'), set('c0', 1, 'a', '1'), set('c0', 2, 'b', '2'), set('c0', 3, 'a', '3'), death('c0')];
  passes(log, { dict: [entry('a', '3'), entry('b', '2')] });
  fails(log, { dict: [entry('b', '2'), entry('a', '3')] }, /state: .*dict order b a, expected a b/);
  const moved = [spawn('c0'), set('c0', 1, 'a', '1'), set('c0', 2, 'b', '2'), step('c0', 3, 'dict.delete', { key: 'a' }, true), set('c0', 4, 'a', '4'), death('c0')];
  passes(moved, { dict: [entry('b', '2'), entry('a', '4')] });
  fails(moved, { dict: [entry('a', '4'), entry('b', '2')] }, /state: .*dict order/);
});

// FORMAT.md 5: an overwrite whose key another process took meanwhile makes the key again, at the
// end, where the host has exchange. Without it the writer looks, then renames: a take between the
// two leaves the new value at the key's old place, which only a take during the write explains.
test('checker: an overwrite of a key popped during it makes a new key, at the end; keeping the old place only without exchange', () => {
  const log = [
    spawn('c0'), spawn('c1'), set('c0', 1, 'k', 'a'), set('c0', 2, 'j', 'b'),
    begin('c1', 1, 'dict.overwrite', { key: 'k', value: value('k', 'c') }),
    step('c0', 3, 'dict.popItem', {}, entry('k', 'a')),
    end('c1', 1, null), death('c0'), death('c1'),
  ];
  passes(log, { dict: [entry('j', 'b'), entry('k', 'c')] });
  fails(log, { dict: [entry('k', 'c'), entry('j', 'b')] }, /state: .*dict order k j, expected j k/);
  const noExchange = { exchange: false };
  passes(log, { dict: [entry('j', 'b'), entry('k', 'c')] }, noExchange);
  passes(log, { dict: [entry('k', 'c'), entry('j', 'b')] }, noExchange);
  const popFirst = [
    spawn('c0'), spawn('c1'), set('c0', 1, 'k', 'a'), set('c0', 2, 'j', 'b'),
    step('c0', 3, 'dict.popItem', {}, entry('k', 'a')),
    step('c1', 1, 'dict.overwrite', { key: 'k', value: value('k', 'c') }),
    death('c0'), death('c1'),
  ];
  fails(popFirst, { dict: [entry('k', 'c'), entry('j', 'b')] }, /state: .*dict order k j, expected j k/, noExchange);
  // A set cut short racing the take: not at all, at the end, or at the old place; a batch item too.
  const cut = [
    spawn('c0'), spawn('c1'), set('c0', 1, 'k', 'a'), set('c0', 2, 'j', 'b'),
    begin('c1', 1, 'dict.setMany', { entries: [['k', value('k', 'c')], ['m', value('m', 'd')]] }),
    step('c0', 3, 'dict.pop', { key: 'k' }, { value: value('k', 'a') }),
    death('c0'), death('c1'),
  ];
  passes(cut, { dict: [entry('j', 'b')] }, noExchange);
  passes(cut, { dict: [entry('k', 'c'), entry('j', 'b'), entry('m', 'd')] }, noExchange);
  passes(cut, { dict: [entry('j', 'b'), entry('k', 'c'), entry('m', 'd')] }, noExchange);
  fails(cut, { dict: [entry('k', 'c'), entry('j', 'b'), entry('m', 'd')] }, /state: .*dict order/);
  fails(cut, { dict: [entry('j', 'b'), entry('k', 'a')] }, /state: .*dict holds k=a/, noExchange);
});

test('checker: a popped item is in exactly one place; a pop cut short leaves it or takes it, never a copy', () => {
  const popped = [spawn('c0'), set('c0', 1, 'k', 'a'), step('c0', 2, 'dict.popItem', {}, entry('k', 'a')), death('c0')];
  passes(popped, {});
  fails(popped, { dict: [entry('k', 'a')] }, /state: .*dict holds k=a, expected no k \(already delivered by c0#2 dict.popItem/);
  const cut = [spawn('c0'), set('c0', 1, 'k', 'a'), begin('c0', 2, 'dict.popItem', {}), death('c0')];
  passes(cut, {});
  passes(cut, { dict: [entry('k', 'a')] });
});

test('checker: a result that no order of the steps explains is reported at its step', () => {
  const stale = [spawn('c0'), set('c0', 1, 'k', 'a'), set('c0', 2, 'k', 'b'), step('c0', 3, 'dict.pop', { key: 'k' }, { value: value('k', 'a') }), death('c0')];
  fails(stale, {}, /impossible result: c0#3 dict.pop\(k\) returned k=a, but every possible state says k=b/);
  const thrown = [spawn('c0'), begin('c0', 1, 'dict.set', { key: 'k', value: value('k', 'a') }), { t: 'end', c: 'c0', n: 1, thrown: 'StoreError: write failed' }, death('c0')];
  fails(thrown, {}, /thrown: c0#1 dict.set\(k=a\) threw StoreError/);
});

test('checker: queue items are delivered once; an unacknowledged one comes back, an acknowledged one never', () => {
  const put = (n, i) => step('c0', n, 'queue.put', { value: item('c0', i) });
  const claimed = [spawn('c0'), put(1, 0), put(2, 1), step('c0', 3, 'queue.getAck', {}, { value: item('c0', 0) }), death('c0')];
  passes(claimed, { queue: [item('c0', 0), item('c0', 1)] });
  fails(claimed, { queue: [item('c0', 1)] }, /state: .*queue lost c0.0/);
  fails(claimed, { queue: [item('c0', 1), item('c0', 0)] }, /state: .*queue order c0.1 c0.0, expected c0.0 c0.1/);
  const acked = [...claimed.slice(0, -1), step('c0', 4, 'queue.ack', { value: item('c0', 0) }), death('c0')];
  passes(acked, { queue: [item('c0', 1)] });
  fails(acked, { queue: [item('c0', 0), item('c0', 1)] }, /state: .*queue holds c0.0 1 more time\(s\) than expected \(already delivered by c0#4 queue.ack/);
  const got = [spawn('c0'), put(1, 0), step('c0', 2, 'queue.get', {}, { value: item('c0', 0) }), death('c0')];
  fails(got, { queue: [item('c0', 0)] }, /already delivered by c0#2 queue.get/);
});

test('checker: two processes: overlapping steps in either order, others in real-time order; a dead claimer\'s item may be taken', () => {
  const putBy = (c, n, i) => step(c, n, 'queue.put', { value: item(c, i) });
  const overlapping = [spawn('a'), spawn('b'), begin('a', 1, 'queue.put', { value: item('a', 0) }), putBy('b', 1, 0), end('a', 1, null), death('a'), death('b')];
  passes(overlapping, { queue: [item('a', 0), item('b', 0)] });
  passes(overlapping, { queue: [item('b', 0), item('a', 0)] });
  const ordered = [spawn('a'), spawn('b'), putBy('a', 1, 0), putBy('b', 1, 0), death('a'), death('b')];
  fails(ordered, { queue: [item('b', 0), item('a', 0)] }, /state: .*queue order b.0 a.0, expected a.0 b.0/);
  const claim = [spawn('a'), spawn('b'), putBy('a', 1, 0), step('a', 2, 'queue.getAck', {}, { value: item('a', 0) })];
  passes([...claim, death('a'), step('b', 1, 'queue.get', {}, { value: item('a', 0) }), death('b')], {});
  fails([...claim, step('b', 1, 'queue.get', {}, { value: item('a', 0) }), death('a'), death('b')], {}, /impossible result: b#1 queue.get\(\) returned a.0, but every possible state says Empty/);
});

test('checker: order is birth order, a birth taken while its step ran: one in flight may land later yet stand ahead', () => {
  const putBy = (c, n, i) => step(c, n, 'queue.put', { value: item(c, i) });
  // a's put starts first and lands last; meanwhile b puts b.0 and takes it unacknowledged (a.0 is
  // not there yet), then dies, so b.0 comes back. a.0's birth may be older than b.0's: either order.
  const inFlight = [spawn('a'), spawn('b'), begin('a', 1, 'queue.put', { value: item('a', 0) }), putBy('b', 1, 0),
    step('b', 2, 'queue.getAck', {}, { value: item('b', 0) }), end('a', 1, null), death('a'), death('b')];
  passes(inFlight, { queue: [item('a', 0), item('b', 0)] });
  passes(inFlight, { queue: [item('b', 0), item('a', 0)] });
  // But never ahead of an item whose put ended before a's began.
  const late = [spawn('a'), spawn('b'), putBy('b', 1, 0), begin('a', 1, 'queue.put', { value: item('a', 0) }), putBy('b', 2, 1), end('a', 1, null)];
  fails([...late, step('b', 3, 'queue.get', {}, { value: item('a', 0) }), death('a'), death('b')], {}, /impossible result: b#3 queue.get\(\) returned a.0/);
  fails([...late, death('a'), death('b')], { queue: [item('a', 0), item('b', 0), item('b', 1)] }, /state: .*queue order/);
  // The same for dictionary keys, and a batch's items keep their order among themselves.
  const keys = [spawn('a'), spawn('b'), begin('a', 1, 'dict.setMany', { entries: [['x', value('x', 'a1')], ['y', value('y', 'a1')]] }), set('b', 1, 'k', 'b1'), end('a', 1, null), death('a'), death('b')];
  passes(keys, { dict: [entry('x', 'a1'), entry('y', 'a1'), entry('k', 'b1')] });
  passes(keys, { dict: [entry('x', 'a1'), entry('k', 'b1'), entry('y', 'a1')] });
  fails(keys, { dict: [entry('y', 'a1'), entry('x', 'a1'), entry('k', 'b1')] }, /state: .*dict order/);
});

test('checker: a write cut short by a kill may reach other handles only later (they list the directory to converge)', () => {
  const putBy = (c, n, i) => step(c, n, 'queue.put', { value: item(c, i) });
  // a died between its put's rename and its journal entry: b, live, does not see a.0 until it lists.
  const log = [spawn('a'), spawn('b'), begin('a', 1, 'queue.put', { value: item('a', 0) }), death('a'), putBy('b', 1, 0),
    step('b', 2, 'queue.get', {}, { value: item('b', 0) }), step('b', 3, 'queue.get', {}, { value: item('a', 0) }), death('b')];
  passes(log, {});
  // But its birth is still before the death: it never stands after a put begun later.
  const after = [spawn('a'), spawn('b'), begin('a', 1, 'queue.put', { value: item('a', 0) }), death('a'), putBy('b', 1, 0), death('b')];
  passes(after, { queue: [item('a', 0), item('b', 0)] });
  fails(after, { queue: [item('b', 0), item('a', 0)] }, /state: .*queue order b.0 a.0, expected a.0 b.0/);
});

test('checker: a batch cut short lands item by item, in order, and each landed item may reach live handles later', () => {
  const values = { values: [item('b', 0), item('b', 1)] };
  const putBy = (c, n, i) => step(c, n, 'queue.put', { value: item(c, i) });
  // b.0 was announced before b died; b.1 was renamed in but not announced: a sees it only at the end.
  const log = [spawn('a'), spawn('b'), begin('b', 1, 'queue.putMany', values), death('b'), putBy('a', 1, 0),
    step('a', 2, 'queue.get', {}, { value: item('b', 0) }), step('a', 3, 'queue.get', {}, { value: item('a', 0) }), death('a')];
  passes(log, { queue: [item('b', 1)] });
  passes(log, {});
  // But never the second item without the first.
  const alone = [spawn('b'), begin('b', 1, 'queue.putMany', values), death('b')];
  passes(alone, { queue: [item('b', 0)] });
  fails(alone, { queue: [item('b', 1)] }, /state: .*queue lost b.0/);
});

test('checker: a batch that completes also lands item by item: another process may see it part way, never an item ahead of an earlier one', () => {
  const batch = { entries: [['k', value('k', 'b1')], ['j', value('j', 'b2')]] };
  const before = [spawn('a'), spawn('b'), set('a', 1, 'k', 'a1'), set('a', 2, 'j', 'a2'), begin('b', 1, 'dict.setMany', batch)];
  // a takes k after it landed and j before: j is made again by the batch, after it.
  passes([...before, step('a', 3, 'dict.popItem', {}, entry('k', 'b1')), step('a', 4, 'dict.popItem', {}, entry('j', 'a2')),
    end('b', 1, null), death('a'), death('b')], { dict: [entry('j', 'b2')] });
  // j landed but k not yet: the batch's order is k, then j.
  fails([...before, step('a', 3, 'dict.pop', { key: 'j' }, { value: value('j', 'b2') }), step('a', 4, 'dict.pop', { key: 'k' }, { value: value('k', 'a1') }),
    end('b', 1, null), death('a'), death('b')], { dict: [entry('k', 'b1')] }, /impossible result/);
});

test('checker: a batch item whose key another process took (before the batch, unseen, or during it) may be made again after the batch\'s other items', () => {
  const batch = { entries: [['k', value('k', 'b1')], ['j', value('j', 'b2')]] };
  const log = [spawn('a'), spawn('b'), set('a', 1, 'k', 'a1'), begin('b', 1, 'dict.setMany', batch),
    step('a', 2, 'dict.popItem', {}, entry('k', 'a1')), end('b', 1, null), death('a'), death('b')];
  passes(log, { dict: [entry('j', 'b2'), entry('k', 'b1')] });
  passes(log, { dict: [entry('k', 'b1'), entry('j', 'b2')] });
  // Taken before the batch began, but b had not read of it yet: the same.
  const before = [spawn('a'), spawn('b'), set('a', 1, 'k', 'a1'), step('a', 2, 'dict.popItem', {}, entry('k', 'a1')),
    step('b', 1, 'dict.setMany', batch), death('a'), death('b')];
  passes(before, { dict: [entry('j', 'b2'), entry('k', 'b1')] });
  // With no take of k anywhere, the batch's order stands.
  const untouched = [spawn('a'), spawn('b'), step('b', 1, 'dict.setMany', batch), death('a'), death('b')];
  fails(untouched, { dict: [entry('j', 'b2'), entry('k', 'b1')] }, /state: .*dict order j k, expected k j/);
});

test('journal trace (test:crash --trace): every append, with its keys and births, and every journal renamed in', () => {
  const path = storePath();
  const trace = `${path}.trace`;
  const dict = new IODict(path, { host: instrumentedHost(nodeHost(), { journalTrace: trace }), rotateAfter: 4 });
  dict.size; // an index: rotations
  dict.set('k', 1);
  dict.delete('k');
  for (let i = 0; i < 20; i++) dict.set(`filler${i}`, i);
  dict.close();
  const events = readJournalTrace(trace);
  const set = events.find((e) => e.kind === 'SET' && e.key === 'k');
  assert.ok(set && typeof set.birth === 'bigint' && set.store === path.split('/').at(-1), JSON.stringify(events.slice(0, 3), (_, v) => (typeof v === 'bigint' ? String(v) : v)));
  assert.ok(events.findIndex((e) => e.kind === 'DELETE' && e.key === 'k') > events.indexOf(set));
  assert.ok(events.filter((e) => e.renamed).length >= 2, 'the first journal and at least one rotation');
  assert.ok(events.some((e) => e.kind === 'SEALED' && e.successor));
  // Journals are named in the order they were renamed in (inodes get reused), and each append names one.
  assert.equal(events.filter((e) => e.renamed).map((e) => e.journal), events.filter((e) => e.renamed).map((_, i) => `J${i + 1}`));
  assert.ok(events.every((e) => /^J\d+$/.test(e.journal)), 'every append is to a journal renamed in while traced');
  const sealed = events.find((e) => e.kind === 'SEALED');
  assert.is.not(sealed.journal, events.filter((e) => e.renamed).at(-1).journal, 'a seal ends an older journal');
});

// Each op under one variant, the four taking turns over the ops, every kill position of each (half
// the children of two variants each, for npm test's time); the full sweep (every op under all
// four, and racing writers) is npm run test:crash.

test('crash harness: every op killed before each of its host calls, and random trials (one child at a time) with fixed seeds', async () => {
  const cases = OP_NAMES.flatMap((op, i) => positionalCases({ ops: [op], variants: [VARIANTS[i % VARIANTS.length]] }));
  const variants = new Set(cases.map((c) => variantName(c.variant)));
  assert.is(variants.size, 4, 'all four variants are covered');
  // Random trials here run one child at a time (writers racing each other are the campaign's:
  // npm run test:crash); what varies is where each kill lands.
  const results = await crashRun({ cases, plans: trialPlans(8, 8, { concurrent: false }), jobs: 2 });
  assert.ok(results.filter((r) => r.steps !== undefined).reduce((n, r) => n + r.steps, 0) > 0, 'random children made steps');
  const violations = results.flatMap((r) => r.violations.map((v) => `${r.name}: ${v.kind}: ${v.detail}`));
  assert.ok(!violations.length, `${violations.length} violation(s) in ${results.length} runs:\n    ${violations.join('\n    ')}\n`);
});

test.run();
