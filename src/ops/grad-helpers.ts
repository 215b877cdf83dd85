// Helper ops that only the backward graph uses (layerc domain, reference semantics here; backends add kernels).
//   ReduceSumLike(dY, X): sums dY over the axes numpy broadcasting expanded, giving X's shape — the gradient
//     of every broadcasting binary op flows through it.
//   ReluGrad(dY, Y): dY where Y > 0, else 0. Both have one shape (no broadcasting; the WGSL kernel indexes them
//     alike), and the output is dY's type. LeakyRelu's and Clip's gradients are built from it (gradients.ts).
import { defineOp } from '../ir/registry.ts';
import type { TensorType } from '../ir/graph.ts';
import { lcError } from '../diagnostics.ts';
import { Tensor, stridesOf } from '../ir/tensor.ts';
import { broadcastStrides } from './util.ts';

defineOp({
  name: 'ReduceSumLike',
  domain: 'ai.layerc',
  summary: 'sum a broadcast gradient back to the shape of the second input',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) { return [{ dtype: ctx.inputs[0]!.dtype, shape: ctx.inputs[1]!.shape }]; },
  evalRef([dy, like]) {
    const out = Tensor.zeros(dy!.dtype, like!.shape);
    const st = broadcastStrides(like!.shape, dy!.shape);
    const dst = stridesOf(dy!.shape);
    const acc = new Float64Array(out.size);
    for (let i = 0; i < dy!.size; i++) {
      let rem = i, o = 0;
      for (let d = 0; d < dst.length; d++) { const k = Math.floor(rem / dst[d]); rem -= k * dst[d]; o += k * st[d]; }
      acc[o] += dy!.data[i];
    }
    out.data.set(acc);
    return [out];
  },
});

defineOp({
  name: 'ReluGrad',
  domain: 'ai.layerc',
  summary: 'dY masked by Y > 0',
  attrs: {},
  inputs: [2, 2],
  outputs: [1, 1],
  inferType(ctx) {
    const [dy, y] = ctx.inputs as [TensorType, TensorType];
    const a = dy.shape, b = y.shape;
    const differ = a && b && (a.length !== b.length || a.some((d, i) => typeof d === 'number' && typeof b[i] === 'number' && d !== b[i]));
    if (differ) ctx.fail('LC032', [`ReluGrad: dY is [${a}], Y is [${b}]; they must have one shape`]);
    return [dy];
  },
  evalRef([dy, y]) {
    if (dy!.shape.join() !== y!.shape.join()) throw lcError('LC032', [`ReluGrad: dY is [${dy!.shape}], Y is [${y!.shape}]`], { op: 'ReluGrad' });
    const out = Tensor.zeros(dy!.dtype, dy!.shape);
    for (let i = 0; i < out.size; i++) out.data[i] = y!.data[i] > 0 ? dy!.data[i] : 0;
    return [out];
  },
});
