// Drives the WASI build of iodict (dist/iodict.wasi.wasm) from node:wasi through nothing but its
// documented interface (docs/WASI.md): the same calls a Rust, C or Go embedder makes.
//
//   node build.mjs && node examples/wasi-node.mjs [store directory]
//
// Without an argument it uses a fresh temporary directory. The directory must exist: it is the
// only one the module can reach (an empty one becomes a store).
import { WASI } from 'node:wasi';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'iodict-wasi-'));
const wasm = fs.readFileSync(new URL('../dist/iodict.wasi.wasm', import.meta.url));

// 1. Instantiate as a WASI reactor with the store directory preopened as /store.
const wasi = new WASI({ version: 'preview1', preopens: { '/store': dir } });
const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), wasi.getImportObject());
wasi.initialize(instance); // calls _initialize
const x = instance.exports;

const STATUS = ['OK', 'MISSING', 'CORRUPT', 'NOT_STORE', 'NEWER_FORMAT', 'IO', 'CLOSED', 'BAD_KEY', 'BAD_VALUE', 'NO_ROOT', 'BAD_ARGUMENT'];
const utf8 = new TextEncoder();
const text = new TextDecoder();
const memory = () => new Uint8Array(x.memory.buffer); // a fresh view: memory can grow on any call

/** Input goes through iodict_buffer: ask for room, then write (key, then value) at the pointer. */
function put(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  let at = x.iodict_buffer(total);
  for (const part of parts) {
    memory().set(part, at);
    at += part.length;
  }
  return total;
}
function check(status, what) {
  if (status > 1) {
    const where = text.decode(memory().subarray(x.iodict_error_path_ptr(), x.iodict_error_path_ptr() + x.iodict_error_path_len()));
    throw new Error(`${what}: ${STATUS[status]} (errno ${x.iodict_errno()}, path "${where}")`);
  }
  return status;
}
const output = () => text.decode(memory().subarray(x.iodict_output_ptr(), x.iodict_output_ptr() + x.iodict_output_len()));
const STRING = 0; // key type (FORMAT.md 3.1): canonical bytes are the UTF-8
const CBOR = 0; // codec ids (FORMAT.md 3.4)
const JSON_TEXT = 1;

// 2. Open the store in the preopen named /store (creating it in an empty directory).
check(x.iodict_open(put(utf8.encode('/store')), 0), 'open');

// 3. Set: key bytes then value bytes in the buffer, with their lengths and the value's codec.
const key = (name) => utf8.encode(name);
function set(name, codec, value) {
  const k = key(name);
  put(k, value);
  check(x.iodict_set(STRING, k.length, value.length, codec), `set ${name}`);
}
set('greeting', JSON_TEXT, utf8.encode('"hello"'));
set('count', CBOR, new Uint8Array([0x18, 0x2a])); // 42
set('temp', CBOR, new Uint8Array([0xf5])); // true

// 4. Get: the record's codec and value bytes through the result getters.
check(x.iodict_get(STRING, put(key('count'))), 'get count');
const value = memory().slice(x.iodict_value_ptr(), x.iodict_value_ptr() + x.iodict_value_len());
console.log(`get count: codec ${x.iodict_codec()}, value bytes ${Buffer.from(value).toString('hex')}`);

// 5. Diagnostic notation (RFC 8949 section 8) of a value.
check(x.iodict_diag(STRING, put(key('greeting'))), 'diag greeting');
console.log(`diag greeting: ${output()}`);

// 6. Delete: OK when removed, MISSING when it was not there.
console.log(`delete temp: ${STATUS[check(x.iodict_delete(STRING, put(key('temp'))), 'delete')]}`);
console.log(`delete temp again: ${STATUS[check(x.iodict_delete(STRING, put(key('temp'))), 'delete')]}`);

// 7. List in birth order: a snapshot, then one key at a time.
const n = x.iodict_list();
if (n < 0) check(-n, 'list');
for (let i = 0; i < n; i++) {
  check(x.iodict_list_key(i), 'list key');
  const name = text.decode(memory().subarray(x.iodict_key_ptr(), x.iodict_key_ptr() + x.iodict_key_len()));
  console.log(`key ${i}: type ${x.iodict_key_type()} "${name}", born ${new Date(Number(x.iodict_birth() / 1000n)).toISOString()}`);
}

// 8. Verify every record file: -1 when done, 0 valid, anything else a problem code.
check(x.iodict_verify_begin(), 'verify');
let checked = 0;
for (let code = x.iodict_verify_next(); code !== -1; code = x.iodict_verify_next()) {
  checked++;
  if (code !== 0) console.log(`bad record ${output()}: code ${code}`);
}
console.log(`verified ${checked} records`);

// 9. Export: every item as a CBOR sequence of [key type, key, birth, codec, value].
const items = x.iodict_export();
if (items < 0) check(-items, 'export');
console.log(`export: ${items} items, ${x.iodict_output_len()} bytes of CBOR`);

x.iodict_close();
console.log(`store: ${dir}`);
