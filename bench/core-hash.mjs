// Times the AssemblyScript core's SHA3-224 (per short key) and CRC-32C (throughput), built from
// the test entry exactly as the tests build it, and the CRC-32C of the optional native helper
// (@node-rs/crc32) beside it: the lengths where handing it over pays (assembly/crypto/checksum.ts).
// Usage: node bench/core-hash.mjs
import asc from 'assemblyscript/asc';
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

async function build() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iodict-bench-'));
  const outFile = path.join(dir, 'core.wasm');
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(
    ['test/assembly/entry.ts', '--baseDir', root, '--runtime', 'incremental', '-O3', '--noAssert', '--outFile', outFile],
    {
      stderr,
      // Ignore the repo's asconfig.json, which names the production entry.
      readFile: (name, dir) => (name === 'asconfig.json' ? null : readFile(path.resolve(dir, name), 'utf8').catch(() => null)),
    },
  );
  if (error) throw new Error(`asc failed: ${stderr.toString()}`);
  const bytes = await readFile(outFile);
  await rm(dir, { recursive: true, force: true });
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() { throw new Error('abort'); } } });
  return instance.exports;
}

// Best of several timed runs of fn(), in nanoseconds per call of fn.
function best(runs, fn) {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - start));
  }
  return min;
}

const core = await build();
const memory = () => new Uint8Array(core.memory.buffer);

const KEY_LEN = 40;
const HASHES = 200_000;
const key = core.alloc(KEY_LEN);
const digest = core.alloc(28);
memory().set(randomBytes(KEY_LEN), key);
const sha3Ns = best(7, () => {
  for (let i = 0; i < HASHES; i++) core.sha3_224(key, KEY_LEN, digest);
}) / HASHES;
const keyBuf = Buffer.from(memory().subarray(key, key + KEY_LEN));
const nodeNs = best(7, () => {
  for (let i = 0; i < HASHES / 4; i++) createHash('sha3-224').update(keyBuf).digest();
}) / (HASHES / 4);

const CRC_LEN = 16 << 20;
const CRC_PASSES = 4;
const data = core.alloc(CRC_LEN);
memory().set(randomBytes(CRC_LEN), data);
core.__setArgumentsLength(2);
const crcNs = best(5, () => {
  for (let i = 0; i < CRC_PASSES; i++) core.crc32c(data, CRC_LEN);
});
const crcGBps = (CRC_LEN * CRC_PASSES) / crcNs;

console.log(`SHA3-224, ${KEY_LEN}-byte input: ${sha3Ns.toFixed(0)} ns/hash (node:crypto createHash: ${nodeNs.toFixed(0)} ns/hash)`);
console.log(`CRC-32C, ${CRC_LEN >> 20} MiB buffer: ${crcGBps.toFixed(2)} GB/s`);

let helper;
try {
  helper = createRequire(import.meta.url)('@node-rs/crc32').crc32c;
} catch {
  console.log('CRC-32C of the native helper: @node-rs/crc32 is not installed');
}
if (helper) {
  // As the host calls it: on a fresh view of the core's memory, continuing a seed.
  const view = (at, len) => memory().subarray(at, at + len);
  const helperGBps = (CRC_LEN * CRC_PASSES) / best(5, () => {
    for (let i = 0; i < CRC_PASSES; i++) helper(view(data, CRC_LEN), 0);
  });
  console.log(`CRC-32C of the native helper, ${CRC_LEN >> 20} MiB buffer: ${helperGBps.toFixed(2)} GB/s (${(helperGBps / crcGBps).toFixed(2)}x the core's)`);
  const CALLS = 100_000;
  for (const len of [256, 512, 1024, 2048, 4096, 16384]) {
    const coreNs = best(5, () => {
      for (let i = 0; i < CALLS; i++) core.crc32c(data, len, i);
    }) / CALLS;
    const helperNs = best(5, () => {
      for (let i = 0; i < CALLS; i++) helper(view(data, len), i);
    }) / CALLS;
    console.log(`  ${String(len).padStart(5)} bytes: core ${coreNs.toFixed(0)} ns, helper ${helperNs.toFixed(0)} ns per call`);
  }
}
