// npm run bench:report: regenerates bench/results.md (every row), bench/chart.svg and the README's
// performance section (between <!-- bench:start --> and <!-- bench:end -->) from bench/results.json.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { barChart } from './chart.mjs';
import { countLabel, sizeLabel } from './operations.mjs';

const files = {
  results: new URL('./results.json', import.meta.url),
  markdown: new URL('./results.md', import.meta.url),
  chart: new URL('./chart.svg', import.meta.url),
  readme: new URL('../README.md', import.meta.url),
};
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const PEERS = ['node-persist', 'keyv-file', 'cacache', 'lmdb', 'sqlite', 'diskcache', 'persist-queue'];

// ---- numbers ----

const sig = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1).replace(/\.0$/, '') : x >= 1 ? x.toFixed(2).replace(/0$/, '') : x.toFixed(3));
/** A time in the unit that reads best: µs, or ms from 1000 µs on. */
export const time = (us) => (us >= 1000 ? `${sig(us / 1000)} ms` : `${sig(us)} µs`);
const ratio = (r) => `${r >= 10 ? Math.round(r) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
const usOf = (row, name) => (row?.results[name] && 'us' in row.results[name] ? row.results[name].us : undefined);
const unitNote = { op: '', key: ', per key', value: ', per value', batch: ', per batch', open: '' };

/** Runs in a fixed order: tmpfs first (the ratios), then the disks. */
const orderedRuns = (results) => Object.values(results.runs).sort((a, b) => (a.machine.fileSystem === 'tmpfs' ? -1 : b.machine.fileSystem === 'tmpfs' ? 1 : 0));
const groupKey = (row) => `${row.kind} ${row.n} ${row.valueBytes} ${row.durability}`;
const groupTitle = (row) => `${row.kind === 'queue' ? 'DurableQueue' : 'IODict'}, n = ${countLabel(row.n)}, ${sizeLabel(row.valueBytes)} values, durability '${row.durability}'`;
const find = (run, op, n, valueBytes = 100, durability = 'none') => run.rows.find((r) => r.op === op && (n === undefined || r.n === n) && r.valueBytes === valueBytes && r.durability === durability);
const dictSizes = (run) => [...new Set(run.rows.filter((r) => r.kind === 'dict' && r.valueBytes === 100 && r.durability === 'none').map((r) => r.n))].sort((a, b) => a - b);
const labelOf = (run, name) => run.contenders.find((c) => c.name === name)?.label ?? name;
const fsName = (run) => (run.machine.fileSystem === 'tmpfs' ? 'tmpfs' : `${run.machine.fileSystem} (disk)`);

// ---- tables ----

function cell(row, name) {
  const r = row.results[name];
  if (!r) return '';
  if ('na' in r) return `n/a (${r.na})`;
  const iodict = usOf(row, 'iodict');
  const base = time(r.us);
  return name !== 'iodict' && name !== 'floor' && iodict !== undefined ? `${base} (${ratio(iodict / r.us)})` : base;
}

function rowTable(run, rows, { bun = true } = {}) {
  // AsyncIODict gets a column once a build has it (until then the contenders list says n/a).
  const peers = ['iodict async', ...PEERS].filter((p) => rows.some((row) => (p === 'iodict async' ? usOf(row, p) !== undefined : row.results[p])));
  const hasBun = bun && rows.some((row) => row.runtimes?.bun?.iodict !== undefined);
  const head = ['operation', 'iodict', 'floor', 'iodict ÷ floor', ...peers.map((p) => `${labelOf(run, p)} (iodict ÷ it)`), ...(hasBun ? ['iodict on Bun', 'Bun ÷ Node (child runs)'] : [])];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const row of rows) {
    const iodict = usOf(row, 'iodict');
    const floor = usOf(row, 'floor');
    const noXattrs = usOf(row, 'iodict xattrs:off');
    const cells = [
      `${row.title}${unitNote[row.unit]}`,
      `${cell(row, 'iodict')}${noXattrs !== undefined ? ` (xattrs off: ${time(noXattrs)})` : ''}`,
      cell(row, 'floor'),
      iodict !== undefined && floor !== undefined ? ratio(iodict / floor) : '',
      ...peers.map((p) => cell(row, p)),
    ];
    if (hasBun) {
      const r = row.runtimes;
      cells.push(r?.bun?.iodict !== undefined ? time(r.bun.iodict) : '', r?.bun?.iodict !== undefined && r?.node?.iodict ? ratio(r.bun.iodict / r.node.iodict) : '');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function environmentLine(run) {
  const m = run.machine;
  const load = run.loadAverage ? `; load average ${run.loadAverage.start.toFixed(1)} at the start, ${run.loadAverage.end.toFixed(1)} at the end` : '';
  return `${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.os}; stores on ${m.fileSystem} (${m.dir}${m.mountOptions ? `, mounted ${m.mountOptions}` : ''}); Node ${run.runtimes.node}, Bun ${run.runtimes.bun}; ${run.date.slice(0, 10)}; ${run.options.rounds} rounds, medians${run.options.quick ? ', --quick' : ''}; ${run.seconds} s${load}.`;
}

function syscallTable(run) {
  if (!run.syscalls?.available) return `Syscalls per operation: n/a (${run.syscalls?.note ?? 'not measured'}).`;
  const lines = ['| operation | durability | iodict | floor + protocol | floor | iodict ÷ floor |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of run.syscalls.results) {
    const protocol = r.perOp['floor+protocol'];
    lines.push(`| ${r.op} | ${r.durability} | ${r.perOp.iodict.toFixed(1)} | ${protocol === undefined ? 'n/a' : protocol.toFixed(1)} | ${r.perOp.floor.toFixed(1)} | ${ratio(r.perOp.iodict / r.perOp.floor)} |`);
  }
  return `Syscalls per operation (\`strace -f -c\` around a child doing ${run.syscalls.count} and ${2 * run.syscalls.count} operations; the difference over ${run.syscalls.count}):\n\n${lines.join('\n')}`;
}

/** The latencies the suite measures besides per-op cost: watch() lag and the event loop's lag under AsyncIODict. */
/**
 * How far this run's noise moves two contenders doing identical work: for a get, iodict with and
 * without the xattr mirror make the same calls. The widest gap over the get rows, and its row.
 */
export function noise(run) {
  const gaps = run.rows.filter((r) => r.op === 'get' && usOf(r, 'iodict') && usOf(r, 'iodict xattrs:off')).map((r) => {
    const [a, b] = [usOf(r, 'iodict'), usOf(r, 'iodict xattrs:off')];
    return { value: Math.max(a / b, b / a), row: r };
  });
  return worst(gaps);
}

function latencyLines(run) {
  const ms = (x) => `${x.toFixed(2)} ms`;
  const lines = [];
  const w = run.watchLag;
  if (w?.available) {
    lines.push(`- Watch lag (another process sets ${w.sets.toLocaleString('en-US')} keys, one every ${w.paceMs} ms; from its set returning to the change heard here): ` +
      `iodict \`watch()\` p50 ${ms(w.iodict.p50Ms)}, p99 ${ms(w.iodict.p99Ms)}, max ${ms(w.iodict.maxMs)} (${w.iodict.count} heard); ` +
      `a bare \`fs.watch\` on the store directory (the floor, which names a file but not the change) p50 ${ms(w.bareFsWatch.p50Ms)}, p99 ${ms(w.bareFsWatch.p99Ms)}, max ${ms(w.bareFsWatch.maxMs)} (${w.bareFsWatch.count} heard).`);
  }
  const b = w?.burst;
  if (b) lines.push(`- A burst: ${b.writers} processes set ${(b.count / b.writers).toLocaleString('en-US')} keys each at full speed; \`watch()\` heard ${b.count.toLocaleString('en-US')}${b.inOrder ? ', each writer\'s in its order' : ' (OUT OF ORDER)'}; lag p50 ${ms(b.p50Ms)}, p99 ${ms(b.p99Ms)}, max ${ms(b.maxMs)}.`);
  const widest = noise(run);
  if (widest) lines.push(`- Noise: for a get, iodict with and without the xattr mirror make the same calls; in this run they differ by up to ${ratio(widest.value)} (${widest.row.id}), so a ratio within that of 1× is a tie.`);
  const a = run.asyncLag;
  if (a?.available) lines.push(`- Event loop while ${a.sets.toLocaleString('en-US')} AsyncIODict sets run${a.inFlight ? `, ${a.inFlight} in flight at a time` : ' (all started at once)'}: a 10 ms timer lagged at most ${ms(a.worstLagMs)}.`);
  return lines.length ? lines.join('\n') : 'Latencies: not measured in this run.';
}

function memoryTable(run) {
  if (!run.memory) return 'Process memory: not measured in this run.';
  const { n, results } = run.memory;
  const lines = ['| store | RSS after open + listing every key | of which opening and listing | per item | index (iodict) per item |', '| --- | --- | --- | --- | --- |'];
  for (const [name, r] of Object.entries(results)) {
    lines.push(`| ${labelOf(run, name)} | ${(r.rssBytes / 2 ** 20).toFixed(1)} MiB | ${(r.rssOpenBytes / 2 ** 20).toFixed(1)} MiB | ${Math.round(r.rssOpenBytes / n)} B | ${r.indexBytesPerItem ? `${r.indexBytesPerItem.toFixed(1)} B` : ''} |`);
  }
  const skipped = run.contenders.filter((c) => !c.unavailable && !(c.name in results)).map((c) => c.label);
  const note = skipped.length ? `\n\nNot measured at this size: ${skipped.join(', ')} (listing every key reads every item's file, minutes per pass).` : '';
  return `Process memory, a fresh process opening a store of ${countLabel(n)} items and listing every key:\n\n${lines.join('\n')}${note}`;
}

// ---- the bars of DESIGN.md section 5 ----

const worst = (candidates) => candidates.filter((c) => Number.isFinite(c.value)).sort((a, b) => b.value - a.value)[0];

/**
 * The worst candidate over `limit` on a row whose bare calls (`floorOwn`) are within it, so the
 * bar names what iodict itself misses; failing none, the worst of all (out of reach when its own
 * floor misses the limit too). `says(floorOwn)` explains the floor's ratio of a missed bar.
 */
function worstWithin(limit, candidates, says) {
  const found = worst(candidates.filter((c) => c.value > limit && !(c.floorOwn > limit))) ?? worst(candidates);
  return found && found.value > limit && found.floorOwn !== undefined ? { ...found, why: says(found.floorOwn, found) } : found;
}

/**
 * The bare calls this format makes for a row's work, at their fastest an option allows: the floor +
 * protocol, or the same without the xattr mirror where that was measured and faster (the mirror
 * is an option). Undefined where the floor + protocol was not measured.
 */
function bareCalls(row) {
  const withMirror = usOf(row, 'floor+protocol');
  if (withMirror === undefined) return undefined;
  const without = usOf(row, 'floor+protocol xattrs:off');
  return without !== undefined && without < withMirror ? { us: without, label: 'floor + protocol without the mirror' } : { us: withMirror, label: 'floor + protocol' };
}

/** Every bar: what it asks, what this run measured (the worst case over the rows it covers), met or not. */
export function bars(run) {
  const tmpfs = run.machine.fileSystem === 'tmpfs';
  const sizes = dictSizes(run);
  const [small, large] = [sizes[0], sizes.at(-1)];
  // The worst row against the floor, and beside it the floor + protocol: the same bare calls with
  // what the format makes every implementation do (its file names, the xattr mirror, the journal),
  // which says how much of the gap is the protocol's and how much iodict's own. This machine's
  // noise moves identical work by a third between two contenders of one run, so a bar counts as
  // out of reach (`floorOwn`) only when the protocol's bare calls miss it at every store size (and
  // it was measured at more than one), with the mirror and, where measured, without it (an
  // option): a bar that `xattrs: 'off'` could meet is not out of reach.
  const vsFloor = (op, kind = 'dict', durability = 'none') => {
    const rows = run.rows.filter((r) => r.op === op && r.kind === kind && r.valueBytes <= 1024 && r.durability === durability);
    const found = worst(rows.map((r) => ({ value: usOf(r, 'iodict') / usOf(r, 'floor'), where: `n=${countLabel(r.n)}`, row: r })));
    const protocol = found && usOf(found.row, 'floor+protocol');
    if (protocol) {
      const own = rows.map((r) => bareCalls(r)?.us / usOf(r, 'floor')).filter(Number.isFinite);
      const noMirror = usOf(found.row, 'floor+protocol xattrs:off');
      const range = own.length > 1 ? ` (${ratio(Math.min(...own))} to ${ratio(Math.max(...own))} over the sizes${noMirror ? ', the better of with and without the mirror' : ''})` : '';
      if (own.length > 1) found.floorOwn = Math.min(...own);
      const floorUs = usOf(found.row, 'floor');
      const iodictNoMirror = usOf(found.row, 'iodict xattrs:off');
      const withoutMirror = noMirror ? `; without the mirror: floor + protocol ${ratio(noMirror / floorUs)} floor${iodictNoMirror ? `, iodict ${ratio(iodictNoMirror / floorUs)} floor` : ''}` : '';
      found.why = `floor + protocol ${ratio(protocol / floorUs)} floor${range}, iodict ${ratio(usOf(found.row, 'iodict') / protocol)} it${withoutMirror}`;
    }
    return found;
  };
  const out = [];
  // How far identical work moved between two contenders of this run: a ratio missed by less than
  // that is a tie with the limit, not evidence of a miss (said so; still not met).
  const spread = noise(run)?.value;
  // `measured.floorOwn`: the bare calls' own ratio for the same work; above the limit, the bar is
  // out of reach on this file system (and said so), not merely unmet.
  const bar = (name, target, limit, measured, format = ratio, note = '', { sameRun = true } = {}) => {
    const why = [measured?.why, note].filter(Boolean).join('; ');
    const met = measured ? measured.value <= limit : null;
    const outOfReach = met === false && measured.floorOwn > limit;
    const withinNoise = met === false && !outOfReach && sameRun && format === ratio && spread !== undefined && measured.value <= limit * spread;
    out.push({ bar: name, target, measured: measured ? `${format(measured.value)}${measured.where ? ` (${measured.where})` : ''}` : 'n/a', met, outOfReach, withinNoise, ...(withinNoise ? { noise: spread } : {}), note: why });
  };
  const setLimit = tmpfs ? 1.3 : 1.15;
  bar("set, new key, ≤1 KiB, 'none'", `≤ ${setLimit}× floor (${tmpfs ? 'tmpfs' : 'disk'})`, setLimit, vsFloor('set'));
  bar("set, 'fsync'", '≤ 1.1× floor', 1.1, vsFloor('set', 'dict', 'fsync'));
  // The floor's own batch against its own fsync'd write says how far the file system lets any
  // batch of files go: where creating 100 files costs more than 10 fsyncs, no store of files meets it.
  for (const [op, kind, single] of [['setBatch', 'dict', 'set'], ['putBatch', 'queue', 'put']]) {
    const row = run.rows.find((r) => r.op === op && r.durability === 'fsync');
    const one = find(run, single, undefined, 100, 'fsync');
    const floorRatio = usOf(row, 'floor') && usOf(one, 'floor') ? usOf(row, 'floor') / usOf(one, 'floor') : undefined;
    const why = row?.results.iodict?.na ?? (floorRatio ? `the floor's own batch ${ratio(floorRatio)} the floor's fsync'd write` : '');
    bar(`batch of 100 ${kind === 'dict' ? 'sets' : 'puts'}, 'fsync'`, '≤ 10× one fsync’d write', 10, usOf(row, 'iodict') && usOf(one, 'iodict') ? { value: usOf(row, 'iodict') / usOf(one, 'iodict'), floorOwn: floorRatio } : undefined, ratio, why);
  }
  bar('get', '≤ 1.1× floor (readFileSync)', 1.1, vsFloor('get'));
  // Per key at the largest store: at 1k keys a pass is short enough for its fixed cost to dominate.
  const keysRow = find(run, 'keys', large);
  bar('warm ordered keys()', '≤ 0.1 µs per key', 0.1, usOf(keysRow, 'iodict') ? { value: usOf(keysRow, 'iodict'), where: `n=${countLabel(large)}` } : undefined, time);
  bar('popItem()', '≤ 1.25× floor (rename + read + unlink)', 1.25, vsFloor('popItem'));
  bar('queue getNowait()', '≤ 1.25× floor', 1.25, vsFloor('queueGet', 'queue'));
  for (const [op, kind, label] of [['popItem', 'dict', 'popItem()'], ['queueGet', 'queue', 'queue get']]) {
    const at = (n, name) => usOf(run.rows.find((r) => r.op === op && r.kind === kind && r.n === n && r.durability === 'none'), name);
    const [a, b] = [at(small, 'iodict'), at(large, 'iodict')];
    const depth = large !== small ? `at n=${countLabel(large)} vs n=${countLabel(small)}` : 'at n=100k vs n=1k';
    // The floor's own growth is the file system's: a rename out of a directory of 100k entries.
    const floorOwn = at(small, 'floor') && at(large, 'floor') ? at(large, 'floor') / at(small, 'floor') : undefined;
    const floorGrowth = floorOwn ? `the floor's own ${ratio(floorOwn)}` : '';
    bar(`${label} ${depth}`, '≤ 1.2×', 1.2, a && b && large !== small ? { value: b / a, floorOwn } : undefined, ratio, large !== small ? floorGrowth : 'needs two store sizes');
  }
  bar('queue put + get', '≤ 1.3× floor', 1.3, vsFloor('roundTrip', 'queue'));
  const openAt = (op) => {
    const row = find(run, op, large);
    return row && usOf(row, 'iodict') !== undefined ? { value: usOf(row, 'iodict'), where: `n=${countLabel(large)}` } : undefined;
  };
  bar('open + first get, 100k items, index cache present', '≤ 5 ms', 5000, openAt('openGet'), time, large === 100000 ? '' : 'measured at a smaller n');
  bar('open + full ordered keys(), 100k items', '≤ 60 ms', 60000, openAt('openList'), time, large === 100000 ? '' : 'measured at a smaller n');
  const index = run.memory?.results.iodict?.indexBytesPerItem;
  bar('index memory', '≤ 100 bytes per item at 1M items', 100, index ? { value: index, where: `at ${countLabel(run.memory.n)} items` } : undefined, (v) => `${v.toFixed(1)} B`, 'the bar is stated at 1M items; this suite builds at most 100k');
  bar('async sets', 'a 10 ms timer lags ≤ 20 ms while 10,000 run', 20, run.asyncLag?.available ? { value: run.asyncLag.worstLagMs } : undefined, (v) => `${v.toFixed(1)} ms`, run.asyncLag?.available ? '' : run.asyncLag?.note ?? '');
  // Peers: iodict ÷ peer, row by row, beside the bare calls ÷ peer (the calls this format makes,
  // as for the floor bars; the floor's where they were not measured): where they lose to the peer
  // by more than the bar allows, no store of this format can meet it there.
  const againstPeer = (peer, limit, rows = run.rows) => worstWithin(limit, rows.filter((r) => usOf(r, peer) && usOf(r, 'iodict')).map((r) => {
    const bare = bareCalls(r) ?? { us: usOf(r, 'floor'), label: 'the floor' };
    return { value: usOf(r, 'iodict') / usOf(r, peer), where: r.id, floorOwn: bare.us ? bare.us / usOf(r, peer) : undefined, bare: bare.label };
  }), (own, found) => `${found.bare} ${ratio(own)} ${labelOf(run, peer)} on that row`);
  // Ahead (iodict ÷ peer < 1) of the file-based peers on every operation they both have.
  for (const peer of ['node-persist', 'keyv-file', 'cacache', 'diskcache', 'persist-queue']) {
    bar(`ahead of ${peer} on every op`, 'iodict ÷ peer < 1 on every row', 0.999999, againstPeer(peer, 0.999999));
  }
  for (const peer of ['lmdb', 'sqlite']) {
    bar(`get within 2× of ${labelOf(run, peer)}`, '≤ 2×', 2, againstPeer(peer, 2, run.rows.filter((r) => r.op === 'get')));
  }
  if (tmpfs) {
    for (const op of ['popItem', 'roundTrip']) {
      bar(`${op === 'popItem' ? 'pop' : 'queue round trip'} within 1.5× of SQLite (tmpfs)`, '≤ 1.5×', 1.5, againstPeer('sqlite', 1.5, run.rows.filter((r) => r.op === op)));
    }
  }
  out.push({ bar: 'ahead of Python iodict', target: 'faster', measured: 'not measured here', met: null, note: 'iodict 0.0.8 is on PyPI only, which this machine cannot reach; diskcache and persist-queue are the rows above' });
  // Bun against Node, row by row, beside Bun's own floor (the same bare calls) against Node's.
  const bunRows = run.rows.filter((r) => r.runtimes?.bun?.iodict && r.runtimes?.node?.iodict).map((r) => {
    const { bun, node } = r.runtimes;
    return { value: bun.iodict / node.iodict, where: r.id, floorOwn: bun.floor && node.floor ? bun.floor / node.floor : undefined };
  });
  // Child processes of their own, not rows of this run: its noise figure does not apply.
  bar('Bun vs Node', 'within 20%, or faster', 1.2, worstWithin(1.2, bunRows, (own) => `Bun's floor ${ratio(own)} Node's on that row`), ratio, '', { sameRun: false });
  return out;
}

function barsTable(runs) {
  const perRun = runs.map((run) => bars(run));
  const names = [...new Set(perRun.flatMap((b) => b.map((x) => x.bar)))];
  const head = ['bar', 'target', ...runs.flatMap((run) => [`${fsName(run)}: measured (worst row)`, 'met'])];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const name of names) {
    const entries = perRun.map((b) => b.find((x) => x.bar === name));
    const target = entries.find(Boolean).target;
    const cells = entries.flatMap((e) => (e ? [`${e.measured}${e.note ? ` (${e.note})` : ''}`, e.met === null ? '—' : e.met ? 'met' : e.outOfReach ? 'out of reach (the bare calls miss it too)' : e.withinNoise ? `**not met**, by less than this run's noise (${ratio(e.noise)})` : '**not met**'] : ['', '']));
    lines.push(`| ${name} | ${target} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

// ---- documents ----

const MAIN_OPS = ['set', 'get', 'has', 'delete', 'keys', 'values', 'popItem', 'openGet', 'openList'];
const mainSize = (run) => {
  const sizes = dictSizes(run);
  return sizes.includes(10000) ? 10000 : sizes[0];
};

function mainRows(run) {
  const n = mainSize(run);
  return [
    ...MAIN_OPS.map((op) => find(run, op, n)),
    ...['put', 'queueGet', 'roundTrip'].map((op) => run.rows.find((r) => r.op === op && r.kind === 'queue' && r.n === n && r.durability === 'none')),
    ...['set', 'setBatch', 'popItem'].map((op) => find(run, op, undefined, 100, 'fsync')),
  ].filter(Boolean).map((row) => ({ ...row, title: `${row.title}${row.durability === 'fsync' ? ", 'fsync'" : ''}${row.kind === 'dict' && row.durability === 'none' && row.n !== n ? ` (n=${countLabel(row.n)})` : ''}` }));
}

function chart(results) {
  const runs = orderedRuns(results);
  const ops = [['set', 'set'], ['get', 'get'], ['has', 'has'], ['delete', 'delete'], ['keys', 'ordered keys, per key'], ['listKeys', 'list keys, per key'], ['popItem', 'popItem'], ['roundTrip', 'queue put + get'], ['setFsync', "set, 'fsync'"]];
  const panels = runs.map((run) => {
    const n = mainSize(run);
    return {
      title: `${fsName(run)}, n = ${countLabel(n)} items, 100 B values`,
      groups: ops.map(([op, label]) => {
        const row = op === 'setFsync' ? find(run, 'set', undefined, 100, 'fsync') : op === 'roundTrip' ? run.rows.find((r) => r.op === op && r.n === n && r.durability === 'none') : find(run, op, n);
        const values = {};
        for (const c of ['iodict', 'floor', ...PEERS]) if (row?.results[c]) values[c] = usOf(row, c) ?? null;
        return { label, values };
      }),
    };
  });
  return barChart({
    title: 'iodict, the floor and the peers: µs per operation (log scale; shorter is faster)',
    subtitle: runs.map((r) => `${fsName(r)}: ${r.date.slice(0, 10)}, Node ${r.runtimes.node}`).join('; '),
    panels,
    contenders: runs[0].contenders,
  });
}

function fullReport(results) {
  const parts = ['# Benchmark results', '', 'Generated by `npm run bench:report` from `bench/results.json`; `npm run bench` measures. Cells: median µs per operation over interleaved rounds; in a peer column, the figure in brackets is iodict ÷ that peer (below 1: iodict is faster). "n/a": the store lacks the operation (the reason is given), never a substitute.', ''];
  for (const run of orderedRuns(results)) {
    parts.push(`## ${fsName(run)}`, '', environmentLine(run), '');
    parts.push('Contenders:', '', ...run.contenders.map((c) => `- **${c.label}** ${c.version ? `(${c.version})` : ''}: ${c.unavailable ? `n/a (${c.unavailable})` : `${c.about}; order: ${c.order}`}`), '');
    const groups = new Map();
    for (const row of run.rows) groups.set(groupKey(row), [...(groups.get(groupKey(row)) ?? []), row]);
    for (const rows of groups.values()) parts.push(`### ${groupTitle(rows[0])}`, '', rowTable(run, rows), '');
    parts.push('### Syscalls', '', syscallTable(run), '', '### Memory', '', memoryTable(run), '', '### Latencies', '', latencyLines(run), '');
    if (run.runtimeRuns) parts.push(`The Bun column: the iodict rows in ${run.runtimeRuns.children} Bun child process(es) alternating with as many Node ones (Bun ÷ Node compares those children); Bun ${run.runtimeRuns.versions.bun}, Node ${run.runtimeRuns.versions.node}.`, '');
  }
  parts.push('## The bars of DESIGN.md section 5', '', barsTable(orderedRuns(results)), '');
  return parts.join('\n');
}

const OP_NAMES = { set: 'set', get: 'get', openGet: 'open + first get' };

function losesParagraph(results) {
  const lines = [];
  for (const run of orderedRuns(results)) {
    const n = mainSize(run);
    const say = (op, n1, durability = 'none') => {
      const row = find(run, op, n1, 100, durability);
      const [i, l, s] = ['iodict', 'lmdb', 'sqlite'].map((c) => usOf(row, c));
      return i && l && s ? `${OP_NAMES[op]}${durability === 'fsync' ? " ('fsync')" : ''}: iodict ${time(i)}, lmdb ${time(l)}, SQLite ${time(s)}` : undefined;
    };
    const facts = [say('set', n), say('get', n), say('set', undefined, 'fsync'), say('openGet', n)].filter(Boolean);
    if (facts.length) lines.push(`- On ${fsName(run)}, n = ${countLabel(n)}: ${facts.join('; ')}.`);
  }
  return lines.join('\n');
}

function readmeSection(results) {
  const runs = orderedRuns(results);
  const parts = [
    `\`npm run bench\` runs the whole suite (${runs.map((r) => `${Math.round(r.seconds / 60)} minutes on ${fsName(r)}`).join(', ')} here; \`--quick\` for a smoke run under a`,
    'minute, `--dir DIR` to put the stores on another file system, `--only set,get` to pick operations,',
    '`--n 1000,10000` to pick store sizes) and writes `bench/results.json`; `npm run bench:report`',
    'regenerates this section, `bench/chart.svg` and every row in [bench/results.md](bench/results.md).',
    'Each operation runs against the floor (the bare `fs` calls doing the same work), the floor +',
    'protocol (the same bare calls with what the format makes any implementation do: its file names,',
    'the xattr mirror (and, for the set rows, without it), a journal entry and read per change; in',
    'bench/results.md and in the bars, where it shows what the protocol costs and what iodict adds to',
    'it) and node-persist,',
    'keyv-file, cacache, lmdb and SQLite (better-sqlite3, WAL) on the same file system, interleaved',
    'round by round, and the Python peers diskcache and persist-queue where a python3 has them',
    '(Debian: `apt-get install python3-diskcache python3-persist-queue`; they run in one python3',
    'child and time themselves, so the pipe is not charged to them); a cell is the median µs per',
    'operation (an open is repeated within a round for 20 ms, at most 20 times, so one open is not',
    'all noise). "n/a" marks an operation a store does not have (no pop, no birth order, no queue,',
    'no fsync option). The machine is shared (2 cores, other jobs running): compare ratios within',
    'one run, not absolute numbers across runs.',
    '',
    '![µs per operation: iodict, the floor and the peers](bench/chart.svg)',
    '',
  ];
  for (const run of runs) {
    parts.push(`**${fsName(run)}**, n = ${countLabel(mainSize(run))} items, 100 B values. ${environmentLine(run)}`, '', rowTable(run, mainRows(run)), '', latencyLines(run), '');
  }
  parts.push(
    '### Where one file per item loses, and why you might still want it',
    '',
    'A single-file engine (lmdb, SQLite) writes a small record into pages it already holds open, and',
    'reads it from a memory map or its page cache; iodict creates, renames and reads a file per item,',
    'and the kernel\'s path lookup, inode and directory work is the floor under every operation. The',
    'single-file engines are faster wherever the bracketed ratio in their column above is over 1×; the',
    'common operations side by side:',
    '',
    losesParagraph(results),
    '',
    'One file per item is still the better fit when:',
    '',
    '- every item is a file: inspect, copy, back up, `rsync` or `grep` a store with plain tools;',
    '- there is no single-writer lock and no server: any number of processes read and write one',
    '  directory at once;',
    '- crash safety comes from `rename`: an item is either the old or the new file, never a torn page;',
    '- damage stays local: one corrupt file loses one item (quarantined), not the database;',
    '- among the Node stores that also keep to plain files, node-persist and cacache are slower on',
    '  nearly every row, and keyv-file holds everything in memory and rewrites its whole file on',
    '  every write.',
    '',
    '### The bars (DESIGN.md section 5), as measured',
    '',
    barsTable(runs),
    '',
    'Syscalls per operation, process memory and the Bun column for every row: [bench/results.md](bench/results.md).',
  );
  return parts.join('\n');
}

/** Writes results.md, chart.svg and the README section from `results`. */
export function writeReport(results, log = console.log) {
  fs.writeFileSync(files.markdown, fullReport(results));
  fs.writeFileSync(files.chart, chart(results));
  const readme = fs.readFileSync(files.readme, 'utf8');
  const [start, end] = [readme.indexOf(START), readme.indexOf(END)];
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} section`);
  fs.writeFileSync(files.readme, `${readme.slice(0, start + START.length)}\n${readmeSection(results)}\n${readme.slice(end)}`);
  log(`wrote ${fileURLToPath(files.markdown)}, ${fileURLToPath(files.chart)} and the README section`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeReport(JSON.parse(fs.readFileSync(files.results, 'utf8')));
