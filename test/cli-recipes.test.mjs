// Every shell recipe in docs/CLI.md ("## Recipes", one ```sh block each) run as written, by bash,
// with `iodict` on PATH, against a store whose keys start with "-", hold a tab or spaces, and are
// of every type; then the store or the output is checked through the library.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { DurableQueue, IODict } from '../dist/index.js';
import { CLI, cliEnv, entries, markerKind } from './support/cli.mjs';
import { tempDir } from './support/tmp.mjs';

const DOC = fs.readFileSync(new URL('../docs/CLI.md', import.meta.url), 'utf8');

/** The recipes: the ```sh blocks of the Recipes section, by their first line's comment. */
function recipes() {
  const section = DOC.slice(DOC.indexOf('\n## Recipes\n'));
  assert.ok(section.length > 1, 'docs/CLI.md has a Recipes section');
  const end = section.indexOf('\n## ', 1);
  const blocks = [...(end < 0 ? section : section.slice(0, end)).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return new Map(blocks.map((script) => [script.split('\n')[0].replace(/^# /, ''), script]));
}

// Keys a shell loop could get wrong: leading dashes, a negative number that is a string, tabs, spaces, backslashes.
const KEYS = ['plain', '-dash', '--double', '--', '-5', '-h', 'tmp:a', 'tmp:b', 'old', 'with\ttab', '  spaced  ', 'back\\slash', -1.5, -7n, new Uint8Array([1, 2]), true, 'tmp:last'];

/** A fresh directory holding `store` (every key above, each with its own value) and `queue` (a queue's store of three items). */
function fixture() {
  const dir = tempDir();
  const d = new IODict(`${dir}/store`);
  KEYS.forEach((key, i) => d.set(key, { i, key: String(key) }));
  d.close();
  const q = new DurableQueue(`${dir}/queue`);
  for (const item of ['one', { two: 2 }, [3]]) q.put(item);
  q.close();
  const bin = `${dir}/bin`;
  fs.mkdirSync(bin);
  fs.writeFileSync(`${bin}/iodict`, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
  return { dir, env: cliEnv({ PATH: `${bin}:${process.env.PATH}` }) };
}

const lines = (text) => text.split('\n').filter((l) => l !== '');

/** What each recipe must do: checks by title, given the fixture directory and the recipe's stdout. */
const CHECKS = {
  'Print every value, whatever the type of its key (and whatever the key starts with)': (dir, stdout) => {
    assert.equal(lines(stdout).map((l) => JSON.parse(l)), KEYS.map((key, i) => ({ i, key: String(key) })));
  },
  'Delete every string key that starts with "tmp:"': (dir) => {
    assert.equal(entries(`${dir}/store`).map(([k]) => k), KEYS.filter((k) => !(typeof k === 'string' && k.startsWith('tmp:'))));
  },
  'Set and read a key that starts with "-"': (dir, stdout) => {
    assert.is(stdout, '"dash"\n');
    assert.equal(entries(`${dir}/store`).at(-1), ['-x', 'dash']);
  },
  'Rename a key: its value to the new key, then the old key away': (dir) => {
    const after = entries(`${dir}/store`);
    assert.equal(after.at(-1), ['new', { i: KEYS.indexOf('old'), key: 'old' }]);
    assert.not.ok(after.some(([k]) => k === 'old'));
    assert.is(after.length, KEYS.length);
  },
  'Back up a store to a file, and restore it into a new one (keys, values, order and kind)': (dir) => {
    assert.equal(entries(`${dir}/restored`), entries(`${dir}/store`));
    assert.is(markerKind(`${dir}/restored`), 'dict');
  },
  "Copy a queue's store through a pipe: the copy is a queue's store too": (dir) => {
    assert.is(markerKind(`${dir}/queue-copy`), 'queue');
    const q = new DurableQueue(`${dir}/queue-copy`);
    try {
      assert.equal([q.getNowait(), q.getNowait(), q.getNowait()], ['one', { two: 2 }, [3]]);
      assert.is(q.qsize(), 0);
    } finally {
      q.close();
    }
  },
};

test('every recipe in docs/CLI.md has a check here, and every check a recipe', () => {
  assert.equal([...recipes().keys()].sort(), Object.keys(CHECKS).sort());
});

for (const [title, script] of recipes()) {
  test(`recipe: ${title}`, () => {
    const { dir, env } = fixture();
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env, encoding: 'utf8' });
    assert.is(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    assert.is(r.stderr, '', 'nothing on stderr');
    CHECKS[title]?.(dir, r.stdout);
  });
}

test.run();
