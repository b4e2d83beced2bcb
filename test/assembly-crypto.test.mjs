// The AssemblyScript core's SHA3-224, CRC-32C, value-checking (format/value.ts) and CBOR diagnostic
// modules, compiled from test/assembly/entry.ts with both runtimes they must support. The value
// rules are tested end to end in test/values.test.mjs; here, the well-formedness layer and JSON.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import asc from 'assemblyscript/asc';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const VALUE = {
  TRUNCATED: 1, TRAILING: 2, RESERVED: 3, BAD_BREAK: 4, BAD_CHUNK: 5, BAD_UTF8: 6, TOO_DEEP: 7, BAD_SIMPLE: 8,
  UNKNOWN_TAG: 9, BAD_CONTENT: 10, DUPLICATE: 11, TOO_MANY: 12, TOO_LARGE: 13, BAD_DATE: 14, BAD_REFERENCE: 15,
  BAD_JSON: 16, RESERVED_CODEC: 17,
};

async function compile(runtime) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iodict-asm-'));
  const outFile = path.join(dir, `entry-${runtime}.wasm`);
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(
    ['test/assembly/entry.ts', '--baseDir', root, '--runtime', runtime, '-O3', '--outFile', outFile],
    {
      stderr,
      // The repo's asconfig.json names the production entry; this build compiles only the test entry.
      readFile: (name, dir) => (name === 'asconfig.json' ? null : readFile(path.resolve(dir, name), 'utf8').catch(() => null)),
    },
  );
  if (error) throw new Error(`asc failed: ${stderr.toString()}`);
  const module = await WebAssembly.compile(await readFile(outFile));
  await rm(dir, { recursive: true, force: true });
  return module;
}

async function load(runtime) {
  const module = await compile(runtime);
  let exports;
  const text = (ptr) => (ptr ? readString(exports.memory, ptr) : '');
  const instance = await WebAssembly.instantiate(module, {
    env: {
      abort(msg, file, line, col) {
        throw new Error(`abort: ${text(msg)} at ${text(file)}:${line}:${col}`);
      },
    },
  });
  exports = instance.exports;
  const scratch = exports.alloc(2 << 20);
  const out = exports.alloc(28);
  const bytes = () => new Uint8Array(exports.memory.buffer);
  const put = (data, offset = 0) => {
    bytes().set(data, scratch + offset);
    return scratch + offset;
  };
  return {
    module,
    exports,
    sha3(data, offset = 0) {
      exports.sha3_224(put(data, offset), data.length, out);
      return Buffer.from(bytes().slice(out, out + 28));
    },
    hex(data) {
      const to = put(data) + data.length;
      exports.hexLower(scratch, data.length, to);
      return Buffer.from(bytes().slice(to, to + 2 * data.length)).toString('latin1');
    },
    crc(data, seed, offset = 0) {
      // AssemblyScript's optional-argument convention: say how many are passed.
      exports.__setArgumentsLength(seed === undefined ? 2 : 3);
      return exports.crc32c(put(data, offset), data.length, seed) >>> 0;
    },
    check(data, codec = 0) {
      return exports.checkValue(codec, put(data), data.length);
    },
    diag(data) {
      return readString(exports.memory, exports.cborDiag(put(data), data.length));
    },
  };
}

// An AssemblyScript string: UTF-16LE code units, byte length in the header word before it.
function readString(memory, ptr) {
  const byteLength = new Uint32Array(memory.buffer)[(ptr - 4) >>> 2];
  return Buffer.from(memory.buffer, ptr, byteLength).toString('utf16le');
}

function crcReference(data, seed = 0) {
  let crc = ~seed >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

const h = (hex) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

// RFC 8949 Appendix A: encoding and diagnostic notation. Where the RFC prints a
// bignum's value we print its tag; where it escapes non-ASCII text as \u
// sequences we print the characters, as JSON.stringify does.
const APPENDIX_A = [
  ['00', '0'], ['01', '1'], ['0a', '10'], ['17', '23'], ['1818', '24'], ['1819', '25'], ['1864', '100'],
  ['1903e8', '1000'], ['1a000f4240', '1000000'], ['1b000000e8d4a51000', '1000000000000'],
  ['1bffffffffffffffff', '18446744073709551615'],
  ['c249010000000000000000', "2(h'010000000000000000')"],
  ['3bffffffffffffffff', '-18446744073709551616'],
  ['c349010000000000000000', "3(h'010000000000000000')"],
  ['20', '-1'], ['29', '-10'], ['3863', '-100'], ['3903e7', '-1000'],
  ['f90000', '0.0'], ['f98000', '-0.0'], ['f93c00', '1.0'], ['fb3ff199999999999a', '1.1'], ['f93e00', '1.5'],
  ['f97bff', '65504.0'], ['fa47c35000', '100000.0'], ['fa7f7fffff', '3.4028234663852886e+38'],
  ['fb7e37e43c8800759c', '1.0e+300'], ['f90001', '5.960464477539063e-8'], ['f90400', '0.00006103515625'],
  ['f9c400', '-4.0'], ['fbc010666666666666', '-4.1'],
  ['f97c00', 'Infinity'], ['f97e00', 'NaN'], ['f9fc00', '-Infinity'],
  ['fa7f800000', 'Infinity'], ['fa7fc00000', 'NaN'], ['faff800000', '-Infinity'],
  ['fb7ff0000000000000', 'Infinity'], ['fb7ff8000000000000', 'NaN'], ['fbfff0000000000000', '-Infinity'],
  ['f4', 'false'], ['f5', 'true'], ['f6', 'null'], ['f7', 'undefined'], ['f0', 'simple(16)'], ['f8ff', 'simple(255)'],
  ['c074323031332d30332d32315432303a30343a30305a', '0("2013-03-21T20:04:00Z")'],
  ['c11a514b67b0', '1(1363896240)'], ['c1fb41d452d9ec200000', '1(1363896240.5)'],
  ['d74401020304', "23(h'01020304')"], ['d818456449455446', "24(h'6449455446')"],
  ['d82076687474703a2f2f7777772e6578616d706c652e636f6d', '32("http://www.example.com")'],
  ['40', "h''"], ['4401020304', "h'01020304'"],
  ['60', '""'], ['6161', '"a"'], ['6449455446', '"IETF"'], ['62225c', '"\\"\\\\"'],
  ['62c3bc', '"\u00fc"'], ['63e6b0b4', '"\u6c34"'], ['64f0908591', '"\ud800\udd51"'],
  ['80', '[]'], ['83010203', '[1, 2, 3]'], ['8301820203820405', '[1, [2, 3], [4, 5]]'],
  ['98190102030405060708090a0b0c0d0e0f101112131415161718181819', `[${Array.from({ length: 25 }, (_, i) => i + 1).join(', ')}]`],
  ['a0', '{}'], ['a201020304', '{1: 2, 3: 4}'], ['a26161016162820203', '{"a": 1, "b": [2, 3]}'],
  ['826161a161626163', '["a", {"b": "c"}]'],
  ['a56161614161626142616361436164614461656145', '{"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}'],
  ['5f42010243030405ff', "(_ h'0102', h'030405')"], ['7f657374726561646d696e67ff', '(_ "strea", "ming")'],
  ['9fff', '[_ ]'], ['9f018202039f0405ffff', '[_ 1, [2, 3], [_ 4, 5]]'], ['9f01820203820405ff', '[_ 1, [2, 3], [4, 5]]'],
  ['83018202039f0405ff', '[1, [2, 3], [_ 4, 5]]'], ['83019f0203ff820405', '[1, [_ 2, 3], [4, 5]]'],
  ['9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff', `[_ ${Array.from({ length: 25 }, (_, i) => i + 1).join(', ')}]`],
  ['bf61610161629f0203ffff', '{_ "a": 1, "b": [_ 2, 3]}'], ['826161bf61626163ff', '["a", {_ "b": "c"}]'],
  ['bf6346756ef563416d7421ff', '{_ "Fun": true, "Amt": -2}'],
];

// What cborDiag prints for a float: JavaScript's Number to String, with .0
// on integral values so they read as floats, and the sign of -0 kept.
function floatDiag(v) {
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  if (!Number.isInteger(v) || s.includes('.')) return s;
  return s.includes('e') ? s.replace('e', '.0e') : `${s}.0`;
}

// depth copies of the head byte open around leaf, each closed by a break when indefinite.
function nested(depth, open, leaf) {
  const breaks = (open & 31) === 31 ? depth : 0;
  return Buffer.concat([Buffer.alloc(depth, open), h(leaf), Buffer.alloc(breaks, 0xff)]);
}

for (const runtime of ['incremental', 'stub']) {
  const t = suite(`assembly core (${runtime} runtime)`);
  let m;
  t.before(async () => {
    m = await load(runtime);
  });

  t('imports nothing from the host but abort', () => {
    for (const { module, name } of WebAssembly.Module.imports(m.module)) assert.is(`${module}.${name}`, 'env.abort');
  });

  t('exports the value problem codes', () => {
    for (const [name, code] of Object.entries(VALUE)) assert.is(m.exports[`VALUE_${name}`].value, code, name);
  });

  t('SHA3-224 of the empty string', () => {
    assert.is(m.sha3(Buffer.alloc(0)).toString('hex'), '6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7');
  });

  t('SHA3-224 matches node for lengths 0..300 at any alignment', () => {
    const data = randomBytes(300);
    for (let len = 0; len <= 300; len++) {
      const input = data.subarray(0, len);
      const want = createHash('sha3-224').update(input).digest();
      assert.equal(m.sha3(input, len % 8), want, `length ${len}`);
    }
  });

  t('SHA3-224 of 1 MiB', () => {
    const data = randomBytes(1 << 20);
    assert.equal(m.sha3(data), createHash('sha3-224').update(data).digest());
  });

  t('hexLower', () => {
    const data = Buffer.from([0x00, 0x09, 0x0a, 0x0f, 0x10, 0x9f, 0xa0, 0xff, ...randomBytes(100)]);
    assert.is(m.hex(data), data.toString('hex'));
    assert.is(m.hex(Buffer.alloc(0)), '');
  });

  t('CRC-32C check value', () => {
    assert.is(m.crc(Buffer.from('123456789')), 0xe3069283);
    assert.is(m.crc(Buffer.alloc(0)), 0);
  });

  t('CRC-32C matches a bitwise reference for 0..2000 bytes', () => {
    const data = randomBytes(2008);
    for (let len = 0; len <= 2000; len++) {
      const input = data.subarray(len % 8, (len % 8) + len);
      assert.is(m.crc(input, undefined, len % 8), crcReference(input), `length ${len}`);
    }
  });

  t('CRC-32C of long inputs (four streams of 512-byte blocks, combined) matches the reference, seeded and not', () => {
    const data = randomBytes(100_000 + 8);
    for (const len of [2047, 2048, 2049, 2055, 4095, 4096, 4097, 6144 + 5, 65536 + 3, 100_000]) {
      for (const offset of [0, 3]) {
        const input = data.subarray(offset, offset + len);
        assert.is(m.crc(input, undefined, offset), crcReference(input), `length ${len} at offset ${offset}`);
        assert.is(m.crc(input, 0x12345678, offset), crcReference(input, 0x12345678), `length ${len}, seeded`);
      }
    }
    assert.is(m.crc(Buffer.alloc(8192)), crcReference(Buffer.alloc(8192)), 'zeros');
    assert.is(m.crc(Buffer.alloc(8192, 0xff)), crcReference(Buffer.alloc(8192, 0xff)), 'ones');
  });

  t('CRC-32C seeding continues a CRC', () => {
    for (let i = 0; i < 200; i++) {
      const data = randomBytes(Math.floor(Math.random() * 2000));
      const cut = Math.floor(Math.random() * (data.length + 1));
      const first = m.crc(data.subarray(0, cut));
      assert.is(m.crc(data.subarray(cut), first), m.crc(data));
      assert.is(m.crc(data.subarray(cut), first), crcReference(data.subarray(cut), first));
    }
    assert.is(m.crc(Buffer.from('456789'), m.crc(Buffer.from('123'))), 0xe3069283);
  });

  // Appendix A items that are not values: unknown tags and unassigned simple values.
  const NOT_VALUES = new Set(['f0', 'f8ff', 'd74401020304', 'd818456449455446', 'd82076687474703a2f2f7777772e6578616d706c652e636f6d']);

  t('checkValue accepts the RFC 8949 Appendix A examples that are values', () => {
    for (const [hex] of APPENDIX_A) assert.is(m.check(h(hex)), NOT_VALUES.has(hex) ? (hex[0] === 'f' ? VALUE.BAD_SIMPLE : VALUE.UNKNOWN_TAG) : 0, hex);
  });

  t('checkValue reports every truncation of nested items', () => {
    const items = [
      ...APPENDIX_A.filter(([hex]) => hex.length > 2 && !NOT_VALUES.has(hex)).map(([hex]) => hex),
      'a3 6161 83 01 fb3ff199999999999a 43 00ff10 d90103 a1 01 6178 7f 62 c3bc 61 78 ff f97e00 9f bf ff 5f ff ff',
    ];
    for (const hex of items) {
      const bytes = h(hex);
      assert.is(m.check(bytes), 0, hex);
      for (let n = 0; n < bytes.length; n++) assert.is(m.check(bytes.subarray(0, n)), VALUE.TRUNCATED, `${hex} cut to ${n}`);
    }
  });

  t('checkValue reports counts beyond the input, and beyond 2^24 - 1 items, without allocating', () => {
    for (const hex of ['5bffffffffffffffff00', '7b8000000000000000', '9a00ffffff', 'ba007fffff00']) assert.is(m.check(h(hex)), VALUE.TRUNCATED, hex);
    for (const hex of ['9bffffffffffffffff', 'bbffffffffffffffff00', 'bb7fffffffffffffff0102', '9a01000000']) assert.is(m.check(h(hex)), VALUE.TOO_MANY, hex);
  });

  t('checkValue reports trailing bytes', () => {
    for (const hex of ['0000', '8001', 'a0ff', '9fff00', '5fff5f', 'c10000', '6161 61']) assert.is(m.check(h(hex)), VALUE.TRAILING, hex);
  });

  t('checkValue reports reserved additional info, stray breaks and misplaced indefinite lengths', () => {
    for (const hex of ['1c', '1d', '1e', '3c', '5c', '7c', '9c', 'bc', 'dc', 'fc', 'fd', 'fe', '5f5cff', '7f7dff']) assert.is(m.check(h(hex)), VALUE.RESERVED, hex);
    for (const hex of ['1f', '3f', 'df', 'ff', '81ff', 'a101ff', 'c1ff', 'bf01ff', 'bf010203ff']) assert.is(m.check(h(hex)), VALUE.BAD_BREAK, hex);
    // A definite count the bytes left cannot meet is found before the break.
    assert.is(m.check(h('a1ff')), VALUE.TRUNCATED);
  });

  t('checkValue reports invalid UTF-8 and mixed or nested string chunks', () => {
    const utf8 = [
      '6180', '61c3', '62c0af', '62c1bf', '63e08080', '63eda080', '63edbfbf', '64f08f8080', '64f4908080', '61f5', '61ff',
      '62e282', '63e28228', '7f6180ff', '7f61616180ff', '7f61c361bcff',
      `7818${'61'.repeat(12)}80${'61'.repeat(11)}`, // after the 8-byte ASCII fast path
    ];
    for (const hex of utf8) assert.is(m.check(h(hex)), VALUE.BAD_UTF8, hex);
    for (const hex of ['5f6161ff', '7f4161ff', '5f5fffff', '7f7f6161ffff', '5f01ff']) assert.is(m.check(h(hex)), VALUE.BAD_CHUNK, hex);
    for (const hex of ['62c280', '63e0a080', '63ed9fbf', '63ee8080', '64f0908080', '64f48fbfbf', '7f62c3bc6161ff', '5f4100ff'])
      assert.is(m.check(h(hex)), 0, hex);
  });

  t('checkValue limits nesting to 512 arrays and maps without exhausting the stack', () => {
    assert.is(m.check(Buffer.alloc(100000, 0x81)), VALUE.TOO_DEEP);
    assert.is(m.check(Buffer.alloc(100000, 0x9f)), VALUE.TOO_DEEP);
    assert.is(m.check(Buffer.alloc(100000, 0xa1)), VALUE.TOO_DEEP);
    // Tags do not nest freely: a tag's content has a type, so a chain of them stops at once.
    assert.is(m.check(Buffer.alloc(100000, 0xc1)), VALUE.BAD_CONTENT);
    assert.is(m.check(nested(512, 0x81, '00')), 0);
    assert.is(m.check(nested(513, 0x81, '00')), VALUE.TOO_DEEP);
    assert.is(m.check(nested(512, 0x9f, '00')), 0);
    assert.is(m.check(nested(513, 0x9f, '00')), VALUE.TOO_DEEP);
    assert.is(m.check(Buffer.concat([nested(300, 0x81, '80'), nested(300, 0x81, '80')])), VALUE.TRAILING);
  });

  t('checkValue accepts false, true, null, undefined and floats; no other simple value', () => {
    for (const hex of ['f4', 'f5', 'f6', 'f7', 'f93c00', 'fa3f800000', 'fb3ff0000000000000']) assert.is(m.check(h(hex)), 0, hex);
    for (let v = 0; v < 256; v++) assert.is(m.check(Buffer.from([0xf8, v])), VALUE.BAD_SIMPLE, `simple ${v}`);
    for (let v = 0; v < 20; v++) assert.is(m.check(Buffer.from([0xe0 | v])), VALUE.BAD_SIMPLE, `simple ${v}`);
    assert.is(m.check(h('f8')), VALUE.TRUNCATED);
  });

  t('checkValue on JSON (codec 1): RFC 8259 text as JSON.parse reads it', () => {
    const good = ['0', '-0', '1.5e-3', '-12E+2', '"a\\u00e9\\n"', '"\\ud800"', ' [1, {"a": [true, false, null]}] ', '{}', '[]', '"é"',
      '{"a":1,"a":2}', `${'['.repeat(512)}${']'.repeat(512)}`];
    for (const text of good) {
      assert.is(m.check(Buffer.from(text), 1), 0, text);
      JSON.parse(text);
    }
    const bad = ['', ' ', '01', '1.', '.5', '+1', '1e', '-', 'tru', 'nul', 'True', '[1,]', '{"a"}', '{"a":}', '{a:1}', '[1 2]', '"\t"',
      '"\\x"', '"\\u12g4"', '"abc', '[', '{"a":1', '1 2', 'NaN', "'a'", '\ufeff1'];
    for (const text of bad) {
      assert.not.equal(m.check(Buffer.from(text), 1), 0, JSON.stringify(text));
      assert.throws(() => JSON.parse(text.replace(/^\ufeff/, '\ufeff')), JSON.stringify(text));
    }
    assert.is(m.check(Buffer.from([0x22, 0xc3, 0x28, 0x22]), 1), VALUE.BAD_UTF8);
    assert.is(m.check(Buffer.from(`${'['.repeat(513)}${']'.repeat(513)}`), 1), VALUE.TOO_DEEP);
  });

  t('checkValue: codecs 2-127 are reserved; 128-255 are the application\'s', () => {
    for (const codec of [2, 50, 127]) assert.is(m.check(h('00'), codec), VALUE.RESERVED_CODEC, `codec ${codec}`);
    for (const codec of [128, 200, 255]) assert.is(m.check(h('ffff'), codec), 0, `codec ${codec}`);
  });

  t('checkValue and cborDiag survive random and mutated input', () => {
    const codes = new Set([0, ...Object.values(VALUE)]);
    const seeds = APPENDIX_A.map(([hex]) => h(hex)).filter((item) => item.length > 3);
    let valid = 0;
    for (let i = 0; i < 40000; i++) {
      let bytes;
      if (i % 2) {
        bytes = randomBytes(1 + (i % 40));
      } else {
        bytes = Buffer.from(seeds[(i >> 1) % seeds.length]);
        for (let j = 0; j <= i % 3; j++) bytes[Math.floor(Math.random() * bytes.length)] = Math.floor(Math.random() * 256);
      }
      const code = m.check(bytes);
      assert.ok(codes.has(code), `${bytes.toString('hex')} gave ${code}`);
      assert.ok(codes.has(m.check(bytes, 1)), `${bytes.toString('hex')} as JSON`);
      if (code === 0) {
        valid++;
        assert.type(m.diag(bytes), 'string');
      }
    }
    assert.ok(valid > 1000, `only ${valid} valid items`);
  });

  t('cborDiag prints the RFC 8949 Appendix A examples', () => {
    for (const [hex, want] of APPENDIX_A) assert.is(m.diag(h(hex)), want, hex);
    // The RFC writes non-ASCII text as \u escapes: the same JSON strings.
    assert.is(JSON.parse(m.diag(h('64f0908591'))), JSON.parse('"\\ud800\\udd51"'));
  });

  t('cborDiag escapes text as JSON does', () => {
    const text = 'a"b\\c\n\t\r\b\f\u0000\u001f\u007f é 水 𐅑';
    const bytes = Buffer.from(text);
    const item = Buffer.concat([h('78'), Buffer.from([bytes.length]), bytes]);
    assert.is(m.diag(item), JSON.stringify(text));
  });

  t('cborDiag prints nested, tagged and indefinite items', () => {
    const cases = [
      ['82 a1 6161 83 01 f94100 42 00ff d90103 a1 01 6178', `[{"a": [1, 2.5, h'00ff']}, 259({1: "x"})]`],
      ['5fff', "''_"],
      ['7fff', '""_'],
      ['5f40ff', "(_ h'')"],
      ['7f60ff', '(_ "")'],
      ['bfff', '{_ }'],
      ['c2 41 01', "2(h'01')"],
      ['3a ffffffff', '-4294967296'],
      ['fb 0000000000000001', '5e-324'],
      ['fa 00000001', '1.401298464324817e-45'],
      ['fb 3e7ad7f29abcaf48', '1e-7'],
      ['fb 4415af1d78b58c40', '100000000000000000000.0'],
      ['fb 444b1ae4d6e2ef50', '1.0e+21'],
      ['fb 44b52d02c7e14af6', '1.0e+23'],
      ['fb 7fefffffffffffff', '1.7976931348623157e+308'],
      ['f9 8001', '-5.960464477539063e-8'],
      ['f9 fe00', 'NaN'],
    ];
    for (const [hex, want] of cases) {
      assert.is(m.check(h(hex)), 0, hex);
      assert.is(m.diag(h(hex)), want, hex);
    }
    // Any well-formed item prints, values or not.
    assert.is(m.diag(h('f820')), 'simple(32)');
    assert.is(m.diag(h('db ffffffffffffffff 00'.replace(/ /g, ''))), '18446744073709551615(0)');
  });

  t('cborDiag prints deep nesting and long strings', () => {
    assert.is(m.diag(nested(512, 0x81, '00')), `${'['.repeat(512)}0${']'.repeat(512)}`);
    assert.is(m.diag(nested(512, 0xc1, 'f6')), `${'1('.repeat(512)}null${')'.repeat(512)}`);
    const data = randomBytes(5000);
    assert.is(m.diag(Buffer.concat([h('591388'), data])), `h'${data.toString('hex')}'`);
    const text = 'ü'.repeat(2500);
    assert.is(m.diag(Buffer.concat([h('791388'), Buffer.from(text)])), `"${text}"`);
    assert.is(m.diag(h('01')), '1'); // the reused buffer starts afresh
  });

  t('cborDiag prints every float16 and random float32/64 as JavaScript does', () => {
    const view = new DataView(new ArrayBuffer(9));
    const item = new Uint8Array(view.buffer);
    for (let bits = 0; bits < 0x10000; bits++) {
      view.setUint8(0, 0xf9);
      view.setUint16(1, bits);
      const exp = (bits >> 10) & 0x1f;
      const mant = bits & 0x3ff;
      const sign = bits & 0x8000 ? -1 : 1;
      const v = exp === 31 ? (mant ? NaN : sign * Infinity) : sign * (exp ? 1024 + mant : mant) * 2 ** ((exp || 1) - 25);
      assert.is(m.diag(item.subarray(0, 3)), floatDiag(v), bits.toString(16));
    }
    const edges = [0.1, 0.3, 4.35, 123e-20, 9007199254740993, Number.MAX_VALUE, Number.EPSILON, 2 ** 53 + 2];
    for (let e = -1074; e <= 1023; e++) edges.push(2 ** e, 3 * 2 ** e, (2 - Number.EPSILON) * 2 ** e);
    for (let k = -323; k <= 308; k++) edges.push(Number(`1e${k}`), Number(`9.5e${k}`));
    view.setUint8(0, 0xfb);
    for (const v of edges) {
      view.setFloat64(1, v);
      assert.is(m.diag(item), floatDiag(v), String(v));
    }
    for (let i = 0; i < 30000; i++) {
      view.setUint32(1, (Math.random() * 2 ** 32) >>> 0);
      view.setUint32(5, (Math.random() * 2 ** 32) >>> 0);
      assert.is(m.diag(item), floatDiag(view.getFloat64(1)), view.getFloat64(1).toString());
    }
    for (let i = 0; i < 20000; i++) {
      view.setUint8(0, 0xfa);
      view.setUint32(1, (Math.random() * 2 ** 32) >>> 0);
      assert.is(m.diag(item.subarray(0, 5)), floatDiag(view.getFloat32(1)), view.getFloat32(1).toString());
    }
  });

  t.run();
}
