// What the cross-process model's peers (test/workers/model-peer.mjs, queue-peer.mjs) share:
// their host, their last calls for a failure's message, takes until the store is empty, and the
// loop that answers the test's commands.
import { nodeHost } from '../../dist/index.js';
import { tracingHost, flushTrace } from './trace-host.mjs';

/** nodeHost(options), traced to IODICT_MODEL_TRACE/<name>.log when that names a directory (support/trace-host.mjs). */
export function peerHost(options, name) {
  const dir = process.env.IODICT_MODEL_TRACE;
  return dir ? tracingHost(nodeHost(options), `${dir}/${name}.log`) : nodeHost(options);
}

/** A check that failed: its message is the answer (any other error answers with its stack). */
export class Failure extends Error {}

/** The last `limit` calls, for a failure's message. */
export function callLog(limit = 12) {
  const recent = [];
  return {
    recent,
    did(what) {
      recent.push(what);
      if (recent.length > limit) recent.shift();
    },
  };
}

/** Calls `take` (sync or async) until it throws `End` (Empty, KeyError); what it took, in order. */
export async function takeAll(take, End) {
  const took = [];
  for (;;) {
    try {
      took.push(await take());
    } catch (e) {
      if (e instanceof End) return took;
      throw e;
    }
  }
}

/**
 * Answers each JSON line on stdin with one JSON line: `answer(command)` (awaited), or { failure }
 * when it throws (`describe` turns an error other than a Failure into the message).
 */
export async function serve(answer, describe) {
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: process.stdin })) {
    let reply;
    try {
      reply = await answer(JSON.parse(line));
    } catch (e) {
      reply = { failure: e instanceof Failure ? e.message : describe(e) };
    }
    flushTrace();
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
}
