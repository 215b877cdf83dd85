// Emitters for the training graph's ops (src/ops: BatchNormTrain(+Grad), ConvGradInput/Weight, pool
// gradients, SoftmaxCrossEntropy(+Grad), ReduceSumLike, ReluGrad, DropoutTrain; Expand as a broadcast copy). The
// optimizer updates (SGD, momentum, Adam) are ordinary elementwise ops and Gemm/MatMul backward is Gemm with
// transposes, so those already have kernels. ConvGradInput is a transposed convolution of dY with W.
import type { Node } from '../../src/ir/graph.ts';
import { oldWeight } from '../../src/ops/batchnorm-train.ts';
import { readWindowAttrs, axisGeometry } from '../../src/ops/window.ts';
import { RAISE } from '../../src/ops/dims.ts';
import { prod, shapeOf, unsupported, type Emitter, type Kernel } from './emit-util.ts';
import { emitBnGradInput, emitBnGradSums, emitBnTrainApply, emitBnTrainStats } from './kernels/batchnorm-train.ts';
import { emitAvgPoolScale, emitConvGradWeight, emitPoolGradGather, emitReluGrad, emitSoftmaxCrossEntropy, emitSoftmaxCrossEntropyGrad } from './kernels/grad.ts';
import { emitConv } from './kernels/conv.ts';
import { emitPool } from './kernels/pool.ts';
import { emitReduce } from './kernels/reduce.ts';
import { emitBroadcast } from './kernels/layout.ts';
import { emitDropoutTrain, seedIsExact } from './kernels/dropout-train.ts';

const ints = (v: unknown, d: number[]) => (Array.isArray(v) && v.length ? (v as number[]) : d);

function geometry(n: Node) {
  const a = n.attrs as Record<string, unknown>;
  return { strides: ints(a.strides, [1, 1]), pads: ints(a.pads, [0, 0, 0, 0]), dilations: ints(a.dilations, [1, 1]), group: Number(a.group ?? 1) };
}

function need2d(n: Node, s: number[]): void { if (s.length !== 4) throw unsupported(n, 'only 2-D convolution / pooling gradients'); }

export const TRAINING_EMITTERS: Record<string, Emitter> = {
  BatchNormTrain: (n) => {
    const x = shapeOf(n, n.inputs[0]);
    const [N, C] = [x[0]!, x[1]!], S = prod(x.slice(2));
    const [X, scale, bias, rm, rv] = n.inputs;
    const a = n.attrs as Record<string, unknown>;
    const conv = String(a.convention ?? 'pytorch'), count = N * S;
    const o = { running: n.outputs.length >= 3, saved: n.outputs.length >= 5 };
    const stats = { scratch: `${n.name}_stats`, floats: 2 * C };
    const ks: Kernel[] = [
      { ...emitBnTrainStats(N, C, S, Number(a.epsilon ?? 1e-5), oldWeight(conv, Number(a.momentum ?? 0.1)), conv === 'pytorch' && count > 1 ? count / (count - 1) : 1, o),
        bind: [X!, ...(o.running ? [rm!, rv!] : []), stats, ...(o.running ? [n.outputs[1]!, n.outputs[2]!] : []), ...(o.saved ? [n.outputs[3]!, n.outputs[4]!] : [])] },
      { ...emitBnTrainApply(prod(x), C, S, !!scale, !!bias), bind: [X!, ...(scale ? [scale] : []), ...(bias ? [bias] : []), stats, n.outputs[0]!] },
    ];
    return ks;
  },
  BatchNormTrainGrad: (n) => {
    const [dy, X, scale, mean, invstd] = n.inputs;
    const x = shapeOf(n, X);
    const [N, C] = [x[0]!, x[1]!], S = prod(x.slice(2));
    const sums = { scratch: `${n.name}_sums`, floats: 2 * C };
    const [dx, dscale, dbias] = n.outputs;
    const ks: Kernel[] = [{ ...emitBnGradSums(N, C, S, { dscale: !!dscale, dbias: !!dbias }), bind: [dy!, X!, mean!, invstd!, sums, ...(dscale ? [dscale] : []), ...(dbias ? [dbias] : [])] }];
    if (dx) ks.push({ ...emitBnGradInput(prod(x), C, S, N * S, !!scale), bind: [dy!, X!, ...(scale ? [scale] : []), mean!, invstd!, sums, dx] });
    return ks;
  },
  ReduceSumLike: (n) => {
    const dy = shapeOf(n, n.inputs[0]), like = shapeOf(n, n.inputs[1]);
    const padded = [...new Array(dy.length - like.length).fill(1), ...like];
    const axes = dy.map((_, a) => a).filter((a) => padded[a] === 1 && dy[a] !== 1);
    return [{ ...emitReduce('ReduceSum', dy, axes), bind: [n.inputs[0]!, n.outputs[0]!] }];
  },
  Expand: (n) => {
    const x = shapeOf(n, n.inputs[0]), y = shapeOf(n, n.outputs[0]);
    return [{ ...emitBroadcast(x, y), bind: [n.inputs[0]!, n.outputs[0]!] }];
  },
  DropoutTrain: (n) => {
    const seed = Number(n.attrs.seed ?? 0), ratio = Number(n.attrs.ratio ?? 0.5);
    if (n.outputs.length !== 2) throw unsupported(n, 'DropoutTrain without its mask output');
    if (!seedIsExact(seed)) throw unsupported(n, `seed ${seed}: the reference's seed arithmetic leaves exact doubles`);
    const k = emitDropoutTrain(prod(shapeOf(n, n.outputs[0])), ratio, seed);
    return [{ ...k, bind: [n.inputs[0]!, n.inputs[1]!, n.outputs[0]!, n.outputs[1]!] }];
  },
  ReluGrad: (n) => [{ ...emitReluGrad(prod(shapeOf(n, n.outputs[0]))), bind: [n.inputs[0]!, n.inputs[1]!, n.outputs[0]!] }],
  ConvGradInput: (n) => {
    const dy = shapeOf(n, n.inputs[0]), w = shapeOf(n, n.inputs[1]), x = shapeOf(n, n.outputs[0]);
    need2d(n, x);
    const g = geometry(n);
    const k = emitConv({ x: dy, w, y: x, strides: g.strides, dilations: g.dilations, pads: g.pads, group: g.group, transpose: true, operands: [], epilogue: [] });
    return [{ ...k, bind: [n.inputs[0]!, n.inputs[1]!, n.outputs[0]!] }];
  },
  ConvGradWeight: (n) => {
    const dy = shapeOf(n, n.inputs[0]), x = shapeOf(n, n.inputs[1]), w = shapeOf(n, n.outputs[0]);
    need2d(n, x);
    return [{ ...emitConvGradWeight(x, w, dy, geometry(n)), bind: [n.inputs[0]!, n.inputs[1]!, n.outputs[0]!] }];
  },
  MaxPoolGrad: (n) => {
    const dy = shapeOf(n, n.inputs[0]), x = shapeOf(n, n.inputs[1]);
    need2d(n, x);
    const g = geometry(n), kernel = (n.attrs.kernel_shape as number[]);
    const arg = { scratch: `${n.name}_arg`, floats: prod(dy) }, pooled = { scratch: `${n.name}_max`, floats: prod(dy) };
    const fwd = emitPool({ kind: 'max', x, y: dy, kernel, strides: g.strides, dilations: g.dilations, pads: g.pads, countIncludePad: false, indices: true });
    return [
      { ...fwd, bind: [n.inputs[1]!, pooled, arg] },
      { ...emitPoolGradGather('max', x, dy, kernel, g), bind: [arg, n.inputs[0]!, n.outputs[0]!] },
    ];
  },
  AveragePoolGrad: (n) => {
    const dy = shapeOf(n, n.inputs[0]), x = shapeOf(n, n.inputs[1]);
    need2d(n, x);
    const g = geometry(n), kernel = (n.attrs.kernel_shape as number[]);
    const scaled = { scratch: `${n.name}_scaled`, floats: prod(dy) };
    return [
      { ...emitAvgPoolScale(x, dy, kernel, g, !!n.attrs.count_include_pad), bind: [n.inputs[0]!, scaled] },
      { ...emitPoolGradGather('avg', x, dy, kernel, g), bind: [scaled, n.outputs[0]!] },
    ];
  },
  SoftmaxCrossEntropy: (n) => {
    const x = shapeOf(n, n.inputs[0]);
    return [{ ...emitSoftmaxCrossEntropy(x[0]!, x[1]!), bind: [n.inputs[0]!, n.inputs[1]!, n.outputs[0]!] }];
  },
  SoftmaxCrossEntropyGrad: (n) => {
    const x = shapeOf(n, n.inputs[0]);
    return [{ ...emitSoftmaxCrossEntropyGrad(x[0]!, x[1]!), bind: [n.inputs[0]!, n.inputs[1]!, n.inputs[2]!, n.outputs[0]!] }];
  },
};
