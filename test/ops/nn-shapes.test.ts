// Shape rules of the network ops: symbolic dims pass through where the op cannot change them, and bad
// input is one LayercError whose code, node and message name the rule that broke.
import { describe, expect, it } from 'vitest';
import { Graph, Tensor, inferShapes, runGraph } from '../../src/index.ts';
import type { AttrValue, Dim } from '../../src/ir/graph.ts';
import { LayercError } from '../../src/diagnostics.ts';
import { singleNodeGraph } from '../helpers/single-node.ts';

const zeros = (shape: number[]) => Tensor.zeros('float32', shape);

/** The output shapes inferred for `op` over inputs with the given (possibly symbolic; null = unknown) shapes. */
function inferred(op: string, shapes: (Dim[] | null)[], attrs: Record<string, AttrValue> = {}, numOutputs = 1): (Dim[] | null)[] {
  const g = new Graph('shapes');
  const ins = shapes.map((s, i) => g.addInput(`in${i}`, { dtype: 'float32', shape: s }));
  const node = g.addNode(op, ins, attrs, { name: 'node', numOutputs });
  g.outputs.push(...node.outputs);
  inferShapes(g);
  return node.outputs.map((o) => o.type.shape);
}

function failure(f: () => unknown): LayercError {
  try {
    f();
  } catch (e) {
    if (e instanceof LayercError) return e;
    throw e;
  }
  throw new Error('expected a LayercError');
}

const isFresh = (d: Dim, not: string) => typeof d === 'string' && d !== not;

describe('symbolic dims', () => {
  it('Conv keeps a symbolic batch; spatial symbols survive only windows that cannot resize them', () => {
    expect(inferred('Conv', [['N', 3, 8, 8], [16, 3, 3, 3]], { strides: [2, 2], pads: [1, 1, 1, 1] })).toEqual([['N', 16, 4, 4]]);
    expect(inferred('Conv', [['N', 3, 'H', 'W'], [16, 3, 1, 1]])[0]).toEqual(['N', 16, 'H', 'W']);
    expect(inferred('Conv', [['N', 4, 'H', 'W'], [8, 2, 3, 3]], { group: 2, auto_pad: 'SAME_UPPER' })[0]).toEqual(['N', 8, 'H', 'W']);
    const [[, , h, w]] = inferred('Conv', [['N', 3, 'H', 'W'], [16, 3, 3, 3]]) as Dim[][];
    expect(isFresh(h, 'H') && isFresh(w, 'W') && h !== w).toBe(true);
  });

  it('ConvTranspose, pools, BN, Gemm, MatMul and Softmax with symbolic dims', () => {
    expect(inferred('ConvTranspose', [['N', 4, 3, 3], [4, 2, 3, 3]], { group: 2, strides: [2, 2] })).toEqual([['N', 4, 7, 7]]);
    const [[n, c, h]] = inferred('MaxPool', [['N', 3, 'H', 8]], { kernel_shape: [2, 2], strides: [2, 2] }) as Dim[][];
    expect([n, c]).toEqual(['N', 3]);
    expect(isFresh(h, 'H')).toBe(true);
    expect(inferred('MaxPool', [['N', 3, 'H']], { kernel_shape: [3], auto_pad: 'SAME_LOWER' }, 2)).toEqual([['N', 3, 'H'], ['N', 3, 'H']]);
    expect(inferred('GlobalAveragePool', [['N', 'C', 'H', 'W']])).toEqual([['N', 'C', 1, 1]]);
    expect(inferred('BatchNormalization', [['N', 3, 'H', 'W'], [3], [3], [3], [3]])).toEqual([['N', 3, 'H', 'W']]);
    expect(inferred('BatchNormalization', [['N', 'C'], ['C'], ['C'], ['C'], ['C']], { training_mode: 1 }, 3)).toEqual([['N', 'C'], ['C'], ['C']]);
    expect(inferred('Gemm', [['N', 4], [3, 4], [3]], { transB: 1 })).toEqual([['N', 3]]);
    expect(inferred('MatMul', [['B', 'T', 4], [4, 5]])).toEqual([['B', 'T', 5]]);
    expect(inferred('MatMul', [[2, 1, 'T', 4], [3, 4, 'K']])).toEqual([[2, 3, 'T', 'K']]);
    expect(inferred('Softmax', [['N', 10]], { axis: 1 })).toEqual([['N', 10]]);
    expect(inferred('Conv', [null, [16, 3, 3, 3]])).toEqual([null]);
  });
});

describe('bad input names the broken rule', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['Conv channel count vs W', () => inferred('Conv', [[1, 3, 5, 5], [4, 2, 3, 3]]), 'LC032', /W\.shape\[1\] \* group = 2 \* 1 must equal the input channels C = 3/],
    ['Conv group not dividing C', () => inferred('Conv', [[1, 3, 5, 5], [4, 1, 3, 3]], { group: 2 }), 'LC032', /group 2 does not divide the 3 input channels/],
    ['Conv group not dividing M', () => inferred('Conv', [[1, 4, 5, 5], [3, 2, 3, 3]], { group: 2 }), 'LC032', /group 2 does not divide the 3 output channels/],
    ['Conv kernel larger than padded input', () => inferred('Conv', [[1, 1, 2, 2], [1, 1, 3, 3]]), 'LC032', /kernel extent 3 along spatial axis 0 is larger than the padded input 2 \+ 0 \+ 0/],
    ['Conv rank mismatch', () => inferred('Conv', [[1, 1, 5, 5], [1, 1, 3]]), 'LC032', /W rank 3 must equal X rank 4/],
    ['Conv input rank', () => inferred('Conv', [[1, 5], [1, 1]]), 'LC032', /rank >= 3/],
    ['Conv kernel_shape vs W', () => inferred('Conv', [[1, 1, 5, 5], [1, 1, 3, 3]], { kernel_shape: [2, 2] }), 'LC032', /kernel_shape \[2, 2\] does not match W/],
    ['Conv strides length', () => inferred('Conv', [[1, 1, 5, 5], [1, 1, 3, 3]], { strides: [1, 1, 1] }), 'LC030', /strides.*2 spatial axes needs 2 values/],
    ['Conv auto_pad value', () => inferred('Conv', [[1, 1, 5, 5], [1, 1, 3, 3]], { auto_pad: 'SAME' }), 'LC030', /auto_pad must be one of/],
    ['Conv bias length', () => inferred('Conv', [[1, 1, 5, 5], [2, 1, 3, 3], [3]]), 'LC032', /bias B has 3 entries, the output has M = 2/],
    ['ConvTranspose W[0] vs C', () => inferred('ConvTranspose', [[1, 3, 5, 5], [2, 1, 3, 3]]), 'LC032', /W\.shape\[0\] = 2 must equal the input channels C = 3/],
    ['MaxPool kernel_shape missing', () => inferred('MaxPool', [[1, 1, 5, 5]]), 'LC030', /kernel_shape/],
    ['AveragePool kernel rank', () => inferred('AveragePool', [[1, 1, 5, 5]], { kernel_shape: [2] }), 'LC030', /has 1 axes, the input has 2 spatial axes/],
    ['MaxPool window too big', () => inferred('MaxPool', [[1, 1, 2, 2]], { kernel_shape: [3, 3] }), 'LC032', /larger than the padded input/],
    ['BN parameter length', () => inferred('BatchNormalization', [[2, 3, 4], [4], [3], [3], [3]]), 'LC032', /scale has 4 entries, X has C = 3 channels/],
    ['BN stats outputs without training', () => inferred('BatchNormalization', [[2, 3], [3], [3], [3], [3]], {}, 3), 'LC031', /only with training_mode=1/],
    ['Gemm inner dims', () => inferred('Gemm', [[2, 3], [4, 5]]), 'LC032', /inner dimensions differ/],
    ['Gemm C broadcast', () => inferred('Gemm', [[2, 3], [3, 5], [2, 4]]), 'LC032', /C \[2, 4\] does not broadcast \(unidirectionally\) to \[2, 5\]/],
    ['Gemm rank', () => inferred('Gemm', [[2, 3, 1], [3, 5]]), 'LC032', /A must be 2-D/],
    ['MatMul inner dims', () => inferred('MatMul', [[2, 3], [4, 5]]), 'LC032', /inner dimensions differ: \[2, 3\] x \[4, 5\]/],
    ['MatMul batch dims', () => inferred('MatMul', [[2, 2, 3], [3, 3, 5]]), 'LC032', /batch dimensions .* do not broadcast/],
    ['Softmax axis', () => inferred('Softmax', [[2, 3]], { axis: 2 }), 'LC030', /axis 2 is out of range for rank 2/],
  ];
  for (const [label, f, code, message] of cases) {
    it(label, () => {
      const e = failure(f);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.context.node).toBe('node');
    });
  }

  it('the reference checks concrete shapes too (symbolic at inference, wrong at run time)', () => {
    const g = singleNodeGraph({ op: 'Conv', inputs: [zeros([1, 3, 5, 5]), zeros([4, 3, 3, 3])] }, [['N', 'C', 'H', 'W']]);
    const e = failure(() => runGraph(g, { in0: zeros([1, 2, 5, 5]), in1: zeros([4, 3, 3, 3]) }));
    expect(e.code).toBe('LC032');
    expect(e.message).toMatch(/W\.shape\[1\] \* group = 3 \* 1 must equal the input channels C = 2/);
    expect(e.context).toMatchObject({ node: 'node', op: 'Conv' });
  });
});
