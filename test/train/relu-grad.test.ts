// ai.layerc::ReluGrad(dY, Y): the declared output type (shape inference) and the tensor the reference
// implementation produces agree — both are dY's — and dY/Y of different shapes are refused at inference time
// (LC032) instead of producing a tensor of another shape than declared.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { LayercError } from '../../src/diagnostics.ts';
import '../../src/ops/index.ts';

function reluGrad(dyShape: number[], yShape: number[]) {
  const g = new Graph('rg');
  const dy = g.addInput('dy', { dtype: 'float64', shape: dyShape });
  const y = g.addInput('y', { dtype: 'float32', shape: yShape });
  const out = g.addNode('ReluGrad', [dy, y], {}, { domain: 'ai.layerc' }).outputs[0];
  g.outputs = [out];
  return { g, out };
}

describe('ReluGrad', () => {
  it('declares dY\'s type and the reference produces exactly that, masked by Y > 0', () => {
    const { g, out } = reluGrad([2, 3], [2, 3]);
    inferShapes(g);
    expect(out.type).toEqual({ dtype: 'float64', shape: [2, 3] });
    const r = runGraph(g, {
      dy: Tensor.fromArray('float64', [2, 3], [1, 2, 3, 4, 5, 6]),
      y: Tensor.fromArray('float32', [2, 3], [0.5, 0, -1, 2, -0.25, 1e-30]),
    })[out.name];
    expect(r.dtype).toBe('float64');
    expect(r.shape).toEqual([2, 3]);
    expect(Array.from(r.data)).toEqual([1, 0, 0, 4, 0, 6]);
  });
  it('refuses dY and Y of different shapes (LC032)', () => {
    const { g } = reluGrad([6], [2, 3]);
    let err: unknown;
    try { inferShapes(g); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LayercError);
    expect((err as LayercError).code).toBe('LC032');
  });
});
