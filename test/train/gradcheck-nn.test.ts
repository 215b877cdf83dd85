// Gradients of the network ops (Conv with stride/pad/dilation/groups, with and without bias; LeakyRelu, Clip,
// HardSigmoid, HardSwish; Concat, Reshape, broadcasting Add/Mul; MaxPool, AveragePool, Gemm, MatMul, GlobalAveragePool, Softmax, BN eval and 4-D train)
// vs central finite differences in float64 through the forward ops' own reference implementations. Each
// forward op comes from src/ops (conv.ts, pool.ts, linalg.ts, softmax.ts, normalization).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph, type Value, type AttrValue } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { backward } from '../../src/train/autodiff.ts';
import '../../src/ops/index.ts';

function check(build: (g: Graph, t: (s: number[]) => Value) => Value, seedVals: number[]): void {
  let k = 0;
  const g = new Graph('gc');
  const leaves: Value[] = [];
  const t = (s: number[]) => {
    const v = g.addConst('p', Tensor.fromArray('float64', s, Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => seedVals[k++ % seedVals.length] + 0.01 * k)), 'param');
    leaves.push(v);
    return v;
  };
  const y = build(g, t);
  inferShapes(g);
  const w = g.addConst('w', Tensor.fromArray('float64', y.type.shape as number[], Array.from({ length: (y.type.shape as number[]).reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1))));
  const loss = g.addNode('ReduceSum', [g.addNode('Mul', [y, w]).outputs[0]], { keepdims: 0 }).outputs[0];
  inferShapes(g);
  const grads = backward(g, loss, leaves);
  for (const v of leaves) expect(grads.get(v), `no gradient for leaf '${v.name}'`).toBeTruthy();
  g.outputs = [loss, ...leaves.map((v) => grads.get(v)!)];
  const out = runGraph(g, {});
  for (const v of leaves) {
    const tensor = v.const!;
    for (let i = 0; i < tensor.size; i++) {
      const old = tensor.data[i];
      tensor.data[i] = old + 1e-6; const up = runGraph(g, {})[loss.name].data[0];
      tensor.data[i] = old - 1e-6; const down = runGraph(g, {})[loss.name].data[0];
      tensor.data[i] = old;
      const fd = (up - down) / 2e-6, ad = out[grads.get(v)!.name].data[i];
      expect(Math.abs(ad - fd), `${v.name}[${i}] ad ${ad} fd ${fd}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(fd)));
    }
  }
}

const vals = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 });
const node = (g: Graph, op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}) => g.addNode(op, inputs, attrs).outputs[0];

describe('network op gradients vs finite differences', () => {
  it('Conv (stride, pad, dilation, groups) with bias', () => {
    fc.assert(fc.property(vals, fc.constantFrom(1, 2), fc.constantFrom(0, 1), fc.constantFrom(1, 2), fc.constantFrom(1, 2), (v, stride, pad, dil, group) => {
      check((g, t) => node(g, 'Conv', [t([1, 2 * group, 5, 5]), t([2, 2, 2, 2]), t([2])],
        { strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [dil, dil], group }), v);
    }), { numRuns: 8, seed: 1 });
  });
  it('Conv without bias (2 inputs): dense, grouped and depthwise, strided, as in resnet_mini / mobilenet_block', () => {
    fc.assert(fc.property(vals, fc.constantFrom(1, 2), fc.constantFrom(1, 2, 4), (v, stride, group) => {
      // 4 input channels; group 4 is depthwise (one input channel per output channel).
      check((g, t) => node(g, 'Conv', [t([2, 4, 4, 4]), t([4, 4 / group, 3, 3])],
        { strides: [stride, stride], pads: [1, 1, 1, 1], group }), v);
    }), { numRuns: 6, seed: 9 });
  });
  it('MaxPool and AveragePool', () => {
    fc.assert(fc.property(vals, fc.constantFrom(0, 1), (v, pad) => {
      check((g, t) => node(g, 'MaxPool', [t([1, 2, 4, 4])], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }), v);
      check((g, t) => node(g, 'AveragePool', [t([1, 2, 5, 5])], { kernel_shape: [3, 3], strides: [2, 2], pads: [pad, pad, pad, pad], count_include_pad: pad }), v);
    }), { numRuns: 6, seed: 2 });
  });
  it('Gemm with every transpose combination', () => {
    fc.assert(fc.property(vals, fc.constantFrom(0, 1), fc.constantFrom(0, 1), (v, transA, transB) => {
      check((g, t) => node(g, 'Gemm', [t(transA ? [3, 2] : [2, 3]), t(transB ? [4, 3] : [3, 4]), t([4])], { transA, transB, alpha: 0.7, beta: 1.3 }), v);
    }), { numRuns: 8, seed: 3 });
  });
  it('eval-mode BatchNormalization (a frozen BN)', () => {
    fc.assert(fc.property(vals, (v) => {
      check((g, t) => {
        // Running statistics are state, not differentiable inputs (the vjp gives them no gradient).
        const rm = g.addConst('rm', Tensor.fromArray('float64', [2], [0.3, -0.2]));
        const rv = g.addConst('rv', Tensor.fromArray('float64', [2], [0.7, 1.9]));
        return node(g, 'BatchNormalization', [t([2, 2, 3, 1]), t([2]), t([2]), rm, rv], { epsilon: 1e-3 });
      }, v);
    }), { numRuns: 5, seed: 6 });
  });
  it('batched MatMul, GlobalAveragePool, Flatten, Log', () => {
    fc.assert(fc.property(vals, (v) => {
      check((g, t) => node(g, 'MatMul', [t([2, 3, 4]), t([2, 4, 2])]), v);
      check((g, t) => node(g, 'Flatten', [node(g, 'GlobalAveragePool', [t([2, 3, 2, 3])])], { axis: 1 }), v);
      check((g, t) => node(g, 'Log', [node(g, 'Add', [node(g, 'Mul', [t([2, 3]), t([2, 3])]), g.addConst('one', Tensor.fromArray('float64', [], [1]))])]), v);
    }), { numRuns: 5, seed: 7 });
  });
  it('BatchNormTrain on 4-D NCHW input (batch statistics, full gradient)', () => {
    fc.assert(fc.property(vals, (v) => {
      check((g, t) => {
        const rm = g.addConst('rm', Tensor.fromArray('float64', [2], [0, 0]), 'running_mean');
        const rv = g.addConst('rv', Tensor.fromArray('float64', [2], [1, 1]), 'running_var');
        return g.addNode('BatchNormTrain', [t([3, 2, 2, 2]), t([2]), t([2]), rm, rv], { epsilon: 1e-3 }, { domain: 'ai.layerc', numOutputs: 5 }).outputs[0];
      }, v);
    }), { numRuns: 5, seed: 8 });
  });
  it('LeakyRelu, Clip (relu6, one-sided), HardSigmoid, HardSwish on every linear piece', () => {
    const k = (g: Graph, x: number) => g.addConst('k', Tensor.fromArray('float64', [], [x]));
    // x = ramp + p with |p| <= 1.06: each ramp entry keeps its element on one known piece (at least 0.2 from a
    // kink, so the finite differences stay on it) whatever fast-check draws, and every piece is visited.
    const onRamp = (g: Graph, p: Value, ramp: number[]) => node(g, 'Add', [p, g.addConst('ramp', Tensor.fromArray('float64', [2, 3], ramp))]);
    const around0 = [-4, -2, 2.5, 3.5, 4.5, 8]; // LeakyRelu kink 0; relu6 kinks 0 and 6; Clip(max=1) kink 1
    fc.assert(fc.property(vals, (v) => {
      check((g, t) => node(g, 'LeakyRelu', [onRamp(g, t([2, 3]), around0)], { alpha: 0.1 }), v);
      check((g, t) => node(g, 'Clip', [onRamp(g, t([2, 3]), around0), k(g, 0), k(g, 6)]), v);
      check((g, t) => node(g, 'Clip', [onRamp(g, t([2, 3]), around0), null as unknown as Value, k(g, 1)]), v);
      // HardSigmoid(0.3, 0.4) kinks at -4/3 and 2; HardSwish kinks at -3 and 3.
      check((g, t) => node(g, 'HardSigmoid', [onRamp(g, t([2, 3]), [-4, -3, 0.3, 0.6, 4, 5])], { alpha: 0.3, beta: 0.4 }), v);
      check((g, t) => node(g, 'HardSwish', [onRamp(g, t([2, 3]), [-6, -5, -1, 0.5, 5, 6])]), v);
    }), { numRuns: 6, seed: 10 });
  });
  it('Concat (two parameters along axis 1), Reshape, broadcasting Add/Mul against [C, 1, 1]', () => {
    fc.assert(fc.property(vals, (v) => {
      check((g, t) => node(g, 'Concat', [t([2, 1, 3]), t([2, 2, 3])], { axis: 1 }), v);
      check((g, t) => node(g, 'Reshape', [t([2, 3, 2]), g.addConst('s', Tensor.fromArray('int64', [2], [4, 3]))]), v);
      check((g, t) => node(g, 'Mul', [node(g, 'Add', [t([2, 3, 2, 2]), t([3, 1, 1])]), t([3, 1, 1])]), v);
    }), { numRuns: 5, seed: 11 });
  });
  it('Softmax', () => {
    fc.assert(fc.property(vals, (v) => { check((g, t) => node(g, 'Softmax', [t([2, 3])], { axis: -1 }), v); }), { numRuns: 5, seed: 4 });
  });
});
