// Bundles a host TypeScript module on the fly (benchmarks measure internals the package does not
// export); returns the imported module. The temporary bundle is removed once imported.
import { buildSync } from 'esbuild';
import { hostBundleOptions } from '../test/support/bundle.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export async function bundle(source) {
  const dir = mkdtempSync(join(tmpdir(), 'iodict-bench-'));
  const outfile = join(dir, 'module.mjs');
  buildSync({
    entryPoints: [fileURLToPath(new URL(source, import.meta.url))],
    outfile,
    ...hostBundleOptions,
    format: 'esm',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
