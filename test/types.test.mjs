import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('the published .d.ts type-checks in a strict consumer project (no skipLibCheck)', () => {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const file = fileURLToPath(new URL('./types/consumer.ts', import.meta.url));
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--target', 'es2022', '--lib', 'es2024,esnext.disposable', '--types', 'node', file], { encoding: 'utf8' });
  assert.is(result.stdout + result.stderr, '');
  assert.is(result.status, 0);
});

test.run();
