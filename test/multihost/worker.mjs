// One client process of the multi-host suite (run.mjs): a role, its JSON arguments in argv[2],
// one JSON result on stdout. Processes coordinate through marker files in `ctl` (a local
// directory, not the shared volume). Every error is counted by name and code, not thrown, so a
// run reports how many operations failed instead of stopping at the first.
import fs from 'node:fs';
import { IODict, DurableQueue, Empty, KeyError } from '../../dist/index.js';

const args = JSON.parse(process.argv[2]);
const options = { rotateAfter: args.rotateAfter, lease: args.lease };
const errors = {};
function counted(error) {
  const name = `${error?.name} ${error?.code ?? ''}`.trim();
  errors[name] = (errors[name] ?? 0) + 1;
  if (!errors.first) errors.first = String(error?.message ?? error);
}

const marker = (name) => `${args.ctl}/${name}`;
const mark = (name, text = '') => fs.writeFileSync(marker(name), text);
const marked = (name) => fs.existsSync(marker(name));
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(name) {
  while (!marked(name)) await pause(5);
}

/** A value that says which key and version it belongs to, so a wrong one is recognisable. */
const valueOf = (key, version, born) => ({ key, version, born, check: `${key}#${version}` });
const wrongValue = (key, value) => !value || value.key !== key || value.check !== `${key}#${value.version}`;

const roles = {
  /** Writes `count` keys, then rewrites random ones `rewrites` times (a new version each). */
  async 'dict-write'() {
    const d = new IODict(args.path, options);
    const born = [];
    await waitFor('go');
    for (let i = 0; i < args.count; i++) {
      born[i] = Date.now();
      try {
        d.set(`k${i}`, valueOf(`k${i}`, 0, born[i]));
      } catch (e) {
        counted(e);
      }
      if (i % 8 === 7) await pause(0); // let the event loop breathe; the reader runs elsewhere
    }
    const versions = new Array(args.count).fill(0);
    for (let n = 0; n < args.rewrites; n++) {
      const i = (n * 7919) % args.count;
      try {
        d.set(`k${i}`, valueOf(`k${i}`, ++versions[i], born[i]));
      } catch (e) {
        counted(e);
      }
    }
    mark('written');
    d.close();
    return { versions, errors };
  },

  /**
   * Follows a writer on the other client through the journal (size) and the records (get):
   * the lag from the writer's set to the key showing here, and wrong values among gets of keys
   * being rewritten.
   */
  async 'dict-follow'() {
    const d = new IODict(args.path, options);
    const lags = [];
    let seen = 0;
    let gets = 0;
    let wrong = 0;
    let missing = 0;
    let done = false;
    while (!done) {
      done = marked('written');
      let size = 0;
      try {
        size = d.size;
      } catch (e) {
        counted(e);
      }
      const now = Date.now();
      for (; seen < size && seen < args.count; seen++) {
        try {
          const value = d.get(`k${seen}`);
          gets++;
          if (value === undefined) missing++;
          else if (wrongValue(`k${seen}`, value)) wrong++;
          else lags.push(now - value.born);
        } catch (e) {
          counted(e);
        }
      }
      for (let n = 0; n < 16 && seen > 0; n++) {
        const key = `k${(gets * 31) % seen}`;
        try {
          const value = d.get(key);
          gets++;
          if (value === undefined) missing++;
          else if (wrongValue(key, value)) wrong++;
        } catch (e) {
          counted(e);
        }
      }
      await pause(1);
    }
    let keys = [];
    try {
      keys = [...d.keys()];
    } catch (e) {
      counted(e);
    }
    d.close();
    return { lags, gets, wrong, missing, keys: keys.length, errors };
  },

  /** Puts `count` items {p, i}. */
  async 'queue-produce'() {
    const q = new DurableQueue(args.path, options);
    await waitFor('go');
    for (let i = 0; i < args.count; i++) {
      try {
        q.putNowait({ p: args.id, i });
      } catch (e) {
        counted(e);
      }
      if (i % 16 === 15) await pause(0);
    }
    mark(`produced-${args.id}`);
    q.close();
    return { errors };
  },

  /** Gets until every producer is done and the queue is empty; reports what it got. */
  async 'queue-consume'() {
    const q = new DurableQueue(args.path, options);
    const got = [];
    await waitFor('go');
    for (;;) {
      const finished = args.producers.every((id) => marked(`produced-${id}`)); // before the get: empty after it is final
      try {
        const item = await q.get({ timeout: 200 });
        got.push(`${item.p}:${item.i}`);
      } catch (e) {
        if (!(e instanceof Empty)) counted(e);
        else if (finished) break;
      }
    }
    q.close();
    return { got, errors };
  },

  /** Fills a dictionary with `count` keys (setup for the pop race). */
  async 'dict-fill'() {
    const d = new IODict(args.path, options);
    for (let i = 0; i < args.count; i++) d.set(`p${i}`, valueOf(`p${i}`, 0, 0));
    d.close();
    return { errors };
  },

  /** popItem until the store is empty; reports the keys it took (and any wrong value). */
  async 'dict-pop'() {
    const d = new IODict(args.path, options);
    const got = [];
    let wrong = 0;
    await waitFor('go');
    for (;;) {
      try {
        const [key, value] = d.popItem();
        if (wrongValue(key, value)) wrong++;
        got.push(key);
      } catch (e) {
        if (e instanceof KeyError) break;
        counted(e);
      }
      if (got.length % 16 === 0) await pause(0);
    }
    d.close();
    return { got, wrong, errors };
  },

  /**
   * popItem in a loop while the other client writes (polling when it finds the store empty),
   * until the writer is done and the store is empty; reports each (key, version) it took.
   */
  async 'dict-pop-poll'() {
    const d = new IODict(args.path, options);
    const got = [];
    let wrong = 0;
    let empty = 0;
    await waitFor('go');
    for (;;) {
      const finished = marked('written'); // before the pop: empty after it is final
      try {
        const [key, value] = d.popItem();
        if (wrongValue(key, value)) wrong++;
        else got.push(`${key}#${value.version}`);
      } catch (e) {
        if (!(e instanceof KeyError)) counted(e);
        else if (finished) break;
        else {
          empty++;
          await pause(10); // an empty pop lists the directory: poll as a consumer would, not in a spin
        }
      }
    }
    d.close();
    return { got, wrong, empty, errors };
  },

  /** Sets its share of keys (interleaved with the other client's), then reports the order it sees. */
  async 'dict-set-share'() {
    const d = new IODict(args.path, options);
    await waitFor('go');
    for (let i = args.id; i < args.count; i += args.of) {
      try {
        d.set(`s${i}`, valueOf(`s${i}`, 0, 0));
      } catch (e) {
        counted(e);
      }
      if (i % 16 === args.id) await pause(0);
    }
    mark(`set-${args.id}`);
    for (let other = 0; other < args.of; other++) await waitFor(`set-${other}`);
    let keys = [];
    let missing = [];
    try {
      keys = [...d.keys()];
      // What this handle's index lacks, and whether the records are there (a lost hint, or a lost record).
      const have = new Set(keys);
      missing = Array.from({ length: args.count }, (_, i) => `s${i}`).filter((k) => !have.has(k)).map((k) => `${k}${d.has(k) ? ' (on disk)' : ' (absent)'}`);
    } catch (e) {
      counted(e);
    }
    d.close();
    return { keys, missing, errors };
  },

  /** Sets `count` keys while the other client keeps opening handles (which clean up temp files). */
  async 'dict-set-many'() {
    const d = new IODict(args.path, options);
    await waitFor('go');
    for (let i = 0; i < args.count; i++) {
      try {
        d.set(`t${i}`, valueOf(`t${i}`, 0, 0));
      } catch (e) {
        counted(e);
      }
    }
    let present = 0;
    for (let i = 0; i < args.count; i++) if (d.get(`t${i}`) !== undefined) present++;
    mark('set-many-done');
    d.close();
    return { present, errors };
  },

  /** Opens and closes handles until told to stop: each open looks for orphan temp files. */
  async 'dict-reopen'() {
    let opens = 0;
    await waitFor('go');
    while (!marked('set-many-done')) {
      try {
        new IODict(args.path, options).close();
        opens++;
      } catch (e) {
        counted(e);
      }
      await pause(1);
    }
    return { opens, errors };
  },

  /** Holds `count` acknowledged claims while the other client drains the queue, then acks them. */
  async 'queue-hold'() {
    const q = new DurableQueue(args.path, options);
    const held = [];
    for (let i = 0; i < args.count; i++) held.push(await q.get({ ack: true }));
    mark('held');
    await waitFor('drained');
    let acked = 0;
    for (const delivery of held) {
      try {
        delivery.ack();
        acked++;
      } catch (e) {
        counted(e);
      }
    }
    q.close();
    return { held: held.map((d) => `${d.value.p}:${d.value.i}`), acked, errors };
  },

  /** Drains the queue without waiting (after the other client took its claims). */
  async 'queue-drain'() {
    await waitFor('held');
    const q = new DurableQueue(args.path, options);
    const got = [];
    for (;;) {
      try {
        const item = q.getNowait();
        got.push(`${item.p}:${item.i}`);
      } catch (e) {
        if (e instanceof Empty) break;
        counted(e);
      }
    }
    q.close();
    mark('drained');
    return { got, errors };
  },

  /** Takes one item with acknowledgement, says which, and hangs until killed. */
  async 'queue-claim-and-hang'() {
    const q = new DurableQueue(args.path, options);
    const delivery = await q.get({ ack: true });
    mark('claimed', JSON.stringify(delivery.value));
    setInterval(() => {}, 1000);
    return new Promise(() => {});
  },

  /** Waits for the queue's items to come back (a dead client's claim, after its lease). */
  async 'queue-wait'() {
    const q = new DurableQueue(args.path, options);
    const got = [];
    const started = Date.now();
    while (got.length < args.count) {
      try {
        const item = await q.get({ timeout: args.timeout });
        got.push(`${item.p}:${item.i}`);
      } catch (e) {
        if (e instanceof Empty) break;
        counted(e);
      }
    }
    q.close();
    return { got, ms: Date.now() - started, errors };
  },
};

const result = await roles[args.role]();
process.stdout.write(JSON.stringify(result));
process.exit(0);
