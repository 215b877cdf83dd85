// Gradient rules of #19's differentiable ops, one table row each with its algebra, registered with defineGrad
// like src/ops/gradients.ts. They are written with standard ops (plus ReduceSumLike), so every backend that
// runs the forward ops runs them. Resize, Einsum, Split and ConvTranspose: gradients-adjoint.ts.
import type { Value } from '../ir/graph.ts';
import { defineGrad, type GradRule, type VjpContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { lcError } from '../diagnostics.ts';
import './grad-helpers.ts';

const op = (c: VjpContext, name: string, ...inputs: (Value | null)[]) => c.emit(name, inputs)[0]!;
const k = (c: VjpContext, like: Value, x: number) => c.graph.addConst('grad_const', Tensor.fromArray(like.type.dtype, [], [x]));

/** Sums g back to v's shape unless the shapes already agree statically. */
function unbroadcast(c: VjpContext, g: Value, v: Value): Value {
  const a = g.type.shape, b = v.type.shape;
  if (a && b && a.length === b.length && a.every((d, i) => d === b[i])) return g;
  return c.emit('ReduceSumLike', [g, v], {}, 1, 'ai.layerc')[0]!;
}

const sigmoid = (c: VjpContext, x: Value) => op(c, 'Sigmoid', x);
/** phi(x) = exp(-x^2 / 2) / sqrt(2 pi), the standard normal density. */
const density = (c: VjpContext, x: Value) => op(c, 'Mul', op(c, 'Exp', op(c, 'Mul', op(c, 'Mul', x, x), k(c, x, -0.5))), k(c, x, 1 / Math.sqrt(2 * Math.PI)));

const RULES: Record<string, GradRule> = {
  // d erf(x) = 2/sqrt(pi) exp(-x^2) dx
  Erf: (c) => { const x = c.node.inputs[0]!; return [op(c, 'Mul', c.dOut[0]!, op(c, 'Mul', op(c, 'Exp', op(c, 'Neg', op(c, 'Mul', x, x))), k(c, x, 2 / Math.sqrt(Math.PI))))]; },
  // d sin = cos dx, d cos = -sin dx
  Sin: (c) => [op(c, 'Mul', c.dOut[0]!, op(c, 'Cos', c.node.inputs[0]!))],
  Cos: (c) => [op(c, 'Neg', op(c, 'Mul', c.dOut[0]!, op(c, 'Sin', c.node.inputs[0]!)))],
  // d softplus(x) = sigmoid(x) dx
  Softplus: (c) => [op(c, 'Mul', c.dOut[0]!, sigmoid(c, c.node.inputs[0]!))],
  // mish = x t, t = tanh(softplus(x)): d mish = (t + x (1 - t^2) sigmoid(x)) dx
  Mish: (c) => {
    const x = c.node.inputs[0]!, t = op(c, 'Tanh', op(c, 'Softplus', x));
    const dt = op(c, 'Mul', op(c, 'Sub', k(c, x, 1), op(c, 'Mul', t, t)), sigmoid(c, x));
    return [op(c, 'Mul', c.dOut[0]!, op(c, 'Add', t, op(c, 'Mul', x, dt)))];
  },
  // exact: gelu = x Phi(x): d = (Phi(x) + x phi(x)) dx, Phi(x) = (1 + erf(x / sqrt 2)) / 2
  // tanh:  gelu = x/2 (1 + tanh u), u = s (x + 0.044715 x^3): d = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) s (1 + 3 * 0.044715 x^2)
  Gelu: (c) => {
    const x = c.node.inputs[0]!, g = c.dOut[0]!;
    if (c.attrs.approximate === 'tanh') {
      const s = Math.sqrt(2 / Math.PI);
      const x2 = op(c, 'Mul', x, x);
      const th = op(c, 'Tanh', op(c, 'Mul', op(c, 'Add', x, op(c, 'Mul', op(c, 'Mul', x2, x), k(c, x, 0.044715))), k(c, x, s)));
      const du = op(c, 'Mul', op(c, 'Add', k(c, x, 1), op(c, 'Mul', x2, k(c, x, 3 * 0.044715))), k(c, x, s));
      const d = op(c, 'Add', op(c, 'Mul', op(c, 'Add', k(c, x, 1), th), k(c, x, 0.5)),
        op(c, 'Mul', op(c, 'Mul', op(c, 'Mul', x, k(c, x, 0.5)), op(c, 'Sub', k(c, x, 1), op(c, 'Mul', th, th))), du));
      return [op(c, 'Mul', g, d)];
    }
    const Phi = op(c, 'Mul', op(c, 'Add', k(c, x, 1), op(c, 'Erf', op(c, 'Mul', x, k(c, x, Math.SQRT1_2)))), k(c, x, 0.5));
    return [op(c, 'Mul', g, op(c, 'Add', Phi, op(c, 'Mul', x, density(c, x))))];
  },
  // y = transpose(x, p): dx = transpose(dy, p^-1) (default p reverses the axes, its own inverse).
  Transpose: (c) => {
    const perm = c.attrs.perm as number[] | undefined;
    const inv = perm ? perm.map((_, i) => perm.indexOf(i)) : undefined;
    return [c.emit('Transpose', [c.dOut[0]!], inv ? { perm: inv } : {})[0]!];
  },
  // d(sum x_i) = dy to each input (summed back over its broadcast axes); Mean: dy / n.
  Sum: (c) => c.node.inputs.map((x) => unbroadcast(c, c.dOut[0]!, x!)),
  Mean: (c) => { const g = op(c, 'Mul', c.dOut[0]!, k(c, c.dOut[0]!, 1 / c.node.inputs.length)); return c.node.inputs.map((x) => unbroadcast(c, g, x!)); },
  // LayerNorm over the trailing axes A, n elements each: xhat = (x - mean) inv, y = xhat g + b.
  //   db = sum dy, dg = sum dy xhat (over the leading axes, back to g's shape);
  //   dx = inv (dy g - mean_A(dy g) - xhat mean_A(dy g xhat)).
  LayerNormalization: (c) => {
    if (c.dOut[1] || c.dOut[2]) throw lcError('LC035', ['LayerNormalization: no gradient through the Mean/InvStdDev outputs']);
    const [x, g, b] = c.node.inputs as [Value, Value, Value | null];
    const rank = x.type.shape!.length, a0 = Number(c.attrs.axis ?? -1), axis = a0 < 0 ? a0 + rank : a0;
    const axes = c.graph.addConst('grad_axes', Tensor.fromArray('int64', [rank - axis], Array.from({ length: rank - axis }, (_, i) => axis + i)));
    const mean = (v: Value) => c.emit('ReduceMean', [v, axes], { keepdims: 1 })[0]!;
    const d = op(c, 'Sub', x, mean(x));
    const inv = op(c, 'Reciprocal', op(c, 'Sqrt', op(c, 'Add', mean(op(c, 'Mul', d, d)), k(c, x, Number(c.attrs.epsilon ?? 1e-5)))));
    const xhat = op(c, 'Mul', d, inv), dy = c.dOut[0]!;
    const dxhat = op(c, 'Mul', dy, g);
    const dx = op(c, 'Mul', inv, op(c, 'Sub', op(c, 'Sub', dxhat, mean(dxhat)), op(c, 'Mul', xhat, mean(op(c, 'Mul', dxhat, xhat)))));
    return [dx, unbroadcast(c, op(c, 'Mul', dy, xhat), g), ...(b ? [unbroadcast(c, dy, b)] : [])].slice(0, c.node.inputs.length);
  },
  // Instance/GroupNormalization: rows are each (n, c) plane / each (n, group) of C/G planes (x seen as [N, G, -1]);
  // the LayerNorm algebra per row, with dxhat = dy scale[c]; dscale = sum dy xhat, dbias = sum dy over N and space.
  InstanceNormalization: (c) => channelNormGrad(c, null),
  GroupNormalization: (c) => channelNormGrad(c, Number(c.attrs.num_groups)),
};

/** Per row over `axes` of xg: xhat = (xg - mean) inv, and dx = inv (dxhat - mean(dxhat) - xhat mean(dxhat xhat)). */
function rowNormBackward(c: VjpContext, xg: Value, dxhat: Value, axes: Value, eps: number): { dx: Value; xhat: Value } {
  const mean = (v: Value) => c.emit('ReduceMean', [v, axes], { keepdims: 1 })[0]!;
  const d = op(c, 'Sub', xg, mean(xg));
  const inv = op(c, 'Reciprocal', op(c, 'Sqrt', op(c, 'Add', mean(op(c, 'Mul', d, d)), k(c, xg, eps))));
  const xhat = op(c, 'Mul', d, inv);
  return { xhat, dx: op(c, 'Mul', inv, op(c, 'Sub', op(c, 'Sub', dxhat, mean(dxhat)), op(c, 'Mul', xhat, mean(op(c, 'Mul', dxhat, xhat))))) };
}

function channelNormGrad(c: VjpContext, groups: number | null): (Value | null)[] {
  const [x, scale] = c.node.inputs as [Value, Value, Value];
  const dy = c.dOut[0]!, r = x.type.shape?.length;
  if (!r || r < 3) throw lcError('LC066', [c.node.op, 'needs an input of known rank >= 3'], { node: c.node.name, op: c.node.op });
  const ints = (xs: number[]) => c.graph.addConst('grad_axes', Tensor.fromArray('int64', [xs.length], xs));
  const space = Array.from({ length: r - 2 }, (_, i) => i + 2);
  const chan = (v: Value) => c.emit('Unsqueeze', [v, ints(space.map((a) => a - 1))])[0]!;
  const dxhat = op(c, 'Mul', dy, chan(scale)), eps = Number(c.attrs.epsilon ?? 1e-5);
  let dx: Value, xhat: Value;
  if (groups === null) ({ dx, xhat } = rowNormBackward(c, x, dxhat, ints(space), eps));
  else {
    const grouped = (v: Value) => op(c, 'Reshape', v, ints([0, groups, -1]));
    const back = (v: Value) => op(c, 'Reshape', v, op(c, 'Shape', x));
    const g = rowNormBackward(c, grouped(x), grouped(dxhat), ints([2]), eps);
    [dx, xhat] = [back(g.dx), back(g.xhat)];
  }
  const sum = (v: Value) => c.emit('ReduceSum', [v, ints([0, ...space])], { keepdims: 0 })[0]!;
  return [dx, sum(op(c, 'Mul', dy, xhat)), sum(dy)];
}

for (const [name, rule] of Object.entries(RULES)) defineGrad(name, rule);
