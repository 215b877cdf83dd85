// Gradient rules for the network ops (Gemm, MatMul, Conv, pools, BatchNormalization, Concat, Softmax), one table row per op registered with defineGrad after those ops are defined
// (src/ops/index.ts). Conv and pool gradients are the layerc ops of conv-grad.ts; they need static shapes.
import type { Value } from '../ir/graph.ts';
import { defineGrad, type GradRule, type VjpContext } from '../ir/registry.ts';
import { Tensor } from '../ir/tensor.ts';
import { isStatic } from '../ir/graph.ts';
import { lcError } from '../diagnostics.ts';
import './conv-grad.ts';

const op = (c: VjpContext, name: string, inputs: (Value | null)[], attrs = {}, domain = '') => c.emit(name, inputs, attrs, 1, domain)[0];
const ints = (c: VjpContext, xs: number[]) => c.graph.addConst('grad_axes', Tensor.fromArray('int64', [xs.length], xs));
const scalar = (c: VjpContext, like: Value, x: number) => c.graph.addConst('grad_const', Tensor.fromArray(like.type.dtype, [], [x]));

function staticShape(c: VjpContext, v: Value): number[] {
  if (!isStatic(v.type.shape)) throw lcError('LC066', [c.node.op, `'${v.name}' needs a static shape`], { node: c.node.name, op: c.node.op });
  return v.type.shape;
}

function rankOf(c: VjpContext, v: Value): number {
  if (!v.type.shape) throw lcError('LC066', [c.node.op, `'${v.name}' needs a known rank`], { node: c.node.name, op: c.node.op });
  return v.type.shape.length;
}

function spatialAttrs(c: VjpContext, rank: number): { strides: number[]; pads: number[]; dilations: number[] } {
  const autoPad = c.attrs.auto_pad as string | undefined;
  if (autoPad && autoPad !== 'NOTSET' && autoPad !== 'VALID') throw lcError('LC066', [c.node.op, `auto_pad ${autoPad} (the frontend makes pads explicit)`]);
  const n = rank - 2;
  return {
    strides: (c.attrs.strides as number[] | undefined) ?? new Array(n).fill(1),
    pads: (c.attrs.pads as number[] | undefined) ?? new Array(2 * n).fill(0),
    dilations: (c.attrs.dilations as number[] | undefined) ?? new Array(n).fill(1),
  };
}

const padNull = (c: VjpContext, gs: (Value | null)[]) => c.node.inputs.map((_, i) => gs[i] ?? null);

const NN_RULES: Record<string, GradRule> = {
  // Y = alpha A' B' + beta C with A' = A^T if transA, B' = B^T if transB.
  Gemm: (c) => {
    const [a, b, cc] = c.node.inputs as [Value, Value, Value | null];
    const dy = c.dOut[0]!;
    const alpha = (c.attrs.alpha as number) ?? 1, beta = (c.attrs.beta as number) ?? 1;
    const tA = (c.attrs.transA as number) ?? 0, tB = (c.attrs.transB as number) ?? 0;
    const da = tA ? op(c, 'Gemm', [b, dy], { transA: tB, transB: 1, alpha }) : op(c, 'Gemm', [dy, b], { transB: tB ? 0 : 1, alpha });
    const db = tB ? op(c, 'Gemm', [dy, a], { transA: 1, transB: tA, alpha }) : op(c, 'Gemm', [a, dy], { transA: tA ? 0 : 1, alpha });
    let dc: Value | null = null;
    if (cc) {
      dc = op(c, 'ReduceSumLike', [dy, cc], {}, 'ai.layerc');
      if (beta !== 1) dc = op(c, 'Mul', [dc, scalar(c, dy, beta)]);
    }
    return padNull(c, [da, db, dc]); // no C input (dense(bias=false)): two gradients
  },
  // MatMul of rank >= 2 operands (batched, broadcasting; [N, T, C] x [C, out] for dense on tokens):
  // dA = dY B^T, dB = A^T dY, each summed back over the batch dims its operand was broadcast along.
  MatMul: (c) => {
    const [a, b] = c.node.inputs as Value[];
    const dy = c.dOut[0]!;
    const t = (v: Value) => { const k = rankOf(c, v); return op(c, 'Transpose', [v], { perm: [...Array(k - 2).keys(), k - 1, k - 2] }); };
    if (rankOf(c, a) < 2 || rankOf(c, b) < 2) throw lcError('LC066', ['MatMul', 'a 1-D operand (matrix-vector product)']);
    // A 2-D weight shared by every row of a batched A ([N, T, K] x [K, M]): dB = A'^T dY' over the rows A' [N*T, K],
    // dY' [N*T, M], one Gemm (the batched product would materialize N partial [K, M] sums first).
    const bs = b.type.shape!;
    if (rankOf(c, a) > 2 && bs.length === 2 && isStatic(bs)) {
      const rows = (v: Value, k: number) => op(c, 'Reshape', [v, ints(c, [-1, k])]);
      return [op(c, 'MatMul', [dy, t(b)]), op(c, 'Gemm', [rows(a, bs[0]), rows(dy, bs[1])], { transA: 1 })];
    }
    return [op(c, 'ReduceSumLike', [op(c, 'MatMul', [dy, t(b)]), a], {}, 'ai.layerc'), op(c, 'ReduceSumLike', [op(c, 'MatMul', [t(a), dy]), b], {}, 'ai.layerc')];
  },
  Conv: (c) => {
    const [x, w, bias] = c.node.inputs as [Value, Value, Value | null];
    const dy = c.dOut[0]!;
    const xs = staticShape(c, x), ws = staticShape(c, w);
    if (xs.length !== 4) throw lcError('LC066', ['Conv', 'only 2-D convolution has a gradient rule']);
    const g = { ...spatialAttrs(c, 4), group: (c.attrs.group as number) ?? 1 };
    const dx = op(c, 'ConvGradInput', [dy, w], { ...g, x_shape: xs }, 'ai.layerc');
    const dw = op(c, 'ConvGradWeight', [dy, x], { ...g, w_shape: ws }, 'ai.layerc');
    const db = bias ? op(c, 'ReduceSum', [dy, ints(c, [0, 2, 3])], { keepdims: 0 }) : null;
    // One gradient per input: a Conv without bias has two inputs (padNull trims/pads to the node's arity).
    return padNull(c, [dx, dw, db]);
  },
  MaxPool: (c) => {
    const x = c.node.inputs[0]!;
    const rank = rankOf(c, x);
    return padNull(c, [op(c, 'MaxPoolGrad', [c.dOut[0], x], { kernel_shape: c.attrs.kernel_shape as number[], ...spatialAttrs(c, rank) }, 'ai.layerc')]);
  },
  AveragePool: (c) => {
    const x = c.node.inputs[0]!;
    const rank = rankOf(c, x);
    return [op(c, 'AveragePoolGrad', [c.dOut[0], x],
      { kernel_shape: c.attrs.kernel_shape as number[], count_include_pad: (c.attrs.count_include_pad as number) ?? 0, ...spatialAttrs(c, rank) }, 'ai.layerc')];
  },
  GlobalAveragePool: (c) => {
    const x = c.node.inputs[0]!;
    const xs = staticShape(c, x);
    const area = xs.slice(2).reduce((p, d) => p * d, 1);
    // dX = dY [N, C, 1, 1] * (1/area) [1, 1, H, W]: one broadcasting Mul, which every backend has a kernel for
    // (an Expand of dY ran as the JS backend's reference fallback).
    const spread = c.graph.addConst('grad_gap_spread', Tensor.fromArray(x.type.dtype, [1, 1, ...xs.slice(2)], new Array(area).fill(1 / area)));
    return [op(c, 'Mul', [c.dOut[0], spread])];
  },
  // Eval-mode BatchNorm (a frozen BN in a training graph) is affine per channel:
  //   dX = dY * scale * invstd, dScale = sum dY * (x - mean) * invstd, dBias = sum dY (running stats: constants).
  BatchNormalization: (c) => {
    const [x, scale, bias, mean, vr] = c.node.inputs as Value[];
    const dy = c.dOut[0]!;
    const r = rankOf(c, x);
    const chan = (v: Value) => op(c, 'Unsqueeze', [v, ints(c, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)])]);
    const others = ints(c, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)]);
    const invstd = op(c, 'Div', [scalar(c, x, 1), op(c, 'Sqrt', [op(c, 'Add', [vr, scalar(c, x, (c.attrs.epsilon as number) ?? 1e-5)])])]);
    const dx = op(c, 'Mul', [dy, chan(op(c, 'Mul', [scale, invstd]))]);
    const xhat = op(c, 'Mul', [op(c, 'Sub', [x, chan(mean)]), chan(invstd)]);
    const dscale = op(c, 'ReduceSum', [op(c, 'Mul', [dy, xhat]), others], { keepdims: 0 });
    const dbias = op(c, 'ReduceSum', [dy, others], { keepdims: 0 });
    return [dx, dscale, dbias, null, null];
  },
  // Each input's gradient is its slice of dY along the axis (sizes must be static along it).
  Concat: (c) => {
    const dy = c.dOut[0]!;
    const r = rankOf(c, dy);
    const axis = (((c.attrs.axis as number) % r) + r) % r;
    let off = 0;
    return c.node.inputs.map((v) => {
      if (!v) return null;
      const size = staticShape(c, v)[axis];
      const g = op(c, 'Slice', [dy, ints(c, [off]), ints(c, [off + size]), ints(c, [axis])]);
      off += size;
      return g;
    });
  },
  // dX = y * (dY - sum(dY * y, axis))
  Softmax: (c) => {
    const y = c.node.outputs[0], dy = c.dOut[0]!;
    const axis = (c.attrs.axis as number) ?? -1;
    const s = op(c, 'ReduceSum', [op(c, 'Mul', [dy, y]), ints(c, [axis])], { keepdims: 1 });
    return [op(c, 'Mul', [y, op(c, 'Sub', [dy, s])])];
  },
};

for (const [name, rule] of Object.entries(NN_RULES)) defineGrad(name, rule);
