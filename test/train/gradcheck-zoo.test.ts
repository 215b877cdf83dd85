// Gradients of #19's ops (Erf, Sin, Cos, Softplus, Mish, Gelu exact and tanh, Sum and Mean with broadcasting,
// LayerNormalization with Scale and B on any axis) vs central finite differences in float64 through the
// forward ops' own reference implementations (src/ops/math.ts, elementwise.ts, group-norms.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph, type Value, type AttrValue } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { backward } from '../../src/train/autodiff.ts';
import '../../src/ops/index.ts';

/** loss = sum(y * w) for fixed w; every leaf's autodiff gradient must match central differences. */
function check(build: (g: Graph, t: (s: number[]) => Value) => Value, seedVals: number[]): void {
  let k = 0;
  const g = new Graph('gc');
  const leaves: Value[] = [];
  const t = (s: number[]) => {
    const v = g.addConst('p', Tensor.fromArray('float64', s, Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => seedVals[k++ % seedVals.length]! + 0.37 * k)), 'param');
    leaves.push(v);
    return v;
  };
  const y = build(g, t);
  inferShapes(g);
  const w = g.addConst('w', Tensor.fromArray('float64', y.type.shape as number[], Array.from({ length: (y.type.shape as number[]).reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1))));
  const loss = g.addNode('ReduceSum', [g.addNode('Mul', [y, w]).outputs[0]!], { keepdims: 0 }).outputs[0]!;
  inferShapes(g);
  const grads = backward(g, loss, leaves);
  g.outputs = [loss, ...leaves.map((v) => grads.get(v)!)];
  const out = runGraph(g, {});
  for (const v of leaves) {
    const tensor = v.const!;
    for (let i = 0; i < tensor.size; i++) {
      const old = tensor.data[i]!;
      tensor.data[i] = old + 1e-6; const up = runGraph(g, {})[loss.name]!.data[0]!;
      tensor.data[i] = old - 1e-6; const down = runGraph(g, {})[loss.name]!.data[0]!;
      tensor.data[i] = old;
      const fd = (up - down) / 2e-6, ad = out[grads.get(v)!.name]!.data[i]!;
      expect(Math.abs(ad - fd), `${v.name}[${i}] ad ${ad} fd ${fd}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(fd)));
    }
  }
}

const vals = fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 5, maxLength: 5 });
const node = (g: Graph, op: string, inputs: Value[], attrs: Record<string, AttrValue> = {}) => g.addNode(op, inputs, attrs).outputs[0]!;

describe('#19 op gradients vs finite differences', () => {
  it('Erf, Sin, Cos, Softplus, Mish, Gelu (none, tanh)', () => {
    fc.assert(fc.property(vals, fc.constantFrom('Erf', 'Sin', 'Cos', 'Softplus', 'Mish', 'Gelu', 'GeluTanh'), (v, op) => {
      check((g, t) => (op === 'GeluTanh' ? node(g, 'Gelu', [t([2, 3])], { approximate: 'tanh' }) : node(g, op, [t([2, 3])])), v);
    }), { numRuns: 30, seed: 19 });
  });

  it('Sum and Mean with broadcasting', () => {
    fc.assert(fc.property(vals, fc.constantFrom('Sum', 'Mean'), (v, op) => {
      check((g, t) => node(g, op, [t([2, 3]), t([3]), t([2, 1])]), v);
    }), { numRuns: 10, seed: 20 });
  });

  it('LayerNormalization on each axis, with and without B', () => {
    fc.assert(fc.property(vals, fc.constantFrom(-1, -2, 1), fc.boolean(), (v, axis, bias) => {
      check((g, t) => {
        const x = t([2, 3, 4]);
        const norm = [2, 3, 4].slice(axis < 0 ? 3 + axis : axis);
        return node(g, 'LayerNormalization', bias ? [x, t(norm), t(norm)] : [x, t(norm)], { axis, epsilon: 1e-3 });
      }, v);
    }), { numRuns: 10, seed: 21 });
  });
});

// The adjoint rules (src/ops/gradients-adjoint.ts) and the channel normalizations (gradients-zoo.ts).
const f64 = (g: Graph, name: string, shape: number[], xs: number[]) => g.addConst(name, Tensor.fromArray('float64', shape, xs));
const i64 = (g: Graph, name: string, xs: number[]) => g.addConst(name, Tensor.fromArray('int64', [xs.length], xs));

describe('#19 adjoint and channel-norm gradients vs finite differences', () => {
  const RESIZES: [string, Record<string, AttrValue>, number[] | null, number[] | null][] = [
    ['nearest asymmetric floor x2', { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, [1, 1, 2, 2], null],
    ['nearest half_pixel x1.5 / x0.6', { mode: 'nearest' }, [1, 1, 1.5, 0.6], null],
    ['nearest sizes, round_prefer_ceil', { mode: 'nearest', nearest_mode: 'round_prefer_ceil' }, null, [1, 2, 5, 3]],
    ['linear half_pixel x2', { mode: 'linear' }, [1, 1, 2, 2], null],
    ['linear align_corners downscale', { mode: 'linear', coordinate_transformation_mode: 'align_corners' }, [1, 1, 0.7, 0.5], null],
    ['linear pytorch_half_pixel, axes', { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', axes: [3] }, [2.5], null],
    ['cubic', { mode: 'cubic' }, [1, 1, 1.7, 2], null],
  ];
  it.each(RESIZES)('Resize %s', (_, attrs, scales, sizes) => {
    check((g, t) => {
      const ins: (Value | null)[] = [t([1, 2, 3, 4]), null, scales ? g.addConst('scales', Tensor.fromArray('float32', [scales.length], scales)) : null];
      if (sizes) ins.push(i64(g, 'sizes', sizes));
      return g.addNode('Resize', ins, attrs).outputs[0]!;
    }, [0.3, -1.2, 0.8, 1.9, -0.4]);
  });

  it('Upsample (opset 9) nearest and linear', () => {
    for (const mode of ['nearest', 'linear']) check((g, t) => node(g, 'Upsample', [t([1, 1, 2, 3]), g.addConst('s', Tensor.fromArray('float32', [4], [1, 1, 2, 3]))], { mode }), [0.5, -1, 2]);
  });

  it('ConvTranspose: strides, asymmetric pads, output_padding, dilations, groups, bias', () => {
    fc.assert(fc.property(vals, fc.constantFrom(1, 2), fc.boolean(), (v, group, bias) => {
      check((g, t) => {
        const ins = [t([2, 4, 3, 2]), t([4, 6 / group, 3, 2]), ...(bias ? [t([6])] : [])];
        return node(g, 'ConvTranspose', ins, { strides: [2, 3], pads: [1, 0, 0, 1], output_padding: [1, 2], dilations: [1, 2], group });
      }, v);
    }), { numRuns: 4, seed: 22 });
  });

  it('Split with split lengths and equal parts, an output unused', () => {
    check((g, t) => {
      const [a, , c] = g.addNode('Split', [t([2, 6]), i64(g, 'split', [1, 2, 3])], { axis: 1 }, { numOutputs: 3 }).outputs;
      return node(g, 'Add', [node(g, 'ReduceSum', [c!, i64(g, 'ax', [1])], { keepdims: 1 }), a!]);
    }, [1.5, -0.5, 0.25]);
    check((g, t) => {
      const [a, b] = g.addNode('Split', [t([4, 3])], { axis: 0, num_outputs: 2 }, { numOutputs: 2 }).outputs;
      return node(g, 'Mul', [a!, b!]);
    }, [0.7, -1.1]);
  });

  it.each([
    ['bij,bjk->bik', [[2, 3, 4], [2, 4, 2]]],
    ['bhid,bhjd->bhij', [[1, 2, 3, 2], [1, 2, 4, 2]]],
    ['ij->ji', [[2, 3]]],
    ['ij->i', [[2, 3]]],
    ['i,j->ij', [[3], [2]]],
    ['...ij,...jk->...ik', [[2, 3, 4], [1, 4, 2]]],
    ['ij,jk', [[2, 3], [3, 2]]],
  ] as const)('Einsum %s', (equation, shapes) => {
    check((g, t) => node(g, 'Einsum', shapes.map((s) => t([...s])), { equation }), [0.9, -0.3, 1.4, -1.7, 0.2]);
  });

  it('InstanceNormalization and GroupNormalization (scale and bias per channel)', () => {
    fc.assert(fc.property(vals, fc.constantFrom(0, 1, 2), (v, which) => {
      check((g, t) => (which === 0
        ? node(g, 'InstanceNormalization', [t([2, 3, 2, 3]), t([3]), t([3])], { epsilon: 1e-3 })
        : node(g, 'GroupNormalization', [t([2, 4, 3, 2]), t([4]), t([4])], { num_groups: which === 1 ? 2 : 4, epsilon: 1e-3 })), v);
    }), { numRuns: 6, seed: 23 });
  });

  it('Transpose and MatMul of a batched operand with a shared 2-D weight (dense on tokens)', () => {
    check((g, t) => node(g, 'Transpose', [t([2, 3, 4])], { perm: [1, 2, 0] }), [0.4, -0.9]);
    check((g, t) => node(g, 'MatMul', [t([2, 3, 4]), t([4, 5])]), [0.4, -0.9, 1.3]);
    check((g, t) => node(g, 'MatMul', [t([3, 4]), t([2, 4, 5])]), [0.4, -0.9, 1.3]);
  });
});
