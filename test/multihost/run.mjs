// The multi-host suite (npm run test:multihost; not part of npm test): a GlusterFS replica-2
// volume mounted twice (setup.sh), client A's processes here, client B's in their own pid
// namespace (unshare --pid --fork) as on a second host, every scenario under journal rotation
// (a small rotateAfter). Prints what each scenario saw and exits 1 when a promise broke.
// Skips (exit 0, "SKIP: ...") where it cannot run. --keep leaves the volume mounted and the stores
// on it afterwards; --only=<name> runs the scenarios whose name contains it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.env.IODICT_GLUSTER_DIR ?? '/var/tmp/iodict-gluster';
const keep = process.argv.includes('--keep');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const ROTATE_AFTER = 40; // rotate every few dozen writes (plus the store's size)
const LEASE = 3000; // ms: how long a dead client's claim waits before it is taken back

const setup = spawnSync('sh', [path.join(here, 'setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
process.stdout.write(setup.stdout);
if (setup.status !== 0) {
  if (!setup.stdout.includes('SKIP:')) console.log(`SKIP: setup.sh failed (exit ${setup.status})`);
  process.exit(setup.status === 2 ? 0 : 1);
}

const mounts = { A: path.join(base, 'mnt/a'), B: path.join(base, 'mnt/b') };
const ctlRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-multihost-'));
const failures = [];
const check = (scenario, ok, what) => {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(`${scenario}: ${what}`);
};

/** Runs a worker role on a client; B's run in a new pid namespace (killed with it). */
function start(client, role, args, ctl) {
  const worker = path.join(here, 'worker.mjs');
  const json = JSON.stringify({ role, rotateAfter: ROTATE_AFTER, lease: LEASE, ctl, ...args });
  const command = client === 'A' ? [process.execPath, worker, json] : ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, worker, json];
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve, reject) => {
    child.on('close', (code, signal) => {
      if (signal) return resolve({ killed: signal, errors: { [`killed by ${signal}`]: 1, first: err.slice(0, 2000) } });
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`${client} ${role} exited ${code}: ${err.slice(0, 2000)}`));
      }
    });
  });
  return { child, done };
}

async function scenario(name, run) {
  if (only && !name.includes(only)) return;
  const ctl = path.join(ctlRoot, name);
  fs.mkdirSync(ctl);
  const storeName = `${name}-${process.pid}`;
  const at = { A: path.join(mounts.A, storeName), B: path.join(mounts.B, storeName) };
  console.log(`\n${name}`);
  const started = Date.now();
  try {
    await run({ at, ctl, go: () => fs.writeFileSync(path.join(ctl, 'go'), ''), run: (client, role, args = {}) => start(client, role, { path: at[client], ...args }, ctl).done, start: (client, role, args = {}) => start(client, role, { path: at[client], ...args }, ctl) });
    const stuck = fs.existsSync(path.join(at.A, '.iodict/claimed')) ? fs.readdirSync(path.join(at.A, '.iodict/claimed')).length : 0;
    const generation = journalGeneration(at.A);
    check(name, stuck === 0, `${stuck} claims stuck in claimed/; journal generation ${generation} (rotations)`);
  } catch (e) {
    check(name, false, `crashed: ${e.stack}`);
  }
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** The generation in the current journal's BEGIN (FORMAT.md 8): how many rotations the store went through. */
function journalGeneration(store) {
  try {
    return Number(fs.readFileSync(path.join(store, '.iodict/changes')).readBigUInt64LE(32));
  } catch {
    return -1;
  }
}

const errorCount = (...results) => results.reduce((n, r) => n + Object.entries(r.errors ?? {}).reduce((m, [k, v]) => (k === 'first' ? m : m + v), 0), 0);
const errorText = (...results) => results.map((r) => r.errors?.first).filter(Boolean).join(' | ');
const checkErrors = (name, ...results) => check(name, errorCount(...results) === 0, `${errorCount(...results)} errors ${errorText(...results)}`);

/** Items delivered, against those put: how many never arrived and how many arrived twice. */
function lostAndDuplicated(expected, deliveries) {
  const seen = new Map();
  for (const id of deliveries) seen.set(id, (seen.get(id) ?? 0) + 1);
  const lost = expected.filter((id) => !seen.has(id)).length;
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  return { lost, duplicated };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

try {
  await scenario('basics', async ({ run, go }) => {
    go();
    // A fills a dict and a queue; B reads both and adds its own; A sees B's.
    const dictA = await run('A', 'dict-fill', { count: 200 });
    const popB = await run('B', 'dict-pop', {});
    check('basics', popB.got.length === 200 && popB.wrong === 0, `B popped ${popB.got.length} of A's 200 keys, ${popB.wrong} wrong values`);
    checkErrors('basics', dictA, popB);
  });

  await scenario('follow', async ({ run, start, go }) => {
    const count = 2000;
    const reader = start('B', 'dict-follow', { count });
    const writer = run('A', 'dict-write', { count, rewrites: 6000 });
    go();
    const [w, r] = await Promise.all([writer, reader.done]);
    const lags = r.lags.sort((a, b) => a - b);
    console.log(`  lag A->B over ${lags.length} keys: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${lags.at(-1)} ms; ${r.gets} gets`);
    check('follow', lags.length === count && r.keys === count, `B saw ${lags.length} of ${count} keys as they came, ${r.keys} at the end`);
    check('follow', r.wrong === 0 && r.missing === 0, `${r.wrong} wrong values, ${r.missing} missing, in ${r.gets} gets during rewrites`);
    checkErrors('follow', w, r);
  });

  await scenario('queue-2x2', async ({ run, go }) => {
    const count = 2500;
    const results = Promise.all([
      run('A', 'queue-produce', { id: 'a', count }),
      run('B', 'queue-produce', { id: 'b', count }),
      run('A', 'queue-consume', { producers: ['a', 'b'] }),
      run('B', 'queue-consume', { producers: ['a', 'b'] }),
    ]);
    go();
    const [pa, pb, ca, cb] = await results;
    const expected = ['a', 'b'].flatMap((p) => Array.from({ length: count }, (_, i) => `${p}:${i}`));
    const { lost, duplicated } = lostAndDuplicated(expected, [...(ca.got ?? []), ...(cb.got ?? [])]);
    check('queue-2x2', lost === 0 && duplicated === 0, `${expected.length} items (A got ${ca.got?.length}, B got ${cb.got?.length}): ${lost} lost, ${duplicated} duplicated`);
    checkErrors('queue-2x2', pa, pb, ca, cb);
  });

  await scenario('popitem-race', async ({ run, go }) => {
    const count = 2000;
    const fill = await run('A', 'dict-fill', { count });
    const results = Promise.all([run('A', 'dict-pop'), run('B', 'dict-pop')]);
    go();
    const [a, b] = await results;
    const expected = Array.from({ length: count }, (_, i) => `p${i}`);
    const { lost, duplicated } = lostAndDuplicated(expected, [...a.got, ...b.got]);
    check('popitem-race', lost === 0 && duplicated === 0 && a.wrong + b.wrong === 0,
      `${count} keys (A took ${a.got.length}, B took ${b.got.length}): ${lost} lost, ${duplicated} duplicated, ${a.wrong + b.wrong} wrong values`);
    checkErrors('popitem-race', fill, a, b);
  });

  await scenario('pop-while-writing', async ({ run, start, go }) => {
    const count = 1000;
    const popper = start('B', 'dict-pop-poll');
    const writer = run('A', 'dict-write', { count, rewrites: 3000 });
    go();
    const [w, p] = await Promise.all([writer, popper.done]);
    const got = p.got ?? [];
    const duplicated = got.length - new Set(got).size;
    // Every key's last version was written after any earlier one was taken: it must be delivered.
    const lastVersions = (w.versions ?? []).map((v, i) => `k${i}#${v}`);
    const delivered = new Set(got);
    const lost = lastVersions.filter((kv) => !delivered.has(kv)).length;
    check('pop-while-writing', lastVersions.length === count && lost === 0 && duplicated === 0 && p.wrong === 0,
      `B took ${got.length} values of ${count} keys rewritten 3000 times (finding it empty ${p.empty} times): ${lost} last versions lost, ${duplicated} duplicated, ${p.wrong} wrong`);
    checkErrors('pop-while-writing', w, p);
  });

  await scenario('concurrent-sets', async ({ run, go, at }) => {
    const count = 2000;
    const results = Promise.all([run('A', 'dict-set-share', { id: 0, of: 2, count }), run('B', 'dict-set-share', { id: 1, of: 2, count })]);
    go();
    const [a, b] = await results;
    const same = a.keys.length === count && JSON.stringify(a.keys) === JSON.stringify(b.keys);
    const missing = [...(a.missing ?? []).map((k) => `A lacks ${k}`), ...(b.missing ?? []).map((k) => `B lacks ${k}`)].slice(0, 5).join(', ');
    check('concurrent-sets', same, `A sees ${a.keys.length} keys, B ${b.keys.length}, in ${same ? 'the same' : 'a different'} order ${missing}`);
    const verify = spawnSync(process.execPath, [path.join(here, '../../dist/cli.js'), 'verify', at.A], { encoding: 'utf8' });
    check('concurrent-sets', verify.status === 0, `iodict verify: exit ${verify.status} ${(verify.stdout + verify.stderr).trim().split('\n').at(-1)}`);
    checkErrors('concurrent-sets', a, b);
  });

  await scenario('temp-files', async ({ run, go }) => {
    const count = 3000;
    const results = Promise.all([run('A', 'dict-set-many', { count }), run('B', 'dict-reopen')]);
    go();
    const [a, b] = await results;
    check('temp-files', a.present === count, `A's ${count} sets while B opened ${b.opens} handles: ${count - a.present} keys lost`);
    checkErrors('temp-files', a, b);
  });

  await scenario('held-claims', async ({ run, go }) => {
    const count = 50;
    go();
    const fill = await run('A', 'queue-produce', { id: 'h', count });
    const [held, drained] = await Promise.all([run('A', 'queue-hold', { count: 5 }), run('B', 'queue-drain')]);
    const expected = Array.from({ length: count }, (_, i) => `h:${i}`);
    const { lost, duplicated } = lostAndDuplicated(expected, [...held.held, ...drained.got]);
    check('held-claims', duplicated === 0 && lost === 0 && held.acked === 5,
      `A held 5 claims while B drained ${drained.got.length}: ${duplicated} duplicated, ${lost} lost, ${held.acked} of 5 acks accepted`);
    checkErrors('held-claims', fill, held, drained);
  });

  await scenario('dead-client', async ({ run, start, ctl, go }) => {
    go();
    const fill = await run('A', 'queue-produce', { id: 'd', count: 1 });
    const hanger = start('B', 'queue-claim-and-hang');
    while (!fs.existsSync(path.join(ctl, 'claimed'))) await new Promise((r) => setTimeout(r, 10));
    const claimed = JSON.parse(fs.readFileSync(path.join(ctl, 'claimed'), 'utf8'));
    hanger.child.kill('SIGKILL'); // unshare --kill-child takes B's process down with it
    await hanger.done;
    const back = await run('A', 'queue-wait', { count: 1, timeout: LEASE * 4 });
    check('dead-client', back.got.length === 1 && back.got[0] === `${claimed.p}:${claimed.i}`,
      `the item B held when it was killed came back to A after ${back.ms} ms (lease ${LEASE} ms)`);
    checkErrors('dead-client', fill, back);
  });
} finally {
  fs.rmSync(ctlRoot, { recursive: true, force: true });
  for (const mount of keep ? [] : Object.values(mounts)) {
    for (const entry of fs.readdirSync(mount)) if (entry.endsWith(`-${process.pid}`)) fs.rmSync(path.join(mount, entry), { recursive: true, force: true });
  }
  if (!keep) spawnSync('sh', [path.join(here, 'teardown.sh')], { stdio: 'inherit' });
}

console.log(failures.length ? `\n${failures.length} failed:\n  ${failures.join('\n  ')}` : '\nall scenarios held');
process.exit(failures.length ? 1 : 0);
