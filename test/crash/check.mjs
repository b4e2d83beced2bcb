// The crash checker. From a trial's log it computes every store state the logged history allows
// (each child's steps in order; steps of different children in any order their times allow; a
// step cut short by a kill, or failing, happened fully or not at all, a batch item by item, and
// may reach other handles late; a batch another process's step overlaps lands item by item too;
// a dead process's claims come back; birth order as bounds on each stamp), then opens fresh
// handles and compares what they show, and looks for leftovers.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { IODict, DurableQueue, Empty } from '../../dist/index.js';
import { diskFiles } from '../support/files.mjs';
import { OPS, HANDLE_OPTIONS, emptyModel, release, visibleState, itemId } from './ops.mjs';
import { readLog } from './log.mjs';

/** States explored per round at most: a bound on a runaway search, far above what trials reach. */
const MAX_STATES = 500000;

/** A value, result or arguments in a few characters: `k1=c0.3` for a dict value, `c0.7` for a queue item. */
export function brief(x) {
  if (x === null || typeof x !== 'object') return String(x);
  if (x.error) return x.error;
  if (x.seq !== undefined) return `${x.key}=${x.seq}`;
  if (x.p !== undefined) return itemId(x);
  if (x.value !== undefined) return brief(x.value);
  return x.key ?? '';
}

export const stepLabel = (op) => `${op.child}#${op.n} ${op.op}(${brief(op.args)})`;

/**
 * The log as rounds of children, each child with its steps: { op, args, begin, end, done, result | thrown }.
 * `exchange`: whether the stores' host replaces a record only where one is (FORMAT.md 5); without
 * it, an overwrite racing a take of its key may keep the key's old place (racedBy, below).
 */
export function parseHistory(events, { exchange = true } = {}) {
  const children = new Map();
  const rounds = [];
  events.forEach((event, at) => {
    if (event.t === 'spawn') {
      const child = { id: event.c, round: event.round, steps: [], death: Infinity };
      children.set(event.c, child);
      (rounds[event.round] ??= []).push(child);
      return;
    }
    const child = children.get(event.c);
    if (event.t === 'death') child.death = at;
    else if (event.t === 'begin') child.steps.push({ child: event.c, n: event.n, op: event.op, args: event.args, begin: at, end: Infinity, done: false });
    else if (event.t === 'end' && child.steps.at(-1)?.n === event.n) {
      Object.assign(child.steps.at(-1), { end: at, done: true, result: event.result, thrown: event.thrown });
    }
  });
  // A step cut short took effect, if at all, before its process died. Other handles may see a
  // change later, though: one whose writer died before announcing it reaches them when they next
  // list the directory (FORMAT.md 7.2: live handles converge within a bounded number of calls),
  // so its step stays open (end) while its birth (diedAt) stays before the death. A take is no
  // such change: another handle's claim of the same record fails at once.
  for (const child of children.values()) {
    for (const step of child.steps) {
      if (step.done) continue;
      step.diedAt = child.death;
      step.end = OPS[step.op]?.takes || OPS[step.op]?.takesFirst ? child.death : Infinity;
    }
  }
  const all = [...children.values()].flatMap((c) => c.steps);
  // Rounds run one after another: a step of an earlier round left open by a kill is no overlap.
  const roundOf = (step) => children.get(step.child).round;
  const concurrent = (a, b) => a.child !== b.child && roundOf(a) === roundOf(b) && a.begin < b.end && b.begin < a.end;
  for (const step of all) if (OPS[step.op]?.landedCounts && OPS[step.op].store === 'dict') step.unordered = keysTakenBefore(step, all);
  if (!exchange) for (const step of all) if (OPS[step.op]?.takes && OPS[step.op].store === 'dict') step.racedBy = writesDuring(step, all, concurrent);
  // A batch lands item by item, so a process whose step overlaps it may see it part way, and a
  // batch cut short may stop after any item (each it landed without announcing reaches other
  // handles when they list): such batches are their items as steps of their own
  // (batchItemSuccessors). A completed batch no other step overlaps is one step: nothing can come
  // between its items, and splitting it only multiplies the states. A batch that failed is a step
  // whose first few items may be in place (successors).
  const overlapped = (step) => all.some((other) => concurrent(step, other));
  const inItems = (step) => OPS[step.op]?.parts && step.thrown === undefined && (!step.done || overlapped(step));
  for (const child of children.values()) child.steps = child.steps.flatMap((step) => (inItems(step) ? batchItems(step) : [step]));
  return { rounds: rounds.filter(Boolean), steps: [...children.values()].flatMap((c) => c.steps) };
}

function batchItems(step) {
  const of = stepLabel(step);
  return OPS[step.op].parts(step.args).map(({ op, args }, index) => {
    const ordered = !(step.unordered === true || step.unordered?.includes(args.key));
    return { ...step, op, args, batch: { of, index, ordered } };
  });
}

/**
 * The keys other processes' takes may have removed before `batch` ended (true: any key, a take
 * cut short). The writer learns of a take only at its next journal read, so its batch may still
 * think such a key present, find it gone, and make it again after the batch's other items.
 */
function keysTakenBefore(batch, steps) {
  const keys = [];
  for (const step of steps) {
    if (step.child === batch.child || !(OPS[step.op]?.takes && OPS[step.op].store === 'dict')) continue;
    if (step.begin > batch.end) continue;
    const key = step.args.key ?? step.result?.key;
    if (!step.done || key === undefined) return true;
    keys.push(key);
  }
  return keys;
}

/**
 * Without exchange, a write looks at its key's record and then renames over it (FORMAT.md 5): a
 * take between the two leaves the written value at the key's old place, not at the end. The
 * labels of other processes' dictionary writes (batches too) that overlap `take` in time: a write
 * among them that makes the key again after this take may put it back at the place the take found.
 */
function writesDuring(take, steps, concurrent) {
  const writes = (step) => writtenKey(step) !== undefined || (OPS[step.op]?.parts && OPS[step.op].store === 'dict');
  return steps.filter((step) => writes(step) && concurrent(step, take)).map(stepLabel);
}

/** The key a single dictionary write (or a batch's item) makes; undefined for any other step. */
const writtenKey = (step) => (step.op === 'dict.set' || step.op === 'dict.overwrite' ? step.args.key : undefined);

const clone = (model) => JSON.parse(JSON.stringify(model));

// Birth order without enumerating it: an entry's stamp lies strictly between its floor (its
// step's begin, raised by takes since) and its step's end (`hi`; JSON turns an open end into
// null); a batch's items rise in item order. Models keep entries sorted by deadline, which is a
// birth order the bounds allow whenever one exists, and which lets states reached by different
// interleavings compare equal.
const floorOf = (entry) => entry.floor ?? entry.born?.lo ?? -Infinity;
const hiOf = (entry) => entry.born?.hi ?? Infinity;
const itemOf = (entry) => entry.born?.item ?? 0;

function byDeadline(a, b) {
  return hiOf(a) - hiOf(b) || floorOf(a) - floorOf(b) || (a.born?.by ?? '').localeCompare(b.born?.by ?? '') || itemOf(a) - itemOf(b);
}
const canonical = (model) => ({ ...model, dict: model.dict.sort(byDeadline), queue: model.queue.sort(byDeadline) });

/** Whether births can rise along `list`: each stamp inside its bounds, a batch's ordered items in order. */
function birthsCanRise(list) {
  let at = -Infinity; // the earliest moment the previous stamp can be at
  const lastItem = new Map();
  for (const entry of list) {
    at = Math.max(at, floorOf(entry));
    if (at >= hiOf(entry)) return false;
    if (entry.born?.item === undefined) continue;
    if ((lastItem.get(entry.born.by) ?? -1) > entry.born.item) return false;
    lastItem.set(entry.born.by, entry.born.item);
  }
  return true;
}

/**
 * The models in which a take of the first visible entry of `list` may find each entry first: for
 * each entry that can be born before every other visible one, the model with it moved to the
 * front and the others' floors raised to its own (they were born after it).
 */
function firstCandidates(model, list) {
  const visible = model[list].filter((e) => e.claimedBy === null);
  const inOrder = (y, x) => y.born?.item !== undefined && x.born?.item !== undefined && y.born.by === x.born.by && y.born.item < x.born.item;
  const mayLead = (x) => visible.every((y) => y === x || (floorOf(x) < hiOf(y) && !inOrder(y, x)));
  const leads = visible.filter(mayLead);
  if (!leads.length) return [model];
  return leads.map((lead) => {
    const next = clone(model);
    const at = model[list].indexOf(lead);
    for (const entry of next[list]) if (entry.claimedBy === null && floorOf(entry) < floorOf(lead)) entry.floor = floorOf(lead);
    next[list].unshift(...next[list].splice(at, 1));
    return next;
  });
}

/**
 * An item of a batch: it lands, in order after the batch's earlier items. Cut short by a kill, it
 * may also not land, and once one did not, none after it did (`halted` names such batches while
 * the round lasts).
 */
function batchItemSuccessors(step, model) {
  const { of, index, ordered } = step.batch;
  const landed = clone(model);
  OPS[step.op].apply(landed, step.args, step.child, false, { lo: step.begin, hi: step.diedAt ?? step.end, by: of, ...(ordered ? { item: index } : {}) });
  useRacedNote(step, landed);
  const landings = [canonical(landed), ...atOldPlace(step, model)];
  if (step.done) return { models: landings };
  const stopped = clone(model);
  if (model.halted?.includes(of)) return { models: [stopped] };
  stopped.halted = [...(model.halted ?? []), of];
  return { models: [stopped, ...landings] };
}

/**
 * A take that raced writes of its key (racedBy: no exchange) leaves a note of the place it took
 * from, for those writes (atOldPlace). `start` is the model before the take, `next` after it.
 */
function noteRacedTake(step, start, next, result) {
  const key = step.args.key ?? result?.key;
  const taken = start.dict.find((e) => e.claimedBy === null && e.key === key);
  if (!taken) return;
  next.raced = [...(next.raced ?? []), { key, born: taken.born, ...(taken.floor !== undefined ? { floor: taken.floor } : {}), by: step.racedBy }];
}

/** A write of a key ends the notes of its raced takes: later writes find the key this one made. */
function useRacedNote(step, model) {
  const key = writtenKey(step);
  if (key === undefined || !model.raced) return;
  model.raced = model.raced.filter((r) => r.key !== key);
  if (!model.raced.length) delete model.raced;
}

/**
 * Without exchange, a write that looked at its key's record before a racing take removed it
 * renames over the gap: its value stands at the key's old place (FORMAT.md 5). The model with
 * the write landed there, when a raced take noted that place for this write; none otherwise.
 */
function atOldPlace(step, model) {
  const key = writtenKey(step);
  const by = step.batch?.of ?? stepLabel(step);
  const raced = key === undefined ? undefined : model.raced?.find((r) => r.key === key && r.by.includes(by));
  if (!raced || model.dict.some((e) => e.claimedBy === null && e.key === key)) return [];
  const next = clone(model);
  useRacedNote(step, next);
  OPS['dict.set'].apply(next, step.args, step.child, false, raced.born);
  if (raced.floor !== undefined) next.dict.at(-1).floor = raced.floor;
  return [canonical(next)];
}

/** The models a step can lead to; for a completed step, only if its logged result is the model's. */
function successors(step, model) {
  if (step.batch) return batchItemSuccessors(step, model);
  const op = OPS[step.op];
  const born = { lo: step.begin, hi: step.diedAt ?? step.end, by: stepLabel(step), ...(step.unordered ? { unordered: step.unordered } : {}) };
  const starts = op.takesFirst ? firstCandidates(model, op.takesFirst) : [model];
  const applied = (start, claim) => {
    const next = clone(start);
    const result = op.apply(next, step.args, step.child, claim, born);
    if (step.racedBy?.length) noteRacedTake(step, start, next, result);
    useRacedNote(step, next);
    return { next: canonical(next), result };
  };
  if (step.done && step.thrown === undefined) {
    const outcomes = starts.map((start) => applied(start, false));
    const models = outcomes.filter(({ result }) => isDeepStrictEqual(result, step.result)).map(({ next }) => next);
    if (models.length) models.push(...atOldPlace(step, model));
    return models.length ? { models } : { models: [], expected: outcomes.map(({ result }) => result) };
  }
  // Cut short or failed: not at all, fully, or (a take) claimed and to come back at its owner's death.
  const models = [clone(model), ...starts.map((start) => applied(start, false).next), ...atOldPlace(step, model)];
  // A batch that failed part way: any first few of its items may be in place.
  for (let landed = 1; landed < (op.landedCounts?.(step.args) ?? 0); landed++) {
    const next = clone(model);
    op.applyFirst(next, step.args, landed, born);
    models.push(canonical(next));
  }
  if (op.takes) models.push(...starts.map((start) => applied(start, true).next));
  return { models };
}

/**
 * Every model a round can end in, starting from any of `starts`; `failures` collects impossible
 * results. Breadth first by progress (steps taken, summed over the children): every step adds
 * one, so a state's successors all lie in the next level, and only two levels are ever held. A
 * depth-first search held a sibling of every state on its path: a trial of 20,000 steps beside
 * a batch cut short kept 20,000 models of up to 130 KB each.
 */
function exploreRound(starts, round, failures) {
  const finals = new Map();
  let explored = 0;
  // A digest, not the text, keys a state: models of long trials run to a hundred KiB.
  const put = (level, at, model) => {
    const key = createHash('sha256').update(`${at}|${JSON.stringify(model)}`).digest('base64');
    if (!level.has(key)) level.set(key, { at, model });
  };
  let level = new Map();
  for (const model of starts) put(level, round.map(() => 0), model);
  for (let progress = 0; level.size; progress++) {
    const next = new Map();
    // A claim coming back adds a state to this same level, which this loop then visits too.
    for (const { at, model } of level.values()) {
      if (++explored > MAX_STATES) throw new Error(`checker: more than ${MAX_STATES} states in one round`);
      const pending = round.map((child, i) => child.steps[at[i]]);
      if (pending.every((step) => !step)) {
        const ids = round.map((c) => c.id);
        const { halted, raced, ...final } = release(clone(model), (e) => ids.includes(e.claimedBy));
        finals.set(JSON.stringify(final), final);
        continue;
      }
      // A step can come next unless another pending step ended before it began.
      const horizon = Math.min(...pending.map((step) => step?.end ?? Infinity));
      pending.forEach((step, i) => {
        if (!step || step.begin > horizon) return;
        const { models, expected } = successors(step, model);
        if (expected !== undefined) for (const result of expected) failures.add(step, result, progress);
        for (const after of models) put(next, at.with(i, at[i] + 1), after);
      });
      // A claim of a process that died may come back at any moment after its death.
      const dead = round.filter((c) => c.death < horizon).map((c) => c.id);
      for (const [list, entries] of Object.entries(model)) {
        entries.forEach((entry, index) => {
          if (!dead.includes(entry.claimedBy)) return;
          const released = clone(model);
          const target = released[list][index];
          put(level, at, release(released, (e) => e === target));
        });
      }
    }
    level = next;
  }
  return [...finals.values()];
}

/** Keeps the impossible results seen furthest into a round: where the history stops making sense. */
function failureLog() {
  let furthest = -1;
  let byStep = new Map();
  return {
    add(step, expected, progress) {
      if (progress < furthest) return;
      if (progress > furthest) (furthest = progress), (byStep = new Map());
      const seen = byStep.get(step) ?? new Set();
      byStep.set(step, seen.add(brief(expected)));
    },
    describe: () => [...byStep].map(([step, expected]) => `${stepLabel(step)} returned ${brief(step.result)}, but every possible state says ${[...expected].join(' or ')}`),
  };
}

/** Every state the history allows once all its processes are dead, or the step where it breaks. */
export function possibleStates(history) {
  let models = [emptyModel()];
  for (const round of history.rounds) {
    const failures = failureLog();
    const finals = exploreRound(models, round, failures);
    if (!finals.length) return { broken: failures.describe() };
    models = finals;
  }
  return { models };
}

/** Reads a dictionary through a handle: its entries in keys() order, and any disagreement between keys(), get() and size. */
export function readDict(dict, knownKeys = []) {
  const problems = [];
  const keys = [...dict.keys()];
  const entries = keys.map((key) => ({ key, value: dict.get(key) }));
  for (const { key, value } of entries) if (value === undefined) problems.push(`keys() lists ${key}, get() finds nothing`);
  if (new Set(keys).size !== keys.length) problems.push(`keys() lists a key twice: ${keys.join(', ')}`);
  for (const key of knownKeys) if (!keys.includes(key) && dict.get(key) !== undefined) problems.push(`get() finds ${key}, keys() does not list it`);
  if (dict.size !== keys.length) problems.push(`size ${dict.size}, keys() lists ${keys.length}`);
  return { entries: entries.filter((e) => e.value !== undefined), problems };
}

/** Takes every item from a queue handle, in order; a count other than qsize() is a problem. */
export function drainQueue(queue) {
  const size = queue.qsize();
  const values = [];
  const problems = [];
  try {
    // Bounded: a core that delivers forever must not hang the checker.
    while (values.length <= size + 100) values.push(queue.getNowait());
    problems.push(`getNowait() keeps delivering past qsize() ${size}`);
  } catch (error) {
    if (!(error instanceof Empty)) throw error;
  }
  if (values.length !== size) problems.push(`qsize() ${size}, ${values.length} item(s) delivered`);
  return { values, problems };
}

const errorText = (error) => `${error?.name}: ${error?.message}`;

/**
 * Opens fresh handles on the stores under `root` (those that exist) and reads everything: { observed: { dict, queue },
 * problems: [{ kind, detail }] }. Claims and temp files still there after the open are problems:
 * their owners are gone (or, in-process, the handle that made them is closed).
 */
export function inspectStores(root, { host, durability, files = diskFiles, knownKeys = [] }) {
  const options = { host, durability, ...HANDLE_OPTIONS };
  const observed = { dict: [], queue: [] };
  const problems = [];
  const leftovers = (store) => {
    for (const dir of ['claimed', 'tmp']) {
      const path = `${root}/${store}/.iodict/${dir}`;
      const names = files.exists(path) ? files.list(path) : [];
      if (names.length) problems.push({ kind: `leftover ${dir}`, detail: `${store}/.iodict/${dir}/ holds ${names.join(', ')} after a fresh handle opened` });
    }
  };
  const read = (store, Class, readAll) => {
    if (!files.exists(`${root}/${store}`)) return; // never made: empty
    try {
      const handle = new Class(`${root}/${store}`, options);
      try {
        leftovers(store);
        const { problems: found, ...state } = readAll(handle);
        observed[store] = state.entries ?? state.values;
        problems.push(...found.map((detail) => ({ kind: `inconsistent ${store}`, detail })));
      } finally {
        handle.close();
      }
    } catch (error) {
      problems.push({ kind: 'thrown', detail: `reading ${store} with a fresh handle: ${errorText(error)}` });
    }
  };
  read('dict', IODict, (dict) => readDict(dict, knownKeys));
  read('queue', DurableQueue, drainQueue);
  return { observed, problems };
}

/**
 * Whether fresh handles showed `model`'s visible entries of `list` (matched by key or item id) in
 * an order their births allow. A model built without logged steps (the fault matrix's) has no
 * birth bounds: its own order is the only one.
 */
function orderAllowed(model, observed, list) {
  const visible = model[list].filter((e) => e.claimedBy === null);
  const idOf = list === 'dict' ? (e) => e.key : (e) => itemId(e.value ?? e);
  const pool = new Map();
  for (const entry of visible) pool.set(idOf(entry), [...(pool.get(idOf(entry)) ?? []), entry]);
  const order = observed[list].map((seen) => pool.get(idOf(seen))?.shift());
  if (order.length !== visible.length || !order.every(Boolean)) return false;
  return visible.every((e) => e.born) ? birthsCanRise(order) : order.every((e, i) => e === visible[i]);
}

/** Whether fresh handles' `observed` state is `model`'s: the same entries, in an order their births allow. */
function fits(model, observed) {
  const expected = visibleState(model);
  const sorted = (entries, id) => entries.map((e) => [id(e), e]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!isDeepStrictEqual(sorted(observed.dict, (e) => e.key), sorted(expected.dict, (e) => e.key))) return false;
  if (!isDeepStrictEqual(sorted(observed.queue, itemId), sorted(expected.queue, itemId))) return false;
  return orderAllowed(model, observed, 'dict') && orderAllowed(model, observed, 'queue');
}

/** What tells `observed` from `model`'s state, in words; an order is named against one that births allow. */
export function stateDifferences(observed, model, delivered = new Map()) {
  const expected = visibleState(model);
  const out = [];
  const byKey = (entries) => new Map(entries.map((e) => [e.key, e.value]));
  const [seen, want] = [byKey(observed.dict), byKey(expected.dict)];
  const gone = (id) => (delivered.has(id) ? ` (already delivered by ${delivered.get(id).join(', ')})` : '');
  for (const [key, value] of want) if (!seen.has(key)) out.push(`dict lost ${brief(value)}`);
  for (const [key, value] of seen) {
    if (!want.has(key)) out.push(`dict holds ${brief(value)}, expected no ${key}${gone(brief(value))}`);
    else if (!isDeepStrictEqual(value, want.get(key))) out.push(`dict holds ${brief(value)}, expected ${brief(want.get(key))}${gone(brief(value))}`);
  }
  if (!out.length && !orderAllowed(model, observed, 'dict')) {
    out.push(`dict order ${observed.dict.map((e) => e.key).join(' ')}, expected ${expected.dict.map((e) => e.key).join(' ')}`);
  }
  const [got, queued] = [observed.queue.map(itemId), expected.queue.map(itemId)];
  const before = out.length;
  for (const id of queued) if (!got.includes(id)) out.push(`queue lost ${id}`);
  for (const id of new Set(got)) {
    const extra = got.filter((x) => x === id).length - queued.filter((x) => x === id).length;
    if (extra > 0) out.push(`queue holds ${id} ${extra} more time(s) than expected${gone(id)}`);
  }
  if (out.length === before && !orderAllowed(model, observed, 'queue')) out.push(`queue order ${got.join(' ')}, expected ${queued.join(' ')}`);
  return out;
}

/** Item id (brief of the value) -> the completed steps that took it for good. */
function deliveries(history) {
  const delivered = new Map();
  for (const step of history.steps) {
    if (!step.done || step.thrown !== undefined) continue;
    const value = step.op === 'queue.ack' ? step.args.value : OPS[step.op].takes ? step.result?.value : undefined;
    if (value !== undefined) delivered.set(brief(value), [...(delivered.get(brief(value)) ?? []), stepLabel(step)]);
  }
  return delivered;
}

/** Judges what fresh handles show (`observed`, as inspectStores gives it) against a history: violations [{ kind, detail }]. */
export function judgeHistory(history, observed) {
  const violations = history.steps
    .filter((step) => step.thrown !== undefined)
    .map((step) => ({ kind: 'thrown', detail: `${stepLabel(step)} threw ${step.thrown}` }));
  const possible = possibleStates(history);
  if (possible.broken) violations.push(...possible.broken.map((detail) => ({ kind: 'impossible result', detail })));
  else if (!possible.models.some((model) => fits(model, observed))) {
    const delivered = deliveries(history);
    // Closest: the fewest differences; of those, the fullest state (what a step cut short would
    // have left had it landed), whatever order the search found them in.
    const size = (model) => model.dict.length + model.queue.length;
    const differences = possible.models.map((model) => ({ found: stateDifferences(observed, model, delivered), size: size(model) }));
    const closest = differences.reduce((a, b) => (b.found.length < a.found.length || (b.found.length === a.found.length && b.size > a.size) ? b : a)).found;
    const cut = history.steps.filter((step) => !step.done).map(stepLabel);
    const hint = cut.length ? ` (steps cut short by a kill: ${cut.join(', ')})` : '';
    violations.push({ kind: 'state', detail: `fresh handles show a state no history allows; closest of ${differences.length}: ${closest.join('; ')}${hint}` });
  }
  return violations;
}

/** Checks a finished trial (every child dead): its log against fresh handles on its stores. */
export function checkTrial({ root, logPath, host, durability, exchange }) {
  const history = parseHistory(readLog(logPath), { exchange });
  const knownKeys = [...new Set(history.steps.filter((s) => s.op.startsWith('dict.')).flatMap((s) => [s.args.key, s.result?.key]).filter(Boolean))];
  const { observed, problems } = inspectStores(root, { host, durability, knownKeys });
  return [...judgeHistory(history, observed), ...problems];
}
