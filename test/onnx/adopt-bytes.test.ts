// loadOnnxFile owns the bytes it read, so float32 weights become views of them instead of copies
// (src/io/tensorproto.ts adoptFloat32: each raw_data moved down to a 4-byte boundary over its own, already decoded,
// tag and length). Checked against importOnnx of an untouched copy of the same bytes: every tensor bit for bit,
// at every misalignment (names of 1-4 characters shift the following data), beside tensors that stay copies
// (small, int64), with a Constant node's tensor attribute, and the graph's output computed from them.
import { describe, expect, it } from 'vitest';
import onnx from 'onnx-proto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnx, loadOnnxFile } from '../../src/frontend/onnx.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { vi } from './build.ts';
import { lcg } from '../helpers/random.ts';

const P = onnx.onnx;
const rnd = lcg(11);
const f32 = (name: string, n: number) => {
  const data = Float32Array.from({ length: n }, () => rnd() * 2 - 1);
  return { name, dims: [n], dataType: P.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
};

function model(): Uint8Array {
  // y = x + a + bb + ccc + dddd + c (32 floats each: 128 bytes, adopted) + small (4 floats: copied); k (int64) unused.
  const names = ['a', 'bb', 'ccc', 'dddd'];
  const inits = [...names.map((n) => f32(n, 32)), f32('small', 4)].map((t) => (t.name === 'small' ? { ...t, dims: [4] } : t));
  const node = (op: string, input: string[], output: string, attribute: onnx.onnx.IAttributeProto[] = []) => ({ opType: op, name: output, input, output: [output], attribute });
  const constant = node('Constant', [], 'c', [{ name: 'value', type: P.AttributeProto.AttributeType.TENSOR, t: f32('c', 32) }]);
  const adds = ['a', 'bb', 'ccc', 'dddd', 'c'].reduce<{ nodes: ReturnType<typeof node>[]; last: string }>((s, n, i) => (
    { nodes: [...s.nodes, node('Add', [s.last, n], `s${i}`)], last: `s${i}` }), { nodes: [], last: 'x' });
  const sliced = node('Slice', ['small', 'st', 'en'], 'smallpart');
  const ints = (name: string, v: number) => ({ name, dims: [1], dataType: P.TensorProto.DataType.INT64, rawData: new Uint8Array(new BigInt64Array([BigInt(v)]).buffer) });
  return P.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 18 }], graph: {
    name: 'adopt', node: [constant, ...adds.nodes, sliced], initializer: [...inits, ints('st', 0), ints('en', 1)],
    input: [vi('x', [32])], output: [vi(adds.last, [32]), vi('smallpart', [1])] } }).finish();
}

describe('loadOnnxFile adopts the bytes it read', () => {
  it('float32 weights are views of the file bytes, equal bit for bit to a copying import', () => {
    const bytes = model(), dir = mkdtempSync(join(tmpdir(), 'layerc-adopt-'));
    try {
      writeFileSync(join(dir, 'm.onnx'), bytes);
      const copied = importOnnx(bytes.slice()), adopted = loadOnnxFile(join(dir, 'm.onnx'));
      // Most of the weights' data starts off a 4-byte boundary in the file (else there is nothing to move).
      const raw = P.ModelProto.decode(bytes).graph!.initializer!.filter((t) => t.rawData!.length >= 128).map((t) => t.rawData!.byteOffset % 4);
      expect(raw.filter((r) => r !== 0).length).toBeGreaterThanOrEqual(2);
      for (const v of copied.initializers) {
        const a = adopted.value(v.name)!.const!, c = v.const!;
        expect([v.name, a.dtype, [...a.data]]).toEqual([v.name, c.dtype, [...c.data]]);
        const isView = a.data.buffer.byteLength > a.data.byteLength;
        expect([v.name, isView]).toEqual([v.name, a.dtype === 'float32' && a.size >= 32]);
      }
      const x = Tensor.fromArray('float32', [32], Array.from({ length: 32 }, (_, i) => i / 7));
      const want = runGraph(copied, { x }), got = runGraph(adopted, { x });
      for (const k of Object.keys(want)) expect([...got[k]!.data]).toEqual([...want[k]!.data]);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('importOnnx leaves the caller\'s bytes as they were', () => {
    const bytes = model(), before = bytes.slice();
    importOnnx(bytes);
    expect(Buffer.compare(bytes, before)).toBe(0);
  });
});
