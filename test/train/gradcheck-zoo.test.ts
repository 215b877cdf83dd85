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
