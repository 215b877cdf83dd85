// loadOnnxFile reads a large file's initializer payloads into arrays of their own (src/frontend/onnx-hollow.ts)
// instead of the whole file into one buffer. Whatever the file holds, that must import exactly as importOnnx of the
// same bytes read whole: the same graph (every tensor bit for bit) or the same error code. Checked on generated
// models (float32/int64/float64/int32 initializers around the PAYLOAD_MIN boundary, float_data instead of raw_data,
// a Constant node's tensor, a second raw_data field, doc strings) and on the same files truncated or with a byte
// changed. Every file is over the 1 MiB from which loadOnnxFile reads this way.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import onnx from 'onnx-proto';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx.ts';
import { readHollow, PAYLOAD_MIN } from '../../src/frontend/onnx-hollow.ts';
import type { Graph } from '../../src/ir/graph.ts';
import { lcg } from '../helpers/random.ts';

const P = onnx.onnx;
const T = P.TensorProto.DataType;
const dir = mkdtempSync(join(tmpdir(), 'layerc-hollow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DTYPES = { float32: [T.FLOAT, Float32Array], int64: [T.INT64, BigInt64Array], float64: [T.DOUBLE, Float64Array], int32: [T.INT32, Int32Array] } as const;
type Init = { dtype: keyof typeof DTYPES; n: number; raw: boolean };

const init: fc.Arbitrary<Init> = fc.record({
  dtype: fc.constantFrom('float32', 'float32', 'int64', 'float64', 'int32'),
  n: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constantFrom(PAYLOAD_MIN / 4 - 1, PAYLOAD_MIN / 4, PAYLOAD_MIN / 8, PAYLOAD_MIN / 8 + 1)),
  raw: fc.boolean(),
});

function tensor(name: string, it: Init, rnd: () => number): onnx.onnx.ITensorProto {
  const [dataType, Arr] = DTYPES[it.dtype];
  const vals = Array.from({ length: it.n }, () => Math.round((rnd() * 2 - 1) * 1000) / 7);
  const typed: ArrayLike<number | bigint> & { buffer: ArrayBufferLike } = Arr === BigInt64Array ? BigInt64Array.from(vals, (v) => BigInt(Math.trunc(v))) : (Arr as Float32ArrayConstructor).from(vals);
  const t: onnx.onnx.ITensorProto = { name, dims: [it.n], dataType, docString: name.repeat(1 + (it.n % 3)) };
  if (it.raw) t.rawData = new Uint8Array(typed.buffer);
  else if (it.dtype === 'float32') t.floatData = Array.from(typed as ArrayLike<number>);
  else if (it.dtype === 'float64') t.doubleData = Array.from(typed as ArrayLike<number>);
  else if (it.dtype === 'int64') t.int64Data = Array.from(typed as ArrayLike<bigint>, Number);
  else t.int32Data = Array.from(typed as ArrayLike<number>);
  return t;
}

/** A model over 1 MiB: y = x + big + a Constant, and the generated initializers (unused by the graph but imported). */
function model(inits: Init[], bigAt: number, seed: number, secondGraph: boolean): Uint8Array {
  const rnd = lcg(seed);
  const ts = inits.map((it, i) => tensor(`t${i}`, it, rnd));
  const big = tensor('big', { dtype: 'float32', n: 300_000, raw: true }, rnd);
  ts.splice(Math.min(bigAt, ts.length), 0, big);
  const bytes = P.ModelProto.encode({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }], docString: 'hollow test',
    graph: {
      name: 'g',
      node: [
        { opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: P.AttributeProto.AttributeType.TENSOR, t: tensor('c', { dtype: 'float32', n: 300_000, raw: true }, rnd) }] },
        { opType: 'Add', input: ['x', 'big'], output: ['s'] }, { opType: 'Add', input: ['s', 'c'], output: ['y'] }],
      initializer: ts,
      input: [{ name: 'x', type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimValue: 300_000 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimValue: 300_000 }] } } } }],
    },
  }).finish();
  if (!secondGraph) return bytes;
  // A second ModelProto.graph field (protobuf merges it into the first: one more initializer); the reader leaves
  // such a file to the whole-file path.
  const again = P.ModelProto.encode({ graph: { initializer: [{ name: 'extra', dims: [2], dataType: T.FLOAT, rawData: new Uint8Array(8) }] } }).finish();
  const out = new Uint8Array(bytes.length + again.length);
  out.set(bytes);
  out.set(again, bytes.length);
  return out;
}

/** The graph as plain data: every value's name, type and constant bits, every node's op and wiring. */
function dump(g: Graph) {
  return {
    values: [...g.values].map((v) => [v.name, v.type.dtype, JSON.stringify(v.type.shape), v.const ? Buffer.from(v.const.data.buffer, v.const.data.byteOffset, v.const.data.byteLength).toString('base64') : null]),
    nodes: g.nodes.map((n) => [n.op, n.inputs.map((v) => v?.name), n.outputs.map((v) => v.name), JSON.stringify(n.attrs)]),
  };
}

/** The import of the file by loadOnnxFile and of its bytes by importOnnx: a dump or an error code each. */
function both(bytes: Uint8Array, name: string) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const run = (f: () => Graph) => { try { return dump(f()); } catch (e) { return { code: (e as { code?: string }).code ?? String(e) }; } };
  return { file: run(() => loadOnnxFile(path)), bytes: run(() => importOnnx(new Uint8Array(bytes))) };
}

describe('loadOnnxFile of a large file (payloads read apart)', () => {
  it('takes the payloads out (the path under test is taken)', () => {
    const path = join(dir, 'taken.onnx');
    writeFileSync(path, model([{ dtype: 'float32', n: 500, raw: true }, { dtype: 'int64', n: 10, raw: true }], 0, 1, false));
    const fd = fs.openSync(path, 'r');
    try {
      const h = readHollow(fs, fd, fs.fstatSync(fd).size)!;
      expect([...h.payloads.keys()]).toEqual([0, 1]); // big (1.2 MB) and t0 (2000 bytes); t1 (80 bytes) stays
      expect(h.compact.length).toBeLessThan(1_300_000); // the Constant node's 1.2 MB stays in the compact part
    } finally { fs.closeSync(fd); }
  });

  it('imports as importOnnx of the same bytes (generated models)', () => {
    fc.assert(fc.property(fc.array(init, { maxLength: 8 }), fc.nat(8), fc.integer({ min: 1, max: 1e6 }), fc.boolean(), (inits, bigAt, seed, secondGraph) => {
      const r = both(model(inits, bigAt, seed, secondGraph), 'm.onnx');
      expect(r.file).toEqual(r.bytes);
      expect('code' in r.file).toBe(false);
    }), { numRuns: 25, seed: 1808 });
  }, 60_000);

  it('truncated or with one byte changed: the same graph or the same error as importOnnx', () => {
    const base = model([{ dtype: 'float32', n: 700, raw: true }, { dtype: 'int64', n: 300, raw: true }, { dtype: 'float64', n: 5, raw: false }], 1, 7, false);
    fc.assert(fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, byte, truncate) => {
      const bytes = truncate ? base.slice(0, Math.max(at, 1 << 20)) : base.slice();
      if (!truncate) bytes[at] = byte;
      const r = both(bytes, 'bad.onnx');
      expect(r.file).toEqual(r.bytes);
    }), { numRuns: 60, seed: 1809 });
  }, 60_000);
});
