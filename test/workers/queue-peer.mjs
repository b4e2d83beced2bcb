// One process of the cross-process queue model (model-processes.test.mjs): a DurableQueue that
// other processes put to and take from at the same time. Its items are { p: <me>, n: <count> }.
// Commands arrive as JSON lines on stdin; each is answered with one JSON line:
// - round: random puts (single and batches), takes (without and with acknowledgement; a taken
//   item is acknowledged or released later in the round, never held past it); reports what it
//   put, what it took for good, and what it released;
// - size: qsize() (with `reopen`, of a handle opened anew);
// - drain: getNowait until Empty; reports what it took, in order.
// A check that fails answers { failure }.
import { DurableQueue, Empty, Full } from '../../dist/index.js';
import { generator } from '../support/random.mjs';
import { Failure, callLog, takeAll, serve, peerHost } from '../support/peer.mjs';

const { path, me, seed, rotateAfter, maxsize } = JSON.parse(process.argv[2]);

const r = generator(seed);

const { recent, did } = callLog();
const shown = (item) => `${item.p}${item.n}`;

const open = () => {
  const native = r.next() < 0.7;
  did(`open (native ${native})`);
  return new DurableQueue(path, { host: peerHost({ native }, `${seed}-${me}`), rotateAfter, maxsize });
};
let queue = open();
let count = 0;
let round = 0;

function check(ok, what) {
  if (!ok) throw new Failure(`${me}, round ${round}: ${what} (last calls: ${recent.join(', ')})`);
}

function checkItem(item, how) {
  check(item && typeof item.p === 'string' && Number.isInteger(item.n), `${how} gave ${JSON.stringify(item)}, which is no item`);
}

function runRound({ ops }) {
  const put = [];
  const took = [];
  const released = [];
  const held = [];
  const settleOne = () => {
    const delivery = held.splice(r.below(held.length), 1)[0];
    if (r.next() < 0.6) {
      delivery.ack();
      took.push(delivery.value);
      did(`ack ${shown(delivery.value)}`);
    } else {
      delivery.release();
      released.push(delivery.value);
      did(`release ${shown(delivery.value)}`);
    }
  };
  for (let i = 0; i < ops; i++) {
    const choice = r.below(100);
    if (choice < 30) {
      const item = { p: me, n: ++count };
      try {
        queue.putNowait(item);
        put.push(item);
        did(`put ${shown(item)}`);
      } catch (e) {
        if (!(e instanceof Full)) throw e;
        did(`put ${shown(item)}: Full`);
      }
    } else if (choice < 38) {
      const items = Array.from({ length: 2 + r.below(4) }, () => ({ p: me, n: ++count }));
      try {
        queue.putMany(items);
        put.push(...items);
        did(`putMany ${items.map(shown).join(' ')}`);
      } catch (e) {
        if (!(e instanceof Full)) throw e;
        did(`putMany ${items.map(shown).join(' ')}: Full`);
      }
    } else if (choice < 65) {
      try {
        const item = queue.getNowait();
        checkItem(item, 'getNowait()');
        took.push(item);
        did(`get ${shown(item)}`);
      } catch (e) {
        if (!(e instanceof Empty)) throw e;
        did('get: Empty');
      }
    } else if (choice < 80) {
      try {
        const delivery = queue.getNowaitAck();
        checkItem(delivery.value, 'getNowaitAck()');
        held.push(delivery);
        did(`get (ack) ${shown(delivery.value)}`);
      } catch (e) {
        if (!(e instanceof Empty)) throw e;
        did('get (ack): Empty');
      }
    } else if (choice < 92) {
      if (held.length > 0) settleOne();
    } else if (choice < 98) {
      // maxsize holds for each handle's puts against what it counts; puts of other processes
      // that count at the same moment can pass it together, so no bound here.
      const size = queue.qsize();
      check(Number.isInteger(size) && size >= 0, `qsize() is ${size}`);
    } else if (held.length === 0) {
      queue.close();
      queue = open();
    }
  }
  while (held.length > 0) settleOne();
  return { put, took, released };
}

async function drain() {
  did('drain');
  return {
    took: await takeAll(() => {
      const item = queue.getNowait();
      checkItem(item, 'getNowait()');
      return item;
    }, Empty),
  };
}

await serve((command) => {
  round = command.round;
  if (command.cmd === 'round') return runRound(command);
  if (command.cmd === 'size' && command.reopen) {
    queue.close();
    queue = open();
  }
  if (command.cmd === 'size') return { size: queue.qsize(), recent };
  if (command.cmd === 'drain') return drain();
  throw new Error(`unknown command ${command.cmd}`);
}, (e) => `${me}, round ${round}: ${e.stack} (last calls: ${recent.join(', ')})`);
queue.close();
