// fast-check: reverse-mode gradients of random small graphs agree with central finite differences in float64.
// Graphs chain random differentiable ops (broadcasting binaries against a parameter, activations, Div,
// reductions, BatchNorm in training mode with scale/shift or without) and end in a weighted sum, so every
// input element gets a distinct gradient.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../src/ir/graph.ts';
import { Tensor } from '../../src/ir/tensor.ts';
import { inferShapes } from '../../src/ir/infer.ts';
import { runGraph } from '../../src/ir/interpret.ts';
import { backward } from '../../src/train/autodiff.ts';
import '../../src/ops/index.ts';

const STEPS = ['Add', 'Sub', 'Mul', 'Div', 'Tanh', 'Sigmoid', 'Exp', 'Relu', 'BN', 'BNplain', 'ReduceSumKeep', 'ReduceMean', 'Dropout'] as const;

function build(n: number, c: number, steps: (typeof STEPS)[number][], vals: number[]) {
  let k = 0;
  const rnd = () => vals[k++ % vals.length];
  const g = new Graph('gc');
  const t = (shape: number[]) => Tensor.fromArray('float64', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd));
  const x = g.addInput('x', { dtype: 'float64', shape: [n, c, 2] });
  const params: Value[] = [];
  const param = (shape: number[]) => { const v = g.addConst('p', t(shape), 'param'); params.push(v); return v; };
  let h: Value = x;
  const node = (op: string, inputs: (Value | null)[], attrs = {}, domain = '', outs = 1) =>
    g.addNode(op, inputs, attrs, { domain, numOutputs: outs }).outputs[0];
  for (const s of steps) {
    if (s === 'Add' || s === 'Sub' || s === 'Mul') h = node(s, [h, param([c, 1])]);
    else if (s === 'Div') {
      const p = param([2]);
      h = node('Div', [h, node('Add', [node('Mul', [p, p]), g.addConst('one', Tensor.fromArray('float64', [], [1.5]))])]);
    } else if (s === 'BN' || s === 'BNplain') {
      const stat = (v: number) => g.addConst('rs', Tensor.fromArray('float64', [c], new Array(c).fill(v)), 'running_mean');
      const [scale, bias] = s === 'BN' ? [param([c]), param([c])] : [null, null];
      h = node('BatchNormTrain', [h, scale, bias, stat(0), stat(1)], {}, 'ai.layerc', 5);
    } else if (s === 'ReduceSumKeep' || s === 'ReduceMean') {
      h = node(s === 'ReduceMean' ? 'ReduceMean' : 'ReduceSum', [h, g.addConst('ax', Tensor.fromArray('int64', [1], [2]))], { keepdims: 1 });
      h = node('Add', [h, param([1, 1, 2])]); // broadcast back to [n, c, 2]
    } else if (s === 'Dropout') {
      h = node('DropoutTrain', [h, g.addConst('step', Tensor.fromArray('float32', [], [3]))], { ratio: 0.3, seed: 7 }, 'ai.layerc', 2);
    } else h = node(s, [h]);
  }
  const w = g.addConst('w', t([n, c, 2]));
  const loss = node('ReduceSum', [node('Mul', [h, w])], { keepdims: 0 });
  inferShapes(g);
  return { g, x, loss, params, xval: t([n, c, 2]) };
}

describe('autodiff vs central finite differences (float64)', () => {
  it('random graphs', () => {
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }),
      fc.array(fc.constantFrom(...STEPS), { minLength: 1, maxLength: 4 }),
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 7, maxLength: 7 }),
      (n, c, steps, vals) => {
        const { g, x, loss, params, xval } = build(n, c, steps, vals.map((v, i) => v + 0.1 * (i + 1)));
        const wrt = [x, ...params];
        const grads = backward(g, loss, wrt);
        g.outputs = [loss, ...wrt.map((v) => grads.get(v)!).filter(Boolean)];
        const out = runGraph(g, { x: xval });
        const f = () => runGraph(g, { x: xval })[loss.name].data[0];
        for (const v of wrt) {
          const gv = grads.get(v);
          const tensor = v === x ? xval : v.const!;
          for (let i = 0; i < tensor.size; i++) {
            const old = tensor.data[i], eps = 1e-6;
            tensor.data[i] = old + eps; const up = f();
            tensor.data[i] = old - eps; const down = f();
            tensor.data[i] = old;
            const fd = (up - down) / (2 * eps);
            const ad = gv ? out[gv.name].data[i] : 0;
            expect(Math.abs(ad - fd), `${steps.join('>')} d/d${v.name}[${i}]: ad ${ad} fd ${fd}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(fd)));
          }
        }
      },
    ), { numRuns: 60, seed: 5 });
  });
});
