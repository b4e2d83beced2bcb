// node test/crash/journal-trace.mjs TRIAL_DIR [KEY ...]
// Prints the journal appends a traced crash trial logged (npm run test:crash -- --trace: a failing trial's directory is kept),
// in the order they happened: which process wrote what into which journal, at which entry, with
// SET births and the keys their KEY entries carry (FORMAT.md 8.1). With KEYs, only the entries
// about those keys, and the journals' births and seals. Journals are named J1, J2, ... in the
// order they were renamed in, not by inode: a file system reuses a rotated-away journal's inode.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const ENTRY = 64;
const KINDS = { 1: 'BEGIN', 2: 'SET', 3: 'DELETE', 4: 'SEALED', 5: 'RESCAN', 6: 'KEY', 7: 'PREDECESSOR_SEALED' };

/**
 * The entries of one append (or read): { at, kind, writer, name?, key?, birth?, successor?, id? }, KEY
 * entries folded into theirs; `name` is the first 8 hex digits of the record's name (its digest).
 */
export function entries(bytes, firstIndex) {
  const out = [];
  for (let i = 0; i < bytes.length / ENTRY; i++) {
    const e = bytes.subarray(i * ENTRY, (i + 1) * ENTRY);
    const kind = KINDS[e[4]] ?? `kind ${e[4]}`;
    if (kind === 'KEY') continue;
    const entry = { at: firstIndex + i, kind, writer: e.readUInt32LE(8).toString(16) };
    if (kind === 'SET' || kind === 'DELETE') {
      entry.name = e.subarray(24, 28).toString('hex');
      const chunks = e[6];
      const first = bytes.subarray((i + 1) * ENTRY, (i + 2) * ENTRY);
      const keyBytes = Buffer.concat(Array.from({ length: chunks }, (_, j) => bytes.subarray((i + 1 + j) * ENTRY + 16, (i + 1 + j) * ENTRY + 60)));
      if (!chunks) entry.key = '(key not carried)';
      // A read (tracing host) can end between a change and its KEY entries.
      else if ((i + 1 + chunks) * ENTRY > bytes.length) entry.key = '(key past this read)';
      else {
        const key = keyBytes.subarray(0, first.readUInt32LE(12));
        entry.key = first[5] === 0 ? key.toString() : `<key type ${first[5]}: ${key.toString('hex')}>`;
      }
      if (kind === 'SET') entry.birth = e.readBigUInt64LE(16);
    }
    if (kind === 'SEALED') entry.successor = e.readBigUInt64LE(16).toString(16);
    if (kind === 'BEGIN') entry.id = e.readBigUInt64LE(16).toString(16);
    out.push(entry);
  }
  return out;
}

/**
 * The events of a trace file in order: { pid, store, inode, journal, renamed: true } or { pid,
 * store, inode, journal, at, kind, key?, birth?, successor? }. `journal` names the journal that
 * the last rename-in of that inode made (an inode no rename-in was traced for keeps its number).
 */
export function readJournalTrace(file) {
  const events = [];
  const journals = new Map(); // store and inode: the journal renamed in last with it
  let renamedIn = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [pid, what, store, inode, offset, hex] = line.split(' ');
    const place = `${store} ${inode}`;
    if (what === 'journal') {
      const journal = `J${++renamedIn}`;
      journals.set(place, journal);
      events.push({ pid, store, inode, journal, renamed: true });
      continue;
    }
    const journal = journals.get(place) ?? `inode ${inode}`;
    for (const e of entries(Buffer.from(hex, 'hex'), Number(offset) / ENTRY)) events.push({ pid, store, inode, journal, ...e });
  }
  return events;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, ...keys] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node test/crash/journal-trace.mjs TRIAL_DIR [KEY ...]');
    process.exit(2);
  }
  for (const e of readJournalTrace(`${dir}/journal.trace`)) {
    if (e.renamed) {
      console.log(`${e.pid} ${e.store}: journal ${e.journal} (inode ${e.inode}) renamed in`);
      continue;
    }
    if (keys.length && e.key !== undefined && !keys.includes(e.key)) continue;
    const detail = e.key !== undefined ? ` ${e.key}${e.birth !== undefined ? ` birth ${e.birth}` : ''}` : e.successor ? ` successor ${e.successor}` : '';
    console.log(`${e.pid} ${e.store}: journal ${e.journal} #${e.at} ${e.kind}${detail}`);
  }
}
