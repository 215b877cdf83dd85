// The exporter writes standard ONNX only: a Fused node becomes its base op + Add/Mul/activation nodes,
// which onnxruntime-node runs and which must compute the epilogue contract (checked with plain loops here).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import onnx from 'onnx-proto';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { exportOnnx } from '../../src/export/onnx.ts';
import { LayercError } from '../../src/diagnostics.ts';
import '../../src/ops/index.ts';

describe('exportOnnx', () => {
  it('unfuses MatMul + add + Clip + mul + LeakyRelu into standard ops that ORT runs', async () => {
    const g = new Graph('fused');
    const x = g.addInput('x', { dtype: 'float32', shape: ['N', 3] });
    const wv = [0.5, -1, 2, 0.25, 1, 1.5, -0.5, 3, -2, 0.75, 1, -1];
    const w = g.addConst('w', Tensor.fromArray('float32', [3, 4], wv));
    const b = g.addConst('b', Tensor.fromArray('float32', [4], [0.1, -0.2, 0.3, -5]));
    const s = g.addConst('s', Tensor.fromArray('float32', [4], [2, -1, 0.5, 1]));
    const n = g.addNode('Fused', [x, w, b, s], {
      base: 'MatMul', base_attrs: {}, base_inputs: 2,
      epilogue: [{ kind: 'add', input: 2 }, { kind: 'act', name: 'Clip', params: { min: 0, max: 6 } }, { kind: 'mul', input: 3 }, { kind: 'act', name: 'LeakyRelu', params: { alpha: 0.2 } }],
    }, { domain: 'ai.layerc', outputNames: ['y'] });
    n.outputs[0].type = { dtype: 'float32', shape: ['N', 4] };
    g.outputs.push(n.outputs[0]);
    const bytes = exportOnnx(g);
    const m = onnx.onnx.ModelProto.decode(bytes);
    expect(m.graph!.node!.map((k) => k.opType)).toEqual(['MatMul', 'Add', 'Clip', 'Mul', 'LeakyRelu']);
    expect(m.graph!.node!.every((k) => !k.domain)).toBe(true);
    expect(m.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam).toBe('N');
    const xs = [1, 2, 3, -1, 0.5, 4];
    const sess = await ort.InferenceSession.create(bytes);
    const out = (await sess.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [2, 3]) })).y;
    const expected: number[] = [];
    const bb = [0.1, -0.2, 0.3, -5], ss = [2, -1, 0.5, 1];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) {
      let v = 0;
      for (let k = 0; k < 3; k++) v += xs[i * 3 + k] * wv[k * 4 + j];
      v = Math.min(6, Math.max(0, v + bb[j])) * ss[j];
      expected.push(v > 0 ? v : 0.2 * v);
    }
    Array.from(out.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });
  it('refuses layerc-only ops with LC018', () => {
    const g = new Graph();
    const x = g.addInput('x', { dtype: 'float32', shape: [2] });
    g.outputs.push(g.addNode('Mystery', [x], {}, { domain: 'ai.layerc' }).outputs[0]);
    try { exportOnnx(g); expect.unreachable(); } catch (e) { expect((e as LayercError).code).toBe('LC018'); }
  });
});
